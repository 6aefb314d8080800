//! Manifest approval through the real binary: a manifest nobody approved, or one whose change
//! widens egress, env or files, does not launch with `-y` and no terminal (exit 3, the diff,
//! nothing created); `approve` records one; a dry run shows where it stands and records nothing.
//! No engine is needed: approval is settled before any engine command runs, and a launch that
//! got past it fails at once on the engine the tests name (exit 1, "no container engine").

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{bot_bottle, stderr_of, stdout_of, Scratch};

/// A project directory with a manifest, and a state directory of its own (elsewhere: no
/// workspace may hold it).
struct Project {
    scratch: Scratch,
    state: Scratch,
}

impl Project {
    fn new(name: &str, manifest: &str) -> Self {
        let scratch = Scratch::new(name);
        scratch.write("proj/bottle.toml", manifest);
        Project {
            scratch,
            state: Scratch::new(&format!("{name}-state")),
        }
    }

    fn dir(&self) -> PathBuf {
        self.scratch.path().join("proj")
    }

    fn state(&self) -> PathBuf {
        self.state.path().join("state")
    }

    fn edit(&self, manifest: &str) {
        std::fs::write(self.dir().join("bottle.toml"), manifest).unwrap();
    }

    fn run_in(&self, cwd: &Path, args: &[&str]) -> std::process::Output {
        bot_bottle(cwd)
            .env("BOT_BOTTLE_STATE_DIR", self.state())
            .args(args)
            .write_stdin("")
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.run_in(&self.dir(), args)
    }
}

const MANIFEST: &str =
    "name = \"app\"\n[egress]\nallowlist = [\"a.example.com\", \"b.example.com\"]\n";

