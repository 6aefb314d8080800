//! `bot-bottle logs NAME`: a bottle's audit events as readable lines (time, verdict, method,
//! host, scanner, reason; refusals highlighted) or as JSON: the pipelock sidecar's, then the git
//! gate's (pushes and refused pushes, `"source": "git-gate"`) when the bottle has one.

use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use clap::Args;

use super::Global;
use crate::bottle::Bottle;
use crate::usecase::logs::{self, Logged};

/// Print a bottle's audit log: what pipelock allowed and blocked, and what the git gate pushed
/// and refused, one event a line.
///
/// Refusals are highlighted on a terminal (not when `NO_COLOR` is set). Lines the sidecars
/// print that are not events (banners, warnings) go to stderr.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Keep printing new events until the sidecar stops (Ctrl-C to quit).
    #[arg(short, long)]
    pub follow: bool,

    /// One JSON object per event (`"schema": "bot-bottle.logs/v1"`), with pipelock's own event
    /// under `event`.
    #[arg(long)]
    pub json: bool,
}

/// Whether to highlight: a terminal, and `NO_COLOR` unset or empty (<https://no-color.org>).
pub(super) fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl LogsArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let bottle = Bottle::named(&self.name)?;
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let color = !self.json && use_color();
        let show = |logged: Logged<'_>| -> anyhow::Result<()> {
            let line = match logged {
                Logged::Event(line) => line,
                Logged::Other(text) => {
                    eprintln!("{text}");
                    return Ok(());
                }
            };
            let mut out = std::io::stdout().lock();
            if self.json {
                serde_json::to_writer(&mut out, &line).context("writing the log")?;
                writeln!(out).context("writing the log")?;
            } else {
                writeln!(out, "{}", line.render(color)).context("writing the log")?;
            }
            if self.follow {
                out.flush().context("writing the log")?;
            }
            Ok(())
        };
        logs::audit(engine.as_ref(), &bottle, self.follow, &show)
    }
}
