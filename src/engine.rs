//! How the binary finds and describes its container engine (the drivers live in `backends`).

use std::os::unix::fs::MetadataExt as _;

use anyhow::Context as _;
use backends::{detect, Engine};

use crate::cli::Global;
use crate::plan::EngineSummary;

/// The engine the user chose or the first one on PATH, described with read-only calls only
/// (`--version`, then `info`/`version`); `None` when there is none (the plan then says
/// "none found"). An engine that is found but does not answer is still described.
pub fn summary(global: &Global) -> Option<EngineSummary> {
    let found = detect::probe(global.engine.as_deref(), global.verbose).ok().flatten()?;
    let engine = detect::engine_for(&found, global.verbose);
    let (version, rootless, reachable) = match engine.info() {
        Ok(info) => (info.version, info.rootless, true),
        Err(_) => ("(not answering)".to_owned(), false, false),
    };
    Some(EngineSummary { kind: found.kind.to_string(), program: found.program, version, rootless, reachable })
}

/// The engine to launch with; an error saying what was looked for when there is none.
pub fn select(global: &Global) -> anyhow::Result<Box<dyn Engine>> {
    let engine = detect::select_engine(global.engine.as_deref(), global.verbose)?;
    engine.info().with_context(|| format!("{} {} is not answering", engine.kind(), engine.program()))?;
    Ok(engine)
}

/// The caller's effective uid, read from `/proc/self` so no `unsafe` libc call is needed.
pub fn current_uid() -> anyhow::Result<u32> {
    Ok(std::fs::metadata("/proc/self").context("reading /proc/self to learn the uid")?.uid())
}
