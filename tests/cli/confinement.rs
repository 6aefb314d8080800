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
