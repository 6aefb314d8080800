//! Man pages, shell completions and the release tree, all generated from the CLI definition.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use clap::CommandFactory as _;

use crate::support::{bot_bottle, repo, stderr_of, stdout_of, Scratch};

/// Every command clap knows, as the words that name it (`[]`, `["start"]`, `["image", "build"]`,
/// …), so a new command is expected to get its page and its completions without a test change.
fn commands() -> Vec<Vec<String>> {
    offers().into_iter().map(|o| o.words).collect()
}

/// `bot-bottle.1`, `bot-bottle-image-build.1`, …: the page each command should have.
fn expected_pages() -> BTreeSet<String> {
    commands()
        .iter()
        .map(|words| {
            let mut name = String::from("bot-bottle");
            for word in words {
                name.push('-');
                name.push_str(word);
            }
            format!("{name}.1")
        })
        .collect()
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Whether `program` runs here; the shells other than bash are optional.
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `shell` is here to check its completion script with. Where it must be
/// (`BOT_BOTTLE_SHELLS=required`, which `contrib/ci/test-all.sh` sets, or any `CI`), a missing
/// shell fails the test instead of leaving the script unchecked.
fn shell_to_check(shell: &str) -> bool {
    if installed(shell) {
        return true;
    }
    let required = std::env::var("BOT_BOTTLE_SHELLS").is_ok_and(|v| v == "required")
        || std::env::var_os("CI").is_some();
    assert!(
        !required,
        "{shell} is not installed, and its completion script must be checked here \
         (contrib/ci/setup-engines.sh installs it)"
    );
    eprintln!("{shell} not installed: its completion script is only checked for names");
    false
}

fn completions(shell: &str) -> String {
    let out = bot_bottle(&repo())
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    stdout_of(&out)
}

/// Each page is roff that names its command; where groff is installed it renders without a
/// warning.
fn assert_pages_are_roff(dir: &Path) {
    let groff = installed("groff");
    for page in expected_pages() {
        let path = dir.join(&page);
        let text = std::fs::read_to_string(&path).unwrap();
        let stem = page.trim_end_matches(".1");
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!(".TH {stem} 1 "))),
            "{page} has no .TH header:\n{text}"
        );
        assert!(text.contains("\n.SH NAME\n"), "{page}:\n{text}");
        assert!(
            text.contains(&format!("\n{} \\- ", stem.replace('-', "\\-"))),
            "{page} names another command:\n{text}"
        );
        if groff {
            // -k: the pages are UTF-8 (preconv), as man reads them.
            let out = Command::new("groff")
                .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "groff on {page}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn man_dir_writes_one_roff_page_per_command() {
    let scratch = Scratch::new("man");
    let out = bot_bottle(&repo())
        .args(["man", "--dir"])
        .arg(scratch.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(file_names(scratch.path()), expected_pages());
    assert!(expected_pages().contains("bot-bottle-image-build.1"));
    assert_pages_are_roff(scratch.path());
    // The page says what pipelock's --source and --binary must be, as `--help` does.
    let build = std::fs::read_to_string(scratch.path().join("bot-bottle-image-build.1")).unwrap();
    for says in [
        "pipelock: a clean git checkout of pipelock at tag v2.3.0",
        "for pipelock a static pipelock that reports version 2.3.0",
    ] {
        assert!(build.contains(says), "{says:?} missing:\n{build}");
    }
}

#[test]
fn man_without_dir_prints_the_top_page() {
    let out = bot_bottle(&repo()).arg("man").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let page = stdout_of(&out);
    assert!(page.contains("\n.TH bot-bottle 1 "), "{page}");
    for words in commands().iter().filter(|w| w.len() == 1) {
        assert!(page.contains(&words[0]), "{} missing:\n{page}", words[0]);
    }
}

/// Each command clap knows (its `words`) and what a completion should offer after
/// `bot-bottle WORDS… `, its subcommands, and after `bot-bottle WORDS… --`, its long options.
struct Offers {
    words: Vec<String>,
    subcommands: Vec<String>,
    long_options: Vec<String>,
}

fn offers() -> Vec<Offers> {
    fn walk(cmd: &clap::Command, words: &[String], out: &mut Vec<Offers>) {
        let visible = || cmd.get_subcommands().filter(|s| !s.is_hide_set());
        out.push(Offers {
            words: words.to_vec(),
            subcommands: visible().map(|s| s.get_name().to_owned()).collect(),
            long_options: cmd
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect(),
        });
        for sub in visible() {
            let mut path = words.to_vec();
            path.push(sub.get_name().to_owned());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&bot_bottle::cli::Cli::command(), &[], &mut out);
    out
}

/// Runs `ask(words, current word)` for each command, with an empty current word and with `--`,
/// and asserts the candidates it returns hold what [`offers`] says.
fn assert_completes(shell: &str, ask: impl Fn(&[String], &str) -> BTreeSet<String>) {
    for offer in offers() {
        for (current, wanted) in [("", &offer.subcommands), ("--", &offer.long_options)] {
            let got = ask(&offer.words, current);
            for want in wanted {
                assert!(
                    got.contains(want),
                    "{shell}: `bot-bottle {} {current}<TAB>` does not offer {want}: {got:?}",
                    offer.words.join(" ")
                );
            }
        }
    }
}

#[test]
fn completion_scripts_name_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = completions(shell);
        for words in commands().iter().skip(1) {
            let name = words.last().unwrap();
            assert!(script.contains(name.as_str()), "{shell}: no {name}");
        }
    }
}

