//! The gate's command line as the image and the mirrors' hook use it: `--version` answers
//! without a config, `serve`, `pre-receive` and `keys` are its commands, and anything else, or
//! a config that cannot be read, exits 2.

use std::process::{Command, Output};

fn gate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bot-bottle-gate"))
        .args(args)
        .env(
            "BOT_BOTTLE_GATE_CONFIG",
            "/nonexistent/bot-bottle-gate/config.json",
        )
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn version_needs_no_config() {
    let out = gate(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("bot-bottle-gate {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_names_the_commands() {
    let out = gate(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("serve") && help.contains("pre-receive") && help.contains("keys"),
        "{help}"
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [&[][..], &["push"], &["serve", "extra"], &["--listen", "x"]] {
        let out = gate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Usage: bot-bottle-gate"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn an_unreadable_config_exits_2_naming_it() {
    for command in ["serve", "pre-receive"] {
        let out = gate(&[command]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("reading /nonexistent/bot-bottle-gate/config.json"),
            "{command}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn the_key_holder_reads_its_own_config_and_exits_2_naming_it() {
    // The git gate's config is unreadable here (see `gate`): `keys` does not read it.
    let out = gate(&[
        "keys",
        "--config",
        "/nonexistent/bot-bottle-keys/config.json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("reading /nonexistent/bot-bottle-keys/config.json"),
        "{}",
        stderr(&out)
    );
    let out = gate(&["keys", "--help"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("/etc/bot-bottle-keys/config.json"),
        "the default config path: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
