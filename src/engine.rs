//! How the binary finds and describes its container engine (the drivers live in `backends`).
//! Takes plain arguments, not the CLI's types: the CLI depends on this module, not the reverse.

use backends::{detect, Engine, EngineKind, NoEngineFound};

use crate::exit::UsageError;
use crate::plan::EngineSummary;

/// The engine the user chose, or the first one on PATH, with its description.
pub struct Found {
    pub engine: Box<dyn Engine>,
    pub summary: EngineSummary,
}

/// Finds the engine (`choice`: a name or path, or `None` to search PATH) without running it:
/// what a plan needs is known from the binary and this process. `None` when there is none.
/// A binary that is found but is neither docker nor podman is a usage error.
pub fn find(choice: Option<&str>, verbose: bool) -> anyhow::Result<Option<Found>> {
    let probed = detect::probe(choice, verbose).map_err(|e| UsageError(format!("{e:#}")))?;
    let Some(detected) = probed else {
        return Ok(None);
    };
    let engine = detect::engine_for(&detected, verbose);
    let rootless = match detected.kind {
        // Podman runs rootless exactly when its caller is not root.
        EngineKind::Podman => Some(current_uid()? != 0),
        // Only the daemon knows.
        EngineKind::Docker => None,
    };
    let summary = EngineSummary {
        kind: detected.kind.to_string(),
        program: detected.program,
        version: None,
        rootless,
        reachable: None,
    };
    Ok(Some(Found { engine, summary }))
}

/// The engine for a command that needs one; [`NoEngineFound`] when there is none.
pub fn select(choice: Option<&str>, verbose: bool) -> anyhow::Result<Box<dyn Engine>> {
    find(choice, verbose)?
        .map(|found| found.engine)
        .ok_or_else(|| {
            NoEngineFound {
                looked_for: detect::looked_for(choice),
            }
            .into()
        })
}

pub use backends::process::current_uid;
