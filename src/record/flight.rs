//! Pipelock v2.3.0's flight recorder, as bot-bottle reads it (its `internal/recorder`): JSONL
//! files `evidence-<session>-<first seq>.jsonl` in `flight_recorder.dir`, one entry a line:
//!
//! `{"v":1,"seq":N,"ts":RFC3339Nano,"session_id":…,["trace_id":…,]"type":…,"transport":…,
//! "summary":…,"detail":JSON,["raw_ref":…,]"prev_hash":HEX|"genesis","hash":HEX}`
//!
//! `hash` is the hex SHA-256 of `v, seq, ts, session_id, trace_id, type, transport, summary,
//! detail, raw_ref, prev_hash` joined by NUL bytes, `detail` as the JSON pipelock marshalled;
//! each entry's `prev_hash` is the one before it's `hash` (the first's is `genesis`). Every
//! `checkpoint_interval` entries, and when pipelock shuts down, it writes a `checkpoint` entry
//! whose detail (`entry_count`, `first_seq`, `last_seq`, `signature`) carries the hex Ed25519
//! signature, by `flight_recorder.signing_key_path`, of the checkpoint's own `prev_hash` (the
//! ASCII hex): the chain up to there.
//!
//! Pipelock's own verifier re-marshals `detail` after reading it (sorting a struct's keys), so
//! it rejects entries whose detail was a struct; here `detail` is hashed as the bytes written,
//! which is what pipelock hashed when it wrote them.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "genesis";
/// The only entry version pipelock v2.3.0 writes (and reads).
pub const VERSION: i64 = 1;
/// The session pipelock's proxy records under (decisions and receipts alike).
pub const SESSION: &str = "proxy";
/// The one file of a bottle's flight record: the proxy's session from seq 0, which bot-bottle
/// keeps from rotating (see [`crate::proxy_config::RECORDER_MAX_ENTRIES_PER_FILE`]).
pub const FILE: &str = "evidence-proxy-0.jsonl";
/// The header of pipelock's private key files (`internal/signing`), followed by a line of
/// base64 of the 64-byte Ed25519 private key (seed, then public key).
const PRIVATE_KEY_HEADER: &str = "pipelock-ed25519-private-v1";

/// One line of the record.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    #[serde(rename = "v")]
    pub version: i64,
    pub seq: u64,
    pub ts: String,
    pub session_id: String,
    #[serde(default)]
    pub trace_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub transport: String,
    pub summary: String,
    pub detail: Box<RawValue>,
    #[serde(default)]
    pub raw_ref: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash pipelock computes for this entry (over every field but `hash`).
    pub fn computed_hash(&self) -> String {
        let version = self.version.to_string();
        let seq = self.seq.to_string();
        let fields: [&str; 11] = [
            &version,
            &seq,
            &self.ts,
            &self.session_id,
            &self.trace_id,
            &self.kind,
            &self.transport,
            &self.summary,
            self.detail.get(),
            &self.raw_ref,
            &self.prev_hash,
        ];
        let mut h = Sha256::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                h.update([0u8]);
            }
            h.update(field.as_bytes());
        }
        base16ct::lower::encode_string(&h.finalize())
    }
}

/// A checkpoint entry's detail.
#[derive(Debug, Clone, Deserialize)]
struct CheckpointDetail {
    entry_count: u64,
    first_seq: u64,
    last_seq: u64,
    #[serde(default)]
    signature: String,
}

/// A checkpoint as the record lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The checkpoint entry's own seq.
    pub seq: u64,
    /// The entries it covers, `first_seq` to `last_seq`.
    pub first_seq: u64,
    pub last_seq: u64,
    pub entry_count: u64,
    /// The chain's hash just before it: what the signature signs.
    pub prev_hash: String,
    /// Hex of the Ed25519 signature (empty when pipelock signed none).
    pub signature: String,
}

/// The entries of a record file, in order; an error names the line that does not parse.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a flight recorder entry: {e}", i + 1))?;
        entries.push(entry);
    }
    Ok(entries)
}

/// The checkpoints among `entries`; an error names one whose detail does not parse.
pub fn checkpoints(entries: &[Entry]) -> Result<Vec<Checkpoint>, String> {
    entries
        .iter()
        .filter(|e| e.kind == "checkpoint")
        .map(|e| {
            let d: CheckpointDetail = serde_json::from_str(e.detail.get())
                .map_err(|err| format!("checkpoint seq {}: its detail: {err}", e.seq))?;
            Ok(Checkpoint {
                seq: e.seq,
                first_seq: d.first_seq,
                last_seq: d.last_seq,
                entry_count: d.entry_count,
                prev_hash: e.prev_hash.clone(),
                signature: d.signature,
            })
        })
        .collect()
}

