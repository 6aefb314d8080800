//! `bot-bottle start`: plan a bottle from its manifest, show the plan, and launch it; the flow
//! and its rules are [`crate::usecase::start`]'s.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::planning::ManifestArgs;
use super::{Global, Terminal};
use crate::plan::EngineSummary;
use crate::usecase::start;

/// Plan and launch a bottle.
///
/// With no MANIFEST, uses ./bottle.toml if it exists, else the built-in default.
/// Without --yes, shows the plan and asks before creating anything; without a terminal to
/// ask on, --yes is required.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // independent command-line switches
pub struct StartArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Print the plan and exit without creating anything.
    #[arg(long)]
    pub dry_run: bool,

    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,

    /// Launch without asking for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Leave the bottle running in the background and print how to reach the agent;
    /// `bot-bottle stop NAME` removes it.
    #[arg(long)]
    pub detach: bool,

    /// A learn run, on trusted work only: every host is reachable (DLP still blocks
    /// credentials), and when the bottle ends (or `bot-bottle stop NAME` removes it) the hosts
    /// the agent used are written to bottle.lock next to the manifest, for review. A normal
    /// start then allows them on top of the manifest's allowlist.
    #[arg(long)]
    pub learn: bool,
}

impl StartArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        // No engine at all is fine for a dry run: the plan says "none found".
        let found = engine::detect::find(global.engine.as_deref(), global.verbose)?;
        let reviewed = self
            .manifest
            .request()
            .review(found.as_ref().map(EngineSummary::of), self.learn)?;
        if self.dry_run {
            let mut out = std::io::stdout().lock();
            if self.json {
                serde_json::to_writer_pretty(&mut out, &reviewed).context("writing the plan")?;
                writeln!(out)?;
            } else {
                out.write_all(reviewed.render_text().as_bytes())?;
            }
            return Ok(());
        }
        let engine = found
            .map(|f| f.engine)
            .ok_or_else(|| engine::NoEngineFound {
                looked_for: engine::detect::looked_for(global.engine.as_deref()),
            });
        let request = start::Request {
            yes: self.yes,
            detach: self.detach,
            verbose: global.verbose,
        };
        let started = start::start(reviewed, engine, request, &mut Terminal::new())?;
        let outcome = &started.outcome;
        if self.json {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, outcome).context("writing the launch report")?;
            writeln!(out)?;
        } else if let Some(attach) = &outcome.attach {
            println!("bottle {} is running; reach the agent with:\n  {attach}\nremove it with:\n  bot-bottle stop {}", outcome.bottle, outcome.bottle);
            if let Some(lock) = &started.learn_lock {
                println!(
                    "a learn run: `bot-bottle stop {}` writes the hosts the agent used to {lock}",
                    outcome.bottle
                );
            }
        }
        started.agent_result()
    }
}
