//! A bottle's life: an attached session that ends, a launch killed half-way, a second bottle
//! of the same name. Afterwards nothing of the bottle remains.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    harness, manifest, manifest_forwarding, unique_name, wait_for, Bottle, Harness, Purge,
    Workspace,
};

/// Asserts that no container, network or stage directory of `slug` remains; then removes its
/// state volume, which a bottle keeps by design.
fn assert_gone(h: &Harness, slug: &str, stage_dir: Option<&str>) {
    let left = h.leftovers(slug);
    h.remove_state_volume(slug);
    assert!(left.is_empty(), "left behind: {left:?}");
    if let Some(dir) = stage_dir {
        assert!(
            !std::path::Path::new(dir).exists(),
            "stage directory {dir} remains"
        );
    }
}

#[test]
fn attached_session_ends_and_everything_goes() {
    let Some(h) = harness() else { return };
    for (status, ok) in [(0, true), (3, false)] {
        let name = unique_name("attached");
        let ws = Workspace::new(
            &name,
            &manifest(
                &name,
                &[
                    "sh",
                    "-c",
                    &format!("test -s /etc/ssl/certs/ca-certificates.crt && exit {status}"),
                ],
            ),
        );
        h.approve(&ws);
        let out = h
            .bot_bottle(&ws)
            .args(["start", "-y", "--json", "bottle.toml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), ok, "agent exit {status}: {stderr}");
        if ok {
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["agent_exit_code"], 0);
            assert_eq!(report["detached"], false);
            assert_gone(&h, &name, report["stage_dir"].as_str());
        } else {
            assert_eq!(out.status.code(), Some(1));
            assert!(
                stderr.contains(&format!("the agent exited with status {status}")),
                "{stderr}"
            );
            assert_gone(&h, &name, None);
        }
    }
}

fn spawn_start(h: &Harness, ws: &Workspace) -> Child {
    h.bot_bottle(ws)
        .args(["start", "-y", "bottle.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn terminate_and_wait(child: &mut Child) -> i32 {
    let pid = child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            Instant::now() < deadline,
            "bot-bottle did not exit within 60 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigterm_half_way_through_the_launch_tears_down() {
    let Some(h) = harness() else { return };
    let name = unique_name("sigterm-launch");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "600"]));
    h.approve(&ws);
    let mut child = spawn_start(&h, &ws);
    let proxy = format!("bot-bottle-{name}-pipelock");
    wait_for("the sidecar to be created", Duration::from_secs(60), || {
        h.engine.inspect_container(&proxy).unwrap().is_some()
    });
    let code = terminate_and_wait(&mut child);
    let stderr = child.stderr.take().map(|mut e| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut e, &mut s).unwrap();
        s
    });
    assert_eq!(code, 130, "exit code after SIGTERM; stderr: {stderr:?}");
    // The launch created the state volume, and failed: it goes too.
    assert_eq!(h.state_volume(&name), None, "stderr: {stderr:?}");
    assert_gone(&h, &name, None);
}

#[test]
fn sigterm_during_the_session_tears_down() {
    let Some(h) = harness() else { return };
    let name = unique_name("sigterm-session");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "600"]));
    h.approve(&ws);
    let mut child = spawn_start(&h, &ws);
    let agent = format!("bot-bottle-{name}");
    wait_for(
        "the agent's command to run",
        Duration::from_secs(90),
        || {
            h.engine.inspect_container(&agent).unwrap().is_some()
                && h.sh(&agent, None, "pgrep -f 'sleep 600'").status == 0
        },
    );
    assert_eq!(terminate_and_wait(&mut child), 130);
    assert_gone(&h, &name, None);
}

#[test]
fn a_second_bottle_of_the_same_name_fails_before_creating_anything() {
    let Some(h) = harness() else { return };
    let first = Bottle::launch(&h, "twice");
    let ws = Workspace::new(
        &format!("{}-again", first.slug),
        &manifest(&first.slug, &["true"]),
    );
    h.approve(&ws);
    let out = h
        .bot_bottle(&ws)
        .args(["start", "-y", "bottle.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("a bottle named \"{}\" already exists", first.slug)),
        "{stderr}"
    );
    assert!(
        !stderr.contains("mitm ca fingerprint"),
        "it failed before making a CA: {stderr}"
    );
    let agent = h
        .engine
        .inspect_container(&first.agent())
        .unwrap()
        .expect("the first bottle's agent is untouched");
    assert_eq!(agent.state, engine::ContainerState::Running);

    // `list` finds it by its labels.
    let out = h.bot_bottle(&ws).args(["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows["schema"], "bot-bottle.list/v1");
    let row = rows["bottles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["bottle"] == first.slug.as_str());
    let row = row.unwrap_or_else(|| panic!("{} not listed: {rows}", first.slug));
    assert_eq!(
        (row["agent"].as_str(), row["proxy"].as_str()),
        (Some("running"), Some("running"))
    );
}

/// A bottle whose manifest forwards `DOCKER_PASSWORD`, a name the docker CLI family reads
/// itself, so its value cannot ride in the engine CLI's environment.
#[test]
fn a_forwarded_secret_never_reaches_a_command_line() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let Some(h) = harness() else { return };
    let name = unique_name("cmdline");
    let secret = format!("docker-password-{}-9d1e", std::process::id());
    let ws = Workspace::new(
        &name,
        &manifest_forwarding(&name, &["sleep", "infinity"], &["DOCKER_PASSWORD"]),
    );
    h.approve(&ws);
    // Every process's command line, read as fast as we can for as long as the launch runs.
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (done, secret) = (done.clone(), secret.clone());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut scans = 0u64;
            while !done.load(Ordering::SeqCst) {
                scans += 1;
                for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                    let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                    if text.contains(&secret) {
                        seen.push(text);
                    }
                }
            }
            (seen, scans)
        })
    };
    let out = h
        .bot_bottle(&ws)
        .env("DOCKER_PASSWORD", &secret)
        .args(["start", "-y", "--detach", "--json", "bottle.toml"])
        .output()
        .unwrap();
    done.store(true, Ordering::SeqCst);
    let (seen, scans) = watcher.join().unwrap();
    let bottle = Bottle::started(&h, &name, ws, out);
    assert!(scans > 10, "the command lines were read only {scans} times");
    assert!(
        seen.is_empty(),
        "the secret was on a command line: {seen:?}"
    );
    let got = bottle.agent_sh("printenv DOCKER_PASSWORD").stdout;
    assert_eq!(got.trim(), secret, "the forwarded value reaches the agent");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&bottle.start_output.stdout),
        String::from_utf8_lossy(&bottle.start_output.stderr)
    );
    assert!(!printed.contains(&secret), "bot-bottle printed the secret");
}

