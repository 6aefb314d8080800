//! `bot-bottle list`: the bottles that exist on this engine, found by their labels.

use std::collections::BTreeMap;
use std::io::Write as _;

use clap::Args;
use serde::Serialize;

use super::Global;
use crate::plan::{LABEL_BOTTLE, LABEL_ROLE};

/// List bottles (running, detached, or left over by a crashed launch).
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
struct Row {
    bottle: String,
    agent: Option<String>,
    proxy: Option<String>,
    /// The git gate's state; `null` for a bottle without one.
    gate: Option<String>,
}

impl ListArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        let mut rows: BTreeMap<String, Row> = BTreeMap::new();
        for c in engine.list_containers(LABEL_BOTTLE)? {
            let Some(bottle) = c.labels.get(LABEL_BOTTLE) else {
                continue;
            };
            let row = rows.entry(bottle.clone()).or_insert_with(|| Row {
                bottle: bottle.clone(),
                ..Row::default()
            });
            let state = c.state.as_str().to_owned();
            match c.labels.get(LABEL_ROLE).map(String::as_str) {
                Some("agent") => row.agent = Some(state),
                Some("proxy") => row.proxy = Some(state),
                Some("gate") => row.gate = Some(state),
                _ => {}
            }
        }
        for n in engine.list_networks(LABEL_BOTTLE)? {
            if let Some(bottle) = n.labels.get(LABEL_BOTTLE) {
                rows.entry(bottle.clone()).or_insert_with(|| Row {
                    bottle: bottle.clone(),
                    ..Row::default()
                });
            }
        }
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &rows.values().collect::<Vec<_>>())?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:<40} {:<10} {:<10} {:<10}",
                "BOTTLE", "AGENT", "PROXY", "GIT GATE"
            )?;
            for row in rows.values() {
                let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
                writeln!(
                    out,
                    "{:<40} {:<10} {:<10} {:<10}",
                    row.bottle,
                    show(&row.agent),
                    show(&row.proxy),
                    show(&row.gate)
                )?;
            }
        }
        Ok(())
    }
}
