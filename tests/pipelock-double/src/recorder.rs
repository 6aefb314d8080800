//! `flight_recorder`: pipelock v2.3.0's hash-chained evidence log (its `internal/recorder`),
//! in its own file format, so that bot-bottle's verifier reads the double's record as it reads
//! the real one's.
//!
//! Files `evidence-proxy-<first seq>.jsonl` (0600, directory 0750) in `dir`, one entry a line:
//! `v`, `seq`, `ts`, `session_id` (`proxy`), `type`, `transport`, `summary`, `detail`,
//! `prev_hash` (`genesis` first), `hash`: hex SHA-256 of those fields (but `hash`) joined by
//! NUL bytes, `detail` as the JSON written. Every `checkpoint_interval` entries, and at
//! shutdown (SIGTERM, SIGINT) when entries came since the last, a `checkpoint` entry whose
//! detail carries `entry_count`, `first_seq`, `last_seq` and `signature`: hex Ed25519 of the
//! checkpoint's `prev_hash` by `signing_key_path` (when `sign_checkpoints`). A file rotates
//! after `max_entries_per_file` entries. A restart resumes the chain from the last file.
//!
//! What it records: one `action_receipt` per decision event (`allowed`, `blocked`,
//! `tunnel_open`, `forward_http`), as pipelock with a signing key records one per decision.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The session pipelock's proxy records under.
const SESSION: &str = "proxy";
const GENESIS: &str = "genesis";
const KEY_HEADER: &str = "pipelock-ed25519-private-v1";

/// The `flight_recorder` section, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    pub dir: PathBuf,
    pub checkpoint_interval: u64,
    pub sign_checkpoints: bool,
    pub max_entries_per_file: u64,
    pub signing_key_path: Option<PathBuf>,
}

pub struct Recorder {
    settings: Settings,
    key: Option<Ed25519KeyPair>,
    state: Mutex<State>,
}

struct State {
    file: Option<std::fs::File>,
    file_entries: u64,
    seq: u64,
    prev: String,
    since_checkpoint: u64,
    first_in_span: u64,
    closed: bool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Opens the recorder as pipelock does at start: the key loaded (refused when others may
    /// read it), the directory made and probed for writing, the chain resumed.
    pub fn open(settings: Settings) -> Result<Self> {
        let key = settings
            .signing_key_path
            .as_deref()
            .map(load_key)
            .transpose()
            .context("loading flight recorder signing key")?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(&settings.dir)
            .context("creating evidence directory")?;
        let probe = settings.dir.join(".pipelock-writability-probe");
        std::fs::write(&probe, b"").with_context(|| {
            format!(
                "evidence directory {} is not writable (receipts would not persist)",
                settings.dir.display()
            )
        })?;
        let _ = std::fs::remove_file(&probe);
        let (seq, prev) = resume(&settings.dir)?;
        Ok(Recorder {
            settings,
            key,
            state: Mutex::new(State {
                file: None,
                file_entries: 0,
                seq,
                prev,
                since_checkpoint: 0,
                first_in_span: seq,
                closed: false,
            }),
        })
    }

    /// Records a decision event as an action receipt.
    pub fn decision(&self, event: &str, fields: &Value) {
        let verdict = if event == "blocked" { "block" } else { "allow" };
        let method = fields["method"].as_str().unwrap_or_default();
        // As pipelock: a tunnel's receipt names the transport `connect` and, for its target,
        // the URL its scanners saw (`https://HOST/`), not the `HOST:PORT` it was asked for.
        let tunnel = method == "CONNECT" || event == "tunnel_open";
        let transport = if tunnel { "connect" } else { "forward" };
        let target = ["target", "url", "host"]
            .iter()
            .find_map(|k| fields[*k].as_str())
            .unwrap_or_default();
        let target = if tunnel {
            tunnel_url(target)
        } else {
            target.to_owned()
        };
        let action_type = if method.is_empty() || method == "CONNECT" || method == "GET" {
            "read"
        } else {
            "write"
        };
        let record = json!({
            "version": 1,
            "action_id": fields["request_id"].as_str().unwrap_or_default(),
            "action_type": action_type,
            "timestamp": now(),
            "principal": "local",
            "actor": "pipelock",
            "delegation_chain": null,
            "target": target,
            "side_effect_class": if action_type == "read" { "none" } else { "external_write" },
            "reversibility": "unknown",
            "policy_hash": "",
            "verdict": verdict,
            "transport": transport,
            "method": method,
            "layer": fields["scanner"].as_str().unwrap_or_default(),
            "pattern": fields["reason"].as_str().unwrap_or_default(),
        });
        let (signature, signer) = match &self.key {
            Some(key) => {
                let canonical = record.to_string();
                let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
                (
                    format!("ed25519:{}", hex(key.sign(digest.as_ref()).as_ref())),
                    hex(key.public_key().as_ref()),
                )
            }
            None => (String::new(), String::new()),
        };
        let detail = json!({"version": 1, "action_record": record, "signature": signature, "signer_key": signer});
        let summary = format!("receipt: {verdict} {action_type} {transport}");
        if let Err(err) = self.record("action_receipt", transport, &summary, &detail) {
            eprintln!("pipelock: recorder: {err:#}");
        }
    }

    /// Appends an entry, then a checkpoint when the interval is reached.
    pub fn record(&self, kind: &str, transport: &str, summary: &str, detail: &Value) -> Result<()> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.closed {
            bail!("recorder is closed");
        }
        self.write(&mut state, kind, transport, summary, &detail.to_string())?;
        state.since_checkpoint += 1;
        if state.since_checkpoint >= self.settings.checkpoint_interval {
            self.checkpoint(&mut state)?;
        }
        state.file_entries += 1;
        if state.file_entries >= self.settings.max_entries_per_file {
            state.file = None;
            state.file_entries = 0;
        }
        Ok(())
    }

