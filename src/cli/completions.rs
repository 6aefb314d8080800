//! `bot-bottle completions SHELL`: shell completion scripts, generated from the CLI definition.

use std::io::Write as _;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

/// Print a completion script for SHELL (e.g. `bot-bottle completions bash > /etc/bash_completion.d/bot-bottle`).
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

impl CompletionsArgs {
    pub fn run(&self) -> anyhow::Result<()> {
        let mut cmd = super::Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut cmd, "bot-bottle", &mut script);
        if self.shell == Shell::Bash {
            // clap_complete labels a subcommand's case arm `bot__subcmd__bottle__subcmd__X` while
            // the loop that finds the subcommand yields `bot__bottle__subcmd__X`, so with a hyphen
            // in the binary's name no subcommand's options complete (clap-rs/clap#6421).
            script = String::from_utf8(script)
                .context("the bash completion script is not UTF-8")?
                .replace("bot__subcmd__bottle", "bot__bottle")
                .into_bytes();
        }
        std::io::stdout()
            .write_all(&script)
            .context("writing the completion script")
    }
}
