//! Growing a bottle's egress policy: a refused host allowed live (no restart, the CA and DLP
//! hold after pipelock reloads), `policy log`, `deny`; a learn run writing `bottle.lock`, and a
//! normal start allowing the lock's hosts and refusing every other.

use std::process::{Command, Output};

use serde_json::Value;

use std::time::Duration;

use crate::support::{
    harness, resources_table, start_upstream, unique_name, Bottle, Harness, Workspace, AGENT_IMAGE,
};

/// A GitHub token shape pipelock's DLP knows.
const GITHUB_TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
const BLOCKED_BODY: &str = "blocked: request body contains secret: GitHub Token\n";
const HELLO: &str = "hello from upstream\n";

/// `curl` in the agent, trusting only what the agent's own store trusts; returns
/// "<connect code>|<http code>|<body>".
fn curl(bottle: &Bottle, args: &str) -> String {
    bottle
        .agent_sh(&format!(
            "curl -sS -m 20 -o /tmp/body -w '%{{http_connect}}|%{{http_code}}|' {args} 2>/dev/null; cat /tmp/body 2>/dev/null; rm -f /tmp/body"
        ))
        .stdout
}

/// The issuer of the certificate the agent sees for `host`.
fn issuer(bottle: &Bottle, host: &str) -> String {
    bottle
        .agent_sh(&format!(
            "curl -sv -o /dev/null https://{host}/hello 2>&1 | grep -i 'issuer:'"
        ))
        .stdout
}

fn run(h: &Harness, ws: &Workspace, args: &[&str]) -> Output {
    h.bot_bottle(ws).args(args).output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `policy log NAME --json`: host → (allowed, refused, last refusal).
fn policy_log(bottle: &Bottle) -> Vec<Value> {
    let out = run(
        bottle.h,
        &bottle.ws,
        &["policy", "log", &bottle.slug, "--json"],
    );
    ok(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn host_line<'a>(lines: &'a [Value], host: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["host"] == host)
        .unwrap_or_else(|| panic!("no line for {host} in {lines:?}"))
}

/// When the sidecar's process started, as the engine says.
fn started_at(h: &Harness, container: &str) -> String {
    let out = Command::new(h.engine.program().as_str())
        .args(["inspect", "--format", "{{.State.StartedAt}}", container])
        .output()
        .unwrap();
    ok(&out).trim().to_owned()
}

/// `curl` sending a credential to the echo endpoint of `host` (a POST).
fn post_token(bottle: &Bottle, host: &str) -> String {
    curl(
        bottle,
        &format!("-X POST --data 'token={GITHUB_TOKEN}' https://{host}/echo"),
    )
}

fn counts(line: &Value) -> (Option<u64>, Option<u64>) {
    (line["allowed"].as_u64(), line["refused"].as_u64())
}

#[test]
fn a_refused_host_is_allowed_live_and_denied_again() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch_with(&h, "allow", "approvable = [\"denied.bottle.test\"]\n");
    refused_and_logged(&bottle);

    // What must survive the change: the agent's processes and the sidecar's.
    let agent_pid1 = bottle.agent_sh("cut -d' ' -f22 /proc/1/stat").stdout;
    let marker = bottle
        .agent_sh("sleep 3600 >/dev/null 2>&1 & echo $!")
        .stdout
        .trim()
        .to_owned();
    let sidecar_started = started_at(&h, &bottle.proxy());

    let allowlist_size = allowed_live(&bottle);
    assert_eq!(
        bottle.agent_sh("cut -d' ' -f22 /proc/1/stat").stdout,
        agent_pid1
    );
    assert_eq!(
        bottle
            .agent_sh(&format!("kill -0 {marker} && echo alive"))
            .stdout,
        "alive\n",
        "a process started in the agent before the change"
    );
    assert_eq!(started_at(&h, &bottle.proxy()), sidecar_started);

    what_cannot_be_changed(&bottle);
    denied_again(&bottle, allowlist_size);
    assert_eq!(started_at(&h, &bottle.proxy()), sidecar_started);
}

