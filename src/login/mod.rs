//! The user's logins on the host, one agent kind each (Claude Code's Anthropic credential, an
//! `OpenAI` or a Gemini API key): the credentials a bottle's key holder puts on the agent's
//! requests, kept where no bottle reaches.
//!
//! Each login is one file, `<state dir>/logins/<NAME>.json` (the state directory of
//! [`crate::userdirs::state_dir`], outside every workspace), mode 0600 in a directory of mode
//! 0700, owned by the user, in the key holder's own format
//! ([`bot_bottle_gate::keys::Credential`]), with the agent kind it is for in `agent` (a file
//! without one, as every login before kinds, is Claude Code's). `bot-bottle login` writes it, `bot-bottle logout`
//! removes it; a launch reads it and copies it into the key holder only. A file that others may
//! read, a symlink, or anything but a regular file is refused, not used: something other than
//! bot-bottle made it so.

pub mod claude;
pub mod refreshed;

use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};

use anyhow::Context as _;
use bot_bottle_gate::keys::Credential;
use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::exit::UsageError;

/// The login a bottle uses when its manifest names none.
pub const DEFAULT_NAME: &str = "default";

/// The most a login file may hold: a credential is a few hundred bytes.
const LOGIN_FILE: crate::hostfile::Cap = crate::hostfile::Cap {
    what: "a login",
    max: 64 * 1024,
};

/// A login's name: what `login NAME`, `logout NAME` and a manifest's `agent.login` say, and
/// the file's name without `.json`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LoginName(String);

impl LoginName {
    /// A name of 1 to 64 lower-case letters, digits, `-`, `_` and `.`, starting with a letter
    /// or digit (so it is a file name, never a path or a hidden file).
    pub fn parse(name: &str) -> Result<Self, UsageError> {
        let ok = (1..=64).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            });
        if ok {
            Ok(LoginName(name.to_owned()))
        } else {
            Err(UsageError(format!(
                "login name {name:?}: use 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit"
            )))
        }
    }

    /// [`DEFAULT_NAME`].
    pub fn default_name() -> Self {
        LoginName(DEFAULT_NAME.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LoginName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for LoginName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        LoginName::parse(&name).map_err(|e| serde::de::Error::custom(e.0))
    }
}

/// What kind of credential a login holds (defined beside the agent kinds, whose credential
/// variables name it).
pub use crate::agents::CredentialKind as Kind;

impl Kind {
    pub fn of(credential: &Credential) -> Self {
        match credential {
            Credential::ApiKey(_) => Kind::ApiKey,
            Credential::OAuth(_) => Kind::Oauth,
        }
    }
}

/// A stored login, described without its secret: what `login --list` and a plan show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub name: LoginName,
    /// The agent kind it is for.
    pub agent: &'static str,
    pub path: Utf8PathBuf,
    pub kind: Kind,
    /// For a subscription login: whether a refresh token is there (the key holder refreshes
    /// the access token itself when it expires).
    pub refreshable: bool,
    /// For a subscription login: when its access token expires (milliseconds since the epoch),
    /// when known.
    pub expires_at: Option<u64>,
}

/// The logins directory under a state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: Utf8PathBuf,
}

impl Store {
    /// The store under bot-bottle's state directory `state_dir`.
    pub fn in_state_dir(state_dir: &Utf8Path) -> Self {
        Store {
            dir: state_dir.join("logins"),
        }
    }

    /// The store of this user ([`crate::userdirs::state_dir`]).
    pub fn of_user() -> Result<Self, UsageError> {
        Ok(Self::in_state_dir(&crate::userdirs::state_dir()?))
    }

    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// Where login `name` is kept.
    pub fn path(&self, name: &LoginName) -> Utf8PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Login `name`, or `None` when there is none.
    pub fn read(&self, name: &LoginName) -> anyhow::Result<Option<Credential>> {
        Ok(read_kind_at(&self.path(name), name)?.map(|(_, credential)| credential))
    }

    /// What login `name` is, without its secret; `None` when there is none.
    pub fn summary(&self, name: &LoginName) -> anyhow::Result<Option<Summary>> {
        Ok(read_kind_at(&self.path(name), name)?.map(|(agent, credential)| Summary {
            name: name.clone(),
            agent: agent.name,
            path: self.path(name),
            kind: Kind::of(&credential),
            refreshable: matches!(&credential, Credential::OAuth(o) if o.refresh_token.is_some()),
            expires_at: match &credential {
                Credential::OAuth(o) => o.expires_at,
                Credential::ApiKey(_) => None,
            },
        }))
    }

