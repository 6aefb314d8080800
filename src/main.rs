//! The `bot-bottle` binary: parses the command line, runs it, and maps the error chain to an
//! exit code. Everything else is in the library.

use std::process::ExitCode;

use bot_bottle::{cli, exit, timing};
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
