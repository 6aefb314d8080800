//! Claude Code's own login file (`.credentials.json` in its config directory), read into a
//! [`Credential`]: what `bot-bottle login` takes from Claude Code's login flow, from a file the
//! user names, and from a state volume an earlier bot-bottle left it in.

use bot_bottle_gate::keys::{Credential, OAuthCredential, Secret};
use serde::Deserialize;

/// The file's name in Claude Code's config directory.
pub const CREDENTIALS_FILE: &str = ".credentials.json";

/// `{"claudeAiOauth": {...}}`, as Claude Code writes it (other keys it may add are ignored).
#[derive(Deserialize)]
struct File {
    #[serde(rename = "claudeAiOauth")]
    oauth: Option<OAuth>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OAuth {
    access_token: Option<Secret>,
    refresh_token: Option<Secret>,
    expires_at: Option<u64>,
    #[serde(default)]
    scopes: Vec<String>,
    subscription_type: Option<String>,
}

/// The subscription login in Claude Code's `.credentials.json` text `bytes`. The error says
/// what is missing, never a value.
pub fn parse(bytes: &[u8]) -> Result<Credential, String> {
    let file: File = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's messages name a position, never the text around it.
        format!("not Claude Code's credentials file: {e}")
    })?;
    let oauth = file
        .oauth
        .ok_or("it holds no claudeAiOauth login (is it Claude Code's .credentials.json?)")?;
    let access_token = oauth
        .access_token
        .filter(|t| !t.expose().trim().is_empty())
        .ok_or("its claudeAiOauth login has no accessToken")?;
    Ok(Credential::OAuth(OAuthCredential {
        access_token,
        refresh_token: oauth
            .refresh_token
            .filter(|t| !t.expose().trim().is_empty()),
        expires_at: oauth.expires_at,
        scopes: oauth.scopes,
        subscription_type: oauth.subscription_type,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_code_s_login_file_becomes_a_subscription_login() {
        let text = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-a","refreshToken":"sk-ant-ort01-r","expiresAt":1765000000000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"},"other":1}"#;
        let Credential::OAuth(oauth) = parse(text).unwrap() else {
            panic!("not oauth")
        };
        assert_eq!(oauth.access_token.expose(), "sk-ant-oat01-a");
        assert_eq!(
            oauth.refresh_token.as_ref().map(Secret::expose),
            Some("sk-ant-ort01-r")
        );
        assert_eq!(oauth.expires_at, Some(1_765_000_000_000));
        assert_eq!(oauth.scopes, ["user:inference", "user:profile"]);
        assert_eq!(oauth.subscription_type.as_deref(), Some("max"));
    }

    #[test]
    fn a_file_without_a_login_is_refused_without_echoing_it() {
        for text in [
            &b"{}"[..],
            br#"{"claudeAiOauth":{"refreshToken":"sk-ant-ort01-secret"}}"#,
            br#"{"claudeAiOauth":{"accessToken":"  "}}"#,
            b"sk-ant-ort01-secret not json",
        ] {
            let err = parse(text).unwrap_err();
            assert!(!err.contains("secret"), "{err}");
        }
    }
}
