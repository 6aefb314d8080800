//! The key holder's contract with bot-bottle: its config file (`bot-bottle-gate keys`), and
//! the credential file it reads at start and rewrites after an OAuth refresh, which is also the
//! format of the host's login store. bot-bottle writes both with these types.
//!
//! The user's secrets are [`Secret`]s: wiped from memory when dropped and never shown by
//! `Debug`, so that no log line or error message carries one.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// Where the key holder reads its config.
pub const CONFIG_PATH: &str = "/etc/bot-bottle-keys/config.json";
/// The hosts the key holder answers for: the Anthropic API, Claude Code's OAuth token endpoint
/// and claude.ai.
pub const HOSTS: [&str; 3] = ["api.anthropic.com", "platform.claude.com", "claude.ai"];
/// The host of the OAuth token endpoint.
pub const TOKEN_HOST: &str = "platform.claude.com";
/// The OAuth token endpoint's path on [`TOKEN_HOST`].
pub const TOKEN_PATH: &str = "/v1/oauth/token";
/// A path the holder answers itself on each of its hosts, 200 once it serves (the launch waits
/// for it from the agent, through the names and certificate the agent uses); never forwarded.
pub const HEALTH_PATH: &str = "/.well-known/bot-bottle-keys/health";
/// Claude Code's public OAuth client id, which a refresh names.
pub const CLAUDE_CODE_CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
/// The credential file's format version.
pub const CREDENTIAL_VERSION: u32 = 1;

/// A secret string: wiped from memory when dropped, redacted in `Debug`, written as itself by
/// serde (into the files that hold it, never into a log).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret's value, for the one place that must send or compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// The key holder's config (`/etc/bot-bottle-keys/config.json`), written by bot-bottle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// `ADDRESS:PORT` the holder binds (443 on the bottle's internal network).
    pub listen: String,
    /// The hosts the holder answers for: the TLS server names it accepts, and the real hosts it
    /// forwards to.
    pub hosts: Vec<String>,
    /// The PEM certificate chain whose leaf names every host, signed by the bottle's CA.
    pub tls_cert: String,
    /// Its private key: PKCS#8 PEM (SEC1 is read too).
    pub tls_key: String,
    /// The PEM bundle the real hosts' certificates are verified against.
    pub upstream_roots: String,
    /// The credential file ([`Credential`]): read at start, rewritten after an OAuth refresh.
    pub credential: String,
    /// The value the agent holds in the credential's place: its API key or OAuth access token.
    pub placeholder: Secret,
    /// The refresh token the agent may hold (OAuth only); its refreshes are answered by the
    /// holder itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder_refresh: Option<Secret>,
    /// The OAuth token endpoint's path on [`TOKEN_HOST`] ([`TOKEN_PATH`]).
    pub token_path: String,
    /// The OAuth client id a refresh names ([`CLAUDE_CODE_CLIENT_ID`]).
    pub oauth_client_id: String,
    /// Host to `ADDRESS:PORT` to connect to in its place (for tests, like `curl --resolve`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resolve: BTreeMap<String, String>,
    /// How the credential goes on a request to each host named here (an `OpenAI` API key as
    /// `Authorization: Bearer`, a Gemini one as `x-goog-api-key`). A host not named takes
    /// Anthropic's way: an API key as `x-api-key`, a subscription login's token as `Authorization:
    /// Bearer`. Absent (and not written) for a Claude Code bottle, whose config is as it was.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credential_headers: BTreeMap<String, CredentialHeader>,
}

/// A header that carries the credential: `name: [scheme ]KEY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialHeader {
    /// The header's name, lower case (`authorization`, `x-goog-api-key`).
    pub name: String,
    /// The scheme before the key (`Bearer`), when the header has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

/// The user's Anthropic credential, as the credential file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CredentialFile", into = "CredentialFile")]
pub enum Credential {
    /// An API key, sent as `x-api-key`.
    ApiKey(Secret),
    /// A Claude Code subscription login, sent as `Authorization: Bearer`.
    OAuth(OAuthCredential),
}

/// An OAuth login: its access token and what refreshes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCredential {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in milliseconds since the epoch.
    pub expires_at: Option<u64>,
    pub scopes: Vec<String>,
    /// The subscription the login is for (`pro`, `max`), as Claude Code reports it.
    pub subscription_type: Option<String>,
}

impl Credential {
    /// Every secret value the credential holds: none of them may leave in a request the agent
    /// made, nor appear in a log.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Credential::ApiKey(key) => vec![key],
            Credential::OAuth(oauth) => {
                let mut all = vec![&oauth.access_token];
                all.extend(oauth.refresh_token.as_ref());
                all
            }
        }
    }
}

/// The credential file as JSON: `version`, `kind` and the kind's fields. A login bot-bottle
/// keeps on the host may also name the agent kind it is for (`agent`), which this type reads
/// past; the credential the holder gets never names one.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialFile {
    version: u32,
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    agent: Option<String>,
    kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subscription_type: Option<String>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    ApiKey,
    Oauth,
}

impl TryFrom<CredentialFile> for Credential {
    type Error = String;

