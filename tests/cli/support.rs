//! Helpers shared by the CLI tests: a scratch directory and a command preset to use it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root, where `contrib/examples` lives.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory under the target dir, removed on drop.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("cli-{name}-"))
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `contents` to `name` inside the scratch dir and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }
}

/// `bot-bottle` with an engine choice that cannot exist, so no test depends on (or touches)
/// whatever engine this machine has, and with a config file and state directory that do not
/// exist, so none reads or writes the user's.
pub fn bot_bottle(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("bot-bottle").unwrap();
    cmd.current_dir(cwd)
        .env("BOT_BOTTLE_ENGINE", "/nonexistent/engine-for-cli-tests")
        .env(
            "BOT_BOTTLE_CONFIG",
            "/nonexistent/bot-bottle-cli-tests/config.toml",
        )
        .env(
            "BOT_BOTTLE_STATE_DIR",
            "/nonexistent/bot-bottle-cli-tests/state",
        )
        .env_remove("BOT_BOTTLE_PIPELOCK_IMAGE")
        .env_remove("BOT_BOTTLE_GATE_IMAGE")
        .env("XDG_RUNTIME_DIR", "/run/user/4242");
    cmd
}

pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}
