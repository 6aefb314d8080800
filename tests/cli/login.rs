//! `login --kind`: a login per agent kind, kept with its kind, and used only by bottles of it.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use serde_json::Value;

use crate::support::{bot_bottle, stderr_of, stdout_of, Scratch};

/// `bot-bottle` with its state directory in `scratch`.
fn in_state(scratch: &Scratch, cwd: &Path) -> assert_cmd::Command {
    let mut cmd = bot_bottle(cwd);
    cmd.env("BOT_BOTTLE_STATE_DIR", scratch.path().join("state"));
    cmd
}

#[test]
fn an_api_key_login_per_kind_is_kept_with_its_kind_and_listed() {
    let scratch = Scratch::new("login-kinds");
    let cwd = scratch.path();
    for (name, kind, key) in [
        ("oai", "codex", "sk-proj-cli-login-openai"),
        ("gem", "gemini", "AIzaSyCliLoginGemini0123456789abcdefgh"),
        ("ant", "claude-code", "sk-ant-api03-cli-login"),
    ] {
        let out = in_state(&scratch, cwd)
            .args(["login", name, "--kind", kind, "--api-key-stdin"])
            .write_stdin(key)
            .output()
            .unwrap();
        assert!(out.status.success(), "{kind}: {}", stderr_of(&out));
        let said = stdout_of(&out);
        assert!(said.contains(&format!("an API key for {kind}")), "{said}");
        assert!(!said.contains(key), "{said}");
        let file = scratch.path().join(format!("state/logins/{name}.json"));
        let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(stored["api_key"], key);
        // A Claude Code login is written as every login was before kinds.
        let expected = if kind == "claude-code" {
            Value::Null
        } else {
            Value::from(kind)
        };
        assert_eq!(stored["agent"], expected, "{stored}");
    }
    // A login file from before kinds (no agent) is Claude Code's.
    let old = scratch.write(
        "state/logins/old.json",
        r#"{"version":1,"kind":"api_key","api_key":"sk-ant-api03-old"}"#,
    );
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = in_state(&scratch, cwd)
        .args(["login", "--list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<(&str, &str)> = listing["logins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["agent"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ant", "claude-code"),
            ("gem", "gemini"),
            ("oai", "codex"),
            ("old", "claude-code")
        ]
    );
    let text = in_state(&scratch, cwd)
        .args(["login", "--list"])
        .output()
        .unwrap();
    let text = stdout_of(&text);
    assert!(
        text.lines()
            .any(|l| l.starts_with("oai") && l.contains(" codex ")),
        "{text}"
    );
}

#[test]
fn codex_and_gemini_take_an_api_key_only_and_an_unknown_kind_is_named() {
    let scratch = Scratch::new("login-refused");
    let cwd = scratch.path();
    for args in [
        &["login", "--kind", "codex"][..],
        &["login", "--kind", "gemini", "--token-stdin"],
        &[
            "login",
            "--kind",
            "codex",
            "--from-claude-credentials",
            "/nonexistent",
        ],
    ] {
        let out = in_state(&scratch, cwd)
            .args(args)
            .write_stdin("x")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(err.contains("takes --api-key-stdin"), "{args:?}: {err}");
        assert!(err.contains("not supported yet"), "{args:?}: {err}");
    }
    let out = in_state(&scratch, cwd)
        .args(["login", "--kind", "aider", "--api-key-stdin"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("--kind") && err.contains("\"aider\""), "{err}");
    assert!(err.contains("claude-code, codex, gemini"), "{err}");
    assert!(
        !scratch.path().join("state/logins").exists(),
        "nothing left behind"
    );
}

#[test]
fn a_login_of_another_kind_is_refused_by_the_manifest_naming_both_kinds() {
    let scratch = Scratch::new("login-mismatch");
    // The workspace (the current directory) must not hold bot-bottle's state.
    let cwd = &scratch.path().join("ws");
    std::fs::create_dir(cwd).unwrap();
    let out = in_state(&scratch, cwd)
        .args(["login", "oai", "--kind", "codex", "--api-key-stdin"])
        .write_stdin("sk-proj-cli-mismatch")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let manifest = scratch.write(
        "ws/bottle.toml",
        "[agent]\nkind = \"gemini\"\nlogin = \"oai\"\n",
    );
    let out = in_state(&scratch, cwd)
        .args(["start", "--dry-run"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout_of(&out));
    let err = stderr_of(&out);
    assert!(err.contains("bottle.toml: agent.login: login oai"), "{err}");
    assert!(
        err.contains("agent kind codex") && err.contains("agent.kind is gemini"),
        "{err}"
    );
    // The same login, in a bottle of its kind: held, the agent given a placeholder.
    let manifest = scratch.write(
        "ws/codex.toml",
        "[agent]\nkind = \"codex\"\nlogin = \"oai\"\n",
    );
    let out = in_state(&scratch, cwd)
        .args(["start", "--dry-run", "--json"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["key_holder"]["credential"]["from"], "login");
    assert_eq!(plan["key_holder"]["placeholder_variable"], "OPENAI_API_KEY");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("sk-proj-cli-mismatch"));
}
