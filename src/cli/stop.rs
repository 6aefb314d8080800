//! `bot-bottle stop NAME [--purge]`: remove a bottle (detached, or left over by a crashed
//! launch) exactly as the end of an attached `start` does; `--purge` also removes its state
//! volume (Claude Code's login).

use anyhow::{bail, Context as _};
use camino::Utf8Path;
use clap::Args;

use super::Global;
use crate::launch::{lock, parallel, record, stage, teardown};
use crate::plan::build::ResourceNames;
use crate::plan::LABEL_BOTTLE;
use crate::timing;

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
        let slug = crate::slug::slugify(&self.name)?;
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        let stage_dir = stage::root()?.join(&slug);
        // Not while a launch of this name is still bringing it up or running it attached.
        let _lock = lock::acquire(&stage_dir)?;
        // A detached learn run writes its lock now, while its sidecar's log exists.
        let learned = learn_before_removal(engine.as_ref(), &stage_dir);
        // The containers go at once, found by their label; what they sat on is listed
        // meanwhile, and goes after them.
        let label = format!("{LABEL_BOTTLE}={slug}");
        let (containers, (networks, volumes)) = parallel::both(
            || {
                timing::step("remove containers", || {
                    engine.remove_containers_labelled(&label)
                })
            },
            || {
                timing::step("list", || {
                    parallel::both(
                        || engine.list_networks(&label),
                        || engine.list_volumes(&label),
                    )
                })
            },
        );
        let (containers, networks) = (containers?, networks?);
        let mut volumes: Vec<String> = volumes?.into_iter().map(|v| v.name).collect();
        let has_stage = stage_dir.exists();
        // A volume named by the slug alone (an earlier bot-bottle's) may carry no label.
        let named = ResourceNames::legacy_state_volume(&slug);
        if self.purge && !volumes.contains(&named) && engine.inspect_volume(&named)?.is_some() {
            volumes.push(named);
        }
        let nothing_running = containers == 0 && networks.is_empty();
        if nothing_running && !has_stage && (!self.purge || volumes.is_empty()) {
            bail!(
                "no bottle named {slug:?} found in {} ({}){}",
                engine.kind(),
                engine.program(),
                if volumes.is_empty() {
                    ""
                } else {
                    "; only its state volume is left: `--purge` removes it"
                }
            );
        }
        let mut resources = vec![teardown::Resource::StageDir(stage_dir)];
        resources.extend(
            networks
                .into_iter()
                .map(|n| teardown::Resource::Network(n.name)),
        );
        if self.purge {
            resources.extend(volumes.iter().cloned().map(teardown::Resource::Volume));
        }
        timing::step("remove", || {
            teardown::remove_all(engine.as_ref(), &resources)
        })?;
        if self.purge || volumes.is_empty() {
            eprintln!("bot-bottle: bottle {slug} removed");
        } else {
            eprintln!(
                "bot-bottle: bottle {slug} removed; its state volume {} stays (`bot-bottle stop --purge {slug}` removes it)",
                volumes.join(", ")
            );
        }
        learned.context("the bottle was removed, but its learn run's lock was not written")
    }
}

/// For a learn run (its launch record says where its lock goes), writes the lock from the
/// sidecar's log and says so. An error is returned only after the bottle is removed: the lock
/// it would have written is printed, so nothing learned is lost.
fn learn_before_removal(engine: &dyn backends::Engine, stage_dir: &Utf8Path) -> anyhow::Result<()> {
    let Some(record) = record::read(stage_dir) else {
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
