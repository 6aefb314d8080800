//! `bot-bottle approve [MANIFEST]`: the deliberate way to approve a manifest (for scripts, tests,
//! and after reading it): print its effective policy and what changed since the last approval,
//! and record it, so that `start -y` launches it.

use std::io::Write as _;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::Args;
use serde::Serialize;

use super::planning::ManifestArgs;
use crate::approval::{self, Change, Input, Policy, State};

/// Approve a manifest: print the effective policy a launch of it runs with (egress, forwarded
/// env, host files, git pushes) and what changed since its last approval, and record it so
/// that `start -y` launches it.
///
/// `start` asks for this on a terminal when the manifest (or the egress lock beside it) is new
/// or its change widens egress, env or files; without one it refuses (exit 3), as `export kube`
/// does. The built-in default needs no approval unless a lock sits beside it.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `approve --json`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    schema: &'static str,
    /// `approved` (recorded now), `unchanged` (already approved as it is) or `not_needed`.
    outcome: &'static str,
    manifest: Option<&'a Utf8PathBuf>,
    record: Option<&'a Utf8PathBuf>,
    /// When the approval now recorded was given.
    approved_at: Option<String>,
    /// When the approval this one replaces was given, if any.
    previous_approved_at: Option<&'a String>,
    inputs: &'a [Input],
    policy: &'a Policy,
    /// What differs from the previous approval (everything, for a first one).
    changes: &'a [Change],
    widens: bool,
}

impl ApproveArgs {
    pub fn run(&self) -> anyhow::Result<()> {
        let approval = self.manifest.plan(None, false)?.approval;
        let (outcome, approved_at) = match approval.state {
            State::NotNeeded => ("not_needed", None),
            State::Approved => ("unchanged", approval.approved_at.clone()),
            State::New | State::Changed => ("approved", Some(approval::record(&approval)?)),
        };
        let mut out = std::io::stdout().lock();
        if self.json {
            let report = Report {
                schema: approval::JSON_SCHEMA,
                outcome,
                manifest: approval.manifest.as_ref(),
                record: approval.record.as_ref(),
                approved_at,
                previous_approved_at: match approval.state {
                    State::Changed => approval.approved_at.as_ref(),
                    _ => None,
                },
                inputs: &approval.inputs,
                policy: &approval.policy,
                changes: &approval.changes,
                widens: approval.widens,
            };
            serde_json::to_writer_pretty(&mut out, &report).context("writing the approval")?;
            writeln!(out)?;
            return Ok(());
        }
        let (Some(manifest), Some(record)) = (&approval.manifest, &approval.record) else {
            writeln!(
                out,
                "nothing to approve: the built-in default, with no egress lock beside it, needs no approval; its policy:\n{}",
                approval.policy.render()
            )?;
            return Ok(());
        };
        let digest = approval.inputs.first().map_or("", |i| i.sha256.as_str());
        writeln!(out, "manifest: {manifest} ({digest})")?;
        writeln!(out, "effective policy:\n{}", approval.policy.render())?;
        match (&approval.state, &approval.approved_at) {
            (State::Approved, Some(at)) => {
                writeln!(out, "already approved at {at}, as it is; record {record}")?;
            }
            (State::Changed, Some(at)) => writeln!(
                out,
                "changes since the approval at {at}:\n{}approved; record {record}",
                if approval.changes.is_empty() {
                    "  none to the policy (the manifest's text changed)\n".to_owned()
                } else {
                    approval::render_changes(&approval.changes)
                }
            )?,
            _ => writeln!(out, "approved (first approval); record {record}")?,
        }
        Ok(())
    }
}
