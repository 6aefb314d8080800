//! Bad input: exit code 2, a message naming the file, field and value, nothing created.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::support::{bot_bottle, stderr_of, stdout_of, Scratch};

/// Runs `start --dry-run` on a manifest with `contents` and returns stderr, asserting exit 2.
fn rejected(file: &str, contents: &str) -> String {
    let dir = Scratch::new(&file.replace('.', "-"));
    let path = dir.write(file, contents);
    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing is printed on stdout for a rejected manifest"
    );
    assert!(
        stderr.contains(path.to_str().unwrap()),
        "names the file: {stderr}"
    );
    stderr
}

#[test]
fn unknown_field_exits_2_naming_it() {
    let e = rejected(
        "bottle.toml",
        "name = \"x\"\n\n[egress]\nallowlists = [\"a.com\"]\n",
    );
    assert!(
        e.contains(":4:1: egress.allowlists: unknown field `allowlists`"),
        "{e}"
    );
}

#[test]
fn unknown_field_in_json_exits_2() {
    let e = rejected("bottle.json", "{\"agent\": {\"imag\": \"x\"}}");
    assert!(e.contains("agent.imag: unknown field `imag`"), "{e}");
}

#[test]
fn hostile_hostnames_are_rejected() {
    for (host, why) in [
        ("evil.com\\n  - \\\"*\\\"", "whitespace"),
        ("https://evil.com", "scheme"),
        ("evil.com:443", "port"),
        ("evil.com/x", "path"),
    ] {
        let e = rejected(
            "bottle.toml",
            &format!("[egress]\nallowlist = [\"{host}\"]\n"),
        );
        assert!(e.contains("egress.allowlist[0]: invalid hostname"), "{e}");
        assert!(e.contains(why), "{host}: {e}");
    }
}

#[test]
fn bad_dlp_action_and_env_name() {
    let e = rejected("bottle.toml", "[egress]\ndlp_action = \"allow\"\n");
    assert!(
        e.contains("egress.dlp_action") && e.contains("allow"),
        "{e}"
    );
    let e = rejected("bottle.toml", "[agent]\nenv = [\"HTTPS_PROXY\"]\n");
    assert!(
        e.contains("agent.env[0]") && e.contains("set by bot-bottle"),
        "{e}"
    );
}

#[test]
fn unusable_name_is_rejected() {
    let e = rejected("bottle.toml", "name = \"!!!\"\n");
    assert!(
        e.contains(": name: bottle name \"!!!\" has no letters or digits"),
        "{e}"
    );
}

#[test]
fn missing_prompt_and_skill_files_are_named() {
    let e = rejected("bottle.toml", "prompt = \"nope.md\"\n");
    assert!(e.contains(": prompt: \"nope.md\""), "{e}");
    let e = rejected("bottle.toml", "skills = [\"no-such-dir\"]\n");
    assert!(e.contains(": skills: \"no-such-dir\""), "{e}");
}

#[test]
fn passthrough_host_must_be_allowed() {
    let e = rejected(
        "bottle.toml",
        "[egress]\ntls_passthrough_domains = [\"x.example.com\"]\n",
    );
    assert!(
        e.contains("\"x.example.com\" is not on the allowlist"),
        "{e}"
    );
}

#[test]
fn missing_manifest_file_exits_2() {
    let dir = Scratch::new("missing");
    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("nope.toml: cannot read the manifest"));
}

