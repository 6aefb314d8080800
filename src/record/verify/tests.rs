//! A record sealed from made-up evidence, then tampered with as an attacker would: each way
//! fails with its own message.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use ed25519_dalek::SigningKey;
use serde_json::json;

use super::{verify, Status, Verdict};
use crate::record::flight::writer::Writer;
use crate::record::pending::{self, Pending, Roles};
use crate::record::seal::{self, Ending, Evidence, ImageIds};
use crate::record::statement::{BottleRef, Completion, Input};
use crate::record::{self as record, key};

const COMMIT_A: &str = "1111111111111111111111111111111111111111";
const COMMIT_B: &str = "2222222222222222222222222222222222222222";
const ZERO: &str = "0000000000000000000000000000000000000000";

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: Utf8PathBuf,
    user: SigningKey,
    recorder: SigningKey,
    flight: Writer,
    gate_log: String,
}

fn gate_line(event: &str, reference: &str, new: &str, reason: Option<&str>) -> String {
    let mut v = json!({"time": "2026-12-07T05:00:00Z", "source": "git-gate", "event": event,
        "upstream": "origin", "ref": reference, "old": ZERO, "new": new});
    if let Some(reason) = reason {
        v["reason"] = json!(reason);
    }
    v.to_string()
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::from_path_buf(tmp.path().join("rec")).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let recorder = key::generate().unwrap();
        let mut flight = Writer::default();
        flight.record(
            "action_receipt",
            "receipt: allow connect forward",
            &json!({"action_record": {"target": "api.anthropic.com:443", "verdict": "allow"}}),
        );
        flight.record(
            "decision",
            "block: allowlist (domain not in allowlist)",
            &json!({"layer": "allowlist", "pattern": "domain not in allowlist: evil.example", "request_id": "r2", "verdict": "block"}),
        );
        flight.checkpoint(&recorder);
        flight.record(
            "action_receipt",
            "receipt: allow connect forward",
            &json!({"action_record": {"target": "upstream.example:443", "verdict": "allow"}}),
        );
        flight.checkpoint(&recorder);
        let gate_log = [
            gate_line("push", "refs/heads/bot/topic", COMMIT_A, None),
            gate_line(
                "push_refused",
                "refs/heads/main",
                COMMIT_B,
                Some("this bottle may push only to refs/heads/bot/* on origin"),
            ),
        ]
        .join("\n")
            + "\n";
        Fixture {
            _tmp: tmp,
            dir,
            user: key::generate().unwrap(),
            recorder,
            flight,
            gate_log,
        }
    }

    fn pending(&self) -> Pending {
        Pending {
            schema: pending::SCHEMA.to_owned(),
            bottle: BottleRef {
                name: "proj".to_owned(),
                slug: "proj".to_owned(),
                launch_id: "0123456789abcdef".to_owned(),
            },
            started_at: "2026-12-07T05:00:00Z".to_owned(),
            detached: true,
            manifest: Some(Input {
                path: "/home/me/proj/bottle.toml".to_owned(),
                sha256: "sha256:aa".to_owned(),
            }),
            lock: None,
            images: Roles {
                agent: "localhost/a:1".to_owned(),
                proxy: "localhost/p:1".to_owned(),
                gate: Some("localhost/g:1".to_owned()),
            },
            containers: Roles {
                agent: "bot-bottle-proj".to_owned(),
                proxy: "bot-bottle-proj-pipelock".to_owned(),
                gate: Some("bot-bottle-proj-gitgate".to_owned()),
            },
            ca_fingerprint: String::new(),
            recorder_public_key: key::public_hex(&self.recorder.verifying_key()),
        }
    }

    /// Seals the record with `completion`, as `stop` (or `gc`) would.
    fn seal(&self, completion: Completion) -> Utf8PathBuf {
        let names = vec!["proj".to_owned()];
        let ca = crate::ca::generate(
            "proj",
            crate::ca::DnsScope::Only(&names),
            Duration::from_secs(3600),
        )
        .unwrap();
        let mut pending = self.pending();
        pending.ca_fingerprint = ca.fingerprint().to_owned();
        let plan = json!({"schema": "bot-bottle.plan/v1", "launch_id": pending.bottle.launch_id,
            "bottle": {"name": "proj", "slug": "proj", "manifest": "/home/me/proj/bottle.toml",
                       "manifest_sha256": "sha256:aa"},
            "images": {"agent": "localhost/a:1", "proxy": "localhost/p:1"},
            "egress": {"lock": null}, "gate": {"image": "localhost/g:1"}});
        std::fs::write(self.dir.join(record::PLAN), plan.to_string()).unwrap();
        std::fs::write(self.dir.join(record::CA_CERT), ca.cert_pem()).unwrap();
        let evidence = Evidence {
            flight: Ok(self.flight.text().into_bytes()),
            gate_log: Some(Ok(self.gate_log.clone().into_bytes())),
            image_ids: ImageIds {
                agent: Some("sha256:01".to_owned()),
                proxy: Some("sha256:02".to_owned()),
                gate: Some("sha256:03".to_owned()),
            },
        };
        let ending = Ending {
            completion,
            reason: (completion == Completion::Incomplete)
                .then(|| "the launch ended without `stop`".to_owned()),
            stopped_at: Some("2026-12-07T06:00:00Z".to_owned()),
            agent_exit_code: Some(0),
        };
        seal::seal(&self.dir, &pending, &evidence, &ending, &self.user)
            .unwrap()
            .envelope
    }

    fn verify(&self, envelope: &Utf8Path) -> super::Report {
        verify(envelope, &self.user.verifying_key(), None).unwrap()
    }

    fn flight_path(&self) -> Utf8PathBuf {
        self.dir.join(record::FLIGHT_DIR).join(record::flight::FILE)
    }
}

