//! `bot-bottle attach NAME`: back into a running bottle's agent. It runs the agent's command
//! again (what the launch ran, from its launch record) attached to this terminal; Claude Code's
//! state lives in the bottle's state volume, so its login and conversations are there.

use std::io::IsTerminal as _;

use clap::Args;

use super::Global;
use crate::bottle::Bottle;
use crate::usecase::session;

/// Start the agent's command again in a running (detached) bottle, attached to this terminal.
///
/// A new session of the agent's command: for Claude Code, its login and settings are in the
/// bottle's state volume; pass `-- --continue` to resume the last conversation.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Extra arguments for the agent's command, after `--` (e.g. `-- --continue`).
    #[arg(last = true, value_name = "ARG")]
    pub args: Vec<String>,
}

impl AttachArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let bottle = Bottle::named(&self.name)?;
        let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let status = session::attach(engine.as_ref(), &bottle, &self.args, tty)?;
        crate::exit::pass_through(status)
    }
}