/// Refused, and `policy log` says so.
fn refused_and_logged(bottle: &Bottle) {
    assert_eq!(curl(bottle, "https://denied.bottle.test/hello"), "403|000|");
    let log = policy_log(bottle);
    let denied = host_line(&log, "denied.bottle.test");
    assert_eq!(denied["schema"], "bot-bottle.policy-log/v1");
    assert_eq!(counts(denied), (Some(0), Some(1)));
    assert_eq!(
        denied["last_refusal"],
        "domain not in allowlist: denied.bottle.test"
    );
    let text_log = ok(&run(bottle.h, &bottle.ws, &["policy", "log", &bottle.slug]));
    assert!(
        text_log
            .lines()
            .any(|l| l.starts_with("denied.bottle.test ") && l.contains("domain not in allowlist")),
        "{text_log}"
    );
}

/// `allow`, then the host is reachable, intercepted with the bottle's CA and trusted by the
/// agent's store, and DLP still refuses a credential to it; the hosts allowed before work as
/// before. Returns the size of the allowlist now.
fn allowed_live(bottle: &Bottle) -> usize {
    let args = ["allow", &bottle.slug, "denied.bottle.test", "--json"];
    let allowed: Value = serde_json::from_str(&ok(&run(bottle.h, &bottle.ws, &args))).unwrap();
    assert_eq!(allowed["schema"], "bot-bottle.allow/v1");
    assert_eq!(
        allowed["changed"],
        serde_json::json!(["denied.bottle.test"])
    );
    assert!(allowed["config_hash"].is_string(), "{allowed}");
    let allowlist = allowed["allowlist"].as_array().unwrap();
    assert!(allowlist.contains(&"denied.bottle.test".into()));

    let hello = format!("200|200|{HELLO}");
    let refused = format!("200|403|{BLOCKED_BODY}");
    assert_eq!(curl(bottle, "https://denied.bottle.test/hello"), hello);
    let seen = issuer(bottle, "denied.bottle.test");
    assert!(
        seen.contains(&format!("bot-bottle {} egress CA", bottle.slug)),
        "issuer of the newly allowed host: {seen}"
    );
    assert_eq!(post_token(bottle, "denied.bottle.test"), refused);
    assert_eq!(curl(bottle, "https://upstream.bottle.test/hello"), hello);
    assert_eq!(post_token(bottle, "upstream.bottle.test"), refused);
    let log = policy_log(bottle);
    assert_eq!(
        counts(host_line(&log, "denied.bottle.test")),
        (Some(2), Some(2))
    );
    allowlist.len()
}

