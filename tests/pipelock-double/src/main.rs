//! Test-only stand-in for pipelock v2.3.0 (see tests/pipelock-double/README.md).

mod bodytext;
mod ca;
mod cli;
mod config;
mod dlp;
mod events;
mod proxy;
mod recorder;
mod reload;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
