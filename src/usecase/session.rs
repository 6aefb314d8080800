//! `attach` and `exec`: a command in a running bottle's agent, attached to this terminal,
//! whose exit status is the caller's to pass on.

use anyhow::Context as _;
use engine::{Engine, ExecSpec};

use crate::bottle::Bottle;

/// Runs the agent's command again in `bottle`'s running agent (the launch's own command, from
/// its launch record, else the default kind's), with `extra` after it; `tty`: give it a terminal.
/// Returns its exit status.
pub fn attach(
    engine: &dyn Engine,
    bottle: &Bottle,
    extra: &[String],
    tty: bool,
) -> anyhow::Result<i32> {
    let agent = bottle.running_agent(engine)?;
    let mut argv = bottle.record().map_or_else(
        || {
            crate::agents::DEFAULT
                .command
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        },
        |r| r.agent_command,
    );
    argv.extend(extra.iter().cloned());
    let spec = ExecSpec {
        tty,
        interactive: true,
        ..ExecSpec::new(argv)
    };
    engine
        .exec_interactive(&agent, &spec)
        .with_context(|| format!("attaching to {agent}"))
}

/// Runs `command` in `bottle`'s running agent (as `user`, else the agent user); `tty`: give it
/// a terminal. Returns its exit status.
pub fn exec(
    engine: &dyn Engine,
    bottle: &Bottle,
    user: Option<String>,
    command: &[String],
    tty: bool,
) -> anyhow::Result<i32> {
    let agent = bottle.running_agent(engine)?;
    let spec = ExecSpec {
        user,
        tty,
        interactive: true,
        ..ExecSpec::new(command.to_vec())
    };
    engine
        .exec_interactive(&agent, &spec)
        .with_context(|| format!("running {:?} in {agent}", command.join(" ")))
}
