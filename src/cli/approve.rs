//! `bot-bottle approve [MANIFEST]`: the deliberate way to approve a manifest (for scripts, tests,
//! and after reading it): print its effective policy and what changed since the last approval,
//! and record it, so that `start -y` launches it. The rules (the digests reviewed, when to ask)
//! are [`crate::usecase::approve`]'s.

use std::io::Write as _;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::Args;
use serde::Serialize;

use super::planning::ManifestArgs;
use super::Terminal;
use crate::approval::{self, Change, Expected, Input, Policy, State};
use crate::usecase::approve;

/// Approve a manifest: print the effective policy a launch of it runs with (egress, forwarded
/// env, host files, git pushes) and what changed since its last approval, and record it so
/// that `start -y` launches it.
///
/// `start` asks for this on a terminal when the manifest (or the egress lock beside it) is new
/// or its change widens egress, env, files or resources; without one it refuses (exit 3), as `export kube`
/// does. The built-in default needs no approval unless a lock sits beside it.
///
/// On a terminal, without --expect-sha256, it shows the digests and the policy and asks before
/// recording; with --expect-sha256 (the digest `start --dry-run` showed), it records only the
/// file reviewed, and exits 2 recording nothing when the file on disk differs.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Approve only if the manifest's SHA-256 is SHA256 (`sha256:<hex>` as `start --dry-run`
    /// prints it, or the bare hex): the file you reviewed. Otherwise exit 2, recording nothing.
    #[arg(long, value_name = "SHA256")]
    pub expect_sha256: Option<String>,

    /// Likewise for the egress lock (bottle.lock) beside the manifest; needed with
    /// --expect-sha256 when there is a lock, since its hosts are approved with the manifest.
    #[arg(long, value_name = "SHA256")]
    pub expect_lock_sha256: Option<String>,

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
        let expected = Expected {
            manifest: self
                .expect_sha256
                .as_deref()
                .map(|v| approval::parse_sha256("--expect-sha256", v))
                .transpose()?,
            lock: self
                .expect_lock_sha256
                .as_deref()
                .map(|v| approval::parse_sha256("--expect-lock-sha256", v))
                .transpose()?,
        };
        let reviewed = self.manifest.request().review(None, false)?;
        // Shown before the question on a terminal; in text, on stdout like the rest.
        let mut terminal = Terminal {
            shows_on_stdout: !self.json,
        };
        let approve::Approved {
            approval,
            outcome,
            approved_at,
            preview,
            shown,
        } = approve::approve(reviewed, &expected, &mut terminal)?;
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
        if !shown {
            out.write_all(preview.as_bytes())?;
        }
        let Some(record) = &approval.record else {
            return Ok(());
        };
        match (&approval.state, &approval.approved_at) {
            (State::Approved, Some(at)) => {
                writeln!(out, "already approved at {at}, as it is; record {record}")?;
            }
            (State::Changed, Some(_)) => writeln!(out, "approved; record {record}")?,
            _ => writeln!(out, "approved (first approval); record {record}")?,
        }
        Ok(())
    }
}
