//! `bot-bottle stop NAME [--purge]`: remove a bottle (detached, or left over by a crashed
//! launch) exactly as the end of an attached `start` does; `--purge` also removes its state
//! volume (Claude Code's login).

use clap::Args;

use super::{Global, Terminal};
use crate::bottle::Bottle;
use crate::usecase::stop;

/// Remove a bottle: its agent, its pipelock sidecar and git gate, both networks and its stage
/// directory. Its state volume (Claude Code's login and settings) stays unless --purge.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// The bottle's name or slug, as `start` printed it.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Also remove the bottle's state volume: the next start logs in afresh.
    #[arg(long)]
    pub purge: bool,
}

/// Remove a bottle and its state volume: `stop --purge NAME`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,
}

impl RmArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        StopArgs {
            name: self.name.clone(),
            purge: true,
        }
        .run(global)
    }
}

impl StopArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let bottle = Bottle::named(&self.name)?;
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        stop::stop(engine.as_ref(), &bottle, self.purge, &mut Terminal::new())
    }
}
