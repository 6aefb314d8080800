//! `bot-bottle policy log NAME`: what a bottle's proxy allowed and refused, one line per host
//! (see [`crate::usecase::logs::tally`]).

use std::io::Write as _;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::Global;
use crate::bottle::Bottle;
use crate::policy::usage;
use crate::usecase::logs::{self, Tallied};

/// A bottle's egress policy.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    Log(LogArgs),
}

impl PolicyCommand {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        match self {
            PolicyCommand::Log(args) => args.run(global),
        }
    }
}

/// What a bottle's proxy allowed and refused, one line per host with counts (from pipelock's
/// audit events).
///
/// A connection counts once: a CONNECT tunnel (with everything sent through it) or a plain
/// HTTP request; it is refused when pipelock refused it or anything in it.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Keep going: print a host's line again each time its counts change, until the sidecar
    /// stops (Ctrl-C to quit).
    #[arg(short, long)]
    pub follow: bool,

    /// One JSON object per host line (`"schema": "bot-bottle.policy-log/v1"`).
    #[arg(long)]
    pub json: bool,
}

impl LogArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let bottle = Bottle::named(&self.name)?;
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let mut show = |shown: Tallied<'_>| -> anyhow::Result<()> {
            let mut out = std::io::stdout().lock();
            match shown {
                Tallied::Start if !self.json => {
                    writeln!(out, "{}", usage::render_header()).context("writing the log")?;
                }
                Tallied::Start => {}
                Tallied::Host(host) if self.json => {
                    serde_json::to_writer(&mut out, host).context("writing the log")?;
                    writeln!(out).context("writing the log")?;
                }
                Tallied::Host(host) => {
                    writeln!(out, "{}", usage::render(host)).context("writing the log")?;
                }
            }
            out.flush().context("writing the log")
        };
        logs::tally(engine.as_ref(), &bottle, self.follow, &mut show)
    }
}
