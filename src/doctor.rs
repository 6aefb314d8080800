//! What `bot-bottle doctor` checks: what is wrong with this host for running bottles, each
//! problem with its fix. It asks the engine who it is and whether it can apply the bottle's
//! resource limits, looks for the images a launch would use, and checks live that an isolated
//! network really isolates: a container on it reaches neither the host nor the outside.

use engine::detect::Found;
use engine::{ContainerSpec, Engine, NetworkAttachment, NetworkSpec};
use serde::Serialize;

use crate::bottle::stage;
use crate::plan::Plan;

/// Version of the `doctor --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.doctor/v1";

/// Label on what doctor creates for its live check (removed before it exits).
const LABEL_DOCTOR: &str = "io.bot-bottle.doctor";

/// What `doctor` found.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub ok: bool,
    pub checks: Vec<Check>,
}

/// One check, passed or failed with its fix.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// What to do about it, when not ok.
    pub fix: Option<String>,
}

impl Check {
    fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Examines this host: the engine `found` (`None`: none was found) and, once it answers, the
/// images and isolation of the plan `plan_for` makes for it.
pub fn examine(
    found: Option<&Found>,
    plan_for: impl FnOnce(&Found) -> anyhow::Result<Plan>,
) -> anyhow::Result<Report> {
    let mut checks = Vec::new();
    let Some(found) = found else {
        checks.push(Check::fail(
            "engine",
            "no docker or podman found",
            format!(
                "install podman or docker, or name one with --engine PATH or {}",
                engine::ENGINE_ENV
            ),
        ));
        return Ok(report(checks));
    };
    let engine = found.engine.as_ref();
    let info = match engine.info() {
        Ok(info) => {
            checks.push(Check::pass(
                "engine",
                format!(
                    "{} {} at {}, {}",
                    info.kind,
                    info.version,
                    engine.program(),
                    if info.rootless { "rootless" } else { "rootful" }
                ),
            ));
            info
        }
        Err(e) => {
            checks.push(Check::fail(
                "engine",
                format!("{} does not answer: {e:#}", engine.program()),
                match engine.kind() {
                    engine::EngineKind::Docker => "start the docker daemon (e.g. `systemctl start docker`) and make sure you may use it",
                    engine::EngineKind::Podman => "run `podman info` and fix what it reports",
                },
            ));
            return Ok(report(checks));
        }
    };
    let plan = plan_for(found)?;
    checks.push(limits(&info, &plan));
    checks.push(stage_root());
    checks.push(anthropic_login(&plan));
    checks.extend(images(engine, &plan));
    let agent_present = checks.iter().any(|c| c.name == "agent image" && c.ok);
    checks.extend(isolation(engine, &plan, agent_present));
    Ok(report(checks))
}

/// Whether the engine can apply the memory, CPU and process limits of the bottle's containers
/// (see [`crate::launch::limits`]).
fn limits(info: &engine::EngineInfo, plan: &Plan) -> Check {
    match crate::launch::limits::doctor(info, plan) {
        Ok(detail) => Check::pass("resource limits", detail),
        Err(problem) => Check::fail("resource limits", problem.what, problem.fix),
    }
}

fn report(checks: Vec<Check>) -> Report {
    Report {
        schema: JSON_SCHEMA,
        ok: checks.iter().all(|c| c.ok),
        checks,
    }
}

fn stage_root() -> Check {
    match stage::root().and_then(|root| stage::ensure_root(&root).map(|()| root)) {
        Ok(root) => Check::pass("stage root", format!("{root} is private to you")),
        Err(e) => Check::fail(
            "stage root",
            format!("{e:#}"),
            "set BOT_BOTTLE_RUNTIME_DIR (or XDG_RUNTIME_DIR) to a directory only you can write",
        ),
    }
}

/// Where the credential of the bottle's agent kind comes from: without one, the agent cannot
/// reach its API (the key holder's hosts are refused to the agent). Named as the dry run names
/// it (`anthropic login` for Claude Code).
fn anthropic_login(plan: &Plan) -> Check {
    let kind = plan.agent.kind;
    let name = kind.credential.plan_label;
    match &plan.key_holder {
        Some(holder) => Check::pass(
            name,
            format!(
                "{}, held by the key holder for the {kind} agent; the agent gets a placeholder",
                holder.credential.describe()
            ),
        ),
        None if std::ptr::eq(kind, crate::agents::DEFAULT) => Check::fail(
            name,
            "no credential: no `default` login (or the manifest's agent.login), and no ANTHROPIC_API_KEY forwarded and set; the agent reaches no Anthropic host",
            "bot-bottle login (or: printf '%s' \"$KEY\" | bot-bottle login --api-key-stdin)",
        ),
        None => Check::fail(
            name,
            format!(
                "no credential for the {kind} agent: no `default` login of the kind {kind} (or the manifest's agent.login), and no {} forwarded and set; the agent reaches no {} host",
                kind.credential.api_key_variable, kind.credential.provider
            ),
            format!(
                "printf '%s' \"${}\" | bot-bottle login --kind {kind} --api-key-stdin",
                kind.credential.api_key_variable
            ),
        ),
    }
}

fn images(engine: &dyn Engine, plan: &Plan) -> Vec<Check> {
    let mut checks = Vec::new();
    let kind = plan.agent.kind;
    let kind_image = kind.image();
    let build_agent = if std::ptr::eq(kind, crate::agents::DEFAULT) {
        "bot-bottle image build agent".to_owned()
    } else {
        format!("bot-bottle image build agent --kind {kind}")
    };
    let mut wanted = vec![
        (
            "agent image",
            plan.images.agent.as_str(),
            kind_image.as_str(),
            build_agent.as_str(),
        ),
        (
            "proxy image",
            plan.images.proxy.as_str(),
            crate::defaults::PROXY_IMAGE,
            "bot-bottle image pull pipelock --from REF (pipelock's published image at tag 2.3.0), or without a registry: bot-bottle image build pipelock",
        ),
    ];
    // The git gate's image also runs the gate's egress filter and the key holder.
    if let Some(image) = plan
        .gate
        .as_ref()
        .map(|g| g.image.as_str())
        .or(plan.key_holder.as_ref().map(|k| k.image.as_str()))
    {
        wanted.push((
            "gate image",
            image,
            crate::defaults::GATE_IMAGE,
            "bot-bottle image build gate",
        ));
    }
    for (role, image, default, fix) in wanted {
        checks.push(match engine.image_exists(image) {
            Ok(true) if role == "agent image" && !std::ptr::eq(kind, crate::agents::DEFAULT) => {
                Check::pass(role, format!("{image} is present (the {kind} agent's)"))
            }
            Ok(true) => Check::pass(role, format!("{image} is present")),
            Ok(false) if image == default => Check::fail(
                role,
                format!("{image} is missing in {}", engine.program()),
                fix,
            ),
            Ok(false) => Check::fail(
                role,
                format!("{image} is missing in {}", engine.program()),
                format!("build or pull {image} (it is not a name `bot-bottle image` makes), or use the default with: {fix}"),
            ),
            Err(e) => Check::fail(
                role,
                format!("{e:#}"),
                format!("run `{} image inspect {image}` and fix what it reports", engine.program()),
            ),
        });
    }
    checks
}

/// Run in a container on the isolated network: every way out must fail. Its arguments: the
/// would-be gateway (the host, were it on the network) and a public address. The tries run at
/// once, each with a deadline (an address that is routed nowhere times out rather than
/// refusing); each that gets an answer prints `reached WHAT`.
const ISOLATION_PROBE: &str = r#"for target in "http://$1:80/" "http://$1:22/" "http://$2:80/"; do
  (curl -s -m 2 -o /dev/null "$target" 2>/dev/null && echo "reached $target") &
done
(timeout 3 getent hosts example.com >/dev/null 2>&1 && echo "reached DNS for example.com") &
if [ -n "$3" ]; then
  (end=$(( $(date +%s) + 5 ))
   until curl -s --connect-timeout 2 -m 3 -o /dev/null "http://$3:8080/"; do
     [ "$(date +%s)" -lt "$end" ] || { echo "unreached peer $3"; break; }
     sleep 0.1
   done) &
fi
wait
echo probed"#;

/// Run in the peer container: an HTTP server on 8080 when the image has node (the agent
/// image does); without node it exits and the peer check is skipped.
const PEER: &str = r#"command -v node >/dev/null || exit 0
exec node -e 'require("http").createServer((q, r) => r.end("ok")).listen(8080)'"#;

/// What the live check creates: an isolated network, a peer that answers on it and a probe
/// that tries every way out; all labelled [`LABEL_DOCTOR`] and removed again.
struct Live<'a> {
    engine: &'a dyn Engine,
    plan: &'a Plan,
    network: String,
    probe: String,
    peer: String,
    labels: std::collections::BTreeMap<String, String>,
}

