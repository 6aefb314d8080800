//! `bot-bottle exec NAME -- CMD…`: a command in a running bottle's agent, its exit code passed
//! through.

use std::io::IsTerminal as _;

use clap::Args;

use super::Global;
use crate::bottle::Bottle;
use crate::usecase::session;

/// Run a command in a running bottle's agent (as the agent user, in /workspace) and exit with
/// its exit code. It gets a TTY when stdin and stdout are terminals.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Run as this user instead of the agent user (e.g. `0` for root, who has no capabilities).
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,

    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

impl ExecArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let bottle = Bottle::named(&self.name)?;
        let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let status = session::exec(
            engine.as_ref(),
            &bottle,
            self.user.clone(),
            &self.command,
            tty,
        )?;
        crate::exit::pass_through(status)
    }
}
