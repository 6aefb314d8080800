//! `bot-bottle gc`: removes what crashed launches left behind, and nothing else.
//! The policy is [`crate::bottle::gc`]'s; this prints its report.

use std::io::Write as _;

use clap::Args;

use super::Global;
use crate::bottle::{gc, stage};

/// Remove what crashed launches left: containers, networks and stage directories of bottles
/// whose launch no longer runs, and private scratch files (env files, podman's copy spools) a
/// killed bot-bottle left in its scratch place. Running and detached bottles, state volumes
/// and anything without bot-bottle's labels are left alone.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Only say what would be removed.
    #[arg(long)]
    pub dry_run: bool,

    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl GcArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let state = crate::userdirs::state_dir()?;
        // A crashed launch's record is sealed, as incomplete, before its sidecars go.
        let mut seal = |slug: &str| -> Vec<Result<String, String>> {
            crate::record::collect::seal_crashed(engine.as_ref(), &state, slug)
                .into_iter()
                .map(|sealed| {
                    sealed
                        .map(|s| s.envelope.to_string())
                        .map_err(|e| format!("{slug}: sealing its record: {e:#}"))
                })
                .collect()
        };
        let (report, errors) =
            gc::collect(engine.as_ref(), &stage::root()?, self.dry_run, &mut seal)?;
        print(&report, self.json)?;
        if !errors.is_empty() {
            anyhow::bail!("{}", errors.join("\n"));
        }
        Ok(())
    }
}

/// Prints the report: JSON, or a line per removal and per bottle kept.
fn print(report: &gc::Report, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        let verb = if report.dry_run {
            "would remove"
        } else {
            "removed"
        };
        for item in &report.removed {
            match &item.bottle {
                Some(bottle) => writeln!(out, "{verb} {} {} ({bottle})", item.kind, item.name)?,
                None => writeln!(out, "{verb} {} {}", item.kind, item.name)?,
            }
        }
        for kept in &report.kept {
            writeln!(out, "kept {}: {}", kept.bottle, kept.why)?;
        }
        for record in &report.records {
            writeln!(
                out,
                "sealed the record {record} (INCOMPLETE: its launch ended without `stop`)"
            )?;
        }
        if report.removed.is_empty() {
            writeln!(out, "nothing to remove")?;
        }
    }
    Ok(())
}
