//! The approvals on disk: one JSON record per manifest, in `<state dir>/approvals/`, named by
//! the SHA-256 of the manifest's canonical path. Private to the user (directories 0700, files
//! 0600), written whole or not at all (a temporary file renamed over the old record).

use std::os::unix::fs::DirBuilderExt as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use super::policy::Policy;

/// The version of a record's layout.
pub const RECORD_SCHEMA: &str = "bot-bottle.approval-record/v1";

/// One file the plan was made from, with the digest it had when approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub path: Utf8PathBuf,
    /// `sha256:<hex>`.
    pub sha256: String,
}

/// An approval as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub schema: String,
    /// The manifest, symlinks followed.
    pub manifest: Utf8PathBuf,
    /// When it was approved (RFC 3339, UTC).
    pub approved_at: String,
    pub inputs: Vec<Input>,
    pub policy: Policy,
}

/// Where the record for `manifest` (canonical) lives under `state_dir`.
pub fn path(state_dir: &Utf8Path, manifest: &Utf8Path) -> Utf8PathBuf {
    let digest = crate::ca::sha256_of(manifest.as_str().as_bytes());
    let hex = digest.trim_start_matches("sha256:");
    state_dir
        .join("approvals")
        .join(format!("{}.json", &hex[..32]))
}

/// The record at `path`, `None` when there is none. A record that cannot be read as one (a
/// later layout, damage) counts as none: the manifest is then approved afresh.
pub fn load(path: &Utf8Path) -> anyhow::Result<Option<Record>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading the approval {path}")),
    };
    Ok(serde_json::from_str::<Record>(&text)
        .ok()
        .filter(|r| r.schema == RECORD_SCHEMA))
}

/// Writes `record` to `path`, replacing what was there.
pub fn save(path: &Utf8Path, record: &Record) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .context("an approval record has a directory")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {dir}"))?;
    let mut text = serde_json::to_string_pretty(record).context("writing an approval record")?;
    text.push('\n');
    crate::atomic_file::write(path, text.as_bytes(), 0o600)
        .with_context(|| format!("writing the approval {path}"))
}