/// The completion script of `shell`, written to `file_name` in a scratch dir, after `shell check`
/// (its syntax check) passed on it.
fn syntax_checked(shell: &str, check: &str, file_name: &str) -> (Scratch, std::path::PathBuf) {
    let scratch = Scratch::new(&format!("{shell}-completion"));
    let script = scratch.write(file_name, &completions(shell));
    let out = Command::new(shell)
        .arg(check)
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{shell} {check}: {}", stderr_of(&out));
    (scratch, script)
}

#[test]
fn bash_completion_parses_and_completes_every_command() {
    let (_scratch, script) = syntax_checked("bash", "-n", "bot-bottle.bash");
    // Load it as bash-completion would, then call the function it registered as bash would
    // for `bot-bottle WORDS… CURRENT<TAB>`.
    let driver = r#"source "$1" && shift
spec=$(complete -p bot-bottle) || exit 1
fn=${spec#*-F } fn=${fn%% *}
COMP_WORDS=(bot-bottle "$@") COMP_CWORD=$#
COMP_LINE="${COMP_WORDS[*]}" COMP_POINT=${#COMP_LINE}
"$fn" bot-bottle "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    assert_completes("bash", |words, current| {
        let out = Command::new("bash")
            .args(["--norc", "-c", driver, "driver"])
            .arg(&script)
            .args(words)
            .arg(current)
            .output()
            .unwrap();
        assert!(out.status.success(), "{words:?}: {}", stderr_of(&out));
        stdout_of(&out).lines().map(str::to_owned).collect()
    });
}

#[test]
fn zsh_completion_parses_where_zsh_is_installed() {
    if !shell_to_check("zsh") {
        return;
    }
    syntax_checked("zsh", "-n", "_bot-bottle");
}

#[test]
fn fish_completion_parses_and_completes_every_command_where_fish_is_installed() {
    if !shell_to_check("fish") {
        return;
    }
    let (_scratch, script) = syntax_checked("fish", "--no-execute", "bot-bottle.fish");
    assert_completes("fish", |words, current| {
        let line = format!("bot-bottle {} {current}", words.join(" "));
        let out = Command::new("fish")
            .args([
                "--no-config",
                "-c",
                "source $argv[1]; complete --do-complete=$argv[2]",
            ])
            .arg(&script)
            .arg(&line)
            .output()
            .unwrap();
        assert!(out.status.success(), "{line:?}: {}", stderr_of(&out));
        // Each candidate line is the word, then a tab and its description.
        stdout_of(&out)
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect()
    });
}

/// contrib/release/dist.sh with the test's binary (the release build itself is CI's to run).
fn dist(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(repo().join("contrib/release/dist.sh"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_bot-bottle"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn release_script_lays_out_binary_pages_and_completions() {
    let scratch = Scratch::new("dist");
    let tree = scratch.path().join("dist");
    let out = dist(&[tree.as_os_str()]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        file_names(scratch.path()),
        BTreeSet::from(["dist".to_owned()])
    );

    let bin = tree.join("bin/bot-bottle");
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert!(stdout_of(&version).starts_with("bot-bottle "));
    let man = tree.join("share/man/man1");
    assert_eq!(file_names(&man), expected_pages());
    assert_pages_are_roff(&man);
    for (shell, path) in [
        ("bash", "share/bash-completion/completions/bot-bottle"),
        ("zsh", "share/zsh/site-functions/_bot-bottle"),
        ("fish", "share/fish/vendor_completions.d/bot-bottle.fish"),
    ] {
        let written = std::fs::read_to_string(tree.join(path)).unwrap();
        assert!(
            written == completions(shell),
            "{path} is not `completions {shell}`"
        );
    }
}

#[test]
fn release_script_refuses_a_directory_with_something_in_it() {
    let scratch = Scratch::new("dist-refused");
    let mine = scratch.write("dist/notes.txt", "mine\n");
    let out = dist(&[scratch.path().join("dist").as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("dist exists and is not an empty directory"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "mine\n");
    assert_eq!(
        file_names(&scratch.path().join("dist")),
        BTreeSet::from(["notes.txt".to_owned()])
    );
    assert_eq!(
        file_names(scratch.path()),
        BTreeSet::from(["dist".to_owned()])
    );
}