fn failed(report: &super::Report) -> Vec<String> {
    report
        .failures()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

#[test]
fn a_sealed_record_verifies() {
    let f = Fixture::new();
    let envelope = f.seal(Completion::Stopped);
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Valid, "{:?}", report.checks);
    assert!(
        report.checks.iter().all(|c| c.status == Status::Ok),
        "{:?}",
        report.checks
    );
    // The directory names the record as well as its envelope.
    assert_eq!(f.verify(&f.dir).verdict, Verdict::Valid);
    // The subject is the one commit the gate let through, with its ref.
    let statement = report
        .checks
        .iter()
        .find(|c| c.name == "git gate subjects")
        .unwrap();
    assert!(
        statement
            .detail
            .contains("1 commit(s) pushed, 1 push(es) refused"),
        "{}",
        statement.detail
    );
}

#[test]
fn one_byte_of_an_event_changed_fails_the_chain() {
    let f = Fixture::new();
    let envelope = f.seal(Completion::Stopped);
    let text = std::fs::read_to_string(f.flight_path()).unwrap();
    std::fs::write(
        f.flight_path(),
        text.replacen("evil.example", "evil.examplf", 1),
    )
    .unwrap();
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Invalid);
    let failed = failed(&report);
    assert!(
        failed.iter().any(|f| f
            .starts_with("flight recorder chain: entry seq 1 (decision): its content hashes to")
            && f.contains("the entry was changed")),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("flight recorder files:") && f.contains("the file was changed")),
        "{failed:?}"
    );
}

#[test]
fn an_event_dropped_fails_the_chain() {
    let f = Fixture::new();
    let envelope = f.seal(Completion::Stopped);
    let mut lines = f.flight.lines.clone();
    lines.remove(1);
    std::fs::write(f.flight_path(), lines.join("\n") + "\n").unwrap();
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Invalid);
    let failures = failed(&report);
    assert!(
        failures.iter().any(|f| f
            .starts_with("flight recorder chain: entry seq 2 follows seq 0: 1 entry is missing")),
        "{failures:?}"
    );
    // Dropping the last entries instead (a chain that still holds) is caught by the head.
    let mut lines = f.flight.lines.clone();
    lines.truncate(3);
    std::fs::write(f.flight_path(), lines.join("\n") + "\n").unwrap();
    let failed_head = failed(&f.verify(&envelope));
    assert!(
        failed_head
            .iter()
            .any(|f| f.contains("the record signed 5 entries")
                && f.contains("entries were added or removed")),
        "{failed_head:?}"
    );
}

