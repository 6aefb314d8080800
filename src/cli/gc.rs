//! `bot-bottle gc`: removes what crashed launches left behind, and nothing else.
//!
//! A bottle is a crash's leftover when this user's stage root holds its lock file, nobody holds
//! that lock (the kernel drops it when its holder dies, however it dies), and it is not a
//! detached bottle that came up (its launch record says so, for the launch id its resources
//! carry). Only resources carrying bot-bottle's labels are looked at; bottles of other users or
//! other stage roots have no lock file here and are never touched. State volumes (Claude Code's
//! login) are never removed by `gc`: `stop --purge` does that.

use std::io::Write as _;

use clap::Args;
use serde::Serialize;

use super::Global;
use crate::launch::{lock, record, stage, teardown};

/// Version of the `gc --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.gc/v1";

/// Remove what crashed launches left: containers, networks and stage directories of bottles
/// whose launch no longer runs, and private scratch files (env files, podman's copy spools) a
/// killed bot-bottle left in its scratch place. Running and detached bottles, state volumes
/// and anything without bot-bottle's labels are left alone.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Only say what would be removed.
    #[arg(long)]
    pub dry_run: bool,

    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    schema: &'static str,
    dry_run: bool,
    /// What was removed (or would be, with `--dry-run`).
    removed: Vec<Item>,
    /// Bottles left alone, and why.
    kept: Vec<Kept>,
}

#[derive(Debug, Serialize)]
struct Item {
    /// `None` for scratch files, which belong to no bottle in particular.
    bottle: Option<String>,
    /// `container`, `network`, `stage_dir` or `scratch`.
    kind: &'static str,
    name: String,
}

/// How long a scratch directory or env file must have been left untouched before `gc` counts
/// it as a killed process's: no engine call that uses one takes this long.
const SCRATCH_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Debug, Serialize)]
struct Kept {
    bottle: String,
    why: String,
}

impl GcArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        let root = stage::root()?;
        let mut bottles = crate::bottles::find(engine.as_ref(), None)?;
        // Stage directories or locks of launches that died before creating anything.
        for slug in locked_slugs(&root) {
            bottles.entry(slug).or_default();
        }
        let mut report = Report {
            schema: JSON_SCHEMA,
            dry_run: self.dry_run,
            removed: Vec::new(),
            kept: Vec::new(),
        };
        let mut errors = Vec::new();
        for (slug, found) in bottles {
            let stage_dir = root.join(&slug);
            let mut keep = |why: String| {
                report.kept.push(Kept {
                    bottle: slug.clone(),
                    why,
                });
            };
            if !lock::path_for(&stage_dir).exists() {
                if !found.containers.is_empty() || !found.networks.is_empty() {
                    keep(format!("not launched from this stage root ({root})"));
                }
                continue;
            }
            let Ok(_lock) = lock::acquire(&stage_dir) else {
                keep("its launch is running (it holds the bottle lock)".to_owned());
                continue;
            };
            if let Some(r) = record::read(&stage_dir) {
                if r.detached && found.launch_ids().contains(&r.launch_id) {
                    keep(format!(
                        "detached and running; `bot-bottle stop {slug}` removes it"
                    ));
                    continue;
                }
            }
            let mut resources = Vec::new();
            for c in &found.containers {
                resources.push(teardown::Resource::Container(c.name.clone()));
            }
            for n in &found.networks {
                resources.push(teardown::Resource::Network(n.name.clone()));
            }
            if stage_dir.exists() {
                resources.push(teardown::Resource::StageDir(stage_dir.clone()));
            }
            if resources.is_empty() {
                continue;
            }
            for resource in &resources {
                let (kind, name) = match resource {
                    teardown::Resource::Container(n) => ("container", n.clone()),
                    teardown::Resource::Network(n) => ("network", n.clone()),
                    teardown::Resource::Volume(n) => ("volume", n.clone()),
                    teardown::Resource::StageDir(p) => ("stage_dir", p.to_string()),
                };
                report.removed.push(Item {
                    bottle: Some(slug.clone()),
                    kind,
                    name,
                });
            }
            if !self.dry_run {
                if let Err(e) = teardown::remove_all(engine.as_ref(), &resources) {
                    errors.push(e.to_string());
                }
            }
        }
        // Private copies a bot-bottle killed mid-call left (see `backends::scratch`).
        for path in backends::scratch::stale(SCRATCH_MIN_AGE) {
            if !self.dry_run {
                if let Err(e) = backends::scratch::remove(&path) {
                    errors.push(format!("{e:#}"));
                    continue;
                }
            }
            report.removed.push(Item {
                bottle: None,
                kind: "scratch",
                name: path.display().to_string(),
            });
        }
        report.print(self.json)?;
        if !errors.is_empty() {
            anyhow::bail!("{}", errors.join("\n"));
        }
        Ok(())
    }
}

impl Report {
    /// Prints the report: JSON, or a line per removal and per bottle kept.
    fn print(&self, json: bool) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if json {
            serde_json::to_writer_pretty(&mut out, self)?;
            writeln!(out)?;
        } else {
            let verb = if self.dry_run {
                "would remove"
            } else {
                "removed"
            };
            for item in &self.removed {
                match &item.bottle {
                    Some(bottle) => writeln!(out, "{verb} {} {} ({bottle})", item.kind, item.name)?,
                    None => writeln!(out, "{verb} {} {}", item.kind, item.name)?,
                }
            }
            for kept in &self.kept {
                writeln!(out, "kept {}: {}", kept.bottle, kept.why)?;
            }
            if self.removed.is_empty() {
                writeln!(out, "nothing to remove")?;
            }
        }
        Ok(())
    }
}

/// The bottle names with a lock file in `root`.
fn locked_slugs(root: &camino::Utf8Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".lock").map(str::to_owned))
        .collect()
}
