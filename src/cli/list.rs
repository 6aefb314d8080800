//! `bot-bottle list`: the bottles that exist on this engine, found by their labels.

use std::io::Write as _;

use clap::Args;
use serde::Serialize;

use super::Global;
use crate::bottle::{discovery, stage};

/// Version of the `list --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.list/v1";

/// List bottles (running, detached, or left over by a crashed launch), and the state volumes
/// of stopped ones.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Listing {
    schema: &'static str,
    bottles: Vec<discovery::Summary>,
}

impl ListArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let rows = discovery::summaries(engine.as_ref(), &stage::root()?)?;
        let mut out = std::io::stdout().lock();
        if self.json {
            let listing = Listing {
                schema: JSON_SCHEMA,
                bottles: rows,
            };
            serde_json::to_writer_pretty(&mut out, &listing)?;
            writeln!(out)?;
            return Ok(());
        }
        writeln!(
            out,
            "{:<32} {:<9} {:<9} {:<9} {:<9} {:>6} {:>9}  STATE VOLUME",
            "BOTTLE", "AGENT", "PROXY", "GIT GATE", "KEYS", "AGE", "ALLOWLIST"
        )?;
        for row in &rows {
            let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
            writeln!(
                out,
                "{:<32} {:<9} {:<9} {:<9} {:<9} {:>6} {:>9}  {}",
                row.bottle,
                show(&row.agent),
                show(&row.proxy),
                show(&row.gate),
                show(&row.key_holder),
                row.age_seconds.map_or_else(|| "-".to_owned(), human_age),
                row.allowlist_size
                    .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                show(&row.state_volume),
            )?;
        }
        Ok(())
    }
}

/// `42s`, `5m`, `3h`, `2d`.
fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::human_age;

    #[test]
    fn ages_are_short() {
        assert_eq!(human_age(5), "5s");
        assert_eq!(human_age(300), "5m");
        assert_eq!(human_age(7_200), "2h");
        assert_eq!(human_age(200_000), "2d");
    }
}
