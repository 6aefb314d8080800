//! `bot-bottle logs NAME`: a bottle's audit events (JSON lines): the pipelock sidecar's, then
//! the git gate's (pushes and refusals, each with `"source": "git-gate"`) when it has one.

use std::io::Write as _;

use anyhow::{bail, Context as _};
use clap::Args;

use super::Global;
use crate::plan::build::ResourceNames;

/// Print a bottle's audit log: pipelock's JSON events (allowed, blocked, DLP hits), and the git
/// gate's (pushes, refused pushes).
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
        let gate = ResourceNames::gate(&slug);
        let has_gate = engine.inspect_container(&gate)?.is_some();
        if self.follow {
            if !has_gate {
                return engine.follow_logs(&proxy);
            }
            let (a, b) = crate::launch::parallel::both(
                || engine.follow_logs(&proxy),
                || engine.follow_logs(&gate),
            );
            return a.and(b);
        }
        // Pipelock and the gate write their audit events to stdout, banners and warnings to
        // stderr.
        let mut logs = vec![engine.logs(&proxy)?];
        if has_gate {
            logs.push(engine.logs(&gate)?);
        }
        for out in logs {
            std::io::stdout()
                .write_all(out.stdout.as_bytes())
                .context("writing the log")?;
            std::io::stderr()
                .write_all(out.stderr.as_bytes())
                .context("writing the log")?;
        }
        Ok(())
    }
}
