//! `bot-bottle policy log NAME`: what a bottle's proxy allowed and refused, one line per host
//! (see [`crate::policy::usage`]).

use std::io::Write as _;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::Global;
use crate::bottle::Bottle;
use crate::policy::usage::{self, Tally};

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
        // A stopped sidecar's log is still there to read.
        let (proxy, _) = bottle.proxy_on(engine.as_ref())?;
        let write = |host: &usage::HostUse| -> anyhow::Result<()> {
            let mut out = std::io::stdout().lock();
            if self.json {
                serde_json::to_writer(&mut out, host).context("writing the log")?;
                writeln!(out).context("writing the log")?;
            } else {
                writeln!(out, "{}", usage::render(host)).context("writing the log")?;
            }
            out.flush().context("writing the log")
        };
        let mut tally = Tally::default();
        // What the log holds so far, one line per host; with -f, then each change as it comes.
        let log = engine.logs(&proxy)?;
        for line in log.stdout.lines() {
            tally.add_line(line);
        }
        if !self.json {
            println!("{}", usage::render_header());
        }
        for host in tally.hosts() {
            write(host)?;
        }
        if !self.follow {
            return Ok(());
        }
        // Follow from the start again and print only what is new: the lines read above count
        // once more first, and are skipped until the stream passes them.
        let mut skip = log.stdout.lines().count();
        let mut fresh = Tally::default();
        engine.stream_logs(&proxy, true, &mut |line| {
            let changed = fresh.add_line(line).cloned();
            if skip > 0 {
                skip -= 1;
                return Ok(());
            }
            changed.map_or(Ok(()), |host| write(&host))
        })
    }
}