#[test]
fn bad_flag_exits_2() {
    let dir = Scratch::new("flag");
    let out = bot_bottle(dir.path())
        .args(["start", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn dry_run_creates_no_stage_directory() {
    let dir = Scratch::new("nostage");
    // Not in the workspace, which may not hold the runtime directory.
    let elsewhere = Scratch::new("nostage-runtime");
    let runtime = elsewhere.path().join("runtime");
    let out = bot_bottle(dir.path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["start", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        !runtime.exists(),
        "a dry run must not create the stage directory"
    );
}

#[test]
fn launching_without_a_terminal_needs_yes() {
    let dir = Scratch::new("noyes");
    let out = bot_bottle(dir.path())
        .arg("start")
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("refusing to launch without confirmation"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn launching_with_no_engine_says_what_was_looked_for() {
    let dir = Scratch::new("noengine");
    let out = bot_bottle(dir.path())
        .args(["start", "-y"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("no container engine found")
            && err.contains("/nonexistent/engine-for-cli-tests"),
        "{err}"
    );
}

#[test]
fn stop_of_an_unusable_name_exits_2() {
    let dir = Scratch::new("stopname");
    let out = bot_bottle(dir.path())
        .args(["stop", "!!!"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_engine_that_is_neither_docker_nor_podman_exits_2() {
    let dir = Scratch::new("notengine");
    for args in [&["start", "--dry-run"][..], &["list"]] {
        let out = bot_bottle(dir.path())
            .env("BOT_BOTTLE_ENGINE", "/bin/true")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("neither docker nor podman"),
            "{}",
            stderr_of(&out)
        );
    }
}

#[test]
fn bad_git_upstreams_exit_2_naming_the_field_and_value() {
    for (upstream, field, why) in [
        (
            "name = \"a\"\nurl = \"http://git.example.com/r.git\"",
            "git.upstreams[0].url",
            "\"http://git.example.com/r.git\"",
        ),
        (
            "name = \"a\"\nurl = \"/srv/r.git\"",
            "git.upstreams[0].url",
            "\"/srv/r.git\"",
        ),
        (
            "name = \"a\"\nurl = \"git@git.example.com:r.git\"",
            "ssh.identity",
            "needs both ssh.identity and ssh.known_hosts",
        ),
        (
            "name = \"a\"\nurl = \"https://git.example.com/r.git\"\npush_refs = [\"main\"]",
            "git.upstreams[0].push_refs",
            "\"main\" is not a ref pattern",
        ),
        (
            "name = \"a\"\nurl = \"https://git.example.com/r.git\"\ntoken_file = \"nope\"",
            "git.upstreams[0].token_file",
            "\"nope\"",
        ),
    ] {
        let e = rejected("bottle.toml", &format!("[[git.upstreams]]\n{upstream}\n"));
        assert!(e.contains(&format!("{field}: ")), "{field}: {e}");
        assert!(e.contains(why), "{why}: {e}");
    }
}

#[test]
fn credentials_in_git_urls_exit_2() {
    // A credential in an upstream's URL would land in the agent's ~/.gitconfig and in the
    // gate's and git's argv; an SSH user name (git@) is no secret and stays.
    for (url, why) in [
        (
            "https://user:ghp_secret@git.example.com/r.git",
            "user name or password",
        ),
        (
            "https://x-access-token@git.example.com/r.git",
            "user name or password",
        ),
        ("ssh://git:hunter2@git.example.com/r.git", "password"),
        ("https://git.example.com/r.git?access_token=abc", "query"),
    ] {
        let e = rejected(
            "bottle.toml",
            &format!("[[git.upstreams]]\nname = \"a\"\nurl = \"{url}\"\n"),
        );
        assert!(e.contains("git.upstreams[0].url: "), "{url}: {e}");
        assert!(e.contains(why), "{url}: {why}: {e}");
        assert!(e.contains("token_file"), "says what to use instead: {e}");
    }
}

#[test]
fn exec_needs_a_command_after_two_dashes() {
    let scratch = Scratch::new("exec-usage");
    let out = bot_bottle(scratch.path())
        .args(["exec", "somebottle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("<NAME> -- <CMD>..."),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn image_pull_without_a_reference_says_where_to_get_one() {
    let scratch = Scratch::new("pull-usage");
    let out = bot_bottle(scratch.path())
        .env_remove("BOT_BOTTLE_PIPELOCK_SOURCE")
        .args(["image", "pull", "pipelock"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("--from REF") && err.contains("bot-bottle image build pipelock"),
        "{err}"
    );
}

#[test]
fn doctor_without_an_engine_names_the_fix() {
    let scratch = Scratch::new("doctor-none");
    let out = bot_bottle(scratch.path())
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "bot-bottle.doctor/v1");
    assert_eq!(report["ok"], false);
    assert_eq!(report["checks"][0]["name"], "engine");
    assert!(report["checks"][0]["fix"]
        .as_str()
        .unwrap()
        .contains("install podman or docker"));
}

/// Runs `bot-bottle ARGS` in `dir` with no engine to be found, asserting exit 2; returns stderr.
/// Bad options are refused before an engine is looked for.
fn image_usage_error(dir: &Scratch, args: &[&str]) -> String {
    let out = bot_bottle(dir.path())
        .env("BOT_BOTTLE_ENGINE", "/nonexistent/engine")
        .env_remove("BOT_BOTTLE_GATE_SOURCE")
        .args(args)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}

#[test]
fn image_build_gate_refuses_a_source_that_is_not_this_workspace() {
    let scratch = Scratch::new("gate-source");
    let dir = scratch.path().to_str().unwrap();
    let err = image_usage_error(&scratch, &["image", "build", "gate", "--source", dir]);
    assert!(
        err.contains(&format!("--source {dir}: no {dir}/gate/Cargo.toml")),
        "{err}"
    );
}

#[test]
fn image_build_gate_refuses_a_binary_that_is_not_a_static_executable() {
    let scratch = Scratch::new("gate-binary");
    let file = scratch.write("bot-bottle-gate", "#!/bin/sh\necho hi\n");
    let file = file.to_str().unwrap();
    let err = image_usage_error(&scratch, &["image", "build", "gate", "--binary", file]);
    assert!(err.contains(&format!("--binary {file}: not")), "{err}");
    let missing = format!("{}/missing", scratch.path().to_str().unwrap());
    let err = image_usage_error(&scratch, &["image", "build", "gate", "--binary", &missing]);
    assert!(err.contains(&format!("--binary {missing}: ")), "{err}");
}

#[test]
fn image_build_refuses_options_the_image_does_not_take() {
    let scratch = Scratch::new("image-options");
    let err = image_usage_error(&scratch, &["image", "build", "agent", "--source", "/src"]);
    assert!(
        err.contains("--source /src: only `image build gate` and `image build pipelock` take it")
            && err.contains("the agent image"),
        "{err}"
    );
    let err = image_usage_error(&scratch, &["image", "build", "--binary", "/bin/gate"]);
    assert!(
        err.contains(
            "--binary /bin/gate: only `image build gate` and `image build pipelock` take it"
        ) && err.contains("the agent and pipelock images"),
        "{err}"
    );
    let err = image_usage_error(
        &scratch,
        &["image", "build", "gate", "--claude-code-dir", "/cc"],
    );
    assert!(
        err.contains("--claude-code-dir /cc: only the agent image takes it"),
        "{err}"
    );
    let err = image_usage_error(&scratch, &["image", "build", "gate", "--kind", "codex"]);
    assert!(
        err.contains("--kind codex: only the agent image takes it"),
        "{err}"
    );
    let err = image_usage_error(&scratch, &["image", "build", "agent", "--kind", "aider"]);
    assert!(
        err.contains(
            "--kind: unknown agent kind \"aider\"; the kinds are claude-code, codex, gemini"
        ),
        "{err}"
    );
    let err = image_usage_error(&scratch, &["image", "build", "pipelock", "--base", "x:1"]);
    assert!(err.contains("--base x:1: "), "{err}");
    for image in ["gate", "pipelock"] {
        let err = image_usage_error(
            &scratch,
            &["image", "build", image, "--source", "/a", "--binary", "/b"],
        );
        assert!(
            err.contains("--source") && err.contains("--binary"),
            "{err}"
        );
    }
    let err = image_usage_error(&scratch, &["image", "build", "gaet"]);
    assert!(err.contains("'gaet'") && err.contains("gate"), "{err}");
}

/// `git ARGS` in `dir`, with an identity for commits and none of the user's git config.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=t", "-c", "user.email=t@t.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr_of(&out));
    stdout_of(&out).trim().to_owned()
}

/// `--source DIR` for pipelock must be the top of a clean git checkout at v2.3.0's commit; a
/// directory that is not one, one inside another checkout (this repository's target dir is),
/// a changed tree and another commit are each refused before anything is built.
#[test]
fn image_build_pipelock_refuses_a_source_that_is_not_a_clean_checkout_of_its_tag() {
    const COMMIT: &str = "7a3b7de4a5552b4e756eb930256468b7cbd616b1";
    let scratch = Scratch::new("pipelock-source");
    let build = |dir: &Path| {
        let dir = dir.to_str().unwrap().to_owned();
        let err = image_usage_error(&scratch, &["image", "build", "pipelock", "--source", &dir]);
        (dir, err)
    };

    let plain = scratch.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let (dir, err) = build(&plain);
    assert!(
        err.contains(&format!("--source {dir}: not a git checkout of pipelock")),
        "{err}"
    );

    let repo = scratch.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("go.mod"), "module example.invalid/pipelock\n").unwrap();
    git(&repo, &["add", "go.mod"]);
    git(&repo, &["commit", "-q", "-m", "not pipelock"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let (dir, err) = build(&repo);
    assert!(
        err.contains(&format!(
            "--source {dir}: HEAD is commit {head}, not {COMMIT}"
        )),
        "{err}"
    );

    let inside = repo.join("cmd");
    std::fs::create_dir(&inside).unwrap();
    let (dir, err) = build(&inside);
    assert!(
        err.contains(&format!("--source {dir}: not a git checkout of pipelock")),
        "{err}"
    );

    std::fs::write(repo.join("go.mod"), "module example.invalid/changed\n").unwrap();
    std::fs::write(repo.join("cmd/extra.go"), "package main\n").unwrap();
    let (dir, err) = build(&repo);
    assert!(
        err.contains(&format!("--source {dir}: the checkout is not clean ("))
            && err.contains("go.mod")
            && err.contains("cmd/extra.go"),
        "{err}"
    );
    let missing = scratch.path().join("missing");
    let (dir, err) = build(&missing);
    assert!(err.contains(&format!("--source {dir}: ")), "{err}");
}

/// `--binary FILE` for pipelock must be a static executable (that then reports version 2.3.0:
/// the reading of its output is unit-tested): a script, a dynamic binary, a static header that
/// runs as no pipelock and a missing file are each refused before anything is built.
#[test]
fn image_build_pipelock_refuses_a_binary_that_is_not_a_static_pipelock() {
    let scratch = Scratch::new("pipelock-binary");
    let build =
        |file: &str| image_usage_error(&scratch, &["image", "build", "pipelock", "--binary", file]);
    let script = scratch.write("pipelock", "#!/bin/sh\necho 'pipelock version 2.3.0'\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = script.to_str().unwrap();
    let err = build(script);
    assert!(
        err.contains(&format!("--binary {script}: not a 64-bit ELF file")),
        "{err}"
    );

    let err = build("/bin/true");
    assert!(
        err.contains("--binary /bin/true: linked dynamically"),
        "{err}"
    );

    // An ELF header with no program interpreter and nothing to load: static, but no program.
    let mut header = vec![0u8; 64];
    header[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    let empty = scratch.path().join("empty-elf");
    std::fs::write(&empty, header).unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
    let empty = empty.to_str().unwrap();
    let err = build(empty);
    assert!(
        err.contains(&format!(
            "--binary {empty}: `{empty} version` exited with status "
        )) && err.contains("printed no `pipelock version 2.3.0` line"),
        "{err}"
    );

    let missing = format!("{}/missing", scratch.path().to_str().unwrap());
    let err = build(&missing);
    assert!(err.contains(&format!("--binary {missing}: ")), "{err}");
}

#[test]
fn image_pull_gate_without_a_reference_says_how_to_build_it() {
    let scratch = Scratch::new("pull-gate");
    let err = image_usage_error(&scratch, &["image", "pull", "gate"]);
    assert!(
        err.contains("--from REF")
            && err.contains("BOT_BOTTLE_GATE_SOURCE")
            && err.contains("bot-bottle image build gate"),
        "{err}"
    );
}

#[test]
fn resources_that_cannot_work_exit_2_naming_the_field_and_value() {
    for (toml, says) in [
        (
            "[resources]\nmemory = \"4 gigs\"\n",
            "resources.memory: \"4 gigs\" is not a size",
        ),
        (
            "[resources]\ncpus = 100000\n",
            "resources.cpus: 100000 is not a number of CPUs from 0.01 to 1024",
        ),
        (
            "[resources]\ncpus = 1000\n",
            "resources.cpus: 1000 is more than this host's",
        ),
        (
            "[resources]\npids = 8\n",
            "resources.pids: 8 is fewer than the agent's own processes need (64 at least)",
        ),
        (
            "[resources]\nmemory = \"1g\"\nscratch = \"2g\"\n",
            "resources.scratch: 2 GiB is not less than the agent's memory (1 GiB)",
        ),
        (
            "[resources]\nlimits = \"none\"\nmemory = \"1g\"\n",
            "resources.memory: is set, but resources.limits = \"none\"",
        ),
        (
            "[resources]\nlimits = \"off\"\n",
            "resources.limits: unknown variant `off`",
        ),
    ] {
        let e = rejected("bottle.toml", toml);
        assert!(e.contains(says), "{toml}: {e}");
    }
}
