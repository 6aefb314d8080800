//! Removing a bottle as `stop` does (detached, or left over by a crashed launch): exactly what
//! the end of an attached `start` removes, and with `purge` its state volume too.

use anyhow::bail;
use engine::Engine;

use super::teardown::{self, Resource};
use super::{selector, Held, ResourceNames};
use crate::{gitwatch, parallel, timing};

/// What a removal did, for the line the user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub slug: String,
    /// State volumes that stay (none when purged).
    pub kept_volumes: Vec<String>,
    /// The warning about git files in the workspace that appeared or changed since the
    /// launch (see [`crate::gitwatch`]), when there is any.
    pub git_warning: Option<String>,
}

impl Removed {
    /// The line `stop` prints.
    pub fn summary(&self) -> String {
        let slug = &self.slug;
        if self.kept_volumes.is_empty() {
            format!("bottle {slug} removed")
        } else {
            format!(
                "bottle {slug} removed; its state volume {} stays (`bot-bottle stop --purge {slug}` removes it)",
                self.kept_volumes.join(", ")
            )
        }
    }
}

impl Held<'_> {
    /// Removes the bottle's containers, networks and stage directory, and with `purge` its
    /// state volumes (the one named by the slug alone that an earlier bot-bottle made, too).
    /// Nothing of it at all is an error.
    pub fn remove(&self, engine: &dyn Engine, purge: bool) -> anyhow::Result<Removed> {
        let bottle = self.bottle();
        let slug = bottle.slug();
        // The key holder's refresh of a subscription login outlives it.
        if let Some(holder) = bottle.record().and_then(|r| r.key_holder) {
            if let Some(login) = &holder.refreshable_login {
                crate::login::refreshed::keep_and_tell(engine, &holder.container, login);
            }
        }
        // The containers go at once, found by their label; what they sat on is listed
        // meanwhile, and goes after them.
        let label = selector(slug);
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
        let stage_dir = bottle.stage_dir();
        let has_stage = stage_dir.exists();
        // Read before the stage directory goes, compared once the agent is gone.
        let git_files = gitwatch::Snapshot::load(&stage_dir.join(gitwatch::FILE));
        // A volume named by the slug alone (an earlier bot-bottle's) may carry no label.
        let named = ResourceNames::legacy_state_volume(slug);
        if purge && !volumes.contains(&named) && engine.inspect_volume(&named)?.is_some() {
            volumes.push(named);
        }
        let nothing_running = containers == 0 && networks.is_empty();
        if nothing_running && !has_stage && (!purge || volumes.is_empty()) {
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
        let mut resources = vec![Resource::StageDir(stage_dir.to_owned())];
        resources.extend(networks.into_iter().map(|n| Resource::Network(n.name)));
        if purge {
            resources.extend(volumes.iter().cloned().map(Resource::Volume));
        }
        timing::step("remove", || teardown::remove_all(engine, &resources))?;
        let git_warning =
            git_files.and_then(|s| timing::step("workspace git files", || s.warning_now()));
        Ok(Removed {
            slug: slug.to_owned(),
            kept_volumes: if purge { Vec::new() } else { volumes },
            git_warning,
        })
    }
}
