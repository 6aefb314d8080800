//! The agent container: on the internal network only, proxy and CA variables set, the
//! workspace mounted, kept alive by `sleep` so provisioning can run before the agent's own
//! command starts (as an `exec`, attached to the user's terminal).

use anyhow::{bail, Context as _};
use backends::{ContainerSpec, Engine, EnvVar, ExecSpec, Mount, NetworkAttachment, Owner};

use crate::plan::Plan;

/// The agent's container spec. `forwarded` holds the host values of the manifest's
/// `agent.env` names that are set (they travel in the engine's environment, never in argv).
/// `proxy_ip` is the sidecar's address on the internal network: the agent finds its proxy
/// through `/etc/hosts`, because rootless podman's DNS does not answer on internal networks.
pub fn spec(plan: &Plan, forwarded: Vec<EnvVar>, proxy_ip: &str) -> ContainerSpec {
    let mut env: Vec<EnvVar> = plan
        .agent
        .env
        .iter()
        .map(|(k, v)| EnvVar::new(k, v))
        .collect();
    env.extend(forwarded);
    ContainerSpec {
        networks: vec![NetworkAttachment::new(&plan.networks.internal)],
        extra_hosts: vec![(plan.containers.proxy.clone(), proxy_ip.to_owned())],
        // The only resolver the agent is told of is its sidecar, which serves no DNS: a lookup
        // fails at once, inside the bottle. Docker's embedded resolver forwards to the `--dns`
        // servers; without this it would use the host's, which may be on the host's loopback
        // and so reachable from the host's namespace (CVE-2024-29018).
        dns: vec![proxy_ip.to_owned()],
        // The isolated network keeps the host off IPv4, but a bridge still has an IPv6
        // link-local address, one hop from any container with IPv6 on: turn it off in the
        // agent's own namespace (docker does already; podman does not).
        sysctls: ["all", "default"]
            .iter()
            .map(|scope| {
                (
                    format!("net.ipv6.conf.{scope}.disable_ipv6"),
                    "1".to_owned(),
                )
            })
            .collect(),
        env,
        labels: plan.agent.labels.clone(),
        mounts: vec![Mount::Bind {
            source: plan.agent.workspace.clone(),
            target: plan.agent.workdir.clone().into(),
            read_only: false,
        }],
        user: Some(plan.agent.user.clone()),
        userns: plan.agent.userns.clone(),
        workdir: Some(plan.agent.workdir.clone()),
        // The image's entrypoint (e.g. node's docker-entrypoint.sh) is not wanted: the
        // container only has to stay up; the agent's command runs as an exec.
        entrypoint: Some(vec!["sleep".to_owned()]),
        cmd: vec!["infinity".to_owned()],
        security_opts: vec!["no-new-privileges".to_owned()],
        // Raw sockets would let a process that became root in the agent forge packets.
        cap_drop: vec!["NET_RAW".to_owned()],
        ..ContainerSpec::new(&plan.containers.agent, &plan.images.agent)
    }
}

/// The host values of the forwarded variables that are set; names only appear in messages.
pub fn forwarded_env(plan: &Plan) -> Vec<EnvVar> {
    plan.agent
        .forwarded_env
        .iter()
        .filter_map(|f| {
            std::env::var(f.name.as_str())
                .ok()
                .map(|value| EnvVar::new(f.name.as_str(), value))
        })
        .collect()
}

/// The agent user's uid and gid, read from the running container's passwd database.
pub fn owner(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<Owner> {
    let name = &plan.containers.agent;
    let user = &plan.agent.user;
    let out = engine.exec(
        name,
        &ExecSpec {
            user: Some("0".to_owned()),
            ..ExecSpec::new(["getent", "passwd", user.as_str()])
        },
    )?;
    if out.status != 0 {
        bail!(
            "the agent image {} has no user {user:?} (getent passwd exited with {})",
            plan.images.agent,
            out.status
        );
    }
    parse_passwd_ids(&out.stdout).with_context(|| {
        format!(
            "reading user {user:?} from the agent image: {:?}",
            out.stdout.trim()
        )
    })
}

fn parse_passwd_ids(line: &str) -> anyhow::Result<Owner> {
    let fields: Vec<&str> = line.trim().split(':').collect();
    if fields.len() < 4 {
        bail!("not a passwd line");
    }
    Ok(Owner::new(fields[2].parse()?, fields[3].parse()?))
}

/// Checks that the agent can reach its sidecar, so that a host whose firewall drops traffic
/// inside the internal network fails here, clearly, and not as a hanging agent. Uses the agent
/// image's curl; an image without curl skips the check.
pub fn check_reaches_proxy(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<()> {
    let url = format!(
        "http://{}:{}/health",
        plan.containers.proxy,
        crate::defaults::PROXY_PORT
    );
    let probe = ExecSpec::new([
        "curl",
        "-sS",
        "-m",
        "10",
        "--noproxy",
        "*",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        url.as_str(),
    ]);
    let out = engine.exec(&plan.containers.agent, &probe)?;
    match out.status {
        0 if out.stdout.trim() == "200" => Ok(()),
        // The engine's "cannot invoke" and "not found": no curl in this image.
        126 | 127 => Ok(()),
        _ => bail!(
            "the agent cannot reach its pipelock sidecar at {url} ({}{}); if dockerd runs on this host next to rootful podman, \
             its FORWARD DROP policy also drops traffic inside podman's internal networks: see \"Known host issues\" in the README",
            out.stderr.trim(),
            out.stdout.trim()
        ),
    }
}

/// The exec that runs the agent's command, attached to the terminal when there is one.
pub fn command(plan: &Plan, tty: bool) -> ExecSpec {
    ExecSpec {
        user: Some(plan.agent.user.clone()),
        workdir: Some(plan.agent.workdir.clone()),
        tty,
        interactive: true,
        ..ExecSpec::new(plan.agent.command.clone())
    }
}

/// How a user reaches a detached agent.
pub fn attach_hint(program: &str, plan: &Plan) -> String {
    format!(
        "{program} exec -it -u {} -w {} {} {}",
        plan.agent.user,
        plan.agent.workdir,
        plan.containers.agent,
        plan.agent.command.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::parse_passwd_ids;

    #[test]
    fn reads_uid_and_gid() {
        let owner = parse_passwd_ids("node:x:1000:1001::/home/node:/bin/sh\n").unwrap();
        assert_eq!((owner.uid, owner.gid), (1000, 1001));
        assert!(parse_passwd_ids("garbage").is_err());
    }
}
