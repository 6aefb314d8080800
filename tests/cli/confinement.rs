//! Host paths a manifest names (prompt, skills, SSH files, tokens) must lead under the
//! manifest's own directory, symlinks followed, unless the user allows them in their config or
//! on the command line; the plan shows each one resolved.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{bot_bottle, stderr_of, stdout_of, Scratch};

/// A directory outside the project holding a secret, and a project whose `notes.md` and
/// `skill` are symlinks to it.
struct Setup {
    outside: Scratch,
    project: Scratch,
    secret: PathBuf,
}

fn setup() -> Setup {
    let outside = Scratch::new("outside");
    let secret = outside.write("credentials", "aws_secret_access_key = not-for-the-agent\n");
    outside.write("skill/SKILL.md", "a skill\n");
    let project = Scratch::new("project");
    std::os::unix::fs::symlink(&secret, project.path().join("notes.md")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("skill"), project.path().join("skill")).unwrap();
    project.write("inside.md", "fine\n");
    Setup {
        outside,
        project,
        secret: secret.canonicalize().unwrap(),
    }
}

fn dry_run(dir: &Path, manifest: &str, extra: &[&str]) -> std::process::Output {
    let path = dir.join("bottle.toml");
    std::fs::write(&path, manifest).unwrap();
    bot_bottle(dir)
        .args(["start", "--dry-run", "bottle.toml"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn paths_leading_out_of_the_manifest_directory_exit_2() {
    let s = setup();
    let outside_name = s.outside.path().file_name().unwrap().to_str().unwrap();
    let dotdot = format!("../{outside_name}/credentials");
    let absolute = s.secret.to_str().unwrap().to_owned();
    let skill_dir = s.outside.path().join("skill").canonicalize().unwrap();
    let upstream = "[[git.upstreams]]\nname = \"a\"\nurl = \"https://git.example.com/r.git\"\n";
    for (manifest, field, declared, resolved) in [
        (
            "prompt = \"notes.md\"\n".to_owned(),
            "prompt",
            "notes.md",
            &s.secret,
        ),
        (
            format!("prompt = {dotdot:?}\n"),
            "prompt",
            dotdot.as_str(),
            &s.secret,
        ),
        (
            format!("prompt = {absolute:?}\n"),
            "prompt",
            absolute.as_str(),
            &s.secret,
        ),
        (
            "skills = [\"skill\"]\n".to_owned(),
            "skills",
            "skill",
            &skill_dir,
        ),
        (
            "[ssh]\nidentity = \"notes.md\"\n".to_owned(),
            "ssh.identity",
            "notes.md",
            &s.secret,
        ),
        (
            "[ssh]\nknown_hosts = \"notes.md\"\n".to_owned(),
            "ssh.known_hosts",
            "notes.md",
            &s.secret,
        ),
        (
            format!("{upstream}token_file = \"notes.md\"\n"),
            "git.upstreams[0].token_file",
            "notes.md",
            &s.secret,
        ),
    ] {
        let out = dry_run(s.project.path(), &manifest, &[]);
        let e = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{manifest}: {e}");
        assert!(out.stdout.is_empty(), "{manifest}: printed a plan");
        assert!(e.contains("bottle.toml: "), "names the file: {e}");
        assert!(
            e.contains(&format!(
                "{field}: {declared:?} resolves to {}",
                resolved.display()
            )),
            "{manifest}: {e}"
        );
        assert!(e.contains("outside the manifest's directory"), "{e}");
        assert!(e.contains("--allow-path"), "says how to allow it: {e}");
    }
}

#[test]
fn the_user_config_or_the_command_line_allows_a_path_and_the_plan_shows_it_resolved() {
    let s = setup();
    let config_dir = Scratch::new("user-config");
    let config = config_dir.write(
        "config.toml",
        &format!("allow_paths = [{:?}]\n", s.secret.to_str().unwrap()),
    );
    let manifest = "prompt = \"notes.md\"\n[ssh]\nknown_hosts = \"inside.md\"\n";
    let path = s.project.path().join("bottle.toml");
    std::fs::write(&path, manifest).unwrap();
    let out = bot_bottle(s.project.path())
        .env("BOT_BOTTLE_CONFIG", &config)
        .args(["start", "--dry-run", "--json", "bottle.toml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = plan["host_files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0]["field"], "prompt");
    assert_eq!(files[0]["declared"], "notes.md");
    assert_eq!(files[0]["resolved"], s.secret.to_str().unwrap());
    assert_eq!(files[0]["allowed_by"], config.to_str().unwrap());
    assert_eq!(files[1]["field"], "ssh.known_hosts");
    assert_eq!(files[1]["allowed_by"], "manifest directory");

    // The same with --allow-path, in text: the resolved path is in the plan.
    let out = dry_run(
        s.project.path(),
        manifest,
        &["--allow-path", s.outside.path().to_str().unwrap()],
    );
    let text = stdout_of(&out);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        text.contains(&format!(
            "prompt: notes.md -> {} (allowed by --allow-path)",
            s.secret.display()
        )),
        "{text}"
    );
}

#[test]
fn a_workspace_holding_bot_bottle_s_own_files_exits_2() {
    let dir = Scratch::new("holds-config");
    let config = dir.write("nested/config.toml", "");
    let out = bot_bottle(dir.path())
        .env("BOT_BOTTLE_CONFIG", &config)
        .args(["start", "--dry-run"])
        .output()
        .unwrap();
    let e = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("agent.workspace (the current directory): "),
        "{e}"
    );
    assert!(e.contains(&format!("holds {}", config.display())), "{e}");
}

/// Long enough for a slow machine to plan, short enough that a read blocked on a FIFO fails
/// the test instead of hanging it: the child is killed and its status is no exit code.
const PROMPTLY: std::time::Duration = std::time::Duration::from_secs(30);

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Files bot-bottle reads that the agent can swap for a FIFO (an open or read of it would wait
/// for a writer for ever), a huge sparse file (read whole into memory) or a symlink: each is
/// refused at once, exit 2, naming the file, the field and the reason.
#[test]
fn a_fifo_a_huge_file_or_a_symlink_where_a_host_file_should_be_exits_2_at_once() {
    let dir = Scratch::new("hostfile-kinds");
    let root = dir.path().canonicalize().unwrap();
    let run = |env: &[(&str, &Path)], args: &[&str]| {
        let mut cmd = bot_bottle(dir.path());
        for (name, value) in env {
            cmd.env(name, value);
        }
        let out = cmd
            .args(["start", "--dry-run"])
            .args(args)
            .timeout(PROMPTLY)
            .output()
            .unwrap();
        let e = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert!(out.stdout.is_empty(), "{args:?}: printed a plan");
        e
    };

    // The prompt a FIFO.
    mkfifo(&root.join("prompt.md"));
    dir.write("fifo-prompt.toml", "prompt = \"prompt.md\"\n");
    let e = run(&[], &["fifo-prompt.toml"]);
    assert!(
        e.contains(&format!(
            "fifo-prompt.toml: prompt: \"prompt.md\" (resolved to {}/prompt.md): it is a FIFO (named pipe), not a regular file",
            root.display()
        )),
        "{e}"
    );

    // A skill's file a sparse file of 1 GiB and a byte: nothing on disk, all of memory.
    dir.write("skill/SKILL.md", "a skill\n");
    std::fs::File::create(root.join("skill/data.bin"))
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    dir.write("huge-skill.toml", "skills = [\"skill\"]\n");
    let e = run(&[], &["huge-skill.toml"]);
    assert!(
        e.contains(&format!(
            "huge-skill.toml: skills: {}/skill/data.bin is 1073741825 bytes, over the 16 MiB bot-bottle copies of a skill's file",
            root.display()
        )),
        "{e}"
    );

    // The manifest itself, and the user's config, a FIFO.
    mkfifo(&root.join("fifo.toml"));
    let e = run(&[], &["fifo.toml"]);
    assert!(
        e.contains(
            "fifo.toml: cannot read the manifest: it is a FIFO (named pipe), not a regular file"
        ),
        "{e}"
    );
    mkfifo(&root.join("config.toml"));
    dir.write("plain.toml", "name = \"plain\"\n");
    let config = root.join("config.toml");
    let e = run(&[("BOT_BOTTLE_CONFIG", &config)], &["plain.toml"]);
    assert!(
        e.contains(&format!(
            "{}: cannot read bot-bottle's config: it is a FIFO (named pipe), not a regular file",
            config.display()
        )),
        "{e}"
    );

    // The egress lock beside the manifest a symlink (to a lock the agent wrote elsewhere), then
    // a FIFO.
    let project = Scratch::new("hostfile-lock");
    let elsewhere = project.write("elsewhere.lock", "");
    project.write("bottle.toml", "name = \"locked\"\n");
    let lock = project.path().join("bottle.lock");
    std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
    let lock_run = || {
        let out = bot_bottle(project.path())
            .args(["start", "--dry-run", "bottle.toml"])
            .timeout(PROMPTLY)
            .output()
            .unwrap();
        let e = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{e}");
        e
    };
    let e = lock_run();
    assert!(
        e.contains(
            "bottle.lock: cannot read the egress lock: it is a symbolic link, not a regular file"
        ),
        "{e}"
    );
    std::fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    let e = lock_run();
    assert!(
        e.contains("bottle.lock: cannot read the egress lock: it is a FIFO (named pipe), not a regular file"),
        "{e}"
    );
}

/// `start --dry-run --json MANIFEST` in `dir` with `env`; the plan, or the error (exit 2).
fn plan_or_refusal(
    dir: &Path,
    manifest: &str,
    env: &[(&str, &Path)],
    extra: &[&str],
) -> Result<Value, String> {
    let mut cmd = bot_bottle(dir);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd
        .args(["start", "--dry-run", "--json", manifest])
        .args(extra)
        .output()
        .unwrap();
    let e = stderr_of(&out);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        assert_eq!(out.status.code(), Some(2), "{e}");
        assert!(out.stdout.is_empty(), "printed a plan: {e}");
        Err(e)
    }
}

/// The workspace is mounted read-write, so a manifest may not mount `../..`, a directory of
/// the user's or anything else outside its own directory unless the user allows it; the plan
/// says what allowed it.
#[test]
fn a_workspace_outside_the_manifest_directory_exits_2_unless_allowed() {
    let s = setup();
    let outside = s.outside.path().canonicalize().unwrap();
    let outside_name = outside.file_name().unwrap().to_str().unwrap();
    let dotdot = format!("../{outside_name}");
    let absolute = outside.to_str().unwrap().to_owned();
    std::os::unix::fs::symlink(&outside, s.project.path().join("linked")).unwrap();
    for declared in [dotdot.as_str(), absolute.as_str(), "linked", ".."] {
        s.project
            .write("ws.toml", &format!("[agent]\nworkspace = {declared:?}\n"));
        let e = plan_or_refusal(s.project.path(), "ws.toml", &[], &[]).unwrap_err();
        let resolved = std::path::absolute(s.project.path().join(declared))
            .unwrap()
            .canonicalize()
            .unwrap();
        assert!(
            e.contains(&format!(
                "ws.toml: agent.workspace: {declared:?} resolves to {}, outside the manifest's directory",
                resolved.display()
            )),
            "{declared}: {e}"
        );
        assert!(e.contains("--allow-path"), "says how to allow it: {e}");
    }

    // Allowed on the command line, or in the user's config: the plan names what allowed it.
    s.project
        .write("ws.toml", &format!("[agent]\nworkspace = {dotdot:?}\n"));
    let plan = plan_or_refusal(
        s.project.path(),
        "ws.toml",
        &[],
        &["--allow-path", &absolute],
    )
    .unwrap();
    assert_eq!(plan["agent"]["workspace"], absolute.as_str());
    assert_eq!(plan["agent"]["workspace_allowed_by"], "--allow-path");
    let config_dir = Scratch::new("ws-config");
    let config = config_dir.write("config.toml", &format!("allow_paths = [{absolute:?}]\n"));
    let plan = plan_or_refusal(
        s.project.path(),
        "ws.toml",
        &[("BOT_BOTTLE_CONFIG", &config)],
        &[],
    )
    .unwrap();
    assert_eq!(
        plan["agent"]["workspace_allowed_by"],
        config.to_str().unwrap()
    );

    // Under the manifest's directory, and the default (the current directory).
    std::fs::create_dir(s.project.path().join("src")).unwrap();
    s.project.write("ws.toml", "[agent]\nworkspace = \"src\"\n");
    let plan = plan_or_refusal(s.project.path(), "ws.toml", &[], &[]).unwrap();
    assert_eq!(plan["agent"]["workspace_allowed_by"], "manifest directory");
    s.project.write("none.toml", "name = \"none\"\n");
    let plan = plan_or_refusal(
        &outside,
        s.project.path().join("none.toml").to_str().unwrap(),
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(plan["agent"]["workspace"], absolute.as_str());
    assert_eq!(plan["agent"]["workspace_allowed_by"], "current directory");
    let text = stdout_of(
        &bot_bottle(&outside)
            .args(["start", "--dry-run"])
            .output()
            .unwrap(),
    );
    assert!(
        text.contains(&format!(
            "{absolute} -> /workspace (allowed by current directory)"
        )),
        "{text}"
    );
}

/// Whatever allows it, a workspace may not be, hold or lie within the runtime directory (the
/// engines' sockets), an engine socket's directory or bot-bottle's state, nor be or hold the
/// home directory (`~/.ssh`, the shell's startup files).
#[test]
fn a_workspace_overlapping_the_runtime_dir_an_engine_socket_bot_bottle_s_state_or_home_exits_2() {
    let host = Scratch::new("ws-host");
    let root = host.path().canonicalize().unwrap();
    for dir in [
        "run/user/1000/podman",
        "state/bot-bottle/approvals",
        "home/me/src/p",
        "docker",
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    let runtime = root.join("run/user/1000");
    let state = root.join("state/bot-bottle");
    let home = root.join("home/me");
    let socket = format!("unix://{}/docker.sock", root.join("docker").display());
    let project = Scratch::new("ws-project");
    project.write("bottle.toml", "name = \"p\"\n");
    let manifest = project.path().join("bottle.toml");
    let manifest = manifest.to_str().unwrap();
    let root_s = root.to_str().unwrap();
    let refused = |cwd: &Path, field: &str, how: &str, what: &str| {
        let out = bot_bottle(cwd)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("BOT_BOTTLE_STATE_DIR", &state)
            .env("HOME", &home)
            .env("DOCKER_HOST", &socket)
            .args(["start", "--dry-run", manifest])
            .output()
            .unwrap();
        let e = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {e}", cwd.display());
        let cwd = cwd.canonicalize().unwrap();
        assert!(
            e.contains(&format!("bottle.toml: {field}: {} {how} ", cwd.display()))
                && e.contains(what),
            "{}: {e}",
            cwd.display()
        );
    };
    let default = "agent.workspace (the current directory)";
    refused(&runtime, default, "is", "$XDG_RUNTIME_DIR");
    refused(
        &runtime.join("podman"),
        default,
        "lies within",
        "$XDG_RUNTIME_DIR",
    );
    refused(&root.join("run"), default, "holds", "$XDG_RUNTIME_DIR");
    refused(&root.join("docker"), default, "is", "DOCKER_HOST");
    refused(
        &state.join("approvals"),
        default,
        "lies within",
        "bot-bottle's state",
    );
    refused(&home, default, "is", "your home directory");
    refused(&root.join("home"), default, "holds", "your home directory");
    // A project in the home directory is fine.
    let out = bot_bottle(&home.join("src/p"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("HOME", &home)
        .args(["start", "--dry-run", manifest])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));

    // Named by the manifest and allowed: refused all the same.
    project.write(
        "bottle.toml",
        &format!("[agent]\nworkspace = {:?}\n", runtime.to_str().unwrap()),
    );
    let out = bot_bottle(project.path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["start", "--dry-run", manifest, "--allow-path", root_s])
        .output()
        .unwrap();
    let e = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!(
            "bottle.toml: agent.workspace: {} is {}, your runtime directory",
            runtime.display(),
            runtime.display()
        )),
        "{e}"
    );
}