/// Exit 3 with the diff on stderr, and nothing written (no state directory appears).
fn refused(out: &std::process::Output) -> String {
    let e = stderr_of(out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(out.stdout.is_empty());
    assert!(e.contains("nothing was created"), "{e}");
    assert!(e.contains("bot-bottle approve"), "says how to approve: {e}");
    e
}

/// Got past the approval: fails only on the engine the tests name.
fn past_approval(out: &std::process::Output) -> String {
    let e = stderr_of(out);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(e.contains("no container engine found"), "{e}");
    e
}

#[test]
fn a_new_manifest_does_not_launch_with_yes_alone() {
    let p = Project::new("approval-new", MANIFEST);
    let e = refused(&p.run(&["start", "-y", "bottle.toml"]));
    assert!(e.contains("is new to bot-bottle"), "{e}");
    assert!(
        e.contains("+ egress.allowlist: a.example.com  (widens egress)"),
        "{e}"
    );
    assert!(
        !p.state().exists(),
        "a refused start wrote {}",
        p.state().display()
    );

    // A dry run shows where it stands, and records nothing either.
    let text = stdout_of(&p.run(&["start", "--dry-run", "bottle.toml"]));
    assert!(
        text.contains("approval:          new: never approved"),
        "{text}"
    );
    let out = p.run(&["start", "--dry-run", "--json", "bottle.toml"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["approval"]["state"], "new");
    assert_eq!(plan["approval"]["widens"], true);
    assert_eq!(
        plan["bottle"]["manifest_sha256"],
        plan["approval"]["inputs"][0]["sha256"]
    );
    assert!(
        !p.state().exists(),
        "a dry run wrote {}",
        p.state().display()
    );

    // Approved deliberately, it launches with -y.
    let out = p.run(&["approve", "bottle.toml"]);
    let text = stdout_of(&out);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        text.contains("egress.allowlist: a.example.com, b.example.com, downloads.claude.ai"),
        "{text}"
    );
    assert!(text.contains("approved (first approval)"), "{text}");
    past_approval(&p.run(&["start", "-y", "bottle.toml"]));
    let out = p.run(&["start", "--dry-run", "--json", "bottle.toml"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["approval"]["state"], "approved");
}

#[test]
fn a_widening_change_needs_approval_again_and_a_narrowing_one_does_not() {
    let p = Project::new("approval-change", MANIFEST);
    assert!(p.run(&["approve"]).status.success());

    // The agent (or a pull) adds an env variable and a host: -y is not enough.
    p.edit(&format!(
        "{MANIFEST}dlp_action = \"warn\"\n[agent]\nenv = [\"AWS_SECRET_ACCESS_KEY\"]\n"
    ));
    let e = refused(&p.run(&["start", "-y"]));
    assert!(e.contains("changed since you approved it"), "{e}");
    assert!(
        e.contains("+ env: AWS_SECRET_ACCESS_KEY  (widens env)"),
        "{e}"
    );
    assert!(
        e.contains("~ egress.dlp_action: block -> warn  (widens egress)"),
        "{e}"
    );
    // Refused again: the refusal recorded nothing.
    refused(&p.run(&["start", "-y"]));

    // Back to what was approved, less one host: -y takes it, and records it.
    p.edit("name = \"app\"\n[egress]\nallowlist = [\"a.example.com\"]\n");
    let e = past_approval(&p.run(&["start", "-y"]));
    assert!(e.contains("widening nothing; approved it"), "{e}");
    let out = p.run(&["start", "--dry-run", "--json"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["approval"]["state"], "approved");

    // Adding the host back is a widening now.
    p.edit(MANIFEST);
    let e = refused(&p.run(&["start", "-y"]));
    assert!(
        e.contains("+ egress.allowlist: b.example.com  (widens egress)"),
        "{e}"
    );
}

#[test]
fn the_default_workspace_counts_as_part_of_the_policy() {
    // No agent.workspace: the current directory is mounted. Approved from the project, the
    // same manifest started from its parent directory would mount the parent.
    let p = Project::new("approval-cwd", "name = \"app\"\n");
    assert!(p.run(&["approve"]).status.success());
    past_approval(&p.run(&["start", "-y"]));
    let e = refused(&p.run_in(p.scratch.path(), &["start", "-y", "proj/bottle.toml"]));
    assert!(e.contains("~ workspace: "), "{e}");
    assert!(e.contains("(widens files)"), "{e}");
}

#[test]
fn approve_json_and_the_built_in_default() {
    let p = Project::new("approval-json", MANIFEST);
    let out = p.run(&["approve", "--json", "bottle.toml"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "bot-bottle.approval/v1");
    assert_eq!(report["outcome"], "approved");
    assert_eq!(report["policy"]["egress"]["dlp_action"], "block");
    assert_eq!(report["policy"]["name"], "app");
    assert!(report["inputs"][0]["sha256"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let record = report["record"].as_str().unwrap();
    assert!(record.starts_with(p.state().to_str().unwrap()), "{record}");
    let again: Value = serde_json::from_slice(&p.run(&["approve", "--json"]).stdout).unwrap();
    assert_eq!(again["outcome"], "unchanged");

    // The built-in default: nothing to approve, -y is enough.
    let empty = Scratch::new("approval-default");
    let out = bot_bottle(empty.path())
        .env("BOT_BOTTLE_STATE_DIR", p.state())
        .args(["approve"])
        .output()
        .unwrap();
    assert!(
        stdout_of(&out).contains("nothing to approve"),
        "{}",
        stdout_of(&out)
    );
    let out = bot_bottle(empty.path())
        .env("BOT_BOTTLE_STATE_DIR", p.state())
        .args(["start", "-y"])
        .output()
        .unwrap();
    past_approval(&out);
}

/// `start -y` on a terminal (`script` gives it one), answering `answer` there.
fn start_on_a_terminal(p: &Project, answer: &str) -> String {
    on_a_terminal(p, "start -y bottle.toml", answer)
}

/// `bot-bottle ARGS` on a terminal, answering `answer` there; what the terminal showed.
fn on_a_terminal(p: &Project, args: &str, answer: &str) -> String {
    let mut child = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} {args}", env!("CARGO_BIN_EXE_bot-bottle")),
            "/dev/null",
        ])
        .current_dir(p.dir())
        .env("BOT_BOTTLE_ENGINE", "/nonexistent/engine-for-cli-tests")
        .env(
            "BOT_BOTTLE_CONFIG",
            "/nonexistent/bot-bottle-cli-tests/config.toml",
        )
        .env("BOT_BOTTLE_STATE_DIR", p.state())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn on_a_terminal_a_yes_approves_even_with_yes_and_a_no_records_nothing() {
    let p = Project::new("approval-tty", MANIFEST);
    let said = start_on_a_terminal(&p, "n\n");
    assert!(
        said.contains("Approve this manifest and launch this bottle? [y/N]"),
        "{said}"
    );
    assert!(
        said.contains("+ egress.allowlist: a.example.com  (widens egress)"),
        "{said}"
    );
    assert!(said.contains("not launched"), "{said}");
    assert!(!p.state().exists(), "a no recorded an approval");
    let said = start_on_a_terminal(&p, "y\n");
    assert!(
        said.contains("no container engine found"),
        "past the approval: {said}"
    );
    let out = p.run(&["start", "--dry-run", "--json"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["approval"]["state"], "approved");
}

const LOCK: &str = "schema = \"bot-bottle.lock/v1\"\nbottle = \"app\"\n\
                    learned_at = \"2026-12-01T00:00:00Z\"\n\n[[host]]\nname = \"planted.example.net\"\ncount = 1\n";

#[test]
fn an_egress_lock_beside_the_manifest_or_the_default_needs_approval() {
    // The agent (or a repository) puts a lock beside an approved manifest: its host widens.
    let p = Project::new("approval-lock", MANIFEST);
    assert!(p.run(&["approve"]).status.success());
    std::fs::write(p.dir().join("bottle.lock"), LOCK).unwrap();
    let e = refused(&p.run(&["start", "-y"]));
    assert!(
        e.contains("+ egress.allowlist: planted.example.net  (widens egress)"),
        "{e}"
    );
    let out = p.run(&["approve", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs: Vec<&str> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(
        inputs[0].ends_with("/proj/bottle.toml") && inputs[1].ends_with("/proj/bottle.lock"),
        "{inputs:?}"
    );
    past_approval(&p.run(&["start", "-y"]));

    // The built-in default needs no approval, unless a lock sits beside it.
    let dir = Scratch::new("approval-lock-default");
    let run = || {
        bot_bottle(dir.path())
            .env("BOT_BOTTLE_STATE_DIR", p.state())
            .args(["start", "-y"])
            .output()
            .unwrap()
    };
    past_approval(&run());
    std::fs::write(dir.path().join("bottle.lock"), LOCK).unwrap();
    let e = refused(&run());
    assert!(e.contains("/bottle.lock is new to bot-bottle"), "{e}");
    assert!(
        e.contains("+ egress.allowlist: planted.example.net  (widens egress)"),
        "{e}"
    );
}

/// Approved with an SSH upstream, the key is the git gate's; the agent can edit the manifest
/// in its workspace.
const WITH_UPSTREAM: &str = "name = \"app\"\n[ssh]\nidentity = \"id_ed25519\"\n\
                             known_hosts = \"known_hosts\"\n\n\
                             [[git.upstreams]]\nname = \"origin\"\n\
                             url = \"ssh://git@git.example.com/org/app.git\"\n";

#[test]
fn deleting_the_upstreams_does_not_move_the_ssh_key_into_the_agent_unasked() {
    let p = Project::new("approval-key-move", WITH_UPSTREAM);
    p.scratch.write(
        "proj/id_ed25519",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n",
    );
    p.scratch
        .write("proj/known_hosts", "git.example.com ssh-ed25519 AAAA\n");
    let out = p.run(&["approve"]);
    let approved = stdout_of(&out);
    assert!(out.status.success(), "{}", stderr_of(&out));
    past_approval(&p.run(&["start", "-y"]));

    // The agent deletes the upstream block: without a gate, ssh.identity goes into its home.
    let cut = WITH_UPSTREAM.find("[[git.upstreams]]").unwrap();
    p.edit(&WITH_UPSTREAM[..cut]);
    let e = refused(&p.run(&["start", "-y"]));
    assert!(e.contains("changed since you approved it"), "{e}");
    let moved = e
        .lines()
        .find(|l| l.contains("~ files: ssh.identity "))
        .unwrap_or_else(|| panic!("the key's move is shown: {e}"));
    assert!(
        moved.contains("into the git gate -> ssh.identity ")
            && moved.ends_with("into the agent  (widens files)"),
        "{moved}"
    );
    // Refused again: nothing was recorded. `export kube` refuses it as well.
    refused(&p.run(&["start", "-y"]));
    let out = p.run(&["export", "kube", "-o", "bottle.yaml"]);
    let e = stderr_of(&out);
    assert_eq!(out.status.code(), Some(3), "{e}");
    assert!(e.contains("into the agent  (widens files)"), "{e}");
    assert!(!p.dir().join("bottle.yaml").exists());
    // The approved policy said where the key went.
    assert!(
        approved.contains("/proj/id_ed25519 into the git gate\n"),
        "{approved}"
    );
}

#[test]
fn another_agent_image_needs_approval() {
    let p = Project::new("approval-image", MANIFEST);
    assert!(p.run(&["approve"]).status.success());
    p.edit(&format!(
        "{MANIFEST}[agent]\nimage = \"localhost/someone-else/agent:latest\"\n"
    ));
    let e = refused(&p.run(&["start", "-y"]));
    assert!(
        e.contains(
            "~ image: localhost/bot-bottle/agent:latest -> localhost/someone-else/agent:latest  (widens files)"
        ),
        "{e}"
    );
}

/// The manifest's digest as the text plan shows it (`sha256:<hex>`).
fn digest_shown(p: &Project) -> String {
    let text = stdout_of(&p.run(&["start", "--dry-run"]));
    let line = text
        .lines()
        .find(|l| l.starts_with("bottle:"))
        .unwrap_or_else(|| panic!("{text}"));
    let at = line.find("sha256:").unwrap_or_else(|| panic!("{line}"));
    line[at..].trim_end_matches(')').to_owned()
}

#[test]
fn approve_expect_sha256_records_only_the_file_reviewed() {
    let p = Project::new("approval-expect", MANIFEST);
    let reviewed = digest_shown(&p);
    assert_eq!(reviewed.len(), "sha256:".len() + 64, "{reviewed}");

    // Between the review and the approval, the agent adds a variable to the manifest.
    let rewritten = format!("{MANIFEST}[agent]\nenv = [\"AWS_SECRET_ACCESS_KEY\"]\n");
    p.edit(&rewritten);
    let out = p.run(&["approve", "--expect-sha256", &reviewed]);
    let e = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("/proj/bottle.toml: its SHA-256 is sha256:"),
        "{e}"
    );
    assert!(
        e.contains(&format!("not {reviewed} (--expect-sha256)")),
        "{e}"
    );
    assert!(e.contains("nothing was approved"), "{e}");
    assert!(
        !p.state().exists(),
        "a refused approve wrote {}",
        p.state().display()
    );

    // The file reviewed is approved, named by the bare hex `sha256sum` prints, in either case.
    p.edit(MANIFEST);
    let bare = reviewed.trim_start_matches("sha256:").to_ascii_uppercase();
    let out = p.run(&["approve", "--expect-sha256", &bare]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("approved (first approval)"));
    past_approval(&p.run(&["start", "-y"]));

    // A lock planted beside it is an input too: a digest for the manifest alone is not enough.
    std::fs::write(p.dir().join("bottle.lock"), LOCK).unwrap();
    let out = p.run(&["approve", "--expect-sha256", &reviewed]);
    let e = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains(
            "/proj/bottle.lock: an egress lock beside the manifest is an approval input too"
        ),
        "{e}"
    );
    assert!(e.contains("--expect-lock-sha256"), "{e}");
    refused(&p.run(&["start", "-y"]));
    let text = stdout_of(&p.run(&["start", "--dry-run"]));
    let lock_line = text
        .lines()
        .find(|l| l.starts_with("egress lock:"))
        .unwrap();
    let at = lock_line.find("sha256:").unwrap();
    let lock_digest = &lock_line[at..at + "sha256:".len() + 64];
    let wrong = format!("sha256:{}", "0".repeat(64));
    let out = p.run(&[
        "approve",
        "--expect-sha256",
        &reviewed,
        "--expect-lock-sha256",
        &wrong,
    ]);
    let e = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!(
            "/proj/bottle.lock: its SHA-256 is {lock_digest}, not {wrong}"
        )),
        "{e}"
    );
    refused(&p.run(&["start", "-y"]));
    let out = p.run(&[
        "approve",
        "--expect-sha256",
        &reviewed,
        "--expect-lock-sha256",
        lock_digest,
    ]);
    let text = stdout_of(&out);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(text.contains("egress lock: "), "{text}");
    assert!(text.contains(lock_digest), "both digests are shown: {text}");
    past_approval(&p.run(&["start", "-y"]));

    // Not a digest: exit 2.
    let out = p.run(&["approve", "--expect-sha256", "abc"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--expect-sha256 \"abc\": not a SHA-256"));
}

#[test]
fn approve_on_a_terminal_shows_the_digest_and_asks() {
    let p = Project::new("approval-approve-tty", MANIFEST);
    let reviewed = digest_shown(&p);
    let said = on_a_terminal(&p, "approve", "n\n");
    assert!(
        said.contains(&format!("/proj/bottle.toml ({reviewed})")),
        "{said}"
    );
    assert!(said.contains("egress.allowlist: a.example.com"), "{said}");
    assert!(
        said.contains("Approve this manifest as it is now? [y/N]"),
        "{said}"
    );
    assert!(said.contains("nothing was recorded"), "{said}");
    assert!(!p.state().exists(), "a no recorded an approval");
    let said = on_a_terminal(&p, "approve", "y\n");
    assert!(said.contains("approved (first approval)"), "{said}");
    past_approval(&p.run(&["start", "-y"]));
    // Approved as it is: nothing to ask.
    let said = on_a_terminal(&p, "approve", "");
    assert!(said.contains("already approved"), "{said}");
}

/// The agent (or a repository it cloned) edits `[resources]` to take more of the host at the
/// next launch: `-y` alone does not launch it. Lowering a limit is not asked about.
#[test]
fn a_loosened_limit_needs_approval_again_and_a_tightened_one_does_not() {
    let p = Project::new("approval-resources", MANIFEST);
    assert!(p.run(&["approve"]).status.success());

    for (loosened, line) in [
        (
            "pids = \"unlimited\"",
            "~ resources.pids: 4096 -> unlimited  (widens resources)",
        ),
        (
            "memory = \"16g\"",
            "~ resources.memory: 4 GiB -> 16 GiB  (widens resources)",
        ),
        (
            "limits = \"none\"",
            "~ resources.limits: enforced -> none  (widens resources)",
        ),
    ] {
        p.edit(&format!("{MANIFEST}[resources]\n{loosened}\n"));
        let e = refused(&p.run(&["start", "-y"]));
        assert!(e.contains(line), "{loosened}: {e}");
        let out = p.run(&["start", "--dry-run", "--json"]);
        let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(plan["approval"]["state"], "changed", "{loosened}");
        assert_eq!(plan["approval"]["widens"], true, "{loosened}");
        assert!(
            plan["approval"]["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["widens"] == "resources"),
            "{loosened}: {}",
            plan["approval"]
        );
    }

    p.edit(&format!(
        "{MANIFEST}[resources]\npids = 256\nmemory = \"2g\"\n"
    ));
    let e = past_approval(&p.run(&["start", "-y"]));
    assert!(e.contains("widening nothing; approved it"), "{e}");
}
