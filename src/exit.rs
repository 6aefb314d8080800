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
/// The manifest is not approved and no one could be asked (no terminal); nothing was created.
pub const NEEDS_APPROVAL: u8 = 3;
/// `verify`: the record does not hold (a signature, digest or chain check failed).
pub const RECORD_INVALID: u8 = 4;
/// `verify`: every check held, but the record is incomplete (its launch died; `gc` sealed it).
pub const RECORD_INCOMPLETE: u8 = 5;
/// Interrupted by Ctrl-C or SIGTERM; everything created was torn down.
pub const INTERRUPTED: u8 = 130;

/// An error the user caused with their input (flags, manifest, files it names).
/// Anywhere in an error chain, it turns the exit code into [`USAGE`], as the engine crate's
/// [`engine::UnusableEngine`] (a chosen binary that is no engine) does.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The manifest (or what else its plan comes from) is new or changed in a way that widens
/// egress, env, files or resources, and there was no terminal to ask on. Anywhere in an error chain, it
/// turns the exit code into [`NEEDS_APPROVAL`].
#[derive(Debug)]
pub struct NeedsApproval(pub String);

impl fmt::Display for NeedsApproval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NeedsApproval {}

/// `verify` found the record invalid ([`RECORD_INVALID`]) or, with `incomplete`, holding but
/// incomplete ([`RECORD_INCOMPLETE`]); the message says which.
#[derive(Debug)]
pub struct RecordVerdict {
    pub incomplete: bool,
    pub message: String,
}

impl fmt::Display for RecordVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecordVerdict {}

/// The launch was interrupted by a signal; teardown has already run.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// A command run in a bottle (`exec`, `attach`) exited non-zero: bot-bottle exits with the
/// same code and prints nothing more.
#[derive(Debug)]
pub struct PassThrough(pub u8);

impl fmt::Display for PassThrough {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the command exited with status {}", self.0)
    }
}

impl std::error::Error for PassThrough {}

/// The exit status of a command run in a bottle as bot-bottle's own result.
pub fn pass_through(status: i32) -> anyhow::Result<()> {
    match u8::try_from(status) {
        Ok(0) => Ok(()),
        Ok(code) => Err(PassThrough(code).into()),
        Err(_) => Err(PassThrough(FAILURE).into()),
    }
}

/// The documented exit code for an error chain.
pub fn code_for(err: &anyhow::Error) -> u8 {
    if let Some(PassThrough(code)) = err.downcast_ref::<PassThrough>() {
        *code
    } else if let Some(verdict) = err.downcast_ref::<RecordVerdict>() {
        if verdict.incomplete {
            RECORD_INCOMPLETE
        } else {
            RECORD_INVALID
        }
    } else if err.chain().any(<dyn std::error::Error>::is::<Interrupted>) {
        INTERRUPTED
    } else if err
        .chain()
        .any(<dyn std::error::Error>::is::<NeedsApproval>)
    {
        NEEDS_APPROVAL
    } else if err
        .chain()
        .any(|e| e.is::<UsageError>() || e.is::<engine::UnusableEngine>())
    {
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
    fn a_command_s_exit_code_passes_through() {
        assert_eq!(code_for(&pass_through(7).unwrap_err()), 7);
        assert!(pass_through(0).is_ok());
        assert_eq!(code_for(&pass_through(-1).unwrap_err()), FAILURE);
    }

    #[test]
    fn an_unapproved_manifest_is_exit_3() {
        let err = anyhow::Error::new(NeedsApproval("new".into())).context("starting");
        assert_eq!(code_for(&err), NEEDS_APPROVAL);
    }

    #[test]
    fn a_record_that_does_not_verify_is_exit_4_and_an_incomplete_one_5() {
        let verdict = |incomplete| {
            anyhow::Error::new(RecordVerdict {
                incomplete,
                message: "x".into(),
            })
        };
        assert_eq!(code_for(&verdict(false)), RECORD_INVALID);
        assert_eq!(code_for(&verdict(true)), RECORD_INCOMPLETE);
    }

    #[test]
    fn other_errors_are_exit_1() {
        assert_eq!(code_for(&anyhow::anyhow!("engine failed")), FAILURE);
    }
}
