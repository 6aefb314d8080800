//! `bot-bottle doctor`: prints what [`crate::doctor`] finds wrong with this host, each
//! problem with its fix.

use std::io::Write as _;

use clap::Args;

use super::Global;
use crate::doctor;
use crate::plan::EngineSummary;

/// Check this host: the engine, the images MANIFEST's bottle would use, and live that an
/// isolated network isolates. Exits 1 when it finds a problem, each with its fix.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The manifest whose images to look for.
    #[command(flatten)]
    pub manifest: super::planning::ManifestArgs,

    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl DoctorArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let found = engine::detect::find(global.engine.as_deref(), global.verbose)?;
        let report = doctor::examine(found.as_ref(), |found| {
            Ok(self
                .manifest
                .request()
                .review(Some(EngineSummary::of(found)), false)?
                .plan)
        })?;
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        } else {
            for c in &report.checks {
                writeln!(
                    out,
                    "{} {}: {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.name,
                    c.detail
                )?;
                if let Some(fix) = &c.fix {
                    writeln!(out, "     fix: {fix}")?;
                }
            }
        }
        let problems = report.checks.iter().filter(|c| !c.ok).count();
        if problems > 0 {
            anyhow::bail!("doctor found {problems} problem(s); each is listed with its fix");
        }
        Ok(())
    }
}
