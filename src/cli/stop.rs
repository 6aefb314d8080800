//! `bot-bottle stop NAME [--purge]`: remove a bottle (detached, or left over by a crashed
//! launch) exactly as the end of an attached `start` does; `--purge` also removes its state
//! volume (Claude Code's login).

use anyhow::Context as _;
use clap::Args;

use super::Global;
use crate::bottle::Bottle;

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
        // Not while a launch of this name is still bringing it up or running it attached.
        let held = bottle.lock()?;
        // A detached learn run writes its lock now, while its sidecar's log exists.
        let learned = learn_before_removal(engine.as_ref(), &bottle);
        let removed = held.remove(engine.as_ref(), self.purge)?;
        eprintln!("bot-bottle: {}", removed.summary());
        if let Some(warning) = &removed.git_warning {
            eprintln!("bot-bottle: {warning}");
        }
        learned.context("the bottle was removed, but its learn run's lock was not written")
    }
}

/// For a learn run (its launch record says where its lock goes), writes the lock from the
/// sidecar's log and says so. An error is returned only after the bottle is removed: the lock
/// it would have written is printed, so nothing learned is lost.
fn learn_before_removal(engine: &dyn engine::Engine, bottle: &Bottle) -> anyhow::Result<()> {
    let Some(record) = bottle.record() else {
        return Ok(());
    };
    let Some(path) = &record.learn_lock else {
        return Ok(());
    };
    if engine.inspect_container(&record.proxy_container)?.is_none() {
        eprintln!(
            "bot-bottle: the learn run's sidecar {} is gone, and with it what it saw: {path} is left as it was",
            record.proxy_container
        );
        return Ok(());
    }
    let learned =
        crate::policy::learn::finish(engine, &record.proxy_container, &record.name, path)?;
    eprintln!("bot-bottle: {}", learned.summary());
    Ok(())
}
