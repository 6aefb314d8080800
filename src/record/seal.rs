//! Sealing a record: the evidence the sidecars kept, written beside the plan and the CA's
//! certificate, and the statement naming each file's digest, signed into `record.dsse.json`.

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use ed25519_dalek::SigningKey;

use super::pending::{self, Pending};
use super::statement::{
    Ca, Completion, FileDigest, FlightRecorder, GateLog, Image, Images, Predicate, Statement,
    Subject, PREDICATE_TYPE, STATEMENT_TYPE,
};
use super::{dsse, flight, pushes};
use crate::ca::sha256_of;

/// What was collected from the bottle's sidecars and engine.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The flight record's file, or why it could not be read.
    pub flight: Result<Vec<u8>, String>,
    /// The gate's push log, or why it could not be read; `None` without a gate.
    pub gate_log: Option<Result<Vec<u8>, String>>,
    /// The image ids the containers ran (`None` for one that was gone).
    pub image_ids: ImageIds,
}

#[derive(Debug, Clone, Default)]
pub struct ImageIds {
    pub agent: Option<String>,
    pub proxy: Option<String>,
    pub gate: Option<String>,
}

/// How the bottle ended, as far as the one sealing knows.
#[derive(Debug, Clone)]
pub struct Ending {
    pub completion: Completion,
    /// Why it is incomplete (with [`Completion::Incomplete`]).
    pub reason: Option<String>,
    pub stopped_at: Option<String>,
    pub agent_exit_code: Option<i32>,
}

/// A sealed record.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub envelope: Utf8PathBuf,
    pub completion: Completion,
    pub subjects: usize,
}

impl Sealed {
    /// What to tell the user.
    pub fn summary(&self) -> String {
        let what = match self.completion {
            Completion::Stopped => "the bottle's signed record",
            Completion::Running => "the bottle's signed record so far (it still runs)",
            Completion::Incomplete => "the bottle's signed record, INCOMPLETE",
        };
        format!(
            "{what}: {} ({} commit(s) pushed; `bot-bottle verify {}` checks it)",
            self.envelope, self.subjects, self.envelope
        )
    }
}

/// Seals the record in `dir` begun as `pending`: writes the evidence beside it and the signed
/// statement. A record whose evidence could not be read whole is sealed `incomplete`, saying
/// why. Unless the bottle still runs, the pending file goes: the record is final.
pub fn seal(
    dir: &Utf8Path,
    pending: &Pending,
    evidence: &Evidence,
    ending: &Ending,
    key: &SigningKey,
) -> anyhow::Result<Sealed> {
    let mut missing = Vec::new();
    let flight_recorder = flight_part(dir, pending, &evidence.flight, &mut missing)?;
    let (gate, subject) = match &evidence.gate_log {
        None => (None, Vec::new()),
        Some(log) => {
            let (gate, subject) = gate_part(dir, log, &mut missing)?;
            (Some(gate), subject)
        }
    };
    let mut completion = ending.completion;
    let mut reason = ending.reason.clone();
    if !missing.is_empty() {
        completion = Completion::Incomplete;
        let mut why: Vec<String> = reason.into_iter().collect();
        why.extend(missing);
        reason = Some(why.join("; "));
    }
    let image = |reference: &str, id: &Option<String>| Image {
        reference: reference.to_owned(),
        id: id.clone(),
    };
    let predicate = Predicate {
        bot_bottle_version: env!("CARGO_PKG_VERSION").to_owned(),
        bottle: pending.bottle.clone(),
        completion,
        incomplete_reason: reason,
        started_at: pending.started_at.clone(),
        stopped_at: ending.stopped_at.clone(),
        recorded_at: super::now_rfc3339(),
        agent_exit_code: ending.agent_exit_code,
        manifest: pending.manifest.clone(),
        lock: pending.lock.clone(),
        plan: digest_of(dir, super::PLAN)?,
        images: Images {
            agent: image(&pending.images.agent, &evidence.image_ids.agent),
            proxy: image(&pending.images.proxy, &evidence.image_ids.proxy),
            gate: pending
                .images
                .gate
                .as_ref()
                .map(|g| image(g, &evidence.image_ids.gate)),
        },
        ca: Ca {
            fingerprint: pending.ca_fingerprint.clone(),
            certificate: digest_of(dir, super::CA_CERT)?,
        },
        flight_recorder,
        gate,
    };
    let statement = Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject,
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate,
    };
    let payload = serde_json::to_vec(&statement).context("serializing the statement")?;
    let envelope = dsse::sign(dsse::INTOTO_PAYLOAD_TYPE, &payload, key);
    let json = serde_json::to_vec_pretty(&envelope).context("serializing the envelope")?;
    pending::write(dir, super::ENVELOPE, &json)?;
    if completion != Completion::Running {
        let _ = std::fs::remove_file(dir.join(pending::FILE));
    }
    Ok(Sealed {
        envelope: dir.join(super::ENVELOPE),
        completion,
        subjects: statement.subject.len(),
    })
}