#[test]
fn a_commit_swapped_in_the_gate_s_log_fails() {
    let f = Fixture::new();
    let envelope = f.seal(Completion::Stopped);
    let path = f.dir.join(record::pushes::FILE);
    let log = std::fs::read_to_string(&path).unwrap();
    let swapped = log.replacen(COMMIT_A, "3333333333333333333333333333333333333333", 1);
    std::fs::write(&path, swapped).unwrap();
    let failed = failed(&f.verify(&envelope));
    assert!(
        failed.iter().any(|f| f.starts_with("git gate subjects: the record names commit 1111111111111111111111111111111111111111 for refs/heads/bot/topic, the gate's log 3333333333333333333333333333333333333333")),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|f| f.starts_with("git gate log:")),
        "{failed:?}"
    );
}

#[test]
fn a_record_re_signed_with_another_key_fails_the_signature() {
    let f = Fixture::new();
    let envelope = f.seal(Completion::Stopped);
    // Someone changes the statement (a commit of their own) and signs it with their key.
    let env: crate::record::dsse::Envelope =
        serde_json::from_str(&std::fs::read_to_string(&envelope).unwrap()).unwrap();
    let payload = env.verify(&f.user.verifying_key()).unwrap();
    let forged = String::from_utf8(payload)
        .unwrap()
        .replace(COMMIT_A, COMMIT_B);
    let other = key::generate().unwrap();
    let resigned = crate::record::dsse::sign(&env.payload_type, forged.as_bytes(), &other);
    std::fs::write(&envelope, serde_json::to_vec(&resigned).unwrap()).unwrap();
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Invalid);
    let failures = failed(&report);
    assert!(
        failures[0].starts_with(&format!(
            "signature: not signed by the key {}",
            key::key_id(&f.user.verifying_key())
        )) && failures[0].contains(&key::key_id(&other.verifying_key())),
        "{failures:?}"
    );
    // The one who re-signed it is told it verifies with their key only.
    let theirs = verify(&envelope, &other.verifying_key(), None).unwrap();
    assert!(
        failed_names(&theirs).contains(&"git gate subjects"),
        "{:?}",
        theirs.checks
    );
}

fn failed_names(report: &super::Report) -> Vec<&'static str> {
    report.failures().map(|c| c.name).collect()
}

#[test]
fn a_forged_checkpoint_signature_fails() {
    let f = Fixture::new();
    // The recorder key in the record is not the one that signed the checkpoints.
    let mut forged = Fixture::new();
    forged.recorder = key::generate().unwrap();
    forged.flight = Writer::default();
    forged
        .flight
        .record("decision", "block: x", &json!({"verdict": "block"}));
    forged.flight.checkpoint(&f.recorder);
    let envelope = forged.seal(Completion::Stopped);
    let failed = failed(&forged.verify(&envelope));
    assert!(
        failed.iter().any(|f| f.contains("checkpoint seq 1 (entries 0-0): its signature does not verify with the bottle's recorder key")),
        "{failed:?}"
    );
}

#[test]
fn an_incomplete_record_is_incomplete_not_valid() {
    let f = Fixture::new();
    let envelope = f.seal(Completion::Incomplete);
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Incomplete);
    assert!(failed(&report).is_empty(), "{:?}", report.checks);
    let note = report
        .checks
        .iter()
        .find(|c| c.name == "completion")
        .unwrap();
    assert!(
        note.detail
            .starts_with("INCOMPLETE: the launch ended without `stop`"),
        "{}",
        note.detail
    );
    // Its pending file is gone: the record is final.
    assert!(!f.dir.join(pending::FILE).exists());
}