    /// Every login, by name.
    pub fn list(&self) -> anyhow::Result<Vec<Summary>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.dir)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", self.dir))?;
            let file = entry.file_name();
            let Some(stem) = file.to_str().and_then(|f| f.strip_suffix(".json")) else {
                continue;
            };
            if let Ok(name) = LoginName::parse(stem) {
                names.push(name);
            }
        }
        names.sort();
        let mut found = Vec::new();
        for name in names {
            found.extend(self.summary(&name)?);
        }
        Ok(found)
    }

    /// Keeps `credential` as login `name` (0600, in a 0700 directory made when missing), written
    /// whole or not at all. An existing login is replaced only when `replace` says so.
    pub fn write(
        &self,
        name: &LoginName,
        credential: &Credential,
        replace: bool,
    ) -> anyhow::Result<Utf8PathBuf> {
        self.write_for(crate::agents::DEFAULT, name, credential, replace)
    }

    /// [`Store::write`] for an agent of `kind`: the file names the kind unless it is the
    /// default (a Claude Code login is written as every login was before kinds).
    pub fn write_for(
        &self,
        kind: &crate::agents::AgentKind,
        name: &LoginName,
        credential: &Credential,
        replace: bool,
    ) -> anyhow::Result<Utf8PathBuf> {
        let path = self.path(name);
        if !replace && std::fs::symlink_metadata(&path).is_ok() {
            return Err(UsageError(format!(
                "login {name} exists ({path}); `--replace` replaces it, `bot-bottle logout {name}` removes it"
            ))
            .into());
        }
        self.make_dir()?;
        let stored = Stored {
            agent: (!std::ptr::eq(kind, crate::agents::DEFAULT)).then_some(kind.name),
            credential,
        };
        let text = serde_json::to_vec_pretty(&stored).context("encoding the login")?;
        let text = zeroize::Zeroizing::new(text);
        crate::atomic_file::write(&path, &text, 0o600)
            .with_context(|| format!("writing {path}"))?;
        Ok(path)
    }

    /// Removes login `name`: whether there was one.
    pub fn remove(&self, name: &LoginName) -> anyhow::Result<bool> {
        let path = self.path(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| format!("removing {path}")),
        }
    }

    /// The directory, 0700: made when missing, and refused when others may enter it.
    fn make_dir(&self) -> anyhow::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .with_context(|| format!("creating {}", self.dir))?;
        let meta = std::fs::symlink_metadata(&self.dir)
            .with_context(|| format!("reading {}", self.dir))?;
        if !meta.is_dir() || meta.permissions().mode() & 0o077 != 0 {
            return Err(UsageError(format!(
                "{} must be a directory only you may enter (mode 0700); it is {:04o}: `chmod 700 {}`",
                self.dir,
                meta.permissions().mode() & 0o7777,
                self.dir
            ))
            .into());
        }
        Ok(())
    }
}

/// A login as its file holds it: the credential, and the kind it is for.
#[derive(Serialize)]
struct Stored<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'static str>,
    #[serde(flatten)]
    credential: &'a Credential,
}

/// The agent kind a login file names (the credential's own fields are read past).
#[derive(serde::Deserialize)]
struct StoredKind {
    agent: Option<String>,
}

/// The login `name` kept at `path` (a plan names both), or `None` when there is none.
pub fn read_at(path: &Utf8Path, name: &LoginName) -> anyhow::Result<Option<Credential>> {
    Ok(read_kind_at(path, name)?.map(|(_, credential)| credential))
}