fn flight_part(
    dir: &Utf8Path,
    pending: &Pending,
    read: &Result<Vec<u8>, String>,
    missing: &mut Vec<String>,
) -> anyhow::Result<FlightRecorder> {
    let mut part = FlightRecorder {
        public_key: pending.recorder_public_key.clone(),
        files: Vec::new(),
        entries: 0,
        chain_head: None,
        checkpoints: Vec::new(),
        entry_types: std::collections::BTreeMap::new(),
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(why) => {
            missing.push(format!("the flight recorder could not be read: {why}"));
            return Ok(part);
        }
    };
    let flight_dir = dir.join(super::FLIGHT_DIR);
    std::fs::create_dir_all(&flight_dir).with_context(|| format!("creating {flight_dir}"))?;
    let name = format!("{}/{}", super::FLIGHT_DIR, flight::FILE);
    pending::write(dir, &name, bytes)?;
    part.files.push(FileDigest {
        file: name,
        sha256: sha256_of(bytes),
    });
    let entries = match flight::parse(&String::from_utf8_lossy(bytes)) {
        Ok(entries) => entries,
        Err(why) => {
            missing.push(format!("the flight recorder does not parse: {why}"));
            return Ok(part);
        }
    };
    part.entries = entries.len() as u64;
    part.chain_head = entries.last().map(|e| e.hash.clone());
    part.entry_types = flight::counts(&entries);
    match flight::checkpoints(&entries) {
        Ok(checkpoints) => part.checkpoints = checkpoints,
        Err(why) => missing.push(format!("the flight recorder's checkpoints: {why}")),
    }
    Ok(part)
}

fn gate_part(
    dir: &Utf8Path,
    read: &Result<Vec<u8>, String>,
    missing: &mut Vec<String>,
) -> anyhow::Result<(GateLog, Vec<Subject>)> {
    let mut part = GateLog {
        log: None,
        pushed: 0,
        refused: 0,
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(why) => {
            missing.push(format!("the git gate's push log could not be read: {why}"));
            return Ok((part, Vec::new()));
        }
    };
    pending::write(dir, pushes::FILE, bytes)?;
    part.log = Some(FileDigest {
        file: pushes::FILE.to_owned(),
        sha256: sha256_of(bytes),
    });
    let log = match pushes::parse(&String::from_utf8_lossy(bytes)) {
        Ok(log) => log,
        Err(why) => {
            missing.push(format!("the git gate's push log does not parse: {why}"));
            return Ok((part, Vec::new()));
        }
    };
    part.pushed = log.iter().filter(|p| p.accepted()).count() as u64;
    part.refused = log.iter().filter(|p| !p.accepted()).count() as u64;
    let subjects = subjects_of(&log);
    Ok((part, subjects))
}

/// The statement's subjects: each commit an accepted push left a ref at, in log order.
pub fn subjects_of(log: &[pushes::Push]) -> Vec<Subject> {
    log.iter()
        .filter_map(pushes::Push::landed)
        .map(|(upstream, reference, commit)| Subject::commit(upstream, reference, commit))
        .collect()
}

fn digest_of(dir: &Utf8Path, name: &str) -> anyhow::Result<FileDigest> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {path}"))?;
    Ok(FileDigest {
        file: name.to_owned(),
        sha256: sha256_of(&bytes),
    })
}