    /// Shutdown: a last checkpoint over what came since the one before.
    pub fn close(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.closed {
            return;
        }
        state.closed = true;
        if state.since_checkpoint > 0 {
            if let Err(err) = self.checkpoint(&mut state) {
                eprintln!("pipelock: recorder: final checkpoint: {err:#}");
            }
        }
        if let Some(file) = state.file.take() {
            let _ = file.sync_all();
        }
    }

    fn checkpoint(&self, state: &mut State) -> Result<()> {
        let signature = match (&self.key, self.settings.sign_checkpoints) {
            (Some(key), true) => hex(key.sign(state.prev.as_bytes()).as_ref()),
            _ => String::new(),
        };
        let last = state.seq.saturating_sub(1);
        let detail = format!(
            r#"{{"entry_count":{},"first_seq":{},"last_seq":{last},"signature":"{signature}"}}"#,
            state.since_checkpoint, state.first_in_span
        );
        let summary = format!(
            "checkpoint: {} entries [seq {}-{last}]",
            state.since_checkpoint, state.first_in_span
        );
        self.write(state, "checkpoint", "", &summary, &detail)?;
        state.file_entries += 1;
        state.since_checkpoint = 0;
        state.first_in_span = state.seq;
        Ok(())
    }

    fn write(
        &self,
        state: &mut State,
        kind: &str,
        transport: &str,
        summary: &str,
        detail: &str,
    ) -> Result<()> {
        let ts = now();
        let seq = state.seq.to_string();
        let fields = [
            "1",
            &seq,
            &ts,
            SESSION,
            "",
            kind,
            transport,
            summary,
            detail,
            "",
            &state.prev,
        ];
        let mut joined = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                joined.push(0);
            }
            joined.extend_from_slice(field.as_bytes());
        }
        let hash = hex(ring::digest::digest(&ring::digest::SHA256, &joined).as_ref());
        let line = format!(
            r#"{{"v":1,"seq":{seq},"ts":{},"session_id":"{SESSION}","type":{},"transport":{},"summary":{},"detail":{detail},"prev_hash":{},"hash":"{hash}"}}"#,
            Value::from(ts.as_str()),
            Value::from(kind),
            Value::from(transport),
            Value::from(summary),
            Value::from(state.prev.as_str()),
        );
        if state.file.is_none() {
            let path = self
                .settings
                .dir
                .join(format!("evidence-{SESSION}-{}.jsonl", state.seq));
            state.file = Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(&path)
                    .with_context(|| format!("opening {}", path.display()))?,
            );
        }
        let file = state.file.as_mut().expect("opened above");
        file.write_all(format!("{line}\n").as_bytes())
            .context("writing entry")?;
        state.prev = hash;
        state.seq += 1;
        Ok(())
    }
}

