//! How the binary finds and describes its container engine (the drivers live in `backends`).

use std::os::unix::fs::MetadataExt as _;

use anyhow::Context as _;
use backends::{detect, Engine, NoEngineFound};

use crate::cli::Global;
use crate::exit::UsageError;
use crate::plan::EngineSummary;

/// The engine the user chose, or the first one on PATH, with its description.
pub struct Found {
    pub engine: Box<dyn Engine>,
    pub summary: EngineSummary,
}

/// Finds the engine and describes it with read-only calls only (`--version`, then
/// `info`/`version`). `None` when there is none; an engine that is found but does not answer
/// is still returned, marked unreachable.
pub fn find(global: &Global) -> anyhow::Result<Option<Found>> {
    // A binary that is found but is neither docker nor podman is the user's choice gone wrong.
    let probed = detect::probe(global.engine.as_deref(), global.verbose)
        .map_err(|e| UsageError(format!("{e:#}")))?;
    let Some(detected) = probed else {
        return Ok(None);
    };
    let engine = detect::engine_for(&detected, global.verbose);
    let (version, rootless, reachable) = match engine.info() {
        Ok(info) => (info.version, info.rootless, true),
        Err(_) => ("(not answering)".to_owned(), false, false),
    };
    let summary = EngineSummary {
        kind: detected.kind.to_string(),
        program: detected.program,
        version,
        rootless,
        reachable,
    };
    Ok(Some(Found { engine, summary }))
}

/// The engine to launch with: found and answering.
pub fn require(found: Option<Found>, global: &Global) -> anyhow::Result<Box<dyn Engine>> {
    let found = found.ok_or_else(|| NoEngineFound {
        looked_for: detect::looked_for(global.engine.as_deref()),
    })?;
    if !found.summary.reachable {
        // Ask again to show the engine's own words.
        found.engine.info().with_context(|| {
            format!(
                "{} at {} is not answering",
                found.summary.kind, found.summary.program
            )
        })?;
    }
    Ok(found.engine)
}

/// Finds the engine for a command that needs one.
pub fn select(global: &Global) -> anyhow::Result<Box<dyn Engine>> {
    require(find(global)?, global)
}

/// The caller's effective uid, read from `/proc/self` so no `unsafe` libc call is needed.
pub fn current_uid() -> anyhow::Result<u32> {
    Ok(std::fs::metadata("/proc/self")
        .context("reading /proc/self to learn the uid")?
        .uid())
}
