//! bot-bottle: runs an AI coding agent in a container whose only way out is a pipelock sidecar.
//!
//! `main` only parses the command line, runs it, and maps the error chain to an exit code.

mod allowlist;
mod approval;
mod bottles;
mod ca;
mod cli;
mod defaults;
mod engine;
mod exit;
mod images;
mod kube;
mod launch;
mod manifest;
mod plan;
mod policy;
mod provision;
mod proxy_config;
mod signals;
mod slug;
mod timing;
mod userconfig;
mod userdirs;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    timing::start();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout with success, usage errors to stderr.
            let _ = err.print();
            return exit::exit_code(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let result = cli.run();
    timing::report();
    match result {
        Ok(()) => exit::exit_code(exit::OK),
        Err(err) if err.is::<exit::PassThrough>() => exit::exit_code(exit::code_for(&err)),
        Err(err) => {
            eprintln!("bot-bottle: error: {err:#}");
            exit::exit_code(exit::code_for(&err))
        }
    }
}
