//! Keeping what the key holder refreshed: a subscription login's access token expires within
//! hours and Anthropic rotates its refresh token, so the holder's refresh must outlive the
//! bottle. When a bottle ends (stop, gc, the end of an attached session), the credential file
//! the holder rewrote replaces the login on the host, if it is newer.

use anyhow::Context as _;
use bot_bottle_gate::keys::Credential;
use camino::Utf8Path;
use engine::Engine;

use super::{read_at, LoginName};

/// The most of the holder's credential file that is read.
const LIMIT: u64 = 64 * 1024;

/// Reads the credential file `path_in_holder` of the holder `container` and, when it holds a
/// later subscription login than login `name` at `path` on the host, writes it there: whether
/// it did. A login the user removed meanwhile (`logout`) stays removed.
pub fn keep(
    engine: &dyn Engine,
    container: &str,
    path_in_holder: &str,
    name: &LoginName,
    path: &Utf8Path,
) -> anyhow::Result<bool> {
    let Some(stored) = read_at(path, name)? else {
        return Ok(false);
    };
    let bytes = zeroize::Zeroizing::new(
        engine
            .read_file(container, path_in_holder, LIMIT)
            .with_context(|| format!("reading the refreshed login from {container}"))?,
    );
    let held: Credential = serde_json::from_slice(&bytes).with_context(|| {
        format!("the key holder {container} holds no credential bot-bottle reads")
    })?;
    if !is_later(&held, &stored) {
        return Ok(false);
    }
    let text = zeroize::Zeroizing::new(serde_json::to_vec_pretty(&held)?);
    crate::atomic_file::write(path, &text, 0o600).with_context(|| format!("writing {path}"))?;
    Ok(true)
}

/// A stored login a key holder may refresh, and where the holder keeps its copy: what a launch
/// record keeps for the end of the bottle.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RefreshableLogin {
    pub name: LoginName,
    pub path: camino::Utf8PathBuf,
    pub path_in_holder: String,
}

/// [`keep`] for a bottle's recorded login, telling the user what became of it: a failure is
/// told, not fatal (the login on the host is then the one from before, and Anthropic may have
/// retired its refresh token).
pub fn keep_and_tell(engine: &dyn Engine, container: &str, login: &RefreshableLogin) {
    match keep(
        engine,
        container,
        &login.path_in_holder,
        &login.name,
        &login.path,
    ) {
        Ok(true) => eprintln!(
            "bot-bottle: kept the key holder's refresh of login {} in {}",
            login.name, login.path
        ),
        Ok(false) => {}
        Err(e) => eprintln!(
            "bot-bottle: could not keep the key holder's refresh of login {} ({e:#}); if Claude Code reports an expired login, `bot-bottle login {} --replace`",
            login.name, login.name
        ),
    }
}

/// Whether `held` is a refresh of `stored`: both subscription logins, the held one expiring
/// later.
fn is_later(held: &Credential, stored: &Credential) -> bool {
    match (held, stored) {
        (Credential::OAuth(held), Credential::OAuth(stored)) => {
            held.expires_at.unwrap_or(0) > stored.expires_at.unwrap_or(0)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use bot_bottle_gate::keys::{OAuthCredential, Secret};

    use super::*;

    fn oauth(token: &str, expires_at: Option<u64>) -> Credential {
        Credential::OAuth(OAuthCredential {
            access_token: Secret::new(token),
            refresh_token: Some(Secret::new(format!("{token}-r"))),
            expires_at,
            scopes: Vec::new(),
            subscription_type: None,
        })
    }

    #[test]
    fn only_a_later_subscription_login_replaces_the_stored_one() {
        assert!(is_later(&oauth("b", Some(2)), &oauth("a", Some(1))));
        assert!(is_later(&oauth("b", Some(2)), &oauth("a", None)));
        assert!(!is_later(&oauth("b", Some(1)), &oauth("a", Some(1))));
        assert!(!is_later(&oauth("b", None), &oauth("a", Some(1))));
        let key = Credential::ApiKey(Secret::new("k"));
        assert!(!is_later(&key, &oauth("a", Some(1))));
        assert!(!is_later(&oauth("b", Some(2)), &key));
    }
}
