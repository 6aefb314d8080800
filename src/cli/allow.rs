//! `bot-bottle allow NAME HOST…` and `bot-bottle deny NAME HOST…`: change a running bottle's
//! allowlist live (see [`crate::policy::live`]).

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::Global;
use crate::manifest::Hostname;
use crate::policy::live::{self, Change};

/// Allow hosts in a running bottle, without restarting its agent: pipelock reloads its config.
///
/// A host must be within the bottle CA's name constraints (the allowlist and egress.approvable
/// at launch), so that pipelock can intercept it and its DLP holds. The change lasts as long
/// as the bottle.
#[derive(Debug, Args)]
pub struct AllowArgs {
    #[command(flatten)]
    change: ChangeArgs,
}

/// Deny hosts in a running bottle, without restarting its agent: pipelock reloads its config.
///
/// New connections to them are refused; connections already open stay until they end. The
/// built-in hosts (what Claude Code needs) cannot be denied.
#[derive(Debug, Args)]
pub struct DenyArgs {
    #[command(flatten)]
    change: ChangeArgs,
}

#[derive(Debug, Args)]
struct ChangeArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    name: String,

    /// Hostnames, as in egress.allowlist (`*.example.com` also matches example.com).
    #[arg(value_name = "HOST", required = true, value_parser = Hostname::parse)]
    hosts: Vec<Hostname>,

    /// Print JSON (`"schema": "bot-bottle.allow/v1"` or `"bot-bottle.deny/v1"`) instead of text.
    #[arg(long)]
    json: bool,
}

impl AllowArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        self.change.run(global, Change::Allow)
    }
}

impl DenyArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        self.change.run(global, Change::Deny)
    }
}

impl ChangeArgs {
    fn run(&self, global: &Global, change: Change) -> anyhow::Result<()> {
        let bottle = crate::bottle::Bottle::named(&self.name)?;
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let outcome = live::apply(engine.as_ref(), &bottle, change, &self.hosts)?;
        let slug = bottle.slug();
        if self.json {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &outcome).context("writing the result")?;
            writeln!(out)?;
            return Ok(());
        }
        let list = |hosts: &[Hostname]| {
            hosts
                .iter()
                .map(Hostname::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (done, already) = match change {
            Change::Allow => ("allowed", "already allowed"),
            Change::Deny => ("denied", "not on the allowlist"),
        };
        if !outcome.unchanged.is_empty() {
            eprintln!("bot-bottle: {already}: {}", list(&outcome.unchanged));
        }
        if let Some(hash) = &outcome.config_hash {
            eprintln!(
                "bot-bottle: {done} {} in bottle {slug}; pipelock reloaded its config (config_hash {hash})",
                list(&outcome.changed)
            );
            let note = match change {
                Change::Allow => "this lasts as long as the bottle: to keep it, add it to egress.allowlist in the manifest, or let a learn run record it in bottle.lock",
                Change::Deny => "connections already open stay open until they end",
            };
            eprintln!("bot-bottle: {note}");
        }
        Ok(())
    }
}
