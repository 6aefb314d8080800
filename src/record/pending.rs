//! What a launch writes when its bottle is up, for the record sealed later: `pending.json`
//! (what the launch knew), the plan it carried out and the CA's certificate, in the record's
//! directory under bot-bottle's state (0700). The launch's own stage directory is no place for
//! them: it lives in the runtime directory, which a restart empties, and goes with the bottle.

use std::os::unix::fs::DirBuilderExt as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use super::statement::{BottleRef, Input};
use crate::plan::Plan;

/// The file's name in the record's directory; it is removed once the record is final.
pub const FILE: &str = "pending.json";
/// Its version.
pub const SCHEMA: &str = "bot-bottle.record-pending/v1";

/// What the launch knew, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    pub schema: String,
    pub bottle: BottleRef,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub detached: bool,
    pub manifest: Option<Input>,
    pub lock: Option<Input>,
    pub images: Roles,
    pub containers: Roles,
    pub ca_fingerprint: String,
    /// Hex of the bottle's recorder key, whose private half only the sidecar holds.
    pub recorder_public_key: String,
}

/// One name per container of the bottle (the gate's only with `git.upstreams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub agent: String,
    pub proxy: String,
    pub gate: Option<String>,
}

impl Pending {
    /// What the launch of `plan` knows once it is up.
    pub fn of(
        plan: &Plan,
        started_at: String,
        detached: bool,
        ca_fingerprint: &str,
        recorder_key: &VerifyingKey,
    ) -> Self {
        Pending {
            schema: SCHEMA.to_owned(),
            bottle: BottleRef {
                name: plan.bottle.name.clone(),
                slug: plan.bottle.slug().to_owned(),
                launch_id: plan.launch_id.clone(),
            },
            started_at,
            detached,
            manifest: plan
                .bottle
                .manifest
                .as_ref()
                .zip(plan.bottle.manifest_sha256.as_ref())
                .map(|(path, sha256)| Input {
                    path: path.to_string(),
                    sha256: sha256.clone(),
                }),
            lock: plan.egress.lock.as_ref().map(|lock| Input {
                path: lock.path.to_string(),
                sha256: lock.sha256.clone(),
            }),
            images: Roles {
                agent: plan.images.agent.clone(),
                proxy: plan.images.proxy.clone(),
                gate: plan.gate.as_ref().map(|g| g.image.clone()),
            },
            containers: Roles {
                agent: plan.containers.agent.clone(),
                proxy: plan.containers.proxy.clone(),
                gate: plan.containers.gate.clone(),
            },
            ca_fingerprint: ca_fingerprint.to_owned(),
            recorder_public_key: super::key::public_hex(recorder_key),
        }
    }
}

/// Begins the record of `plan`'s launch in `state_dir`: its directory (0700) with the plan,
/// the CA's certificate and `pending`. Returns the directory.
pub fn begin(
    state_dir: &Utf8Path,
    plan: &Plan,
    ca_cert_pem: &str,
    pending: &Pending,
) -> anyhow::Result<Utf8PathBuf> {
    let dir = super::dir_of(state_dir, &pending.bottle.slug, &pending.bottle.launch_id);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("creating the bottle's record {dir}"))?;
    let plan_json = serde_json::to_vec_pretty(plan).context("serializing the plan")?;
    write(&dir, super::PLAN, &plan_json)?;
    write(&dir, super::CA_CERT, ca_cert_pem.as_bytes())?;
    let json = serde_json::to_vec_pretty(pending).context("serializing the pending record")?;
    write(&dir, FILE, &json)?;
    Ok(dir)
}

/// The pending record in `dir`, if there is one this version reads.
pub fn read(dir: &Utf8Path) -> Option<Pending> {
    let bytes = std::fs::read(dir.join(FILE)).ok()?;
    serde_json::from_slice::<Pending>(&bytes)
        .ok()
        .filter(|p| p.schema == SCHEMA)
}

/// The directories of `slug`'s records still pending (sealed `running` or not at all).
pub fn of_bottle(state_dir: &Utf8Path, slug: &str) -> Vec<Utf8PathBuf> {
    let Ok(entries) = super::root(state_dir).join(slug).read_dir_utf8() else {
        return Vec::new();
    };
    let mut dirs: Vec<Utf8PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().to_owned())
        .filter(|dir| dir.join(FILE).is_file())
        .collect();
    dirs.sort();
    dirs
}

pub(super) fn write(dir: &Utf8Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    crate::atomic_file::write(&path, bytes, 0o600).with_context(|| format!("writing {path}"))
}
