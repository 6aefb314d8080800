//! CLI tests: the real `bot-bottle` binary, run with `assert_cmd`, no container engine needed.

mod dry_run;
mod errors;
mod export;
mod policy;
mod support;