#[test]
fn evidence_that_could_not_be_read_seals_an_incomplete_record() {
    let f = Fixture::new();
    let names = vec!["proj".to_owned()];
    let ca = crate::ca::generate(
        "proj",
        crate::ca::DnsScope::Only(&names),
        Duration::from_secs(60),
    )
    .unwrap();
    std::fs::write(f.dir.join(record::PLAN), "{}").unwrap();
    std::fs::write(f.dir.join(record::CA_CERT), ca.cert_pem()).unwrap();
    let mut pending = f.pending();
    pending.ca_fingerprint = ca.fingerprint().to_owned();
    let evidence = Evidence {
        flight: Err("no such container".to_owned()),
        gate_log: None,
        image_ids: ImageIds::default(),
    };
    let ending = Ending {
        completion: Completion::Stopped,
        reason: None,
        stopped_at: None,
        agent_exit_code: None,
    };
    let sealed = seal::seal(&f.dir, &pending, &evidence, &ending, &f.user).unwrap();
    assert_eq!(sealed.completion, Completion::Incomplete);
    let report = f.verify(&sealed.envelope);
    let note = report
        .checks
        .iter()
        .find(|c| c.name == "completion")
        .unwrap();
    assert!(
        note.detail
            .contains("the flight recorder could not be read: no such container"),
        "{}",
        note.detail
    );
}

#[test]
fn with_a_repository_each_commit_must_be_there_under_its_ref() {
    let f = Fixture::new();
    let repo_tmp = tempfile::tempdir().unwrap();
    let repo = Utf8PathBuf::from_path_buf(repo_tmp.path().to_owned()).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", repo.as_str())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    let commit = git(&["rev-parse", "HEAD"]);
    git(&["update-ref", "refs/remotes/origin/bot/topic", &commit]);
    let mut f = f;
    f.gate_log = gate_line("push", "refs/heads/bot/topic", &commit, None) + "\n";
    let envelope = f.seal(Completion::Stopped);
    let report = verify(&envelope, &f.user.verifying_key(), Some(&repo)).unwrap();
    assert_eq!(report.verdict, Verdict::Valid, "{:?}", report.checks);
    // A record naming a commit the repository does not have under that ref fails.
    f.gate_log = gate_line("push", "refs/heads/bot/topic", COMMIT_A, None) + "\n";
    let envelope = f.seal(Completion::Stopped);
    let failed = failed(&verify(&envelope, &f.user.verifying_key(), Some(&repo)).unwrap());
    assert!(
        failed
            .iter()
            .any(|f| f == &format!("repository: commit {COMMIT_A} is not in {repo}")),
        "{failed:?}"
    );
}

#[test]
fn a_pipelock_that_recorded_nothing_seals_a_valid_empty_record_and_entries_added_later_fail() {
    // Pipelock makes its file with the first entry and checkpoints only over entries: a bottle
    // whose agent sent nothing leaves no file, which `stop` reads as an empty record.
    let mut f = Fixture::new();
    f.flight = Writer::default();
    let envelope = f.seal(Completion::Stopped);
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Valid, "{:?}", report.checks);
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == "flight recorder chain" && c.detail.contains("recorded nothing")),
        "{:?}",
        report.checks
    );
    // Entries written in afterwards, a checkpoint with them, are not what was signed.
    let mut later = Writer::default();
    later.record(
        "action_receipt",
        "receipt: allow connect forward",
        &json!({"action_record": {"target": "upstream.example:443", "verdict": "allow"}}),
    );
    later.checkpoint(&f.recorder);
    std::fs::write(f.flight_path(), later.text()).unwrap();
    let report = f.verify(&envelope);
    assert_eq!(report.verdict, Verdict::Invalid);
    assert!(
        failed_names(&report).contains(&"flight recorder chain"),
        "{:?}",
        report.checks
    );
}
