//! `bot-bottle logs NAME`: the pipelock sidecar's audit events (JSON lines) for a bottle.

use std::io::Write as _;

use anyhow::{bail, Context as _};
use clap::Args;

use super::Global;
use crate::plan::build::ResourceNames;

/// Print a bottle's egress audit log: pipelock's JSON events (allowed, blocked, DLP hits).
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Keep printing new events until the sidecar stops (Ctrl-C to quit).
    #[arg(short, long)]
    pub follow: bool,
}

impl LogsArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let slug = crate::slug::slugify(&self.name)?;
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        let proxy = ResourceNames::proxy(&slug);
        if engine.inspect_container(&proxy)?.is_none() {
            bail!(
                "no bottle named {slug:?} is running in {} ({})",
                engine.kind(),
                engine.program()
            );
        }
        if self.follow {
            return engine.follow_logs(&proxy);
        }
        let out = engine.logs(&proxy)?;
        // Pipelock writes its audit events to stdout and its banner and warnings to stderr.
        std::io::stdout()
            .write_all(out.stdout.as_bytes())
            .context("writing the log")?;
        std::io::stderr()
            .write_all(out.stderr.as_bytes())
            .context("writing the log")?;
        Ok(())
    }
}
