//! `bot-bottle doctor`: what is wrong with this host for running bottles, each problem with its
//! fix. It asks the engine who it is, looks for the images a launch would use, and checks live
//! that an isolated network really isolates: a container on it reaches neither the host nor
//! the outside.

use std::io::Write as _;

use anyhow::Context as _;
use backends::{ContainerSpec, Engine, NetworkAttachment, NetworkSpec};
use camino::Utf8PathBuf;
use clap::Args;
use serde::Serialize;

use super::Global;
use crate::launch::stage;
use crate::plan::Plan;

/// Version of the `doctor --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.doctor/v1";

/// Label on what doctor creates for its live check (removed before it exits).
const LABEL_DOCTOR: &str = "io.bot-bottle.doctor";

/// Check this host: the engine, the images MANIFEST's bottle would use, and live that an
/// isolated network isolates. Exits 1 when it finds a problem, each with its fix.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The manifest whose images to look for (default: ./bottle.toml if it exists, else the
    /// built-in default).
    #[arg(value_name = "MANIFEST")]
    pub manifest: Option<Utf8PathBuf>,

    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    schema: &'static str,
    ok: bool,
    checks: Vec<Check>,
}

#[derive(Debug, Serialize)]
struct Check {
    name: String,
    ok: bool,
    detail: String,
    /// What to do about it, when not ok.
    fix: Option<String>,
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

impl DoctorArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let checks = self.checks(global)?;
        let ok = checks.iter().all(|c| c.ok);
        let report = Report {
            schema: JSON_SCHEMA,
            ok,
            checks,
        };
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        } else {
            for c in &report.checks {
                writeln!(
                    out,
                    "{} {}: {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.name,
                    c.detail
                )?;
                if let Some(fix) = &c.fix {
                    writeln!(out, "     fix: {fix}")?;
                }
            }
        }
        let problems = report.checks.iter().filter(|c| !c.ok).count();
        if problems > 0 {
            anyhow::bail!("doctor found {problems} problem(s); each is listed with its fix");
        }
        Ok(())
    }

    fn checks(&self, global: &Global) -> anyhow::Result<Vec<Check>> {
        let mut checks = Vec::new();
        let Some(found) = crate::engine::find(global.engine.as_deref(), global.verbose)? else {
            checks.push(Check::fail(
                "engine",
                "no docker or podman found",
                "install podman or docker, or name one with --engine PATH or BOT_BOTTLE_ENGINE",
            ));
            return Ok(checks);
        };
        let engine = found.engine.as_ref();
        match engine.info() {
            Ok(info) => checks.push(Check::pass(
                "engine",
                format!(
                    "{} {} at {}, {}",
                    info.kind,
                    info.version,
                    engine.program(),
                    if info.rootless { "rootless" } else { "rootful" }
                ),
            )),
            Err(e) => {
                checks.push(Check::fail(
                    "engine",
                    format!("{} does not answer: {e:#}", engine.program()),
                    match engine.kind() {
                        backends::EngineKind::Docker => "start the docker daemon (e.g. `systemctl start docker`) and make sure you may use it",
                        backends::EngineKind::Podman => "run `podman info` and fix what it reports",
                    },
                ));
                return Ok(checks);
            }
        }
        let plan = super::start::plan_for(self.manifest.as_ref(), Some(found.summary.clone()))?;
        checks.push(stage_root());
        checks.extend(images(engine, &plan));
        let agent_present = checks.iter().any(|c| c.name == "agent image" && c.ok);
        checks.push(isolation(engine, &plan, agent_present));
        Ok(checks)
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

fn images(engine: &dyn Engine, plan: &Plan) -> Vec<Check> {
    let mut checks = Vec::new();
    for (role, image, default, fix) in [
        (
            "agent image",
            &plan.images.agent,
            crate::defaults::AGENT_IMAGE,
            "bot-bottle image build agent",
        ),
        (
            "proxy image",
            &plan.images.proxy,
            crate::defaults::PROXY_IMAGE,
            "bot-bottle image pull pipelock --from REF (pipelock's published image at tag 2.3.0), or without a registry: bot-bottle image build pipelock",
        ),
    ] {
        checks.push(match engine.image_exists(image) {
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
wait
echo probed"#;

/// Creates an isolated network as a launch does, checks the engine says it is isolated, and
/// from a container on it (when the agent image is here) tries the host and the outside.
/// Everything it creates is removed again.
fn isolation(engine: &dyn Engine, plan: &Plan, agent_present: bool) -> Check {
    let id: String = plan.launch_id.chars().take(8).collect();
    let network = format!("bot-bottle-doctor-{id}");
    let container = format!("bot-bottle-doctor-{id}-probe");
    let labels = std::collections::BTreeMap::from([(LABEL_DOCTOR.to_owned(), id.clone())]);
    let result = (|| -> anyhow::Result<String> {
        engine.create_network(&NetworkSpec {
            name: network.clone(),
            internal: true,
            isolated: true,
            labels: labels.clone(),
        })?;
        let info = engine
            .inspect_network(&network)?
            .context("the network disappeared")?;
        if !info.isolated {
            anyhow::bail!(
                "{} left network {network} with a host address or DNS on it",
                engine.program()
            );
        }
        if !agent_present {
            return Ok(format!(
                "{} isolates networks as bot-bottle asks (no probe: the agent image is missing)",
                engine.kind()
            ));
        }
        let gateway = info
            .subnets
            .first()
            .and_then(|s| first_host(s))
            .unwrap_or_else(|| "10.0.0.1".to_owned());
        engine.create_container(&ContainerSpec {
            networks: vec![NetworkAttachment::new(&network)],
            labels,
            dns: vec![crate::launch::DEAD_RESOLVER.to_owned()],
            entrypoint: Some(vec!["sh".to_owned()]),
            cmd: vec![
                "-c".to_owned(),
                ISOLATION_PROBE.to_owned(),
                "probe".to_owned(),
                gateway,
                "198.51.100.7".to_owned(),
            ],
            user: Some(plan.agent.user.clone()),
            userns: plan.agent.userns.clone(),
            ..ContainerSpec::new(&container, &plan.images.agent)
        })?;
        engine.start_container(&container)?;
        let code = engine.wait(&container)?;
        let log = engine.logs(&container)?;
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
        Ok(format!(
            "a container on an isolated {} network reaches neither the host nor the outside",
            engine.kind()
        ))
    })();
    let cleanup = [
        engine.remove_container(&container),
        engine.remove_network(&network),
    ];
    let leftover: Vec<String> = cleanup
        .into_iter()
        .filter_map(Result::err)
        .map(|e| format!("{e:#}"))
        .collect();
    match result {
        Ok(detail) if leftover.is_empty() => Check::pass("isolation", detail),
        Ok(_) => Check::fail(
            "isolation",
            format!(
                "could not remove the check's resources: {}",
                leftover.join("; ")
            ),
            format!("remove what carries the label {LABEL_DOCTOR}"),
        ),
        Err(e) => Check::fail(
            "isolation",
            format!("{e:#}"),
            "use podman 4 (netavark) or docker 20.10+, and see \"Known host issues\" in the README",
        ),
    }
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
