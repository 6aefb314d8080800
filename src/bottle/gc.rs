//! `gc`'s policy: what crashed launches left behind, and nothing else.
//!
//! A bottle is a crash's leftover when this user's stage root holds its lock file, nobody holds
//! that lock (the kernel drops it when its holder dies, however it dies), and it is not a
//! detached bottle that came up (its launch record says so, for the launch id its resources
//! carry). Only resources carrying bot-bottle's labels are looked at; bottles of other users or
//! other stage roots have no lock file here and are never touched. State volumes (Claude Code's
//! login) are never removed here: `stop --purge` does that.

use camino::Utf8Path;
use engine::Engine;
use serde::Serialize;

use super::teardown::{self, Resource};
use super::{discovery, Bottle};

/// Version of the `gc --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.gc/v1";

/// What `gc` removed (or would, in a dry run) and what it kept.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub dry_run: bool,
    /// What was removed (or would be, with `--dry-run`).
    pub removed: Vec<Item>,
    /// Bottles left alone, and why.
    pub kept: Vec<Kept>,
    /// The signed records sealed (as incomplete) for the crashed launches removed: their
    /// envelopes' paths (see `crate::record`).
    pub records: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Item {
    /// `None` for scratch files, which belong to no bottle in particular.
    pub bottle: Option<String>,
    /// A [`Resource::kind`] (`container`, `network`, `stage_dir`), or `scratch`.
    pub kind: &'static str,
    pub name: String,
}

/// How long a scratch directory or env file must have been left untouched before `gc` counts
/// it as a killed process's: no engine call that uses one takes this long.
const SCRATCH_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Debug, Serialize)]
pub struct Kept {
    pub bottle: String,
    pub why: String,
}

/// Removes (unless `dry_run`) what crashed launches of bottles staged under `root` left, and
/// the scratch files killed bot-bottles left. Errors are collected, not fatal: the report
/// says what was removed, the errors what was not. `before_removal` gets each crashed bottle's
/// slug before its resources go (while its sidecars still hold what they recorded) and
/// returns the records it sealed, or why it could not.
pub fn collect(
    engine: &dyn Engine,
    root: &Utf8Path,
    dry_run: bool,
    before_removal: &mut dyn FnMut(&str) -> Vec<Result<String, String>>,
) -> anyhow::Result<(Report, Vec<String>)> {
    let mut bottles = discovery::find(engine, None)?;
    // Stage directories or locks of launches that died before creating anything.
    for slug in locked_slugs(root) {
        bottles.entry(slug).or_default();
    }
    let mut report = Report {
        schema: JSON_SCHEMA,
        dry_run,
        removed: Vec::new(),
        kept: Vec::new(),
        records: Vec::new(),
    };
    let mut errors = Vec::new();
    for (slug, found) in bottles {
        let bottle = Bottle::in_root(root, slug.clone());
        let stage_dir = bottle.stage_dir();
        let mut keep = |why: String| {
            report.kept.push(Kept {
                bottle: slug.clone(),
                why,
            });
        };
        if !bottle.lock_path().exists() {
            if !found.containers.is_empty() || !found.networks.is_empty() {
                keep(format!("not launched from this stage root ({root})"));
            }
            continue;
        }
        let Ok(_held) = bottle.lock() else {
            keep("its launch is running (it holds the bottle lock)".to_owned());
            continue;
        };
        if let Some(r) = bottle.record() {
            if r.detached && found.launch_ids().contains(&r.launch_id) {
                keep(format!(
                    "detached and running; `bot-bottle stop {slug}` removes it"
                ));
                continue;
            }
        }
        let mut resources = Vec::new();
        for c in &found.containers {
            resources.push(Resource::Container(c.name.clone()));
        }
        for n in &found.networks {
            resources.push(Resource::Network(n.name.clone()));
        }
        if stage_dir.exists() {
            resources.push(Resource::StageDir(stage_dir.to_owned()));
        }
        if resources.is_empty() {
            continue;
        }
        for resource in &resources {
            report.removed.push(Item {
                bottle: Some(slug.clone()),
                kind: resource.kind(),
                name: resource.name().to_owned(),
            });
        }
        if !dry_run {
            for sealed in before_removal(&slug) {
                match sealed {
                    Ok(record) => report.records.push(record),
                    Err(e) => errors.push(e),
                }
            }
            if let Err(e) = teardown::remove_all(engine, &resources) {
                errors.push(e.to_string());
            }
        }
    }
    // Private copies a bot-bottle killed mid-call left (see `engine::scratch`).
    for path in engine::scratch::stale(SCRATCH_MIN_AGE) {
        if !dry_run {
            if let Err(e) = engine::scratch::remove(&path) {
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

    Ok((report, errors))
}

/// The bottle names with a lock file in `root`.
fn locked_slugs(root: &Utf8Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".lock").map(str::to_owned))
        .collect()
}
