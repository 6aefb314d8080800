//! The signed statement: an in-toto v1 Statement whose subjects are the commits the git gate
//! let through (each with its ref) and whose predicate says what ran and under which policy.
//! The predicate's JSON Schema is derived from these types (`bot-bottle record schema`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::flight::Checkpoint;

/// The in-toto Statement type, v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate's type: bot-bottle's record of one bottle, version 1.
pub const PREDICATE_TYPE: &str = "https://github.com/bot-bottle/bot-bottle/record/v1";

/// An in-toto v1 Statement with bot-bottle's predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

/// A commit the gate pushed: an in-toto resource descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// The ref the gate moved to the commit (`refs/heads/bot/topic`).
    pub name: String,
    /// `{"gitCommit": "<40 hex>"}`.
    pub digest: BTreeMap<String, String>,
    /// `upstream`: the manifest's name of the upstream it went to.
    pub annotations: BTreeMap<String, String>,
}

impl Subject {
    pub fn commit(upstream: &str, reference: &str, commit: &str) -> Self {
        Subject {
            name: reference.to_owned(),
            digest: BTreeMap::from([("gitCommit".to_owned(), commit.to_owned())]),
            annotations: BTreeMap::from([("upstream".to_owned(), upstream.to_owned())]),
        }
    }

    pub fn git_commit(&self) -> Option<&str> {
        self.digest.get("gitCommit").map(String::as_str)
    }

    pub fn upstream(&self) -> Option<&str> {
        self.annotations.get("upstream").map(String::as_str)
    }
}

/// How the record ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// `stop`, or the end of an attached session: the sidecars were stopped and read whole.
    Stopped,
    /// `bot-bottle record save` while the bottle ran: what there was until then.
    Running,
    /// `gc` found the launch gone (bot-bottle killed, the host restarted): what was left.
    Incomplete,
}

/// bot-bottle's record of one bottle: what ran, under which policy, what left through the
/// proxy, and what the git gate judged. Every file it names lies beside the envelope, with its
/// SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bot-bottle record predicate, v1")]
pub struct Predicate {
    /// The bot-bottle version that wrote the record.
    pub bot_bottle_version: String,
    pub bottle: BottleRef,
    pub completion: Completion,
    /// Why the record is incomplete (`null` unless `completion` is `incomplete`).
    pub incomplete_reason: Option<String>,
    /// When the launch began, RFC 3339 UTC.
    pub started_at: String,
    /// When the bottle was stopped (`null` while running, or when unknown).
    pub stopped_at: Option<String>,
    /// When this record was written.
    pub recorded_at: String,
    /// The agent command's exit status (an attached session; `null` for a detached bottle).
    pub agent_exit_code: Option<i32>,
    /// The approved manifest (`null` for the built-in default).
    pub manifest: Option<Input>,
    /// The approved egress lock beside it (`null` when none).
    pub lock: Option<Input>,
    /// The plan the launch carried out (`start --dry-run --json`'s document).
    pub plan: FileDigest,
    /// The images the engine ran.
    pub images: Images,
    /// The bottle's CA: its fingerprint (as `start` printed it) and its certificate.
    pub ca: Ca,
    pub flight_recorder: FlightRecorder,
    /// The git gate's push log (`null` without `git.upstreams`).
    pub gate: Option<GateLog>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BottleRef {
    pub name: String,
    pub slug: String,
    pub launch_id: String,
}

/// An approval input: its path and SHA-256 (`sha256:<hex>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub path: String,
    pub sha256: String,
}

/// A file of the record, beside the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    /// Its name in the record's directory.
    pub file: String,
    /// `sha256:<hex>` of its bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Images {
    pub agent: Image,
    pub proxy: Image,
    /// `null` without `git.upstreams`.
    pub gate: Option<Image>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The name the plan gave.
    pub reference: String,
    /// The image id the engine ran (`sha256:<hex>`), from its container; `null` when the
    /// container was gone before the record was written.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ca {
    /// `sha256:<hex>` of the CA certificate's DER.
    pub fingerprint: String,
    /// The certificate (PEM), beside the envelope.
    pub certificate: FileDigest,
}

/// Pipelock's flight recorder: its hash-chained entries with signed checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlightRecorder {
    /// Hex of the bottle's recorder key (Ed25519, made at launch, held only by the sidecar),
    /// which signs the checkpoints.
    pub public_key: String,
    /// The record's files, in chain order (empty when none could be read).
    pub files: Vec<FileDigest>,
    /// How many entries, checkpoints included.
    pub entries: u64,
    /// The last entry's hash (`null` for an empty record).
    pub chain_head: Option<String>,
    pub checkpoints: Vec<Checkpoint>,
    /// How many entries of each type (`decision`, `action_receipt`, `checkpoint`, …).
    pub entry_types: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateLog {
    /// The log; `null` when it could not be read.
    pub log: Option<FileDigest>,
    /// Refs the gate took and pushed upstream.
    pub pushed: u64,
    /// Refs (or pushes) it refused.
    pub refused: u64,
}

/// The predicate's JSON Schema (draft 2020-12), as published.
pub fn predicate_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(Predicate)).expect("a schema serializes");
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".to_owned(),
            serde_json::Value::String(PREDICATE_TYPE.to_owned()),
        );
    }
    schema
}
