//! The exit codes bot-bottle documents, and how an error chain maps to one.
//!
//! Scripts wrapping the binary rely on these staying stable; the README lists them.

use std::fmt;
use std::process::ExitCode;

/// Everything worked.
pub const OK: u8 = 0;
/// A launch, engine or teardown step failed.
pub const FAILURE: u8 = 1;
/// The command line or the manifest is wrong; nothing was created.
pub const USAGE: u8 = 2;
/// Interrupted by Ctrl-C or SIGTERM; everything created was torn down.
pub const INTERRUPTED: u8 = 130;

/// An error the user caused with their input (flags, manifest, files it names).
/// Anywhere in an error chain, it turns the exit code into [`USAGE`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The launch was interrupted by a signal; teardown has already run.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The documented exit code for an error chain.
pub fn code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(<dyn std::error::Error>::is::<Interrupted>) {
        INTERRUPTED
    } else if err.chain().any(<dyn std::error::Error>::is::<UsageError>) {
        USAGE
    } else {
        FAILURE
    }
}

/// Wraps a raw code for `main`.
pub fn exit_code(code: u8) -> ExitCode {
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn usage_anywhere_in_the_chain_is_exit_2() {
        let err = Err::<(), _>(anyhow::Error::new(UsageError("bad field".into())))
            .context("loading manifest")
            .unwrap_err();
        assert_eq!(code_for(&err), USAGE);
    }

    #[test]
    fn interrupted_wins_over_usage() {
        let err = anyhow::Error::new(Interrupted).context(UsageError("x".into()));
        assert_eq!(code_for(&err), INTERRUPTED);
    }

    #[test]
    fn other_errors_are_exit_1() {
        assert_eq!(code_for(&anyhow::anyhow!("engine failed")), FAILURE);
    }
}