/// The login `name` kept at `path` with the agent kind it is for (Claude Code when the file
/// names none), or `None` when there is none.
pub fn read_kind_at(
    path: &Utf8Path,
    name: &LoginName,
) -> anyhow::Result<Option<(&'static crate::agents::AgentKind, Credential)>> {
    let bytes = match crate::hostfile::read(path, LOGIN_FILE) {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(refused) if refused.is_not_found() => return Ok(None),
        Err(refused) => return Err(UsageError(format!("login {name}: {refused}")).into()),
    };
    private_to_the_user(path)?;
    let anew = |e: String| {
        UsageError(format!(
            "{path}: {e}; `bot-bottle login {name} --replace` writes it anew"
        ))
    };
    let credential = serde_json::from_slice(&bytes).map_err(|e| anew(e.to_string()))?;
    let stored: StoredKind = serde_json::from_slice(&bytes).map_err(|e| anew(e.to_string()))?;
    let kind = match stored.agent {
        None => crate::agents::DEFAULT,
        Some(agent) => crate::agents::AgentKind::named(&agent)
            .map_err(|e| anew(format!("field agent: {e}")))?,
    };
    Ok(Some((kind, credential)))
}

/// Refuses a login file another user may read or that is not the user's own.
fn private_to_the_user(path: &Utf8Path) -> anyhow::Result<()> {
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("reading {path}"))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 || meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(UsageError(format!(
            "{path} is mode {mode:04o}, owned by uid {}: a login must be yours and private (0600); \
             `chmod 600 {path}` if you made it so, else `bot-bottle login --replace`",
            meta.uid()
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bot_bottle_gate::keys::{OAuthCredential, Secret};

    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let state = Utf8PathBuf::from_path_buf(tmp.path().join("state")).unwrap();
        (tmp, Store::in_state_dir(&state))
    }

    fn key() -> Credential {
        Credential::ApiKey(Secret::new("sk-ant-api03-unit-test-key"))
    }

    #[test]
    fn a_login_is_written_private_read_back_listed_and_removed() {
        let (_tmp, store) = store();
        let name = LoginName::default_name();
        assert!(store.read(&name).unwrap().is_none());
        let path = store.write(&name, &key(), false).unwrap();
        assert_eq!(path, store.dir().join("default.json"));
        let mode = |p: &Utf8Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(store.dir()), 0o700);
        assert_eq!(store.read(&name).unwrap(), Some(key()));
        let oauth = Credential::OAuth(OAuthCredential {
            access_token: Secret::new("sk-ant-oat01-a"),
            refresh_token: Some(Secret::new("sk-ant-ort01-r")),
            expires_at: Some(1_765_000_000_000),
            scopes: vec!["user:inference".to_owned()],
            subscription_type: Some("pro".to_owned()),
        });
        let work = LoginName::parse("work").unwrap();
        store.write(&work, &oauth, false).unwrap();
        let listed = store.list().unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.name.as_str(), s.kind, s.refreshable))
                .collect::<Vec<_>>(),
            [
                ("default", Kind::ApiKey, false),
                ("work", Kind::Oauth, true)
            ]
        );
        assert!(store.remove(&name).unwrap());
        assert!(!store.remove(&name).unwrap());
        assert!(store.read(&name).unwrap().is_none());
    }

    #[test]
    fn an_existing_login_is_replaced_only_when_asked() {
        let (_tmp, store) = store();
        let name = LoginName::default_name();
        store.write(&name, &key(), false).unwrap();
        let other = Credential::ApiKey(Secret::new("sk-ant-api03-other"));
        let err = store.write(&name, &other, false).unwrap_err();
        assert!(err.to_string().contains("--replace"), "{err}");
        assert_eq!(store.read(&name).unwrap(), Some(key()));
        store.write(&name, &other, true).unwrap();
        assert_eq!(store.read(&name).unwrap(), Some(other));
    }

    #[test]
    fn a_login_others_may_read_or_a_symlink_is_refused() {
        let (tmp, store) = store();
        let name = LoginName::default_name();
        let path = store.write(&name, &key(), false).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.read(&name).unwrap_err();
        assert!(err.to_string().contains("mode 0644"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let elsewhere = tmp.path().join("planted.json");
        std::fs::write(
            &elsewhere,
            r#"{"version":1,"kind":"api_key","api_key":"x"}"#,
        )
        .unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert!(store.read(&name).is_err());
    }

    #[test]
    fn login_names_are_file_names() {
        for good in ["default", "work", "a.b-c_d", "0"] {
            assert!(LoginName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", ".hidden", "../x", "a/b", "Work", "-x", &"a".repeat(65)] {
            assert!(LoginName::parse(bad).is_err(), "{bad}");
        }
    }
}
