//! Daily use of a bottle: `list`, `exec`, `logs`, `attach`'s command, the Claude Code state
//! that outlives a bottle, `gc` after a crash, and `doctor`.

use std::process::{Output, Stdio};
use std::time::Duration;

use engine::{ContainerSpec, NetworkSpec};
use serde_json::Value;

use crate::support::{
    harness, manifest, unique_name, wait_for, Bottle, Harness, Purge, Workspace, TEST_LABEL,
};

fn said(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run(h: &Harness, ws: &Workspace, args: &[&str]) -> Output {
    h.bot_bottle(ws).args(args).output().unwrap()
}

#[test]
fn a_detached_bottle_in_daily_use() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "daily");
    list_shows(&h, &bottle);
    exec_passes_exit_codes_and_runs_claude(&h, &bottle);
    logs_show_a_request_blocked_inside(&h, &bottle);
    logs_follow_prints_new_events(&h, &bottle);
}

/// `list` shows the bottle, with its age, allowlist and state volume.
fn list_shows(h: &Harness, bottle: &Bottle) {
    let slug = bottle.slug.as_str();
    let out = run(h, &bottle.ws, &["list", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["schema"], "bot-bottle.list/v1");
    let row = listing["bottles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["bottle"] == slug)
        .unwrap_or_else(|| panic!("{slug} not listed: {listing}"))
        .clone();
    assert_eq!(row["agent"], "running", "{row}");
    assert_eq!(row["proxy"], "running", "{row}");
    assert!(row["age_seconds"].as_i64().is_some_and(|a| a >= 0), "{row}");
    // The built-in four plus the manifest's three.
    assert_eq!(row["allowlist_size"], 7, "{row}");
    assert_eq!(row["key_holder"], "running", "{row}");
    let volume = h.state_volume(slug).expect("the bottle has a state volume");
    assert_eq!(row["state_volume"], volume.as_str());
    // Named by the bottle and its workspace: `bot-bottle-<slug>-<8 hex>-claude`.
    let key = volume
        .strip_prefix(&format!("bot-bottle-{slug}-"))
        .and_then(|rest| rest.strip_suffix("-claude"))
        .unwrap_or_else(|| panic!("{volume}"));
    assert!(
        key.len() == 8 && key.bytes().all(|b| b.is_ascii_hexdigit()),
        "{volume}"
    );
    let table = run(h, &bottle.ws, &["list"]);
    assert!(
        String::from_utf8_lossy(&table.stdout).contains(slug),
        "{}",
        said(&table)
    );
}

/// `exec` passes the exit code and the output through; Claude Code runs, its state in the
/// volume.
fn exec_passes_exit_codes_and_runs_claude(h: &Harness, bottle: &Bottle) {
    let slug = bottle.slug.as_str();
    let out = run(
        h,
        &bottle.ws,
        &["exec", slug, "--", "sh", "-c", "echo hi; exit 7"],
    );
    assert_eq!(out.status.code(), Some(7), "{}", said(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    let out = run(h, &bottle.ws, &["exec", slug, "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));

    // Claude Code runs in the bottle, with its state in the volume.
    let out = run(h, &bottle.ws, &["exec", slug, "--", "claude", "--version"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("(Claude Code)"),
        "{}",
        said(&out)
    );
    let out = run(
        h,
        &bottle.ws,
        &[
            "exec",
            slug,
            "--",
            "sh",
            "-c",
            "echo \"$CLAUDE_CONFIG_DIR\" && touch \"$CLAUDE_CONFIG_DIR/.claude.json\"",
        ],
    );
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/home/node/.claude\n");

    // On a terminal (`script` gives it one), the command gets a TTY too.
    let on_terminal = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} exec {slug} -- tty", h.bin.display()),
            "/dev/null",
        ])
        .current_dir(&bottle.ws.0)
        .env("BOT_BOTTLE_ENGINE", h.engine.program().as_str())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&on_terminal.stdout).contains("/dev/pts/"),
        "{}",
        said(&on_terminal)
    );
    let out = run(
        h,
        &bottle.ws,
        &["exec", slug, "--", "sh", "-c", "tty || true"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "not a tty\n",
        "{}",
        said(&out)
    );

    // `exec` of a bottle that does not exist fails clearly.
    let out = run(h, &bottle.ws, &["exec", "e2e-no-such-bottle", "--", "true"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bottle named"));
}

/// `curl URL` in the agent (through its proxy), printing the HTTP status.
fn curl_inside(h: &Harness, bottle: &Bottle, url: &str) -> Output {
    let args = [
        "exec",
        &bottle.slug,
        "--",
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        url,
    ];
    run(h, &bottle.ws, &args)
}

/// A request blocked inside shows in `logs`, readable and as JSON.
fn logs_show_a_request_blocked_inside(h: &Harness, bottle: &Bottle) {
    let slug = bottle.slug.as_str();
    let out = curl_inside(h, bottle, "https://denied.bottle.test/");
    assert_ne!(
        String::from_utf8_lossy(&out.stdout),
        "200",
        "{}",
        said(&out)
    );
    let mut text = String::new();
    wait_for(
        "logs to show the blocked request",
        Duration::from_secs(20),
        || {
            let out = run(h, &bottle.ws, &["logs", slug]);
            assert!(out.status.success(), "{}", said(&out));
            text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.lines()
                .any(|l| l.contains("blocked") && l.contains("denied.bottle.test"))
        },
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when not a terminal: {text}"
    );
    let out = run(h, &bottle.ws, &["logs", "--json", slug]);
    assert!(out.status.success(), "{}", said(&out));
    let blocked: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["verdict"] == "blocked")
        .collect();
    assert!(
        blocked.iter().any(|e| e["schema"] == "bot-bottle.logs/v1"
            && e["host"]
                .as_str()
                .is_some_and(|h| h.contains("denied.bottle.test"))
            && e["scanner"].is_string()),
        "{blocked:?}"
    );

    // `exec` and `logs` of a bottle that does not exist fail clearly.
    let out = run(h, &bottle.ws, &["exec", "e2e-no-such-bottle", "--", "true"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bottle named"));
}

/// `logs -f` prints new events as they come.
fn logs_follow_prints_new_events(h: &Harness, bottle: &Bottle) {
    let slug = bottle.slug.as_str();
    let mut follower = h
        .bot_bottle(&bottle.ws)
        .args(["logs", "-f", "--json", slug])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let out = curl_inside(h, bottle, "https://followed.bottle.test/");
    assert_ne!(out.status.code(), Some(0), "{}", said(&out));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let new_line = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("followed.bottle.test") => break Some(line),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    let _ = follower.kill();
    let _ = follower.wait();
    let _ = reader.join();
    let new_line = new_line.expect("logs -f printed the new blocked request within 20 s");
    let event: Value = serde_json::from_str(&new_line).unwrap();
    assert_eq!(event["verdict"], "blocked", "{event}");
}

/// Removes a bottle with `stop --purge` when dropped, whatever happened (errors ignored).
#[test]
fn claude_state_survives_stop_and_goes_with_purge() {
    let Some(h) = harness() else { return };
    let name = unique_name("state");
    // With a prompt: the provisioner writes it into the state volume, next to Claude Code's
    // own state, at every launch.
    // The agent's command is what `attach` runs in the detached bottle.
    let with_prompt = manifest(
        &name,
        &["sh", "-c", "echo \"attached as $(id -un)\"; exit 5"],
    )
    .replacen('\n', "\nprompt = \"prompt.md\"\n", 1);
    let ws = Workspace::new(&name, &with_prompt);
    std::fs::write(ws.0.join("prompt.md"), "be brief\n").unwrap();
    h.approve(&ws);
    let _purge = Purge(&h, &ws, name.clone());
    let start = |h: &Harness| {
        let out = run(
            h,
            &ws,
            &["start", "-y", "--detach", "--json", "bottle.toml"],
        );
        assert!(out.status.success(), "{}", said(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };

    let exec_sh = |script: &str| run(&h, &ws, &["exec", &name, "--", "sh", "-c", script]);
    let first = start(&h);
    // `attach` runs the agent's command again, its exit code passed through.
    let out = run(&h, &ws, &["attach", &name]);
    assert_eq!(out.status.code(), Some(5), "{}", said(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "attached as node\n");
    let out = exec_sh("test -w \"$CLAUDE_CONFIG_DIR\" && cat \"$CLAUDE_CONFIG_DIR/CLAUDE.md\"");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "be brief\n",
        "{}",
        said(&out)
    );
    let out = exec_sh("echo logged-in > \"$CLAUDE_CONFIG_DIR/marker\" && echo x > /tmp/not-kept");
    assert!(out.status.success(), "{}", said(&out));

    // `stop` removes everything but the state volume.
    let out = run(&h, &ws, &["stop", &name]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--purge"));
    let left = h.leftovers(&name);
    assert!(left.is_empty(), "stop left {left:?}");
    let stage_dir = first["stage_dir"].as_str().unwrap();
    assert!(!std::path::Path::new(stage_dir).exists());
    assert!(
        h.state_volume(&name).is_some(),
        "stop keeps the state volume"
    );

    // A launch that fails (here: SIGTERM half-way) removes what it made, but not a state
    // volume that was there before it.
    let mut child = h
        .bot_bottle(&ws)
        .args(["start", "-y", "bottle.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proxy = format!("bot-bottle-{name}-pipelock");
    wait_for("the sidecar to be created", Duration::from_secs(60), || {
        h.engine.inspect_container(&proxy).unwrap().is_some()
    });
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut status = None;
    wait_for(
        "the interrupted launch to exit",
        Duration::from_secs(60),
        || {
            status = child.try_wait().unwrap();
            status.is_some()
        },
    );
    assert_eq!(status.unwrap().code(), Some(130));
    assert!(h.leftovers(&name).is_empty(), "{:?}", h.leftovers(&name));
    assert!(
        h.state_volume(&name).is_some(),
        "the user's state volume stays"
    );

    // The dry-run shows the volume a launch mounts.
    let out = run(&h, &ws, &["start", "--dry-run", "--json", "bottle.toml"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["state_volume"]["name"],
        h.state_volume(&name).unwrap().as_str()
    );

    // A new start of the name finds the file; the rest of the agent is new.
    start(&h);
    let out = exec_sh(
        "cat \"$CLAUDE_CONFIG_DIR/marker\" \"$CLAUDE_CONFIG_DIR/CLAUDE.md\"; test ! -e /tmp/not-kept",
    );
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "logged-in\nbe brief\n"
    );

    // `rm` (`stop --purge`) removes it too.
    let out = run(&h, &ws, &["rm", &name]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(h.leftovers(&name).is_empty());
    assert_eq!(
        h.state_volume(&name),
        None,
        "--purge removes the state volume"
    );
}

#[test]
fn gc_removes_what_a_killed_launch_left_and_nothing_else() {
    let Some(h) = harness() else { return };
    // A stage root of this test's own: gc looks only at launches made from it.
    let root = std::env::temp_dir().join(format!("bot-bottle-e2e-gc-root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // Declared before the bottles' guards so it goes after them: their stops write lock files
    // under the root.
    let _root = RemoveDirs(vec![root.clone()]);
    let root_str = root.to_str().unwrap().to_owned();
    let gc_run = |ws: &Workspace, args: &[&str]| {
        h.bot_bottle(ws)
            .env("BOT_BOTTLE_RUNTIME_DIR", &root_str)
            .args(args)
            .output()
            .unwrap()
    };

    // Something unrelated that must survive: a container and a network without bot-bottle's
    // labels.
    let unrelated = unique_name("gc-unrelated");
    let labels = std::collections::BTreeMap::from([(TEST_LABEL.to_owned(), unrelated.clone())]);
    h.engine
        .create_network(&NetworkSpec {
            name: unrelated.clone(),
            labels: labels.clone(),
            ..NetworkSpec::default()
        })
        .unwrap();
    h.engine
        .create_container(&ContainerSpec {
            labels,
            cmd: vec!["true".to_owned()],
            ..ContainerSpec::new(&unrelated, crate::support::AGENT_IMAGE)
        })
        .unwrap();
    let _unrelated = Unrelated(&h, unrelated.clone());

    // A detached bottle from the same stage root: running, so gc keeps it.
    let kept = unique_name("gc-kept");
    let kept_ws = h.approved(&kept, &manifest(&kept, &["sleep", "infinity"]));
    let _kept_purge = PurgeIn(&h, &kept_ws, kept.clone(), root_str.clone());
    let out = gc_run(&kept_ws, &["start", "-y", "--detach", "bottle.toml"]);
    assert!(out.status.success(), "{}", said(&out));

    // A launch killed with SIGKILL once its agent runs.
    let name = unique_name("gc-killed");
    let ws = h.approved(&name, &manifest(&name, &["sleep", "600"]));
    let _purge = PurgeIn(&h, &ws, name.clone(), root_str.clone());
    let mut child = h
        .bot_bottle(&ws)
        .env("BOT_BOTTLE_RUNTIME_DIR", &root_str)
        .args(["start", "-y", "bottle.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let agent = format!("bot-bottle-{name}");
    // Killed in its session, once its copies are done: a kill during a copy would leave a
    // scratch directory that only a gc ten minutes later removes (`scratch_dirs` covers that).
    wait_for(
        "the killed launch's agent command to run",
        Duration::from_secs(60),
        || {
            h.engine
                .inspect_container(&agent)
                .unwrap()
                .is_some_and(|c| c.state == engine::ContainerState::Running)
                && h.sh(&agent, None, "pgrep -f 'sleep 600'").status == 0
        },
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !h.leftovers(&name).is_empty(),
        "the killed launch left something"
    );

    let (stale, fresh, _scratch) = scratch_dirs(&name);

    let out = gc_run(&ws, &["gc", "--dry-run", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "bot-bottle.gc/v1");
    let removed: Vec<&Value> = report["removed"].as_array().unwrap().iter().collect();
    // Scratch belongs to no bottle; it may include other killed processes' old leftovers.
    assert!(
        removed
            .iter()
            .all(|r| r["bottle"] == name.as_str() || r["kind"] == "scratch"),
        "{report}"
    );
    let scratch_named = |path: &std::path::Path| {
        removed
            .iter()
            .any(|r| r["kind"] == "scratch" && r["name"] == path.to_str().unwrap())
    };
    assert!(scratch_named(&stale), "{report}");
    assert!(!scratch_named(&fresh), "{report}");
    assert!(stale.exists(), "--dry-run removes no scratch");
    assert!(
        removed.iter().any(|r| r["name"] == agent.as_str()),
        "{report}"
    );
    assert!(!h.leftovers(&name).is_empty(), "--dry-run removes nothing");

    let out = gc_run(&ws, &["gc"]);
    assert!(out.status.success(), "{}", said(&out));
    let left = h.leftovers(&name);
    assert!(left.is_empty(), "gc left {left:?}: {}", said(&out));
    assert!(!root.join(&name).exists(), "gc removes the stage directory");
    assert!(!stale.exists(), "gc removes the stale scratch directory");
    assert!(fresh.exists(), "gc keeps a scratch directory in use");
    // Nothing else went.
    assert!(h.engine.inspect_container(&unrelated).unwrap().is_some());
    assert!(h.engine.inspect_network(&unrelated).unwrap().is_some());
    // Agent, sidecar, key holder and two networks.
    assert_eq!(h.leftovers(&kept).len(), 5, "the detached bottle is whole");
}

/// A scratch directory as a call killed an hour ago leaves it (a spooled copy in it), and one
/// in use; both removed on drop.
fn scratch_dirs(name: &str) -> (std::path::PathBuf, std::path::PathBuf, RemoveDirs) {
    let scratch = engine::scratch::place();
    let stale = scratch.join(format!("{}{name}", engine::scratch::DIR_PREFIX));
    let fresh = scratch.join(format!("{}{name}-fresh", engine::scratch::DIR_PREFIX));
    for dir in [&stale, &fresh] {
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("1234567890"), "spooled").unwrap();
    }
    let guard = RemoveDirs(vec![stale.clone(), fresh.clone()]);
    std::fs::File::open(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    (stale, fresh, guard)
}

/// Directories a test made, removed on drop.
struct RemoveDirs(Vec<std::path::PathBuf>);

impl Drop for RemoveDirs {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A container and a network of the same name that are not bot-bottle's; removed on drop.
struct Unrelated<'h>(&'h Harness, String);

impl Drop for Unrelated<'_> {
    fn drop(&mut self) {
        let _ = self.0.engine.remove_container(&self.1);
        let _ = self.0.engine.remove_network(&self.1);
    }
}

/// [`Purge`] with a stage root of its own.
struct PurgeIn<'h>(&'h Harness, &'h Workspace, String, String);

impl Drop for PurgeIn<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .bot_bottle(self.1)
            .env("BOT_BOTTLE_RUNTIME_DIR", &self.3)
            .args(["stop", "--purge", &self.2])
            .output();
    }
}

#[test]
fn doctor_passes_and_names_the_fix_for_a_missing_image() {
    let Some(h) = harness() else { return };
    let name = unique_name("doctor");
    let ws = Workspace::new(&name, &manifest(&name, &["true"]));
    let out = run(&h, &ws, &["doctor", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "bot-bottle.doctor/v1");
    assert_eq!(report["ok"], true, "{report}");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // The forwarded API key makes a key holder, in the gate's image.
    for check in [
        "engine",
        "anthropic login",
        "agent image",
        "proxy image",
        "gate image",
        "isolation",
    ] {
        assert!(names.contains(&check), "{report}");
    }
    let isolation = &report["checks"].as_array().unwrap()
        [names.iter().position(|n| *n == "isolation").unwrap()];
    assert!(
        isolation["detail"]
            .as_str()
            .is_some_and(|d| d.contains("reaches neither") && d.contains("reach each other")),
        "the live probe ran: {report}"
    );

    let out = h
        .bot_bottle(&ws)
        .env(
            "BOT_BOTTLE_PIPELOCK_IMAGE",
            "localhost/bot-bottle-e2e/missing:0",
        )
        .args(["doctor"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL proxy image")
            && text.contains("fix: ")
            && text.contains("bot-bottle image pull pipelock"),
        "{}",
        said(&out)
    );
}

/// Where `contrib/testbed/build-images.sh` keeps the Claude Code it installed with npm.
fn testbed_claude_code() -> std::path::PathBuf {
    let cache = std::env::var("BOT_BOTTLE_TESTBED_CACHE")
        .unwrap_or_else(|_| "/var/cache/bot-bottle-testbed".to_owned());
    std::path::Path::new(&cache).join("claude-code-2.1.332")
}

/// Removes an image when dropped.
struct Image<'h>(&'h Harness, String);

impl Drop for Image<'_> {
    fn drop(&mut self) {
        // Not `--force`: with it, podman also deletes what the image stands on when nothing
        // else is tagged there, build containers of a concurrent build from the same base
        // included (which then fails, "identifier is not a container"). The bottle that ran
        // the image is gone by now.
        let _ = std::process::Command::new(self.0.engine.program().as_str())
            .args(["rmi", &self.1])
            .output();
    }
}

#[test]
fn the_agent_image_builds_on_the_offline_base_and_claude_runs_in_a_bottle() {
    let Some(h) = harness() else { return };
    // The npm install the testbed made, so that the test reaches no registry.
    let installed = testbed_claude_code();
    if !installed.join("node_modules").is_dir() {
        eprintln!(
            "\n*** SKIPPING the agent image build: no Claude Code installed by the testbed at {} ***\n",
            installed.display()
        );
        return;
    }
    let name = unique_name("built");
    let tag = format!("localhost/bot-bottle-e2e/agent-{name}:test");
    let image = Image(&h, tag.clone());
    let ws = Workspace::new(
        &name,
        &manifest(&name, &["sleep", "infinity"]).replace(crate::support::AGENT_IMAGE, &tag),
    );
    h.approve(&ws);
    let out = run(
        &h,
        &ws,
        &[
            "image",
            "build",
            "agent",
            "--base",
            crate::support::AGENT_IMAGE,
            "--tag",
            &tag,
            "--claude-code-dir",
            installed.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", said(&out));
    assert!(h.engine.image_exists(&tag).unwrap());

    let purge = Purge(&h, &ws, name.clone());
    let out = run(&h, &ws, &["start", "-y", "--detach", "bottle.toml"]);
    assert!(out.status.success(), "{}", said(&out));
    let out = run(&h, &ws, &["exec", &name, "--", "claude", "--version"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2.1.332 (Claude Code)"),
        "{}",
        said(&out)
    );
    drop(purge);
    drop(image);
}

#[test]
fn the_gate_image_builds_on_the_offline_base_and_serves_a_bottle() {
    let Some(h) = harness() else { return };
    let name = unique_name("gatebuilt");
    let tag = format!("localhost/bot-bottle-e2e/gate-{name}:test");
    let image = Image(&h, tag.clone());
    // An HTTPS upstream needs no keys; the launch waits until the gate answers /health, which
    // reaches no upstream.
    let ws = Workspace::new(
        &name,
        &format!(
            "{}\n[[git.upstreams]]\nname = \"web\"\nurl = \"https://git.bottle.test/web.git\"\n",
            manifest(&name, &["sleep", "infinity"])
        ),
    );
    h.approve(&ws);
    // The binary: BOT_BOTTLE_GATE_BIN (a static one built before, as the testbed takes it),
    // else cargo's static build in this checkout, which the testbed's made fresh.
    let binary = match std::env::var("BOT_BOTTLE_GATE_BIN") {
        Ok(file) if !file.is_empty() => ["--binary".to_owned(), file],
        _ => {
            let checkout = env!("CARGO_MANIFEST_DIR");
            let cargo = std::process::Command::new("cargo")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !cargo || std::fs::metadata(format!("{checkout}/Cargo.toml")).is_err() {
                eprintln!(
                    "\n*** SKIPPING the gate image build: no BOT_BOTTLE_GATE_BIN, and no cargo or no readable checkout at {checkout} ***\n"
                );
                return;
            }
            ["--source".to_owned(), checkout.to_owned()]
        }
    };
    // The test agent image has git, openssh-client and ca-certificates: nothing is installed,
    // so the build reaches no registry.
    let started = std::time::Instant::now();
    let out = run(
        &h,
        &ws,
        &[
            "image",
            "build",
            "gate",
            "--base",
            crate::support::AGENT_IMAGE,
            "--tag",
            &tag,
            &binary[0],
            &binary[1],
        ],
    );
    assert!(out.status.success(), "{}", said(&out));
    eprintln!("image build gate took {:?}", started.elapsed());
    assert!(
        !said(&out).contains("Reading package lists"),
        "apt-get ran on a base that has the packages: {}",
        said(&out)
    );
    assert!(h.engine.image_exists(&tag).unwrap());

    let purge = Purge(&h, &ws, name.clone());
    let out = h
        .bot_bottle(&ws)
        .env("BOT_BOTTLE_GATE_IMAGE", &tag)
        .args(["start", "-y", "--detach", "--json", "bottle.toml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gate = report["gate_container"].as_str().unwrap().to_owned();
    let out = std::process::Command::new(h.engine.program().as_str())
        .args([
            "container",
            "inspect",
            "--format",
            "{{.Config.Image}}",
            &gate,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        tag,
        "{}",
        said(&out)
    );
    let out = h.sh(
        &gate,
        None,
        "bot-bottle-gate --version && test -d /var/lib/bot-bottle-gate/web.git && ssh -V 2>&1",
    );
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.starts_with("bot-bottle-gate "), "{out:?}");
    drop(purge);
    drop(image);
}
