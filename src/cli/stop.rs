//! `bot-bottle stop NAME`: remove a bottle (detached, or left over by a crashed launch) exactly
//! as the end of an attached `start` does.

use anyhow::bail;
use clap::Args;

use super::Global;
use crate::launch::{lock, parallel, stage, teardown};
use crate::plan::LABEL_BOTTLE;
use crate::timing;

/// Remove a bottle: its agent, its pipelock sidecar and git gate, both networks and its stage
/// directory.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// The bottle's name or slug, as `start` printed it.
    #[arg(value_name = "NAME")]
    pub name: String,
}

impl StopArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let slug = crate::slug::slugify(&self.name)?;
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        let stage_dir = stage::root()?.join(&slug);
        // Not while a launch of this name is still bringing it up or running it attached.
        let _lock = lock::acquire(&stage_dir)?;
        let label = format!("{LABEL_BOTTLE}={slug}");
        let (containers, networks) = timing::step("list", || {
            parallel::both(
                || engine.list_containers(&label),
                || engine.list_networks(&label),
            )
        });
        let (containers, networks) = (containers?, networks?);
        let has_stage = stage_dir.exists();
        if containers.is_empty() && networks.is_empty() && !has_stage {
            bail!(
                "no bottle named {slug:?} found in {} ({})",
                engine.kind(),
                engine.program()
            );
        }
        let mut resources = vec![teardown::Resource::StageDir(stage_dir)];
        resources.extend(
            networks
                .into_iter()
                .map(|n| teardown::Resource::Network(n.name)),
        );
        resources.extend(
            containers
                .into_iter()
                .map(|c| teardown::Resource::Container(c.name)),
        );
        timing::step("remove", || {
            teardown::remove_all(engine.as_ref(), &resources)
        })?;
        eprintln!("bot-bottle: bottle {slug} removed");
        Ok(())
    }
}