/// pipelock's RFC 3339 with nanoseconds, trailing zeros trimmed, UTC.
fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// pipelock's key file: its header line, then base64 of the 64-byte private key; refused when
/// group-writable or open to others (`mode & 0o037`).
fn load_key(path: &Path) -> Result<Ed25519KeyPair> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o037 != 0 {
        bail!(
            "private key {} has permissions {mode:04o}, want 0600 or 0640",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.trim().splitn(2, '\n');
    if lines.next() != Some(KEY_HEADER) {
        bail!("invalid private key format (expected {KEY_HEADER} header)");
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(lines.next().unwrap_or_default().trim())
        .context("decoding private key")?;
    if raw.len() != 64 {
        bail!("invalid private key length: got {}, want 64", raw.len());
    }
    Ed25519KeyPair::from_seed_and_public_key(&raw[..32], &raw[32..])
        .map_err(|e| anyhow::anyhow!("invalid private key: {e}"))
}

/// Where the chain goes on: after the last entry of the last file (by first seq), else from
/// genesis.
fn resume(dir: &Path) -> Result<(u64, String)> {
    let prefix = format!("evidence-{SESSION}-");
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .context("reading evidence directory")?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let start = name.strip_prefix(&prefix)?.strip_suffix(".jsonl")?;
            Some((start.parse().ok()?, e.path()))
        })
        .collect();
    files.sort();
    for (_, path) in files.iter().rev() {
        let text = std::fs::read_to_string(path)?;
        if let Some(last) = text.lines().rev().find(|l| !l.trim().is_empty()) {
            let entry: Value = serde_json::from_str(last)
                .with_context(|| format!("reading existing evidence file {}", path.display()))?;
            let (Some(seq), Some(hash)) = (entry["seq"].as_u64(), entry["hash"].as_str()) else {
                bail!(
                    "evidence file {}: tail entry has no seq or hash",
                    path.display()
                );
            };
            return Ok((seq + 1, hash.to_owned()));
        }
    }
    Ok((0, GENESIS.to_owned()))
}

/// The URL pipelock's scanners see for a tunnel to `target` (`HOST:PORT`, an IPv6 host in
/// brackets): `https://HOST/`.
fn tunnel_url(target: &str) -> String {
    let host = target
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(target, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.contains(':') {
        format!("https://[{host}]/")
    } else {
        format!("https://{host}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path, key: Option<PathBuf>, interval: u64) -> Settings {
        Settings {
            dir: dir.join("rec"),
            checkpoint_interval: interval,
            sign_checkpoints: true,
            max_entries_per_file: 10_000,
            signing_key_path: key,
        }
    }

    #[test]
    fn a_tunnel_s_receipt_names_the_url_its_scanners_saw() {
        assert_eq!(tunnel_url("a.example:443"), "https://a.example/");
        assert_eq!(tunnel_url("a.example"), "https://a.example/");
        assert_eq!(tunnel_url("[2001:db8::1]:443"), "https://[2001:db8::1]/");
    }

    #[test]
    fn entries_chain_checkpoints_sign_and_a_restart_resumes() {
        let tmp = tempfile::tempdir().unwrap();
        let seed = [7u8; 32];
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        let mut raw = seed.to_vec();
        raw.extend_from_slice(pair.public_key().as_ref());
        let key = tmp.path().join("key");
        std::fs::write(
            &key,
            format!(
                "{KEY_HEADER}\n{}\n",
                base64::engine::general_purpose::STANDARD.encode(&raw)
            ),
        )
        .unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Recorder::open(settings(tmp.path(), Some(key.clone()), 2)).is_err());
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let rec = Recorder::open(settings(tmp.path(), Some(key.clone()), 2)).unwrap();
        for event in ["tunnel_open", "blocked", "forward_http"] {
            rec.decision(
                event,
                &json!({"target": "a.example:443", "method": "CONNECT"}),
            );
        }
        rec.close();
        let again = Recorder::open(settings(tmp.path(), Some(key), 2)).unwrap();
        again.decision("allowed", &json!({"url": "http://a.example/"}));
        again.close();
        // As pipelock: a restart resumes the chain in a new file named by its first seq.
        let text = std::fs::read_to_string(tmp.path().join("rec/evidence-proxy-0.jsonl")).unwrap()
            + &std::fs::read_to_string(tmp.path().join("rec/evidence-proxy-5.jsonl")).unwrap();
        let entries: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let kinds: Vec<&str> = entries
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "action_receipt",
                "action_receipt",
                "checkpoint",
                "action_receipt",
                "checkpoint",
                "action_receipt",
                "checkpoint"
            ]
        );
        let mut prev = GENESIS.to_owned();
        for (seq, e) in entries.iter().enumerate() {
            assert_eq!(e["seq"], seq);
            assert_eq!(e["prev_hash"], prev.as_str());
            prev = e["hash"].as_str().unwrap().to_owned();
        }
        let checkpoint = &entries[2]["detail"];
        assert_eq!(
            (
                checkpoint["first_seq"].as_u64(),
                checkpoint["last_seq"].as_u64()
            ),
            (Some(0), Some(1))
        );
        let sig = checkpoint["signature"].as_str().unwrap();
        let sig: Vec<u8> = (0..sig.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&sig[i..i + 2], 16).unwrap())
            .collect();
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ED25519,
            pair.public_key().as_ref(),
        )
        .verify(entries[2]["prev_hash"].as_str().unwrap().as_bytes(), &sig)
        .unwrap();
    }
}