/// A host outside the CA's name constraints, a built-in host, a URL for a host.
fn what_cannot_be_changed(bottle: &Bottle) {
    let out = run(
        bottle.h,
        &bottle.ws,
        &["allow", &bottle.slug, "other.example.org"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot allow other.example.org"), "{err}");
    let out = run(
        bottle.h,
        &bottle.ws,
        &["deny", &bottle.slug, "api.anthropic.com"],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        bottle.h,
        &bottle.ws,
        &["allow", &bottle.slug, "https://x.test"],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// `deny`: refused again; `list` shows the allowlist as it is now.
fn denied_again(bottle: &Bottle, allowlist_size: usize) {
    let args = ["deny", &bottle.slug, "denied.bottle.test", "--json"];
    let denied: Value = serde_json::from_str(&ok(&run(bottle.h, &bottle.ws, &args))).unwrap();
    assert_eq!(denied["schema"], "bot-bottle.deny/v1");
    assert_eq!(denied["changed"], serde_json::json!(["denied.bottle.test"]));
    assert_eq!(curl(bottle, "https://denied.bottle.test/hello"), "403|000|");
    assert_eq!(
        curl(bottle, "https://upstream.bottle.test/hello"),
        format!("200|200|{HELLO}")
    );
    let listed: Value =
        serde_json::from_str(&ok(&run(bottle.h, &bottle.ws, &["list", "--json"]))).unwrap();
    let row = listed["bottles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bottle"] == bottle.slug)
        .unwrap();
    assert_eq!(
        row["allowlist_size"].as_u64(),
        Some(allowlist_size as u64 - 1),
        "list shows the allowlist as it is now"
    );
}

/// A test manifest allowing only `upstream.bottle.test` on top of the built-in hosts.
fn narrow_manifest(name: &str) -> String {
    format!(
        "name = \"{name}\"\n\n[agent]\nimage = \"{AGENT_IMAGE}\"\ncommand = [\"sleep\", \"infinity\"]\n\n\
         {}[egress]\nallowlist = [\"upstream.bottle.test\"]\n",
        resources_table()
    )
}

#[test]
fn a_learn_run_writes_a_lock_that_the_next_start_enforces() {
    let Some(h) = harness() else { return };
    let name = unique_name("learn");
    let ws = h.approved(&name, &narrow_manifest(&name));
    let lock_path = ws.0.join("bottle.lock");
    let text = learn_then_stop(&h, &name, ws);
    // The manifest approved as it was, then the lock beside it: its hosts need approving.
    let ws = h.approved(&name, &narrow_manifest(&name));
    std::fs::write(&lock_path, &text).unwrap();
    enforced(&h, &name, ws, &text);
}

/// A learn run that reaches a host off the allowlist, trusted, with DLP still on; `stop`
/// writes the lock from what pipelock saw, before the sidecar goes. Returns the lock's text.
fn learn_then_stop(h: &Harness, name: &str, ws: Workspace) -> String {
    let lock_path = ws.0.join("bottle.lock");
    let args = ["start", "--learn", "--dry-run", "--json", "bottle.toml"];
    let plan: Value = serde_json::from_str(&ok(&run(h, &ws, &args))).unwrap();
    assert_eq!(plan["proxy"]["config"]["mode"], "audit");
    assert_eq!(
        plan["egress"]["tls_interception"]["ca_permitted_domains"],
        Value::Null
    );
    let args = [
        "start",
        "--learn",
        "-y",
        "--detach",
        "--json",
        "bottle.toml",
    ];
    let started = run(h, &ws, &args);
    let learn = Bottle::started(h, name, ws, started);
    let hello = format!("200|200|{HELLO}");
    assert_eq!(curl(&learn, "https://denied.bottle.test/hello"), hello);
    assert_eq!(curl(&learn, "https://denied.bottle.test/hello"), hello);
    assert!(issuer(&learn, "denied.bottle.test")
        .contains(&format!("bot-bottle {} egress CA", learn.slug)));
    assert_eq!(
        post_token(&learn, "upstream.bottle.test"),
        format!("200|403|{BLOCKED_BODY}"),
        "DLP blocks credentials in a learn run"
    );
    assert_eq!(curl(&learn, "https://upstream.bottle.test/hello"), hello);
    let out = run(h, &learn.ws, &["allow", &learn.slug, "x.bottle.test"]);
    assert_eq!(out.status.code(), Some(2), "allow in a learn run");

    assert!(!lock_path.exists());
    h.engine.remove_container(&learn.upstream).unwrap();
    let stopped = run(h, &learn.ws, &["stop", &learn.slug]);
    let said = String::from_utf8_lossy(&stopped.stderr).into_owned();
    ok(&stopped);
    assert!(said.contains("learn run: wrote "), "{said}");
    let text = std::fs::read_to_string(&lock_path).unwrap();
    let lock: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(lock["schema"].as_str(), Some("bot-bottle.lock/v1"));
    let hosts: Vec<(String, i64)> = lock["host"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert!(h.get("first_used").is_some(), "{h}");
            (
                h["name"].as_str().unwrap().to_owned(),
                h["count"].as_integer().unwrap(),
            )
        })
        .collect();
    // Three GETs to the host off the allowlist; one to upstream, whose refused POST is not
    // counted; nothing the agent did not reach.
    assert!(
        hosts.contains(&("denied.bottle.test".to_owned(), 3)),
        "{text}"
    );
    assert!(
        hosts.contains(&("upstream.bottle.test".to_owned(), 1)),
        "{text}"
    );
    assert!(
        !hosts.iter().any(|(h, _)| h == "passthrough.bottle.test"),
        "{text}"
    );
    text
}

/// The next start shows the lock in its plan, allows its hosts (intercepted, DLP on) and
/// refuses every other.
fn enforced(h: &Harness, name: &str, ws: Workspace, lock: &str) {
    let plan_text = ok(&run(h, &ws, &["start", "--dry-run", "bottle.toml"]));
    let hash = format!("sha256:{}", sha256_hex(lock.as_bytes()));
    assert!(
        plan_text
            .lines()
            .any(|l| l.starts_with("egress lock:") && l.contains(&hash)),
        "{plan_text}"
    );
    // The lock widens the approved allowlist: -y alone does not take it.
    let refused = run(
        h,
        &ws,
        &["start", "-y", "--detach", "--json", "bottle.toml"],
    );
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(3), "{said}");
    assert!(
        said.contains("+ egress.allowlist: denied.bottle.test  (widens egress)"),
        "{said}"
    );
    h.approve(&ws);
    let started = run(
        h,
        &ws,
        &["start", "-y", "--detach", "--json", "bottle.toml"],
    );
    let enforced = Bottle::started(h, name, ws, started);
    assert_eq!(
        curl(&enforced, "https://denied.bottle.test/hello"),
        format!("200|200|{HELLO}"),
        "a host from the lock"
    );
    assert_eq!(
        post_token(&enforced, "denied.bottle.test"),
        format!("200|403|{BLOCKED_BODY}")
    );
    assert_eq!(
        curl(&enforced, "https://passthrough.bottle.test/hello"),
        "403|000|",
        "a host in neither the manifest nor the lock"
    );
    assert_eq!(
        curl(&enforced, "http://passthrough.bottle.test/hello"),
        "000|403|blocked: domain not in allowlist: passthrough.bottle.test\n"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    base16ct::lower::encode_string(&Sha256::digest(bytes))
}

#[test]
fn an_attached_learn_run_writes_the_lock_when_the_agent_exits() {
    let Some(h) = harness() else { return };
    let name = unique_name("learnat");
    // The agent waits (up to a minute) for the test's internet, reaches one host, and exits.
    let script = "for i in $(seq 300); do \
                  curl -sf -o /dev/null https://denied.bottle.test/hello && exit 0; sleep 0.2; \
                  done; exit 1";
    let manifest = narrow_manifest(&name).replace(
        "command = [\"sleep\", \"infinity\"]",
        &format!("command = [\"sh\", \"-c\", {script:?}]"),
    );
    let ws = h.approved(&name, &manifest);
    let start = h
        .bot_bottle(&ws)
        .args(["start", "--learn", "-y", "--json", "bottle.toml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::support::wait_for("the sidecar to run", Duration::from_secs(60), || {
        h.engine
            .inspect_container(&format!("bot-bottle-{name}-pipelock"))
            .unwrap()
            .is_some_and(|c| c.state == engine::ContainerState::Running)
    });
    // On the internet only: the bottle's teardown removes its egress network.
    let internet = start_upstream(&h, &name, None);
    let done = start.wait_with_output().unwrap();
    let upstream = format!("{name}-upstream");
    let _ = h.engine.remove_container(&upstream);
    drop(internet);
    h.remove_state_volume(&name);
    let report: Value = serde_json::from_str(&ok(&done)).unwrap();
    assert_eq!(report["agent_exit_code"], 0);
    let learned = &report["learned_lock"];
    assert_eq!(learned["hosts"], serde_json::json!(["denied.bottle.test"]));
    let text = std::fs::read_to_string(ws.0.join("bottle.lock")).unwrap();
    assert_eq!(
        learned["sha256"].as_str(),
        Some(format!("sha256:{}", sha256_hex(text.as_bytes())).as_str())
    );
    assert!(text.contains("name = \"denied.bottle.test\""), "{text}");
    assert!(h.leftovers(&name).is_empty(), "{:?}", h.leftovers(&name));
}
