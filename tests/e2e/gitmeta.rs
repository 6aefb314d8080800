//! The workspace's `.git` runs code on the host (hooks, `core.fsmonitor`, `core.hooksPath`, …)
//! at the user's next `git status` there. From inside the agent: what the mounts keep it from
//! writing fails, `git commit` still works, and git on the host runs nothing the agent wrote;
//! what no mount can keep from it (a `commondir`, a repository made elsewhere in the
//! workspace) is named by `stop` and by the end of an attached session.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{harness, manifest, unique_name, Purge, Workspace};

/// Files a planted hook or fsmonitor would create in the workspace on the host.
const MARKERS: &[&str] = &["fsmonitor-ran", "hookspath-ran", "hook-ran"];

/// The manifest of these tests: the agent gets a git identity (and `safe.directory`).
fn git_manifest(name: &str, command: &[&str]) -> String {
    format!(
        "{}\n[git]\nuser_name = \"agent\"\nuser_email = \"agent@bottle.test\"\n",
        manifest(name, command)
    )
}

/// `git ARGS` on the host in `dir`, as the user, with an identity of its own.
fn host_git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=host", "-c", "user.email=host@bottle.test"])
        .args(args)
        .output()
        .unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Everything under `dir` writable by all: on a rootful engine the agent is uid 1000 and the
/// host's ownership shows through.
pub(crate) fn open_to_the_agent(dir: &Path) {
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = if meta.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
    }
}

#[test]
fn the_agent_cannot_plant_code_in_the_workspace_repository() {
    let Some(h) = harness() else { return };
    let name = unique_name("gitmeta");
    let ws = Workspace::new(&name, &git_manifest(&name, &["sleep", "infinity"]));
    for args in [
        &["init", "-q"][..],
        &["add", "bottle.toml"],
        &["commit", "-qm", "host"],
    ] {
        let out = host_git(&ws.0, args);
        assert!(out.status.success(), "git {args:?}: {}", said(&out));
    }
    open_to_the_agent(&ws.0);
    h.approve(&ws);
    let purge = Purge(&h, &ws, name.clone());
    let out = h.start_detached(&ws);
    assert!(out.status.success(), "{}", said(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let agent = report["agent_container"].as_str().unwrap().to_owned();
    let sh = |script: &str| h.sh(&agent, None, script);

    // Each way to make git on the host run the agent's code, tried and refused.
    for attack in [
        "git config core.fsmonitor 'touch fsmonitor-ran; false'",
        "git config core.hooksPath /workspace/planted",
        "printf '#!/bin/sh\\ntouch hook-ran\\n' > .git/hooks/post-checkout",
        "printf '#!/bin/sh\\ntouch hook-ran\\n' > .git/hooks/pre-commit",
        "printf '[core]\\n\\tfsmonitor = \"touch fsmonitor-ran; false\"\\n' > /tmp/c && mv -f /tmp/c .git/config",
        "cp .git/config .git/c && printf '[core]\\n\\tfsmonitor = \"touch fsmonitor-ran; false\"\\n' >> .git/c && mv -f .git/c .git/config",
        "rm -rf .git/hooks",
        "mv .git/hooks .git/hooks-old",
        "mv .git .git-old",
        "rmdir .git/hooks",
    ] {
        let out = sh(attack);
        assert_ne!(out.status, 0, "{attack:?} worked in the agent: {out:?}");
    }
    let config = std::fs::read_to_string(ws.0.join(".git/config")).unwrap();
    assert!(
        !config.contains("fsmonitor") && !config.contains("hooksPath"),
        "{config}"
    );

    // The agent still commits.
    let out = sh("echo agent > agent.txt && git add agent.txt && git commit -qm agent && git log --format=%s");
    assert_eq!(out.status, 0, "the agent cannot commit: {out:?}");
    assert_eq!(out.stdout, "agent\nhost\n", "{out:?}");

    // On the host: status, a commit and a checkout run nothing the agent wrote.
    for args in [
        &["status"][..],
        &["commit", "-q", "--allow-empty", "-m", "host again"],
        &["checkout", "-q", "-b", "host-branch"],
    ] {
        let out = host_git(&ws.0, args);
        assert!(out.status.success(), "git {args:?}: {}", said(&out));
    }
    for marker in MARKERS {
        assert!(
            !ws.0.join(marker).exists(),
            "git on the host ran the agent's {marker}"
        );
    }
    let log = host_git(&ws.0, &["log", "--format=%s"]);
    assert_eq!(
        String::from_utf8_lossy(&log.stdout),
        "host again\nagent\nhost\n"
    );

    // What no mount keeps from the agent: a commondir pointing git at config the agent wrote,
    // and a repository of its own with a hook. `stop` names each.
    let out = sh(
        "set -e; mkdir planted && cp -r .git/objects .git/refs .git/HEAD planted/ && \
         printf '[core]\\n\\tfsmonitor = \"touch fsmonitor-ran; false\"\\n' > planted/config && \
         echo ../planted > .git/commondir && \
         git init -q sub && printf '#!/bin/sh\\ntouch hook-ran\\n' > sub/.git/hooks/pre-commit",
    );
    assert_eq!(out.status, 0, "{out:?}");
    let out = h.bot_bottle(&ws).args(["stop", &name]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for line in [
        "  .git/commondir (new): points git at another directory for config and hooks",
        "  sub/.git (new): a repository",
        "  sub/.git/hooks/pre-commit (new): a hook: git runs it",
    ] {
        assert!(
            stderr.contains(line),
            "stop did not warn {line:?}: {stderr}"
        );
    }
    assert!(
        !stderr.contains("  .git/config ") && !stderr.contains("  .git/hooks"),
        "stop named what the agent could not change: {stderr}"
    );
    drop(purge);
}

#[test]
fn a_gitfile_stays_and_an_attached_session_names_the_repository_the_agent_made() {
    let Some(h) = harness() else { return };
    let name = unique_name("gitfile");
    let script = "printf 'gitdir: /workspace/planted\\n' > .git; echo gitfile-write=$?; \
                  mv .git gitfile-old; echo gitfile-move=$?; \
                  git init -q sub && git -C sub config core.fsmonitor 'touch fsmonitor-ran; false' && echo planted";
    let ws = Workspace::new(&name, &git_manifest(&name, &["sh", "-c", script]));
    // A linked worktree's or a submodule's `.git`: its git directory is outside the workspace.
    let gitfile = "gitdir: /nonexistent/repo/.git/worktrees/x\n";
    std::fs::write(ws.0.join(".git"), gitfile).unwrap();
    open_to_the_agent(&ws.0);
    h.approve(&ws);
    let purge = Purge(&h, &ws, name.clone());
    let out = h
        .bot_bottle(&ws)
        .args(["start", "-y", "bottle.toml"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("planted") && !stdout.contains("gitfile-write=0"),
        "{stdout}"
    );
    assert!(!stdout.contains("gitfile-move=0"), "{stdout}");
    assert_eq!(std::fs::read_to_string(ws.0.join(".git")).unwrap(), gitfile);
    for line in [
        "  sub/.git (new): a repository",
        "  sub/.git/config (new): config git reads; it sets core.fsmonitor",
    ] {
        assert!(
            stderr.contains(line),
            "the session's end did not warn {line:?}: {stderr}"
        );
    }
    drop(purge);
}
