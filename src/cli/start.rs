//! `bot-bottle start`: plan a bottle from its manifest, show the plan, and launch it.

use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use clap::Args;

use super::planning::{approve_unasked, ManifestArgs};
use super::Global;
use crate::approval;
use crate::approval::Reviewed;
use crate::exit::UsageError;
use crate::plan::{self, EngineSummary};
use crate::{images, launch};

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
        let reviewed = self.plan(found.as_ref().map(plan::EngineSummary::of))?;
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
        let asked = settle_approval(&reviewed, self.yes)?;
        if !self.yes && !asked {
            confirm(&reviewed)?;
        }
        let plan = reviewed.plan;
        let engine = found
            .ok_or_else(|| engine::NoEngineFound {
                looked_for: engine::detect::looked_for(global.engine.as_deref()),
            })?
            .engine;
        let options = launch::Options {
            detach: self.detach,
        };
        // Each missing image may be made once (there are three).
        let mut offers = 3;
        let outcome = loop {
            match launch::launch(engine.as_ref(), &plan, options) {
                Err(err)
                    if offers > 0 && self.offer_image(engine.as_ref(), &err, global.verbose)? =>
                {
                    offers -= 1;
                }
                other => break other?,
            }
        };
        if self.json {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &outcome)
                .context("writing the launch report")?;
            writeln!(out)?;
        } else if let Some(attach) = &outcome.attach {
            println!("bottle {} is running; reach the agent with:\n  {attach}\nremove it with:\n  bot-bottle stop {}", outcome.bottle, outcome.bottle);
            if let Some(learn) = &plan.egress.learn {
                println!(
                    "a learn run: `bot-bottle stop {}` writes the hosts the agent used to {}",
                    outcome.bottle, learn.lock_path
                );
            }
        }
        match outcome.agent_exit_code {
            Some(code) if code != 0 => {
                anyhow::bail!("the agent exited with status {code}; the bottle was removed")
            }
            _ => Ok(()),
        }
    }

    /// When `err` is a missing image that `bot-bottle image` makes (the default names), offers
    /// to make it now (`-y` accepts) and says whether it did, so the launch can go again.
    fn offer_image(
        &self,
        engine: &dyn engine::Engine,
        err: &anyhow::Error,
        verbose: bool,
    ) -> anyhow::Result<bool> {
        let Some(missing) = err.downcast_ref::<launch::MissingImage>() else {
            return Ok(false);
        };
        let Some(target) = images::maker_for(missing.role, &missing.image) else {
            return Ok(false);
        };
        let how = format!("build it now ({})", target.how());
        if self.yes {
            eprintln!("bot-bottle: {missing}; -y: going to {how}");
        } else if !std::io::stdin().is_terminal()
            || !super::ask_yes(&format!("bot-bottle: {missing}.\n{how}? [y/N] "))?
        {
            return Ok(false);
        }
        images::build(engine, target, &images::BuildOptions::default(), verbose)?;
        Ok(true)
    }

    fn plan(&self, engine: Option<EngineSummary>) -> anyhow::Result<Reviewed> {
        self.manifest.plan(engine, self.learn)
    }
}

/// Settles the manifest's approval before anything is created, and says whether the user was
/// asked (and said yes) on the way. An approved manifest (or the built-in default) needs
/// nothing; with `-y`, a change that widens nothing is approved; anything else needs a yes on
/// the terminal, or, without one, fails with exit 3 showing what would change. The approval
/// is recorded before the launch: a launch that fails afterwards does not undo it.
fn settle_approval(plan: &Reviewed, yes: bool) -> anyhow::Result<bool> {
    let Some(approval) = plan.pending() else {
        return Ok(false);
    };
    if yes && approval.yes_suffices() {
        approve_unasked(plan, true)?;
        return Ok(false);
    }
    if !std::io::stdin().is_terminal() {
        if approval.yes_suffices() {
            // Not -y: the usual question, which needs a terminal, says so.
            return Ok(false);
        }
        approve_unasked(plan, true)?;
    }
    ask(plan, "Approve this manifest and launch this bottle? [y/N] ")?;
    approval::record(approval)?;
    Ok(true)
}

/// Shows the plan on stderr and asks y/N on the terminal.
fn confirm(plan: &Reviewed) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(
            "refusing to launch without confirmation: stdin is not a terminal; pass --yes (or -y) to launch, or --dry-run to see the plan".to_owned(),
        )
        .into());
    }
    ask(plan, "Launch this bottle? [y/N] ")
}

/// Shows the plan on stderr and asks `question` on the terminal; anything but yes is an error.
fn ask(plan: &Reviewed, question: &str) -> anyhow::Result<()> {
    std::io::stderr().write_all(plan.render_text().as_bytes())?;
    if super::ask_yes(question)? {
        Ok(())
    } else {
        anyhow::bail!("not launched: the answer was not yes; nothing was created")
    }
}