/// What the probe found: the check's detail, and the line saying the peer did not answer.
type Probed = (String, Option<String>);

impl Live<'_> {
    /// A container of the agent image on the network, running `sh -c SCRIPT doctor ARGS…`.
    fn spec(&self, name: &str, script: &str, args: &[&str]) -> ContainerSpec {
        ContainerSpec {
            networks: vec![NetworkAttachment::new(&self.network)],
            labels: self.labels.clone(),
            dns: vec![crate::launch::DEAD_RESOLVER.to_owned()],
            entrypoint: Some(vec!["sh".to_owned()]),
            cmd: ["-c", script, "doctor"]
                .iter()
                .chain(args)
                .map(|a| (*a).to_owned())
                .collect(),
            user: Some(self.plan.agent.user.clone()),
            userns: self.plan.agent.userns.clone(),
            ..ContainerSpec::new(name, &self.plan.images.agent)
        }
    }

    fn run(&self, agent_present: bool) -> anyhow::Result<Probed> {
        let engine = self.engine;
        let network = &self.network;
        engine.create_network(&NetworkSpec {
            name: network.clone(),
            internal: true,
            isolated: true,
            subnet: None,
            labels: self.labels.clone(),
        })?;
        // The launch's own check, so that doctor passes exactly the networks a launch accepts.
        let info = crate::launch::check_isolated(engine, network)?;
        if !agent_present {
            let detail = format!(
                "{} isolates networks as bot-bottle asks (no probe: the agent image is missing)",
                engine.kind()
            );
            return Ok((detail, None));
        }
        let gateway = info
            .subnets
            .first()
            .and_then(|s| first_host(s))
            .unwrap_or_else(|| "10.0.0.1".to_owned());
        // A peer that answers: containers on the network must reach each other (the agent
        // its sidecar), which a host firewall can forbid.
        engine.create_container(&self.spec(&self.peer, PEER, &[]))?;
        engine.start_container(&self.peer)?;
        let peer_ip = engine
            .inspect_container(&self.peer)?
            .filter(|c| c.state == engine::ContainerState::Running)
            .and_then(|c| c.networks.get(network).and_then(|e| e.ip.clone()))
            .unwrap_or_default();
        let args = [gateway.as_str(), "198.51.100.7", peer_ip.as_str()];
        engine.create_container(&self.spec(&self.probe, ISOLATION_PROBE, &args))?;
        engine.start_container(&self.probe)?;
        let code = engine.wait(&self.probe)?;
        let log = engine.logs(&self.probe)?;
        let reached: Vec<&str> = log
            .stdout
            .lines()
            .filter(|l| l.starts_with("reached "))
            .collect();
        if !reached.is_empty() {
            anyhow::bail!(
                "a container on an isolated network got out: {}",
                reached.join("; ")
            );
        }
        if code != 0 || !log.stdout.contains("probed") {
            anyhow::bail!(
                "the probe container failed (exit {code}): {}{}",
                log.stdout.trim(),
                log.stderr.trim()
            );
        }
        let unreached = log
            .stdout
            .lines()
            .find(|l| l.starts_with("unreached peer"))
            .map(str::to_owned);
        let peers = if peer_ip.is_empty() {
            " (whether containers on it reach each other is not known: the agent image has no node to serve)"
        } else if unreached.is_none() {
            ", and containers on it reach each other"
        } else {
            ""
        };
        let detail = format!(
            "a container on an isolated {} network reaches neither the host nor the outside{peers}",
            engine.kind()
        );
        Ok((detail, unreached))
    }

    /// Removes everything; the errors of what could not be removed.
    fn remove(&self) -> Vec<String> {
        [
            self.engine.remove_container(&self.probe),
            self.engine.remove_container(&self.peer),
            self.engine.remove_network(&self.network),
        ]
        .into_iter()
        .filter_map(Result::err)
        .map(|e| format!("{e:#}"))
        .collect()
    }
}

