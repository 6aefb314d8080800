//! The files the pod's init containers lay out, as tar archives for its Secrets: the agent's
//! home (the plan's provisioned files) and the git gate's config and credentials. Each holds
//! exactly the files the plan lists, written by [`crate::provision::add_file`] as a launch
//! writes them, with paths relative to where the archive is unpacked.

use anyhow::{bail, Context as _};
use engine::{Owner, Tarball};

use super::pod::GATE_ETC_DIR;
use crate::plan::gate::GatePlan;
use crate::plan::{AgentFile, FileContent, FileOwner, Plan, StepAction};

/// The agent's home: Claude Code's state directory (0700) first, then every file of every
/// provisioning step that runs, but the bottle CA's cert, which goes into the agent's trust
/// store instead.
pub fn home_tar(plan: &Plan) -> anyhow::Result<Vec<u8>> {
    let home = plan.agent.home.as_str();
    let agent = Owner::new(plan.agent.uid.into(), plan.agent.gid.into());
    let state = plan.state_volume.target.as_str();
    let mut tar = Tarball::new();
    tar.dir(relative(home, state)?, 0o700, agent)?;
    // A kind's system-wide settings files are outside the home: the pod's CLI runs with its
    // own defaults (said in the README).
    for step in plan
        .provisioning
        .iter()
        .filter(|s| s.action == StepAction::Run && s.step != crate::plan::SETTINGS_STEP)
    {
        for file in &step.files {
            if file.content == FileContent::BottleCaCert || file.path == state {
                continue;
            }
            let owner = match file.owner {
                FileOwner::Root => Owner::ROOT,
                FileOwner::Agent => agent,
            };
            add(&mut tar, file, home, owner)
                .with_context(|| format!("provisioning step {}: {}", step.step, file.path))?;
        }
    }
    tar.finish()
}

/// The gate's files below its config directory, with its config listening on loopback only.
/// A pod has no egress filter for the gate (its containers share one network namespace, where
/// the pod's packet filter lets the gate's group out, see [`super::netfilter`]): the gate there
/// connects to its upstreams itself.
pub fn gate_tar(gate: &GatePlan) -> anyhow::Result<Vec<u8>> {
    let mut config = gate.config.clone();
    config.listen = format!("127.0.0.1:{}", bot_bottle_gate::config::PORT);
    config.egress_proxy = None;
    let mut tar = Tarball::new();
    for file in gate.files.iter().filter(|f| f.path != GATE_ETC_DIR) {
        let file = if file.path == crate::plan::gate::CONFIG_PATH {
            AgentFile {
                content: FileContent::Text(crate::plan::gate::render(&config)),
                ..file.clone()
            }
        } else {
            file.clone()
        };
        add(&mut tar, &file, GATE_ETC_DIR, Owner::ROOT)
            .with_context(|| format!("the git gate's {}", file.path))?;
    }
    tar.finish()
}

/// Adds `file` to `tar` at its path relative to `root`.
fn add(tar: &mut Tarball, file: &AgentFile, root: &str, owner: Owner) -> anyhow::Result<()> {
    let moved = AgentFile {
        path: relative(root, &file.path)?.to_owned(),
        ..file.clone()
    };
    crate::provision::add_file(tar, &moved, owner, None)
}

/// `path` below `root`, without the leading `root/`.
fn relative<'p>(root: &str, path: &'p str) -> anyhow::Result<&'p str> {
    match path
        .strip_prefix(root)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        Some(rest) if !rest.is_empty() => Ok(rest),
        _ => bail!("{path} is not below {root}: a pod gets files only there"),
    }
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn paths_are_taken_relative_to_their_root() {
        assert_eq!(
            relative("/home/node", "/home/node/.claude").unwrap(),
            ".claude"
        );
        assert!(relative("/home/node", "/home/nodes/x").is_err());
        assert!(relative("/home/node", "/home/node").is_err());
        assert!(relative("/home/node", "/etc/passwd").is_err());
    }
}
