//! The signed record from the command line: the published schema, the user's key, and
//! `verify`'s verdicts and exit codes on a record sealed by the library (no engine needed).

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use bot_bottle::record::flight::writer::Writer;
use bot_bottle::record::pending::{Pending, Roles, SCHEMA};
use bot_bottle::record::seal::{self, Ending, Evidence, ImageIds};
use bot_bottle::record::statement::{BottleRef, Completion};
use bot_bottle::record::{self as record, key};
use camino::Utf8PathBuf;

use crate::support::{bot_bottle, repo, stderr_of, stdout_of, Scratch};

#[test]
fn the_published_predicate_schema_is_the_binary_s() {
    let out = bot_bottle(&repo())
        .args(["record", "schema"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let published =
        std::fs::read_to_string(repo().join("contrib/schemas/record-predicate-v1.schema.json"))
            .unwrap();
    assert_eq!(
        stdout_of(&out),
        published,
        "contrib/schemas/record-predicate-v1.schema.json is stale: `bot-bottle record schema > contrib/schemas/record-predicate-v1.schema.json`"
    );
}

#[test]
fn record_key_makes_one_private_key_and_prints_its_public_half() {
    let scratch = Scratch::new("record-key");
    let state = scratch.path().join("state");
    let run = || {
        bot_bottle(scratch.path())
            .env("BOT_BOTTLE_STATE_DIR", &state)
            .args(["record", "key"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert!(
        stdout_of(&first).starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{}",
        stdout_of(&first)
    );
    assert!(
        stderr_of(&first).contains("made your record-signing key"),
        "{}",
        stderr_of(&first)
    );
    let file = state.join("keys").join(key::FILE);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let second = run();
    assert_eq!(stdout_of(&first), stdout_of(&second));
    assert!(
        !stderr_of(&second).contains("made your"),
        "{}",
        stderr_of(&second)
    );
}

/// A record sealed in `dir` by the key in `state`, without a gate.
fn sealed(scratch: &Scratch, completion: Completion) -> (Utf8PathBuf, Utf8PathBuf) {
    sealed_with_gate_log(scratch, completion, None)
}

/// [`sealed`], with `gate_log` as the git gate's push log.
fn sealed_with_gate_log(
    scratch: &Scratch,
    completion: Completion,
    gate_log: Option<String>,
) -> (Utf8PathBuf, Utf8PathBuf) {
    let state = Utf8PathBuf::from_path_buf(scratch.path().join("state")).unwrap();
    let user = key::load_or_create(&state).unwrap();
    let dir = record::dir_of(&state, "proj", "0123456789abcdef");
    std::fs::create_dir_all(&dir).unwrap();
    let recorder = key::generate().unwrap();
    let mut flight = Writer::default();
    flight.record(
        "decision",
        "block: allowlist",
        &serde_json::json!({"verdict": "block"}),
    );
    flight.checkpoint(&recorder);
    let names = vec!["proj".to_owned()];
    let ca = bot_bottle::ca::generate(
        "proj",
        bot_bottle::ca::DnsScope::Only(&names),
        Duration::from_secs(60),
    )
    .unwrap();
    let plan = serde_json::json!({"launch_id": "0123456789abcdef", "bottle": {"slug": "proj"},
        "images": {"agent": "a", "proxy": "p"}});
    std::fs::write(dir.join(record::PLAN), plan.to_string()).unwrap();
    std::fs::write(dir.join(record::CA_CERT), ca.cert_pem()).unwrap();
    let pending = Pending {
        detached: false,
        ca_fingerprint: ca.fingerprint().to_owned(),
        recorder_public_key: key::public_hex(&recorder.verifying_key()),
        ..pending_of_proj("0123456789abcdef", "2026-12-07T05:00:00Z")
    };
    let evidence = Evidence {
        flight: Ok(flight.text().into_bytes()),
        gate_log: gate_log.map(|log| Ok(log.into_bytes())),
        image_ids: ImageIds::default(),
    };
    let ending = Ending {
        completion,
        reason: None,
        stopped_at: None,
        agent_exit_code: Some(0),
    };
    let envelope = seal::seal(&dir, &pending, &evidence, &ending, &user)
        .unwrap()
        .envelope;
    (state, envelope)
}

#[test]
fn verify_exits_0_4_5_or_2_and_names_what_failed() {
    let scratch = Scratch::new("record-verify");
    let (state, envelope) = sealed(&scratch, Completion::Stopped);
    let verify = |args: &[&str]| {
        bot_bottle(scratch.path())
            .env("BOT_BOTTLE_STATE_DIR", &state)
            .arg("verify")
            .args(args)
            .output()
            .unwrap()
    };
    let ok = verify(&[envelope.as_str()]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&ok),
        stderr_of(&ok)
    );
    assert!(
        stdout_of(&ok).contains("ok   flight recorder chain: 2 entries"),
        "{}",
        stdout_of(&ok)
    );
    assert!(
        stdout_of(&ok).ends_with(&format!("VALID: {envelope}\n")),
        "{}",
        stdout_of(&ok)
    );

    // Someone else's key: the signature fails, exit 4.
    let other = key::generate().unwrap();
    let pub_file = scratch.write("other.pub", &key::public_pem(&other.verifying_key()));
    let wrong = verify(&["--key", pub_file.to_str().unwrap(), envelope.as_str()]);
    assert_eq!(wrong.status.code(), Some(4), "{}", stderr_of(&wrong));
    assert!(
        stdout_of(&wrong).contains("FAIL signature: not signed by the key"),
        "{}",
        stdout_of(&wrong)
    );
    assert!(
        stderr_of(&wrong).contains("INVALID: 1 check(s) failed: signature"),
        "{}",
        stderr_of(&wrong)
    );

    // One byte of an event changed: exit 4, the chain and the file named.
    let flight = envelope
        .parent()
        .unwrap()
        .join(record::FLIGHT_DIR)
        .join(record::flight::FILE);
    let text = std::fs::read_to_string(&flight).unwrap();
    std::fs::write(&flight, text.replacen("allowlist", "allowlisT", 1)).unwrap();
    let changed = verify(&["--json", envelope.as_str()]);
    assert_eq!(changed.status.code(), Some(4));
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&changed)).unwrap();
    assert_eq!(report["verdict"], "invalid");
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["flight recorder files", "flight recorder chain"]);

    // No such record: a usage error.
    let missing = verify(&["/nonexistent/record.dsse.json"]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr_of(&missing));
}

#[test]
fn an_incomplete_record_exits_5() {
    let scratch = Scratch::new("record-incomplete");
    let (state, envelope) = sealed(&scratch, Completion::Incomplete);
    let out = bot_bottle(scratch.path())
        .env("BOT_BOTTLE_STATE_DIR", &state)
        .args(["verify", envelope.parent().unwrap().as_str()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    assert!(
        stdout_of(&out).contains("note completion: INCOMPLETE"),
        "{}",
        stdout_of(&out)
    );
    assert!(
        stderr_of(&out).contains("INCOMPLETE: every check held"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn the_published_event_schema_is_the_binary_s() {
    let out = bot_bottle(&repo())
        .args(["record", "schema", "--events"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let published =
        std::fs::read_to_string(repo().join("contrib/schemas/logs-v1.schema.json")).unwrap();
    assert_eq!(
        stdout_of(&out),
        published,
        "contrib/schemas/logs-v1.schema.json is stale: `bot-bottle record schema --events > contrib/schemas/logs-v1.schema.json`"
    );
}

/// `record events` reads a sealed record's flight record in the shape `logs --json` writes: one
/// `bot-bottle.logs/v1` line per entry, the entry whole under `event`.
#[test]
fn record_events_prints_the_record_s_entries_in_the_audit_shape() {
    let scratch = Scratch::new("record-events");
    let (_state, envelope) = sealed(&scratch, Completion::Stopped);
    let dir = envelope.parent().unwrap();
    let out = bot_bottle(scratch.path())
        .args(["record", "events", "--json", dir.as_str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let lines: Vec<serde_json::Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<&str> = lines
        .iter()
        .map(|l| l["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["blocked", "checkpoint"]);
    assert!(lines.iter().all(|l| l["schema"] == "bot-bottle.logs/v1"));
    assert_eq!(lines[0]["event"]["type"], "decision");
    let text = bot_bottle(scratch.path())
        .args(["record", "events", envelope.as_str()])
        .output()
        .unwrap();
    assert!(
        stdout_of(&text).lines().next().unwrap().contains("blocked"),
        "{}",
        stdout_of(&text)
    );
    let missing = bot_bottle(scratch.path())
        .args(["record", "events", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2), "{}", stderr_of(&missing));
    assert!(
        stderr_of(&missing).contains("/nonexistent"),
        "{}",
        stderr_of(&missing)
    );
}

/// What a detached launch `launch_id` of bottle `proj`, begun at `started_at`, writes in its
/// `pending.json` (placeholder images, containers, CA and recorder key).
fn pending_of_proj(launch_id: &str, started_at: &str) -> Pending {
    Pending {
        schema: SCHEMA.to_owned(),
        bottle: BottleRef {
            name: "proj".to_owned(),
            slug: "proj".to_owned(),
            launch_id: launch_id.to_owned(),
        },
        started_at: started_at.to_owned(),
        detached: true,
        manifest: None,
        lock: None,
        images: Roles {
            agent: "a".to_owned(),
            proxy: "p".to_owned(),
            gate: None,
        },
        containers: Roles {
            agent: "c".to_owned(),
            proxy: "cp".to_owned(),
            gate: None,
        },
        ca_fingerprint: "sha256:00".to_owned(),
        recorder_public_key: "00".to_owned(),
    }
}

/// A record of bottle `proj` begun by launch `launch_id` at `started_at` and not sealed yet:
/// its `pending.json` alone, which is what says when it started.
fn pending_record(state: &Utf8PathBuf, launch_id: &str, started_at: &str) -> Utf8PathBuf {
    let dir = record::dir_of(state, "proj", launch_id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(record::pending::FILE),
        serde_json::to_vec(&pending_of_proj(launch_id, started_at)).unwrap(),
    )
    .unwrap();
    dir
}

/// `record path NAME` prints the directory of the bottle's newest record, sealed or not, by
/// the start time the records say (launch ids are random); a bottle without one is exit 2,
/// naming it and where its records would be.
#[test]
fn record_path_prints_the_newest_record_of_a_bottle() {
    let scratch = Scratch::new("record-path");
    let (state, envelope) = sealed(&scratch, Completion::Stopped);
    let path = |name: &str| {
        bot_bottle(scratch.path())
            .env("BOT_BOTTLE_STATE_DIR", &state)
            .args(["record", "path", name])
            .output()
            .unwrap()
    };
    let only = path("proj");
    assert!(only.status.success(), "{}", stderr_of(&only));
    assert_eq!(
        stdout_of(&only),
        format!("{}\n", envelope.parent().unwrap())
    );
    // An older launch (its id sorts after the sealed one's), then a newer one still running.
    pending_record(&state, "ffffffffffffffff", "2026-12-07T04:59:59Z");
    let newest = pending_record(&state, "0000000000000000", "2026-12-07T05:00:01Z");
    for name in ["proj", "Proj"] {
        let out = path(name);
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert_eq!(stdout_of(&out), format!("{newest}\n"), "record path {name}");
    }

    let none = path("other");
    assert_eq!(none.status.code(), Some(2), "{}", stderr_of(&none));
    assert!(stdout_of(&none).is_empty(), "{}", stdout_of(&none));
    assert!(
        stderr_of(&none).contains(&format!(
            "bottle \"other\" has no record in {state}/records/other"
        )),
        "{}",
        stderr_of(&none)
    );
}

/// `verify --repo DIR` reads a relative DIR from where verify runs (as `--repo .` in a clone,
/// the README's walk-through), though it runs git in `/`.
#[test]
fn verify_reads_a_relative_repo_from_where_it_runs() {
    let scratch = Scratch::new("record-repo");
    let clone = scratch.path().join("clone");
    std::fs::create_dir(&clone).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&clone)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr_of(&out));
        stdout_of(&out).trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    let commit = git(&["rev-parse", "HEAD"]);
    git(&["update-ref", "refs/remotes/origin/bot/topic", &commit]);
    let pushed = serde_json::json!({"time": "2026-12-07T05:00:00Z", "source": "git-gate",
        "event": "push", "upstream": "app", "ref": "refs/heads/bot/topic",
        "old": "0000000000000000000000000000000000000000", "new": commit});
    let (state, envelope) =
        sealed_with_gate_log(&scratch, Completion::Stopped, Some(format!("{pushed}\n")));
    for (cwd, repo) in [(clone.as_path(), "."), (scratch.path(), "clone")] {
        let out = bot_bottle(cwd)
            .env("BOT_BOTTLE_STATE_DIR", &state)
            .args(["verify", envelope.as_str(), "--repo", repo])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "--repo {repo}: {}{}",
            stdout_of(&out),
            stderr_of(&out)
        );
        assert!(
            stdout_of(&out).contains(&format!(
                "ok   repository: each of the 1 commit(s) is in {repo} under its ref"
            )),
            "{}",
            stdout_of(&out)
        );
    }
}
