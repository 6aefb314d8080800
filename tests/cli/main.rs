//! CLI tests: the real `bot-bottle` binary, run with `assert_cmd`, no container engine needed.

mod approval;
mod confinement;
mod dry_run;
mod errors;
mod export;
mod generated;
mod images;
mod login;
mod policy;
mod record;
mod support;
