//! The README's walk-through of the signed record (section "The signed record", the block after
//! "**A walk-through.**"), run as written: each `$ ` line runs in bash, in the bottle's
//! workspace, with this build's `bot-bottle` first on `PATH` and bot-bottle's state where a
//! user's is (`$XDG_STATE_HOME/bot-bottle`); each must exit 0 (a line that shows a failure
//! ends in `echo "exit $?"` and shows the status), and the output lines the README shows under
//! it must all be in its output, in order ([`matches`] says how a shown line matches). An
//! edit of the README or of bot-bottle that makes the walk-through lie fails here.
//!
//! Around the lines, the test sets up what a user's machine would have, and nothing else:
//! - before: the bottle's git upstream (the testbed git server, on a network of the test's
//!   own) and the workspace, a clone of it whose `origin` is the manifest's upstream URL, with
//!   `bottle.toml` (name `myproject`) beside the checkout. The host reaches the server through
//!   git's `ext::` transport over the engine's `exec` (no route to it needed), set in a
//!   git config of the test's own (`GIT_CONFIG_GLOBAL`) for the host's commands only: inside
//!   the bottle, the agent's git goes through the gate as always.
//! - after the `bot-bottle start` line: the server joins the bottle's egress network as
//!   `git.bottle.test`. The testbed's internet is that network: a real upstream is out there
//!   before the bottle starts, but the test's server can join it only once `start` made it.
//! - before the `bot-bottle stop` line: the server leaves that network again, which `stop`
//!   removes (an engine removes no network with a container on it).
//!
//! The state (`$XDG_STATE_HOME`) and the user's config (`BOT_BOTTLE_CONFIG`, allowing the
//! keys' directory) are the test's own; `HOME`, `XDG_CONFIG_HOME` and `XDG_DATA_HOME` stay as
//! they are, since rootless podman finds its storage through them. The bottle's name is fixed
//! (`myproject`, as the README says), so whatever a killed earlier run left of it is removed
//! first, and everything is removed at the end, whatever happened; for the same reason two
//! runs of this test on one engine cannot overlap (the test harness runs it once).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use engine::{NetworkAttachment, NetworkSpec};

use crate::gitgate::{git_images_present, GitServer, Keys, GIT_HOST};
use crate::support::{harness, resources_table, Harness, AGENT_IMAGE, TEST_LABEL};

/// The bottle the README's walk-through names.
const BOTTLE: &str = "myproject";
/// The upstream's URL, in the manifest and as the workspace's `origin`.
const UPSTREAM: &str = "git@git.bottle.test:/srv/git/ssh/app.git";
/// The [`TEST_LABEL`] value on what the test creates itself (the git server and its network).
const LABEL: &str = "walkthrough";
/// The git server's container and the network it sits on before the bottle's exists.
const SERVER: &str = "bot-bottle-walkthrough-gitserver";
const LAN: &str = "bot-bottle-walkthrough-lan";
/// The README's state directory in the output it shows, as a user's would be.
const README_STATE: &[&str] = &["/home/me/.local/state", "~/.local/state"];

/// One `$ ` line of the walk-through and the output lines the README shows under it.
#[derive(Debug, PartialEq)]
struct Step {
    command: String,
    shown: Vec<String>,
}

/// The steps of the walk-through in `readme`: the `sh` block after the paragraph that begins
/// with `**A walk-through.**`.
fn steps(readme: &str) -> Vec<Step> {
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("**A walk-through.**"));
    assert!(
        lines.next().is_some(),
        "README.md has no \"**A walk-through.**\" paragraph"
    );
    let mut lines = lines.skip_while(|l| *l != "```sh");
    assert!(
        lines.next().is_some(),
        "no ```sh block after the walk-through's paragraph"
    );
    let mut steps: Vec<Step> = Vec::new();
    for line in lines.take_while(|l| *l != "```") {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: command.to_owned(),
                shown: Vec::new(),
            });
        } else if !line.trim().is_empty() {
            steps
                .last_mut()
                .unwrap_or_else(|| panic!("output before the first command: {line:?}"))
                .shown
                .push(line.to_owned());
        }
    }
    assert!(!steps.is_empty(), "the walk-through's block has no command");
    steps
}