/// Every break of the chain: an entry changed (its hash is not what it carries), an entry
/// missing or moved (its `prev_hash` is not the hash before it, or its seq skips). Empty when
/// the chain holds.
pub fn chain_problems(entries: &[Entry]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut previous: Option<&Entry> = None;
    for e in entries {
        if e.version != VERSION {
            problems.push(format!(
                "entry seq {}: version {}, which pipelock v2.3.0 never writes",
                e.seq, e.version
            ));
        }
        let computed = e.computed_hash();
        if computed != e.hash {
            problems.push(format!(
                "entry seq {} ({}): its content hashes to {}, not to the hash {} it carries: the entry was changed",
                e.seq,
                e.kind,
                short(&computed),
                short(&e.hash)
            ));
        }
        match previous {
            None if e.prev_hash != GENESIS || e.seq != 0 => problems.push(format!(
                "entry seq {}: the record starts there, not at seq 0 after `{GENESIS}`: the entries before it are missing",
                e.seq
            )),
            None => {}
            Some(p) => {
                if e.seq != p.seq + 1 {
                    problems.push(format!(
                        "entry seq {} follows seq {}: {} entr{} missing or out of place",
                        e.seq,
                        p.seq,
                        if e.seq > p.seq { e.seq - p.seq - 1 } else { 1 },
                        if e.seq == p.seq + 2 { "y is" } else { "ies are" }
                    ));
                }
                if e.prev_hash != p.hash {
                    problems.push(format!(
                        "entry seq {}: its prev_hash {} is not the hash {} of the entry before it (seq {}): the chain is broken there",
                        e.seq,
                        short(&e.prev_hash),
                        short(&p.hash),
                        p.seq
                    ));
                }
            }
        }
        previous = Some(e);
    }
    problems
}

/// Every checkpoint whose signature does not verify with `key` (or that carries none).
pub fn checkpoint_problems(checkpoints: &[Checkpoint], key: &VerifyingKey) -> Vec<String> {
    checkpoints
        .iter()
        .filter_map(|c| {
            if c.signature.is_empty() {
                return Some(format!("checkpoint seq {}: it carries no signature", c.seq));
            }
            let mut raw = [0u8; 64];
            let good = base16ct::mixed::decode(&c.signature, &mut raw).is_ok()
                && key
                    .verify_strict(
                        c.prev_hash.as_bytes(),
                        &ed25519_dalek::Signature::from_bytes(&raw),
                    )
                    .is_ok();
            (!good).then(|| {
                format!(
                    "checkpoint seq {} (entries {}-{}): its signature does not verify with the bottle's recorder key",
                    c.seq, c.first_seq, c.last_seq
                )
            })
        })
        .collect()
}

/// How many entries of each type.
pub fn counts(entries: &[Entry]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for e in entries {
        *counts.entry(e.kind.clone()).or_insert(0) += 1;
    }
    counts
}

/// `key` in pipelock's private key file format (for `flight_recorder.signing_key_path`).
pub fn pipelock_private_key(key: &SigningKey) -> zeroize::Zeroizing<String> {
    let raw = zeroize::Zeroizing::new(key.to_keypair_bytes());
    zeroize::Zeroizing::new(format!(
        "{PRIVATE_KEY_HEADER}\n{}\n",
        STANDARD.encode(raw.as_ref())
    ))
}

fn short(hash: &str) -> String {
    if hash.len() > 16 {
        format!("{}…", &hash[..16])
    } else {
        hash.to_owned()
    }
}

/// Writes records in pipelock's format, for tests (the double has its own writer).
#[doc(hidden)]
pub mod writer {
    use ed25519_dalek::{Signer as _, SigningKey};
    use serde_json::json;

    use super::{Entry, GENESIS, SESSION, VERSION};

    #[derive(Debug, Default)]
    pub struct Writer {
        pub lines: Vec<String>,
        prev: Option<String>,
        seq: u64,
        since: u64,
        first: u64,
    }

    impl Writer {
        pub fn record(&mut self, kind: &str, summary: &str, detail: &serde_json::Value) {
            self.push(kind, summary, &detail.to_string());
            self.since += 1;
        }

        pub fn checkpoint(&mut self, key: &SigningKey) {
            let prev = self.prev.clone().unwrap_or_else(|| GENESIS.to_owned());
            let sig = base16ct::lower::encode_string(&key.sign(prev.as_bytes()).to_bytes());
            let detail = json!({"entry_count": self.since, "first_seq": self.first,
                "last_seq": self.seq.saturating_sub(1), "signature": sig});
            let summary = format!(
                "checkpoint: {} entries [seq {}-{}]",
                self.since,
                self.first,
                self.seq.saturating_sub(1)
            );
            self.push("checkpoint", &summary, &detail.to_string());
            self.since = 0;
            self.first = self.seq;
        }