    fn try_from(file: CredentialFile) -> Result<Self, String> {
        if file.version != CREDENTIAL_VERSION {
            return Err(format!(
                "version {} is not one this bot-bottle reads (it reads {CREDENTIAL_VERSION})",
                file.version
            ));
        }
        let oauth_only = [
            ("access_token", file.access_token.is_some()),
            ("refresh_token", file.refresh_token.is_some()),
            ("expires_at", file.expires_at.is_some()),
            ("scopes", file.scopes.is_some()),
            ("subscription_type", file.subscription_type.is_some()),
        ];
        match file.kind {
            Kind::ApiKey => {
                if let Some((field, _)) = oauth_only.iter().find(|(_, set)| *set) {
                    return Err(format!("field {field} is for kind oauth, not api_key"));
                }
                let key = file.api_key.ok_or("kind api_key needs the field api_key")?;
                non_empty("api_key", &key)?;
                Ok(Credential::ApiKey(key))
            }
            Kind::Oauth => {
                if file.api_key.is_some() {
                    return Err("field api_key is for kind api_key, not oauth".to_owned());
                }
                let access_token = file
                    .access_token
                    .ok_or("kind oauth needs the field access_token")?;
                non_empty("access_token", &access_token)?;
                if let Some(refresh) = &file.refresh_token {
                    non_empty("refresh_token", refresh)?;
                }
                Ok(Credential::OAuth(OAuthCredential {
                    access_token,
                    refresh_token: file.refresh_token,
                    expires_at: file.expires_at,
                    scopes: file.scopes.unwrap_or_default(),
                    subscription_type: file.subscription_type,
                }))
            }
        }
    }
}

fn non_empty(field: &str, secret: &Secret) -> Result<(), String> {
    if secret.expose().trim().is_empty() {
        return Err(format!("field {field} is empty"));
    }
    Ok(())
}

impl From<Credential> for CredentialFile {
    fn from(credential: Credential) -> Self {
        let mut file = CredentialFile {
            version: CREDENTIAL_VERSION,
            agent: None,
            kind: Kind::ApiKey,
            api_key: None,
            access_token: None,
            refresh_token: None,
            expires_at: None,
            scopes: None,
            subscription_type: None,
        };
        match credential {
            Credential::ApiKey(key) => file.api_key = Some(key),
            Credential::OAuth(oauth) => {
                file.kind = Kind::Oauth;
                file.access_token = Some(oauth.access_token);
                file.refresh_token = oauth.refresh_token;
                file.expires_at = oauth.expires_at;
                file.scopes = Some(oauth.scopes);
                file.subscription_type = oauth.subscription_type;
            }
        }
        file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_read_and_write_back_as_the_documented_json() {
        for text in [
            r#"{"version":1,"kind":"api_key","api_key":"sk-ant-api03-x"}"#,
            r#"{"version":1,"kind":"oauth","access_token":"sk-ant-oat01-a","refresh_token":"sk-ant-ort01-r","expires_at":1765000000000,"scopes":["user:inference","user:profile"],"subscription_type":"pro"}"#,
            r#"{"version":1,"kind":"oauth","access_token":"sk-ant-oat01-a","scopes":[]}"#,
        ] {
            let credential: Credential = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&credential).unwrap(), text);
        }
        let oauth: Credential =
            serde_json::from_str(r#"{"version":1,"kind":"oauth","access_token":"a"}"#).unwrap();
        let Credential::OAuth(oauth) = oauth else {
            panic!("not oauth")
        };
        assert_eq!(oauth.scopes, Vec::<String>::new());
        assert_eq!(oauth.refresh_token, None);
    }

    #[test]
    fn a_credential_of_the_wrong_shape_is_refused_naming_why() {
        for (text, why) in [
            (
                r#"{"version":2,"kind":"api_key","api_key":"k"}"#,
                "version 2",
            ),
            (
                r#"{"version":1,"kind":"api_key"}"#,
                "needs the field api_key",
            ),
            (
                r#"{"version":1,"kind":"api_key","api_key":" "}"#,
                "api_key is empty",
            ),
            (
                r#"{"version":1,"kind":"api_key","api_key":"k","access_token":"a"}"#,
                "access_token is for kind oauth",
            ),
            (
                r#"{"version":1,"kind":"oauth"}"#,
                "needs the field access_token",
            ),
            (
                r#"{"version":1,"kind":"oauth","access_token":"a","api_key":"k"}"#,
                "api_key is for kind api_key",
            ),
            (
                r#"{"version":1,"kind":"api_key","api_key":"k","x":1}"#,
                "unknown field `x`",
            ),
            (
                r#"{"version":1,"kind":"password"}"#,
                "unknown variant `password`",
            ),
        ] {
            let error = serde_json::from_str::<Credential>(text).unwrap_err();
            assert!(error.to_string().contains(why), "{text}: {error}");
        }
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let credential = Credential::OAuth(OAuthCredential {
            access_token: Secret::new("sk-ant-oat01-access"),
            refresh_token: Some(Secret::new("sk-ant-ort01-refresh")),
            expires_at: Some(1),
            scopes: vec!["user:inference".to_owned()],
            subscription_type: None,
        });
        let shown = format!(
            "{credential:?} {:?}",
            Credential::ApiKey(Secret::new("sk-ant-api03-k"))
        );
        assert!(!shown.contains("sk-ant-"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn the_config_reads_with_and_without_its_optional_fields() {
        let text = r#"{"listen":"10.200.0.5:443","hosts":["api.anthropic.com"],"tls_cert":"c","tls_key":"k","upstream_roots":"r","credential":"f","placeholder":"bbph-a","token_path":"/v1/oauth/token","oauth_client_id":"id"}"#;
        let config: KeysConfig = serde_json::from_str(text).unwrap();
        assert_eq!(config.placeholder_refresh, None);
        assert!(config.resolve.is_empty());
        assert_eq!(serde_json::to_string(&config).unwrap(), text);
        let unknown = text.replace("\"listen\"", "\"port\":1,\"listen\"");
        let error = serde_json::from_str::<KeysConfig>(&unknown).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `port`"),
            "{error}"
        );
    }
}