/// Whether `command` only sets a shell variable (`R=$(…)`): later lines run after it.
fn is_assignment(command: &str) -> bool {
    command.split_once('=').is_some_and(|(name, _)| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// How a line the README shows matches a line of output. Both are normalised alike, then
/// compared whole, with `…` in the shown line standing for any text (none included):
/// - a run of spaces is one space (columns may widen);
/// - the README's state directory (`/home/me/.local/state`, `~/.local/state`) and the run's
///   read `<state>`;
/// - RFC 3339 times read `<time>`;
/// - a word of four or more hex digits with a decimal digit among them (launch ids, digests,
///   key ids, hashes; `ed25519` too, alike on both sides) reads `<hex>`;
/// - a version (`0.1.0`) reads `<version>`;
/// - a number followed by a space and a lowercase word (`2 entries`, `1 checkpoint(s)`) reads
///   `<n>`: the double and the real pipelock record different counts. A number before
///   anything else (`exit 4`, `seq 0 (`) and every word (`ok`, `FAIL`, `VALID`, `INVALID`)
///   must be as shown.
///
/// A line that is `…` alone elides lines; any output may come between the lines shown.
fn matches(shown: &str, output: &str, state: &str) -> bool {
    glob(&normalise_shown(shown, state), &normalise(output, state))
}

/// A shown line, normalised: the README's state directory is the run's, then [`normalise`].
fn normalise_shown(shown: &str, state: &str) -> String {
    let mut shown = shown.to_owned();
    for readme in README_STATE {
        shown = shown.replace(readme, state);
    }
    normalise(&shown, state)
}

fn normalise(line: &str, state: &str) -> String {
    let chars: Vec<char> = line.replace(state, "<state>").trim_end().chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let at_word =
            chars[i].is_ascii_alphanumeric() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
        if let Some(len) = time_len(&chars[i..]) {
            out.push_str("<time>");
            i += len;
        } else if at_word && version_len(&chars[i..]) > 0 {
            out.push_str("<version>");
            i += version_len(&chars[i..]);
        } else if at_word {
            let len = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let word: String = chars[i..i + len].iter().collect();
            let hex = len >= 4
                && word.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
                && word.chars().any(|c| c.is_ascii_digit());
            let count = word.chars().all(|c| c.is_ascii_digit())
                && chars.get(i + len) == Some(&' ')
                && chars.get(i + len + 1).is_some_and(char::is_ascii_lowercase);
            out.push_str(if hex {
                "<hex>"
            } else if count {
                "<n>"
            } else {
                &word
            });
            i += len;
        } else if chars[i] == ' ' {
            out.push(' ');
            while chars.get(i) == Some(&' ') {
                i += 1;
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The length of the RFC 3339 UTC time at the start of `text` (`2026-12-07T05:32:44Z`, with
/// or without a fraction of a second), or `None`.
fn time_len(text: &[char]) -> Option<usize> {
    const SHAPE: &str = "dddd-dd-ddTdd:dd:dd";
    let whole = SHAPE.chars().zip(text).all(|(want, c)| match want {
        'd' => c.is_ascii_digit(),
        _ => *c == want,
    });
    if !whole || text.len() < SHAPE.len() {
        return None;
    }
    let mut len = SHAPE.len();
    if text.get(len) == Some(&'.') {
        len += 1 + text[len + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
    }
    (text.get(len) == Some(&'Z')).then_some(len + 1)
}

/// The length of the version (`N.N.N`) at the start of `text`, or 0.
fn version_len(text: &[char]) -> usize {
    let mut len = 0;
    for part in 0..3 {
        if part > 0 {
            if text.get(len) != Some(&'.') {
                return 0;
            }
            len += 1;
        }
        let digits = text[len.min(text.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return 0;
        }
        len += digits;
    }
    if text.get(len).is_some_and(char::is_ascii_alphanumeric) {
        return 0;
    }
    len
}

/// Whether `text` is `pattern` with each `…` standing for any text.
fn glob(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('…').collect();
    let (first, rest) = pieces
        .split_first()
        .expect("split yields one piece at least");
    let Some((last, middle)) = rest.split_last() else {
        return pattern == text;
    };
    let Some(mut left) = text.strip_prefix(first) else {
        return false;
    };
    for piece in middle {
        match left.find(piece) {
            Some(at) => left = &left[at + piece.len()..],
            None => return false,
        }
    }
    left.ends_with(last)
}

/// The first shown line of `step` that is not in `output` in order, if any.
fn missing<'s>(step: &'s Step, output: &str, state: &str) -> Option<&'s str> {
    let mut lines = output.lines();
    step.shown
        .iter()
        .filter(|shown| shown.trim() != "…")
        .find(|shown| !lines.any(|line| matches(shown, line, state)))
        .map(String::as_str)
}

/// What the test made, removed on drop, whatever happened: the bottle `myproject` by its
/// labels (containers, networks, its state volume), the git server and its network, the
/// directory holding the workspace, keys' copies, state and config.
struct Walk<'h> {
    h: &'h Harness,
    dir: tempfile::TempDir,
    keys: Keys,
}

impl Walk<'_> {
    fn workspace(&self) -> PathBuf {
        self.dir.path().join(BOTTLE)
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The git config of the host's commands: the upstream through the engine's `exec`.
    fn git_config(&self) -> PathBuf {
        self.dir.path().join("gitconfig")
    }

    /// `bash -c SCRIPT` in the workspace, stderr in stdout, as the README's lines run.
    fn bash(&self, script: &str) -> (Option<i32>, String) {
        let bin_dir = self.h.bin.parent().expect("the binary is in a directory");
        let path = std::env::join_paths(std::iter::once(bin_dir.to_owned()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        let out = Command::new("bash")
            .args(["-c", &format!("exec 2>&1\n{script}")])
            .current_dir(self.workspace())
            .env("PATH", path)
            .env("XDG_STATE_HOME", self.state())
            .env("BOT_BOTTLE_CONFIG", self.dir.path().join("config.toml"))
            .env("BOT_BOTTLE_ENGINE", self.h.engine.program().as_str())
            .env("BOT_BOTTLE_PIPELOCK_IMAGE", &self.h.proxy_image)
            .env("BOT_BOTTLE_GATE_IMAGE", &self.h.gate_image)
            .env("GIT_CONFIG_GLOBAL", self.git_config())
            .env_remove("BOT_BOTTLE_STATE_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// `ENGINE ARGS`, which must succeed.
    fn engine(&self, args: &[&str]) {
        let out = Command::new(self.h.engine.program().as_str())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Walk<'_> {
    fn drop(&mut self) {
        sweep(self.h);
    }
}

/// Removes the bottle `myproject` (by its labels: what a killed run left as well) and the
/// test's git server and network.
fn sweep(h: &Harness) {
    let bottle = format!("io.bot-bottle.bottle={BOTTLE}");
    let mine = format!("{TEST_LABEL}={LABEL}");
    for label in [&bottle, &mine] {
        for container in h.engine.list_containers(label).unwrap_or_default() {
            let _ = h.engine.remove_container(&container.name);
        }
    }
    for label in [&bottle, &mine] {
        for network in h.engine.list_networks(label).unwrap_or_default() {
            let _ = h.engine.remove_network(&network.name);
        }
    }
    for volume in h.engine.list_volumes(&bottle).unwrap_or_default() {
        let _ = h.engine.remove_volume(&volume.name);
    }
}

/// The manifest: the test agent image, the upstream over SSH with the test's keys (outside the
/// workspace), pushes to any branch but the default one.
fn manifest(keys: &Keys) -> String {
    let file = |name: &str| keys.dir.join(name).to_str().unwrap().to_owned();
    format!(
        "name = \"{BOTTLE}\"\n\n[agent]\nimage = \"{AGENT_IMAGE}\"\ncommand = [\"sleep\", \"infinity\"]\n\n\
         {}[ssh]\nidentity = {:?}\nknown_hosts = {:?}\n\n\
         [git]\nuser_name = \"Bottle Agent\"\nuser_email = \"agent@bottle.test\"\n\n\
         [[git.upstreams]]\nname = \"app\"\nurl = \"{UPSTREAM}\"\npush_refs = [\"refs/heads/*\"]\n",
        resources_table(),
        file("id"),
        file("known_hosts"),
    )
}

/// The user's machine before the walk-through: the upstream, the workspace cloned from it
/// with the manifest beside the checkout, the host's git config and the user's config.
fn prepare(h: &Harness) -> (Walk<'_>, GitServer<'_>) {
    sweep(h);
    let walk = Walk {
        h,
        dir: tempfile::tempdir().unwrap(),
        keys: Keys::new(&format!("walkthrough-{}", std::process::id())),
    };
    h.engine
        .create_network(&NetworkSpec {
            name: LAN.to_owned(),
            internal: true,
            labels: [(TEST_LABEL.to_owned(), LABEL.to_owned())].into(),
            ..NetworkSpec::default()
        })
        .unwrap();
    let server = GitServer::start_on(h, SERVER, NetworkAttachment::new(LAN), LABEL, &walk.keys);
    std::fs::write(
        walk.git_config(),
        format!(
            "[protocol \"ext\"]\n\tallow = always\n[url \"ext::{} exec -i -u git {SERVER} %S /srv/git/ssh/app.git\"]\n\tinsteadOf = {UPSTREAM}\n",
            h.engine.program()
        ),
    )
    .unwrap();
    std::fs::write(
        walk.dir.path().join("config.toml"),
        format!("allow_paths = [{:?}]\n", walk.keys.dir.to_str().unwrap()),
    )
    .unwrap();
    // The clone runs in the workspace's directory, as the README's lines do.
    std::fs::create_dir(walk.workspace()).unwrap();
    let (status, out) = walk.bash(&format!("git clone -q {UPSTREAM} ."));
    assert_eq!(status, Some(0), "cloning the upstream: {out}");
    std::fs::write(walk.workspace().join("bottle.toml"), manifest(&walk.keys)).unwrap();
    if !h.engine.info().unwrap().rootless {
        // The README's known issue: with a rootful engine the workspace must be writable by
        // the agent's uid 1000.
        crate::gitmeta::open_to_the_agent(&walk.workspace());
    }
    (walk, server)
}

/// The bottle's egress network, once `start` made it.
fn egress_network(h: &Harness) -> String {
    let networks = h
        .engine
        .list_networks(&format!("io.bot-bottle.bottle={BOTTLE}"))
        .unwrap();
    let prefix = format!("bot-bottle-{BOTTLE}-egress-");
    let mut egress: Vec<String> = networks
        .into_iter()
        .map(|n| n.name)
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert_eq!(egress.len(), 1, "the bottle's egress networks: {egress:?}");
    egress.pop().unwrap()
}

#[test]
fn the_readme_walk_through_of_the_signed_record_works_as_written() {
    let Some(h) = harness() else { return };
    if !git_images_present(&h) {
        return;
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let steps = steps(&readme);
    let (walk, server) = prepare(&h);
    let state = walk.state().to_str().unwrap().to_owned();
    let mut prelude = String::new();
    let mut egress: Option<String> = None;
    for step in &steps {
        if step.command.starts_with("bot-bottle stop") {
            let network = egress
                .take()
                .expect("`bot-bottle start` comes before `stop`");
            walk.engine(&["network", "disconnect", &network, &server.name]);
        }
        let (status, output) = walk.bash(&format!("{prelude}{}", step.command));
        eprintln!("$ {}\n{output}", step.command);
        assert_eq!(
            status,
            Some(0),
            "`{}` exited {status:?}:\n{output}",
            step.command
        );
        if let Some(line) = missing(step, &output, &state) {
            let printed = output.lines().fold(String::new(), |mut text, l| {
                let _ = writeln!(text, "  {}", normalise(l, &state));
                text
            });
            panic!(
                "`{}` did not print the line the README shows\n  {line}\n  (normalised: {})\nin order; it printed (normalised):\n{printed}",
                step.command,
                normalise_shown(line, &state),
            );
        }
        if is_assignment(&step.command) {
            prelude.push_str(&step.command);
            prelude.push('\n');
        }
        if step.command.starts_with("bot-bottle start") {
            let network = egress_network(&h);
            h.engine
                .connect_network(
                    &NetworkAttachment {
                        name: network.clone(),
                        aliases: vec![GIT_HOST.to_owned()],
                        ip: None,
                    },
                    &server.name,
                )
                .unwrap();
            egress = Some(network);
        }
    }
    assert!(
        egress.is_none(),
        "the walk-through starts the bottle and does not stop it"
    );
    // `stop` left only the state volume it keeps by design.
    let left: Vec<String> = h
        .engine
        .list_containers(&format!("io.bot-bottle.bottle={BOTTLE}"))
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(left.is_empty(), "stop left {left:?}");
}

mod matcher {
    use super::*;

    const STATE: &str = "/tmp/run/state";

    #[test]
    fn masks_ids_times_counts_versions_and_the_state_directory() {
        for (shown, output) in [
            (
                "ok   statement: bottle myproject (launch 241f30ef1d75daa9), started 2026-12-07T05:32:44Z, 1 commit(s) pushed, written by bot-bottle 0.1.0",
                "ok   statement: bottle myproject (launch 0a1b2c3d4e5f6789), started 2027-01-02T03:04:05Z, 1 commit(s) pushed, written by bot-bottle 0.2.10",
            ),
            (
                "ok   flight recorder chain: 2 entries, unbroken from genesis to e8c20142…",
                "ok   flight recorder chain: 14 entries, unbroken from genesis to 0f0f0f0f…",
            ),
            (
                "VALID: /home/me/.local/state/bot-bottle/records/myproject/241f30ef1d75daa9/record.dsse.json",
                "VALID: /tmp/run/state/bot-bottle/records/myproject/9c9c9c9c9c9c9c9c/record.dsse.json",
            ),
            (
                "ok   plan: plan.json (sha256:c8e4…) agrees with the record: manifest sha256:1f3d…, lock none, images …",
                "ok   plan: plan.json (sha256:0123456789abcdef) agrees with the record: manifest sha256:fedcba9876543210, lock none, images agent x, proxy y",
            ),
            (
                "2026-12-07T05:32:50Z push_refused -       app          -     refs/heads/main is …",
                "2026-12-07T05:32:50.123Z push_refused - app - refs/heads/main is the default branch",
            ),
            ("…", "anything at all"),
        ] {
            assert!(matches(shown, output, STATE), "{shown:?} should match {output:?}");
        }
    }

    #[test]
    fn keeps_verdicts_statuses_and_words() {
        for (shown, output) in [
            ("exit 4", "exit 0"),
            ("VALID: …", "INVALID: …"),
            ("ok   signature: …", "FAIL signature: …"),
            (
                "FAIL flight recorder chain: entry seq 0 (action_receipt): …",
                "FAIL flight recorder chain: entry seq 1 (action_receipt): x",
            ),
            (
                "bot-bottle: bottle myproject removed; …",
                "bot-bottle: bottle other removed; x",
            ),
            // Whole lines: a shown line is no prefix of a longer one unless it ends in `…`.
            ("ok   plan: plan.json", "ok   plan: plan.json (sha256:00)"),
            ("a…b…c", "a-c-b"),
        ] {
            assert!(
                !matches(shown, output, STATE),
                "{shown:?} should not match {output:?}"
            );
        }
    }

    #[test]
    fn shown_lines_must_come_in_order() {
        let step = Step {
            command: "x".to_owned(),
            shown: vec!["one".to_owned(), "…".to_owned(), "three".to_owned()],
        };
        assert_eq!(missing(&step, "one\ntwo\nthree\n", STATE), None);
        assert_eq!(missing(&step, "zero\none\nthree\n", STATE), None);
        assert_eq!(missing(&step, "three\none\n", STATE), Some("three"));
        assert_eq!(missing(&step, "one\n", STATE), Some("three"));
    }

    #[test]
    fn the_readme_block_reads_as_steps() {
        let readme = "text\n\n**A walk-through.** A manifest:\n\n```sh\n$ R=$(echo hi)\n$ echo $R; echo \"exit $?\"\nhi\nexit 0\n```\n$ not this\n";
        assert_eq!(
            steps(readme),
            [
                Step {
                    command: "R=$(echo hi)".to_owned(),
                    shown: vec![],
                },
                Step {
                    command: "echo $R; echo \"exit $?\"".to_owned(),
                    shown: vec!["hi".to_owned(), "exit 0".to_owned()],
                },
            ]
        );
        assert!(is_assignment("R=$(bot-bottle record path myproject)"));
        assert!(!is_assignment("bot-bottle verify $R --repo ."));
        assert!(!is_assignment("git fetch -q origin && x=1"));
    }
}
