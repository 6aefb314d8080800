//! The launch record: `bottle.json` in the stage directory, written once a launch is up, read
//! by `list` (age, allowlist), `attach` (the agent's command), `gc` (a detached bottle that
//! came up is not a crash's leftover) and `stop` (where a learn run's lock goes); `allow` and
//! `deny` keep its allowlist current. It lives and dies with the stage directory.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use camino::Utf8Path;
use serde::{Deserialize, Serialize};

use super::stage;

/// The record's file name in the stage directory.
pub const FILE: &str = "bottle.json";

/// Version of the record.
pub const SCHEMA: &str = "bot-bottle.record/v1";

/// What a launch that came up wrote about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LaunchRecord {
    pub schema: String,
    /// The slug.
    pub bottle: String,
    pub name: String,
    pub launch_id: String,
    /// Seconds since the Unix epoch when the bottle was up.
    pub started_at: u64,
    pub detached: bool,
    pub agent_container: String,
    pub proxy_container: String,
    pub networks: Vec<String>,
    pub state_volume: String,
    pub allowlist: Vec<String>,
    pub agent_command: Vec<String>,
    pub agent_user: String,
    pub agent_workdir: String,
    pub ca_fingerprint: String,
    /// A learn run: the egress lock it writes when it ends (`null` otherwise).
    #[serde(default)]
    pub learn_lock: Option<camino::Utf8PathBuf>,
    /// The key holder, when the bottle has one (`null` otherwise, and in a record written
    /// before there were key holders).
    #[serde(default)]
    pub key_holder: Option<KeyHolderRecord>,
}

/// What ending a bottle needs to know of its key holder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyHolderRecord {
    pub container: String,
    /// The stored subscription login it may have refreshed, which the end of the bottle
    /// replaces with the refresh ([`crate::login::refreshed`]); `null` for any other credential.
    pub refreshable_login: Option<crate::login::refreshed::RefreshableLogin>,
}

/// Seconds since the Unix epoch now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes `record` into `stage_dir` (a new file, 0600): once a launch is up.
pub fn write(stage_dir: &Utf8Path, record: &LaunchRecord) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(record).context("serializing the launch record")?;
    stage::write(stage_dir, FILE, &json, 0o600)
}

/// Replaces the record in `stage_dir` with `record`, whole or not at all: after a live change
/// of the allowlist.
pub fn rewrite(stage_dir: &Utf8Path, record: &LaunchRecord) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(record).context("serializing the launch record")?;
    crate::atomic_file::write(&stage_dir.join(FILE), &json, 0o600)
        .with_context(|| format!("replacing the launch record in {stage_dir}"))
}

/// The record in `stage_dir`, if a launch left one there that this version can read.
pub fn read(stage_dir: &Utf8Path) -> Option<LaunchRecord> {
    let bytes = std::fs::read(stage_dir.join(FILE)).ok()?;
    serde_json::from_slice::<LaunchRecord>(&bytes)
        .ok()
        .filter(|r| r.schema == SCHEMA)
}