/// Two launches of one name at the same moment: once sharing the bottle lock (one user), once
/// each with its own stage root (as two users of one docker daemon would be), where only the
/// engine's names and the launch ids keep them apart.
#[test]
fn two_launches_of_one_name_leave_one_working_bottle() {
    let Some(h) = harness() else { return };
    for shared_lock in [true, false] {
        let name = unique_name(if shared_lock {
            "race-lock"
        } else {
            "race-engine"
        });
        let ws = Workspace::new(&name, &manifest(&name, &["sleep", "infinity"]));
        // Whatever fails below, the winner's bottle goes (a failed assertion left two whole
        // bottles behind once).
        let _purge = Purge(&h, &ws, name.clone());
        h.approve(&ws);
        // Beside the workspace, where a user's runtime directory would be: never in it (a
        // workspace that holds bot-bottle's runtime directory is refused).
        let roots: Vec<std::path::PathBuf> = (0..2)
            .map(|i| {
                let dir = ws.user_dir().join(format!("run{i}"));
                std::os::unix::fs::DirBuilderExt::mode(
                    std::fs::DirBuilder::new().recursive(true),
                    0o700,
                )
                .create(&dir)
                .unwrap();
                dir
            })
            .collect();
        let children: Vec<Child> = (0..2)
            .map(|i| {
                let root = if shared_lock { &roots[0] } else { &roots[i] };
                h.bot_bottle(&ws)
                    .env("BOT_BOTTLE_RUNTIME_DIR", root)
                    .args(["start", "-y", "--detach", "--json", "bottle.toml"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<std::process::Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let winners: Vec<usize> = (0..2).filter(|&i| outs[i].status.success()).collect();
        let said = |i: usize| String::from_utf8_lossy(&outs[i].stderr).into_owned();
        assert_eq!(
            winners.len(),
            1,
            "exactly one launch wins (lock shared: {shared_lock}): {} / {}",
            said(0),
            said(1)
        );
        let (winner, loser) = (winners[0], 1 - winners[0]);
        assert_eq!(outs[loser].status.code(), Some(1), "{}", said(loser));
        let why = said(loser);
        assert!(
            why.contains("another bot-bottle process")
                || why.contains("already exists")
                || why.contains("already in use"),
            "the loser says why: {why}"
        );
        // The winner's bottle is whole and working: the agent still reaches its proxy.
        let report: Value = serde_json::from_slice(&outs[winner].stdout).unwrap();
        let left = h.leftovers(&name);
        assert_eq!(
            left.len(),
            5,
            "three containers (agent, sidecar, key holder) and two networks: {left:?}"
        );
        let agent = report["agent_container"].as_str().unwrap();
        let proxy = report["proxy_container"].as_str().unwrap();
        let health = h.sh(
            agent,
            None,
            &format!("curl -s -m 10 --noproxy '*' -o /dev/null -w '%{{http_code}}' http://{proxy}:8888/health"),
        );
        assert_eq!(
            health.stdout, "200",
            "the winner's agent reaches its proxy: {}",
            health.stderr
        );
        let stop = h
            .bot_bottle(&ws)
            .env(
                "BOT_BOTTLE_RUNTIME_DIR",
                if shared_lock {
                    &roots[0]
                } else {
                    &roots[winner]
                },
            )
            .args(["stop", &name])
            .output()
            .unwrap();
        assert!(
            stop.status.success(),
            "{}",
            String::from_utf8_lossy(&stop.stderr)
        );
        assert_gone(&h, &name, report["stage_dir"].as_str());
    }
}

/// Ctrl-C pressed again and again while the bottle is being torn down: the terminal sends
/// SIGINT to the whole foreground process group, engine calls included.
#[test]
fn repeated_ctrl_c_does_not_break_teardown() {
    use std::os::unix::process::CommandExt as _;

    let Some(h) = harness() else { return };
    let name = unique_name("ctrl-c");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "600"]));
    h.approve(&ws);
    let mut child = h
        .bot_bottle(&ws)
        .args(["start", "-y", "bottle.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let agent = format!("bot-bottle-{name}");
    wait_for(
        "the agent's command to run",
        Duration::from_secs(90),
        || {
            h.engine.inspect_container(&agent).unwrap().is_some()
                && h.sh(&agent, None, "pgrep -f 'sleep 600'").status == 0
        },
    );
    let group = format!("-{}", child.id());
    let deadline = Instant::now() + Duration::from_secs(90);
    let code = loop {
        let _ = std::process::Command::new("kill")
            .args(["-INT", "--", &group])
            .status();
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        assert!(
            Instant::now() < deadline,
            "bot-bottle did not exit under repeated Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, 130, "exit code under Ctrl-C: {stderr}");
    assert!(!stderr.contains("teardown left"), "{stderr}");
    assert_gone(&h, &name, None);
}
