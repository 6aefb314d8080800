//! The signed record of a bottle, from a launched bottle: start, push a branch through the
//! git gate (and have a push refused), stop, verify; the agent can neither read the keys that
//! sign the record nor reach the record; a changed byte fails `verify`; a launch killed with
//! SIGKILL leaves a record that `gc` seals and `verify` calls incomplete.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::gitgate::{
    agent, find_in_agent, gate_manifest, git_images_present, GitServer, Keys, GIT_HOST,
};
use crate::support::{harness, manifest, unique_name, wait_for, Bottle, Harness, Purge, Workspace};

/// The record directory of the one launch of `slug` in `ws`'s state.
fn record_dir(ws: &Workspace, slug: &str) -> PathBuf {
    let root = ws.user_dir().join("state").join("records").join(slug);
    let mut launches: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(launches.len(), 1, "{launches:?}");
    launches.pop().unwrap()
}

fn verify(h: &Harness, ws: &Workspace, args: &[&str]) -> Output {
    h.bot_bottle(ws).arg("verify").args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The statement inside `record.dsse.json`.
fn statement(dir: &Path) -> Value {
    let envelope: Value =
        serde_json::from_slice(&std::fs::read(dir.join("record.dsse.json")).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// Copies the bare repository `repo` out of the git server's container into `to`.
fn copy_out(h: &Harness, container: &str, repo: &str, to: &Path) {
    let out = std::process::Command::new(h.engine.program().as_str())
        .args(["cp", &format!("{container}:/srv/git/{repo}")])
        .arg(to)
        .output()
        .unwrap();
    assert!(out.status.success(), "cp: {}", text(&out));
}

#[test]
fn start_push_stop_verify_and_the_record_holds_what_the_gate_refused() {
    let Some(h) = harness() else { return };
    if !git_images_present(&h) {
        return;
    }
    let name = unique_name("record");
    let keys = Keys::new(&name);
    let ws = Workspace::new(&name, &gate_manifest(&name, &keys));
    ws.allow_paths(&[&keys.dir]);
    h.approve(&ws);
    let start = h.start_detached(&ws);
    let bottle = Bottle::started(&h, &name, ws, start);
    let server = GitServer::start(&h, &bottle, &keys);

    // A branch pushed, and a push to the default branch refused.
    let (ok, out) = agent(
        &bottle,
        &format!(
            "set -e; cd /tmp && git clone -q git@{GIT_HOST}:/srv/git/ssh/app.git app && cd app && \
             git checkout -q -b bot/recorded && echo change > change.txt && git add . && \
             git commit -qm 'a recorded change' && git push -q origin bot/recorded 2>&1 && git rev-parse HEAD"
        ),
    );
    assert!(ok, "the push failed:\n{out}");
    let pushed = out.lines().last().unwrap().trim().to_owned();
    assert_eq!(server.rev("ssh/app.git", "refs/heads/bot/recorded"), pushed);
    let (ok, out) = agent(&bottle, "cd /tmp/app && git push origin HEAD:main 2>&1");
    assert!(!ok, "a push to main went through:\n{out}");
    // And something for pipelock to record: a host it refuses.
    let _ = bottle.agent_sh("curl -sS -m 10 -o /dev/null https://refused.example.com/ || true");

    the_agent_cannot_reach_the_record_or_its_keys(&h, &bottle);

    // `record save` while it runs: a record so far, which verifies as such.
    let saved = h
        .bot_bottle(&bottle.ws)
        .args(["record", "save", &name])
        .output()
        .unwrap();
    assert!(saved.status.success(), "{}", text(&saved));
    let dir = record_dir(&bottle.ws, &name);
    let so_far = verify(&h, &bottle.ws, &[dir.to_str().unwrap()]);
    assert_eq!(so_far.status.code(), Some(0), "{}", text(&so_far));
    assert!(
        text(&so_far).contains("note completion: written at"),
        "{}",
        text(&so_far)
    );

    // The repository as the upstream has it, for `verify --repo`.
    let repo_copy = tempfile::tempdir().unwrap();
    let repo = repo_copy.path().join("app.git");
    copy_out(
        &h,
        &format!("{}-gitserver", bottle.slug),
        "ssh/app.git",
        &repo,
    );
    // Off the bottle's egress network before `stop` removes it.
    drop(server);
    let _ = h.engine.remove_container(&bottle.upstream);
    let stop = h
        .bot_bottle(&bottle.ws)
        .args(["stop", &name])
        .output()
        .unwrap();
    assert!(stop.status.success(), "{}", text(&stop));
    let envelope = dir.join("record.dsse.json");
    assert!(
        text(&stop).contains(&format!(
            "the bottle's signed record: {}",
            envelope.display()
        )),
        "{}",
        text(&stop)
    );
    assert!(!dir.join("pending.json").exists());

    the_sealed_record_holds(&h, &bottle.ws, &dir, &pushed, &repo);
}

/// `verify` of the stopped bottle's record: valid, with the pushed commit under its ref in the
/// repository and the refused push in the gate's log; then one byte of an event changed fails
/// it with 4, naming the entry.
fn the_sealed_record_holds(h: &Harness, ws: &Workspace, dir: &Path, pushed: &str, repo: &Path) {
    let envelope = dir.join("record.dsse.json");
    let verified = verify(
        h,
        ws,
        &[envelope.to_str().unwrap(), "--repo", repo.to_str().unwrap()],
    );
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    let report = text(&verified);
    for line in [
        "ok   signature:",
        "ok   flight recorder chain:",
        "ok   flight recorder checkpoints:",
        "ok   git gate subjects: 1 commit(s) pushed, 1 push(es) refused",
        "ok   repository: each of the 1 commit(s)",
        "ok   completion: the bottle was stopped",
        "VALID: ",
    ] {
        assert!(report.contains(line), "no {line:?} in:\n{report}");
    }

    // The statement names the pushed commit under its ref; the refusal is in the gate's log.
    let statement = statement(dir);
    assert_eq!(statement["subject"][0]["name"], "refs/heads/bot/recorded");
    assert_eq!(statement["subject"][0]["digest"]["gitCommit"], pushed);
    assert_eq!(statement["subject"].as_array().unwrap().len(), 1);
    let predicate = &statement["predicate"];
    assert_eq!(predicate["completion"], "stopped");
    assert_eq!(predicate["gate"]["refused"], 1);
    assert!(predicate["images"]["proxy"]["id"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(predicate["flight_recorder"]["entries"].as_u64().unwrap() > 0);
    let log = std::fs::read_to_string(dir.join("gate-pushes.jsonl")).unwrap();
    let refused: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "push_refused")
        .collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert_eq!(refused[0]["ref"], "refs/heads/main");
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap()
            .contains("default branch"),
        "{log}"
    );

    // The record's events read in the audit stream's shape (`bot-bottle.logs/v1`, as `logs
    // --json` writes a live bottle's): pipelock's refusal of the host the agent tried, and the
    // gate's refused push.
    let events = h
        .bot_bottle(ws)
        .args(["record", "events", "--json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(events.status.success(), "{}", text(&events));
    let lines: Vec<Value> = String::from_utf8_lossy(&events.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().all(|l| l["schema"] == "bot-bottle.logs/v1"));
    assert!(
        lines.iter().any(|l| l["verdict"] == "blocked"
            && l["host"]
                .as_str()
                .is_some_and(|h| h.starts_with("refused.example.com"))),
        "no refusal of refused.example.com in {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["verdict"] == "push_refused" && l["event"]["ref"] == "refs/heads/main"),
        "no refused push in {lines:#?}"
    );

    // One byte of an event changed: verify names the entry and fails with 4.
    let flight = dir.join("flight-recorder").join("evidence-proxy-0.jsonl");
    let recorded = std::fs::read_to_string(&flight).unwrap();
    let at = recorded.find("\"summary\":\"").unwrap() + 11;
    let mut bytes = recorded.into_bytes();
    bytes[at] ^= 0x01;
    std::fs::write(&flight, bytes).unwrap();
    let tampered = verify(h, ws, &[envelope.to_str().unwrap()]);
    assert_eq!(tampered.status.code(), Some(4), "{}", text(&tampered));
    assert!(
        text(&tampered).contains("FAIL flight recorder chain: entry seq 0"),
        "{}",
        text(&tampered)
    );
}

/// From inside the agent, as its user and as root: the bottle's recorder key (read off the
/// sidecar by the test) and the user's record key are in no file, environment or command line;
/// the record's directory and the sidecar's evidence directory are not there; nothing the
/// agent writes lands in the record.
fn the_agent_cannot_reach_the_record_or_its_keys(h: &Harness, bottle: &Bottle<'_>) {
    let recorder_key = String::from_utf8(
        h.engine
            .read_file(&bottle.proxy(), "/etc/pipelock/recorder-key", 4096)
            .unwrap(),
    )
    .unwrap();
    let recorder_secret = recorder_key.lines().nth(1).unwrap().to_owned();
    let user_key_file = bottle
        .ws
        .user_dir()
        .join("state")
        .join("keys")
        .join("record-ed25519.pem");
    // The user's key is made when the first record is sealed; make it now to look for it.
    let key = h
        .bot_bottle(&bottle.ws)
        .args(["record", "key"])
        .output()
        .unwrap();
    assert!(key.status.success(), "{}", text(&key));
    let user_key = std::fs::read_to_string(&user_key_file).unwrap();
    let user_secret = user_key.lines().nth(1).unwrap().to_owned();
    for user in [None, Some("0")] {
        for (what, secret) in [
            ("recorder key", &recorder_secret),
            ("record key", &user_secret),
        ] {
            let found = find_in_agent(h, bottle, secret, user);
            assert!(
                found.is_empty(),
                "the {what} is in the agent (user {user:?}): {found}"
            );
        }
    }
    let state = bottle.ws.user_dir().join("state");
    let out = bottle.agent_sh(&format!(
        "test -e {state} && echo state-visible; test -e /var/lib/pipelock/flight-recorder && echo evidence-visible; \
         grep -F {state} /proc/self/mountinfo; echo planted > /workspace/record.dsse.json; true",
        state = state.display()
    ));
    assert!(
        !out.stdout.contains("visible") && !out.stdout.contains(state.to_str().unwrap()),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let _ = std::fs::remove_file(bottle.ws.0.join("record.dsse.json"));
}

fn spawn_start(h: &Harness, ws: &Workspace) -> Child {
    h.bot_bottle(ws)
        .args(["start", "-y", "bottle.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_launch_killed_with_sigkill_is_sealed_incomplete_by_gc() {
    let Some(h) = harness() else { return };
    let name = unique_name("record-kill");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "600"]));
    h.approve(&ws);
    let _purge = Purge(&h, &ws, name.clone());
    let mut child = spawn_start(&h, &ws);
    let agent = format!("bot-bottle-{name}");
    let records = ws.user_dir().join("state").join("records").join(&name);
    wait_for(
        "the agent's command to run",
        Duration::from_secs(90),
        || {
            records.exists()
                && h.engine.inspect_container(&agent).unwrap().is_some()
                && h.sh(&agent, None, "pgrep -f 'sleep 600'").status == 0
        },
    );
    // Something in pipelock's record.
    let _ = h.sh(
        &agent,
        None,
        "curl -sS -m 10 -o /dev/null https://refused.example.com/ || true",
    );
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.wait();
    let dir = record_dir(&ws, &name);
    assert!(dir.join("pending.json").exists());
    assert!(!dir.join("record.dsse.json").exists());

    let gc = h.bot_bottle(&ws).args(["gc"]).output().unwrap();
    assert!(gc.status.success(), "{}", text(&gc));
    assert!(
        text(&gc).contains("sealed the record") && text(&gc).contains("INCOMPLETE"),
        "{}",
        text(&gc)
    );
    assert!(h.leftovers(&name).is_empty(), "{:?}", h.leftovers(&name));
    let out = verify(&h, &ws, &[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(
        text(&out).contains("note completion: INCOMPLETE:"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("FAIL"), "{}", text(&out));
    assert!(!text(&out).contains("VALID"), "{}", text(&out));
}

/// A bottle whose agent sent nothing: pipelock made no flight record file (it makes one with
/// its first entry), and `stop` seals a valid record of nothing, not an incomplete one.
#[test]
fn a_bottle_that_sent_nothing_seals_a_valid_record_of_nothing() {
    let Some(h) = harness() else { return };
    let name = unique_name("record-quiet");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "infinity"]));
    h.approve(&ws);
    let _purge = Purge(&h, &ws, name.clone());
    let start = h.start_detached(&ws);
    assert!(start.status.success(), "{}", text(&start));
    let stop = h.bot_bottle(&ws).args(["stop", &name]).output().unwrap();
    assert!(
        stop.status.success()
            && text(&stop).contains("the bottle's signed record:")
            && !text(&stop).contains("INCOMPLETE"),
        "{}",
        text(&stop)
    );
    let dir = record_dir(&ws, &name);
    let out = verify(&h, &ws, &[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("ok   flight recorder chain: no entries: pipelock recorded nothing"),
        "{}",
        text(&out)
    );
}
