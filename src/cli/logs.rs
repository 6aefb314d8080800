//! `bot-bottle logs NAME`: a bottle's audit events as readable lines (time, verdict, method,
//! host, scanner, reason; refusals highlighted) or as JSON: the pipelock sidecar's, then the git
//! gate's (pushes and refused pushes, `"source": "git-gate"`) when the bottle has one.

use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use clap::Args;

use super::Global;
use crate::bottle::Bottle;
use crate::policy::audit::Line;

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
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl LogsArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let bottle = Bottle::named(&self.name)?;
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        // A stopped sidecar's log is still there to read.
        let (proxy, _) = bottle.proxy_on(engine.as_ref())?;
        let gate = bottle.gate();
        let has_gate = engine.inspect_container(&gate)?.is_some();
        let color = !self.json && use_color();
        let json = self.json;
        let follow = self.follow;
        // Shared by the two streams of `-f`: one line is written whole before the next.
        let print = |text: &str| -> anyhow::Result<()> {
            let Some(line) = Line::parse(text) else {
                // Not an event: a banner or a warning.
                eprintln!("{text}");
                return Ok(());
            };
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer(&mut out, &line).context("writing the log")?;
                writeln!(out).context("writing the log")?;
            } else {
                writeln!(out, "{}", line.render(color)).context("writing the log")?;
            }
            if follow {
                out.flush().context("writing the log")?;
            }
            Ok(())
        };
        let stream = |name: &str| engine.stream_logs(name, follow, &mut |text| print(text));
        match (has_gate, follow) {
            (false, _) => stream(&proxy),
            (true, false) => stream(&proxy).and_then(|()| stream(&gate)),
            (true, true) => {
                let (a, b) = crate::parallel::both(|| stream(&proxy), || stream(&gate));
                a.and(b)
            }
        }
    }
}
