//! `bot-bottle-gate`: the per-bottle git gate. `serve` answers the agent's git smart HTTP
//! (through `git http-backend`) from mirrors it refreshes from the real upstreams; the mirrors'
//! `pre-receive` hook (`bot-bottle-gate pre-receive`) checks every push against the policy and
//! forwards it upstream before the gate accepts it. Audit events are JSON lines on stdout.

mod audit;
mod dlp;
mod git;
mod hook;
mod http;
mod server;

use std::process::ExitCode;

use bot_bottle_gate::config::{GateConfig, CONFIG_PATH};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Answered before the config is read, so that an image build can check the binary runs.
    if args.first().is_some_and(|a| a == "--version") {
        println!("bot-bottle-gate {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let config_path = std::env::var("BOT_BOTTLE_GATE_CONFIG").unwrap_or(CONFIG_PATH.to_owned());
    let config = match load(&config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bot-bottle-gate: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("serve") => server::serve(&config),
        Some("pre-receive") => hook::pre_receive(&config),
        _ => Err("usage: bot-bottle-gate serve | pre-receive | --version".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bot-bottle-gate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &str) -> Result<GateConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}