        fn push(&mut self, kind: &str, summary: &str, detail: &str) {
            let prev = self.prev.clone().unwrap_or_else(|| GENESIS.to_owned());
            let mut entry = Entry {
                version: VERSION,
                seq: self.seq,
                ts: format!("2026-12-07T05:00:{:02}.5Z", self.seq % 60),
                session_id: SESSION.to_owned(),
                trace_id: String::new(),
                kind: kind.to_owned(),
                transport: "forward".to_owned(),
                summary: summary.to_owned(),
                detail: serde_json::value::RawValue::from_string(detail.to_owned()).unwrap(),
                raw_ref: String::new(),
                prev_hash: prev,
                hash: String::new(),
            };
            entry.hash = entry.computed_hash();
            self.lines.push(format!(
                r#"{{"v":1,"seq":{},"ts":{},"session_id":{},"type":{},"transport":{},"summary":{},"detail":{},"prev_hash":{},"hash":{}}}"#,
                entry.seq,
                json!(entry.ts),
                json!(entry.session_id),
                json!(entry.kind),
                json!(entry.transport),
                json!(entry.summary),
                entry.detail.get(),
                json!(entry.prev_hash),
                json!(entry.hash)
            ));
            self.prev = Some(entry.hash);
            self.seq += 1;
        }

        pub fn text(&self) -> String {
            let mut text = self.lines.join("\n");
            text.push('\n');
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::writer::Writer;
    use super::*;

    /// A decision, a receipt and the checkpoint after them, as pipelock writes them.
    fn sample(key: &SigningKey) -> Writer {
        let mut w = Writer::default();
        w.record(
            "decision",
            "block: allowlist (domain not in allowlist)",
            &json!({"layer":"allowlist","pattern":"domain not in allowlist","request_id":"r1","verdict":"block"}),
        );
        w.record(
            "action_receipt",
            "receipt: allow connect forward",
            &json!({"x": "<&>"}),
        );
        w.checkpoint(key);
        w
    }

    #[test]
    fn a_written_chain_holds_and_its_checkpoint_verifies() {
        let key = super::super::key::generate().unwrap();
        let entries = parse(&sample(&key).text()).unwrap();
        assert_eq!(entries.len(), 3);
        assert!(chain_problems(&entries).is_empty());
        let cps = checkpoints(&entries).unwrap();
        assert_eq!(cps.len(), 1);
        assert_eq!(
            (cps[0].first_seq, cps[0].last_seq, cps[0].entry_count),
            (0, 1, 2)
        );
        assert!(checkpoint_problems(&cps, &key.verifying_key()).is_empty());
        let other = super::super::key::generate().unwrap();
        assert_eq!(checkpoint_problems(&cps, &other.verifying_key()).len(), 1);
    }

    #[test]
    fn a_changed_byte_and_a_dropped_entry_break_the_chain() {
        let key = super::super::key::generate().unwrap();
        let w = sample(&key);
        let changed = w.text().replacen("r1", "r2", 1);
        let problems = chain_problems(&parse(&changed).unwrap());
        assert!(
            problems
                .iter()
                .any(|p| p.contains("entry seq 0 (decision)") && p.contains("was changed")),
            "{problems:?}"
        );
        let dropped = format!("{}\n{}\n", w.lines[0], w.lines[2]);
        let problems = chain_problems(&parse(&dropped).unwrap());
        assert!(
            problems
                .iter()
                .any(|p| p.contains("entry seq 2 follows seq 0")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("the chain is broken")),
            "{problems:?}"
        );
    }

    /// The hash is pipelock's `ComputeHash`: the fields joined by NUL, detail as written.
    #[test]
    fn pipelock_s_own_hash_is_reproduced() {
        let line = r#"{"v":1,"seq":0,"ts":"2026-12-07T05:30:01.123456789Z","session_id":"proxy","type":"decision","transport":"fetch","summary":"block: ssrf (SSRF blocked)","detail":{"layer":"ssrf","pattern":"SSRF blocked","request_id":"req-1","verdict":"block"},"prev_hash":"genesis","hash":"HASH"}"#;
        let entry: Entry = serde_json::from_str(line).unwrap();
        // The fields joined by NUL, as pipelock's ComputeHash writes them.
        let mut expected = Sha256::new();
        expected.update(
            "1\x000\x002026-12-07T05:30:01.123456789Z\x00proxy\x00\x00decision\x00fetch\x00block: ssrf (SSRF blocked)\x00{\"layer\":\"ssrf\",\"pattern\":\"SSRF blocked\",\"request_id\":\"req-1\",\"verdict\":\"block\"}\x00\x00genesis",
        );
        assert_eq!(
            entry.computed_hash(),
            base16ct::lower::encode_string(&expected.finalize())
        );
    }

    #[test]
    fn the_private_key_file_is_pipelock_s_format() {
        let key = super::super::key::generate().unwrap();
        let text = pipelock_private_key(&key);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(PRIVATE_KEY_HEADER));
        let raw = STANDARD.decode(lines.next().unwrap()).unwrap();
        assert_eq!(raw.len(), 64);
        assert_eq!(&raw[..32], key.to_bytes().as_slice());
        assert_eq!(&raw[32..], key.verifying_key().as_bytes().as_slice());
    }
}
