//! A bottle's life: an attached session that ends, a launch killed half-way, a second bottle
//! of the same name. Afterwards nothing of the bottle remains.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{harness, manifest, unique_name, wait_for, Bottle, Harness, Workspace};

/// Asserts that no container, network or stage directory of `slug` remains.
fn assert_gone(h: &Harness, slug: &str, stage_dir: Option<&str>) {
    let left = h.leftovers(slug);
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
    assert_gone(&h, &name, None);
}

#[test]
fn sigterm_during_the_session_tears_down() {
    let Some(h) = harness() else { return };
    let name = unique_name("sigterm-session");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "600"]));
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
    assert_eq!(agent.state, backends::ContainerState::Running);

    // `list` finds it by its labels.
    let out = h.bot_bottle(&ws).args(["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = rows
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