/// Creates an isolated network as a launch does, checks the engine says it is isolated, and
/// from a container on it (when the agent image is here) tries the host and the outside, and a
/// peer on the same network. Everything it creates is removed again.
fn isolation(engine: &dyn Engine, plan: &Plan, agent_present: bool) -> Vec<Check> {
    let id: String = plan.launch_id.chars().take(8).collect();
    let live = Live {
        engine,
        plan,
        network: format!("bot-bottle-doctor-{id}"),
        probe: format!("bot-bottle-doctor-{id}-probe"),
        peer: format!("bot-bottle-doctor-{id}-peer"),
        labels: [(LABEL_DOCTOR.to_owned(), id.clone())].into(),
    };
    let result = live.run(agent_present);
    let leftover = live.remove();
    let mut checks = Vec::new();
    match result {
        Ok(_) if !leftover.is_empty() => checks.push(Check::fail(
            "isolation",
            format!(
                "could not remove the check's resources: {}",
                leftover.join("; ")
            ),
            format!("remove what carries the label {LABEL_DOCTOR}"),
        )),
        Ok((detail, unreached)) => {
            checks.push(Check::pass("isolation", detail));
            if let Some(line) = unreached {
                checks.push(Check::fail(
                    "peers",
                    format!(
                        "containers on an isolated network cannot reach each other ({line}): \
                         a bottle's agent would not reach its sidecar"
                    ),
                    "if dockerd runs on this host next to rootful podman, as root: \
                     iptables -I DOCKER-USER -i 'podman+' -o 'podman+' -j ACCEPT \
                     (see \"Known host issues\" in the README)",
                ));
            }
        }
        Err(e) => checks.push(Check::fail(
            "isolation",
            format!("{e:#}"),
            "use podman 4 (netavark) or docker 20.10+, and see \"Known host issues\" in the README",
        )),
    }
    checks
}

/// The first host address of an IPv4 subnet ("10.89.0.0/24" → "10.89.0.1").
fn first_host(subnet: &str) -> Option<String> {
    let base: std::net::Ipv4Addr = subnet.split('/').next()?.parse().ok()?;
    Some(std::net::Ipv4Addr::from(u32::from(base) + 1).to_string())
}

#[cfg(test)]
mod tests {
    use super::first_host;

    #[test]
    fn gateway_of_a_subnet() {
        assert_eq!(first_host("10.89.0.0/24").as_deref(), Some("10.89.0.1"));
        assert_eq!(first_host("fd00::/64"), None);
    }
}
