//! `bottle.lock`: the hosts a learn run saw the agent use, written next to the manifest for
//! review, and allowed by every later `start` of that manifest on top of its allowlist.
//!
//! The file sits where the agent can write (the workspace, usually): whatever it holds widens
//! the next bottle, so loading it is strict (unknown fields, a wrong schema, a hostname that is
//! not one: exit 2 naming the file, line and field), and the plan shows its path, SHA-256 and
//! hosts, for the user (and an approval step) to see before anything starts.

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::exit::UsageError;
use crate::manifest::{Hostname, SafeText};

/// The lock's name, in the manifest's directory (the current directory for the built-in
/// manifest).
pub const FILE_NAME: &str = "bottle.lock";

/// Version of the lock format.
pub const SCHEMA: &str = "bot-bottle.lock/v1";

/// What the file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressLock {
    pub schema: String,
    /// The bottle whose learn run wrote it.
    pub bottle: SafeText,
    /// When the learn run ended (RFC 3339, UTC).
    pub learned_at: SafeText,
    /// The hosts, by name.
    #[serde(default, rename = "host", skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<LockedHost>,
}

/// One `[[host]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedHost {
    pub name: Hostname,
    /// When the learn run first saw the agent reach it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_used: Option<SafeText>,
    /// How many connections the learn run saw the proxy let through to it.
    #[serde(default)]
    pub count: u64,
}

/// A lock read from disk.
#[derive(Debug, Clone)]
pub struct LoadedLock {
    pub path: Utf8PathBuf,
    /// `sha256:<hex>` of the file's bytes: what the plan shows and an approval pins.
    pub sha256: String,
    pub lock: EgressLock,
}

impl LoadedLock {
    /// Its hosts, sorted and de-duplicated.
    pub fn hosts(&self) -> Vec<Hostname> {
        let mut hosts: Vec<Hostname> = self.lock.hosts.iter().map(|h| h.name.clone()).collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// Where the lock of a manifest whose directory is `dir` lives.
pub fn path_in(dir: &Utf8Path) -> Utf8PathBuf {
    dir.join(FILE_NAME)
}

/// The lock at `path`, `None` when there is none. Anything but a regular file there (a
/// symlink the agent left, say) is refused.
pub fn load(path: &Utf8Path) -> Result<Option<LoadedLock>, UsageError> {
    // Opened, not checked then opened: a symlink the agent swaps in between is never followed.
    let bytes = match crate::hostfile::read(path, crate::hostfile::LOCK) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => {
            return Err(UsageError(format!(
                "{path}: cannot read the egress lock: {e}; remove it, or replace it with the lock a learn run wrote"
            )))
        }
    };
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| UsageError(format!("{path}: the egress lock is not UTF-8")))?;
    let lock = parse(&text, path.as_str())?;
    Ok(Some(LoadedLock {
        path: path.to_owned(),
        sha256: crate::ca::sha256_of(&bytes),
        lock,
    }))
}

/// Parses lock text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<EgressLock, UsageError> {
    let lock: EgressLock = crate::manifest::parse_toml_as(text, origin)?;
    if lock.schema != SCHEMA {
        return Err(UsageError(format!(
            "{origin}: schema: {:?} is not a lock this bot-bottle reads (expected {SCHEMA:?})",
            lock.schema
        )));
    }
    Ok(lock)
}

/// The file's text: a header saying what it is, then the lock.
pub fn render(lock: &EgressLock) -> String {
    let body = toml::to_string(lock).expect("the lock serialises");
    format!(
        "# bot-bottle egress lock, written by a learn run (`bot-bottle start --learn`).\n\
         # Every host below is allowed by the next `bot-bottle start` of the manifest next to\n\
         # this file, on top of its allowlist: review it before you keep it.\n{body}"
    )
}

/// Writes `lock` to `path`, replacing what is there (a symlink is replaced, never followed):
/// a new file beside it, then a rename.
pub fn write(path: &Utf8Path, lock: &EgressLock) -> anyhow::Result<String> {
    let text = render(lock);
    crate::atomic_file::write(path, text.as_bytes(), 0o644)
        .with_context(|| format!("writing the egress lock {path}"))?;
    Ok(crate::ca::sha256_of(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EgressLock {
        EgressLock {
            schema: SCHEMA.to_owned(),
            bottle: SafeText::parse("demo").unwrap(),
            learned_at: SafeText::parse("2026-12-02T00:31:09Z").unwrap(),
            hosts: vec![
                LockedHost {
                    name: Hostname::parse("registry.npmjs.org").unwrap(),
                    first_used: Some(SafeText::parse("2026-12-02T00:25:05Z").unwrap()),
                    count: 12,
                },
                LockedHost {
                    name: Hostname::parse("*.example.org").unwrap(),
                    first_used: None,
                    count: 0,
                },
            ],
        }
    }

    #[test]
    fn renders_and_reads_back() {
        let text = render(&sample());
        assert!(text.starts_with("# bot-bottle egress lock"), "{text}");
        assert!(
            text.contains("[[host]]\nname = \"registry.npmjs.org\""),
            "{text}"
        );
        assert_eq!(parse(&text, "bottle.lock").unwrap(), sample());
    }

    #[test]
    fn bad_locks_name_file_line_and_field() {
        let err = |text: &str| parse(text, "bottle.lock").unwrap_err().0;
        let head = "schema = \"bot-bottle.lock/v1\"\nbottle = \"b\"\nlearned_at = \"t\"\n";
        let e = err(&format!("{head}[[host]]\nname = \"https://evil.com\"\n"));
        assert!(
            e.starts_with("bottle.lock:5:8: host[0].name: invalid hostname"),
            "{e}"
        );
        let e = err(&format!("{head}[[host]]\nname = \"a.com\"\nport = 1\n"));
        assert!(e.contains("unknown field `port`"), "{e}");
        let e = err("schema = \"bot-bottle.lock/v9\"\nbottle = \"b\"\nlearned_at = \"t\"\n");
        assert!(
            e.starts_with("bottle.lock: schema: \"bot-bottle.lock/v9\""),
            "{e}"
        );
        let e = err(&format!("{head}[[host]]\nname = \"10.0.0.1\"\n"));
        assert!(e.contains("IP addresses are not allowed"), "{e}");
    }

    #[test]
    fn writes_replace_a_symlink_instead_of_following_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let target = dir.join("elsewhere");
        std::fs::write(&target, "keep me").unwrap();
        let path = path_in(&dir);
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let err = load(&path).unwrap_err().0;
        assert!(err.contains("not a regular file"), "{err}");
        let hash = write(&path, &sample()).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(loaded.sha256, hash);
        let hosts: Vec<_> = loaded.hosts().iter().map(ToString::to_string).collect();
        assert_eq!(hosts, ["*.example.org", "registry.npmjs.org"]);
        assert!(load(&dir.join("none.lock")).unwrap().is_none());
    }
}
