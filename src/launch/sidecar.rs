//! The pipelock sidecar: created on both networks, its config and CA copied in between create
//! and start (the image has no shell), then started and waited on until healthy.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use backends::{
    ContainerSpec, ContainerState, Engine, ExecSpec, NetworkAttachment, Owner, Tarball,
};

use crate::ca::BottleCa;
use crate::defaults;
use crate::plan::Plan;
use crate::signals;

/// How long pipelock gets to answer its health check after start.
const HEALTHY_WITHIN: Duration = Duration::from_secs(30);
/// Pause between health probes.
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// The sidecar's container spec.
pub fn spec(plan: &Plan) -> ContainerSpec {
    ContainerSpec {
        networks: vec![
            NetworkAttachment::new(&plan.networks.internal),
            NetworkAttachment::new(&plan.networks.egress),
        ],
        labels: plan.proxy.labels.clone(),
        cmd: plan.proxy.command.clone(),
        // Pipelock needs no capability: it binds an unprivileged port and reads files it owns.
        cap_drop: vec!["ALL".to_owned()],
        security_opts: vec!["no-new-privileges".to_owned()],
        ..ContainerSpec::new(&plan.containers.proxy, &plan.images.proxy)
    }
}

/// The tar stream of `/etc/pipelock`: config, CA cert, and the CA key (root, 0600 — pipelock
/// refuses a key readable by others).
pub fn files(plan: &Plan, ca: &BottleCa) -> anyhow::Result<Vec<u8>> {
    let rel = |p: &str| p.trim_start_matches('/').to_owned();
    let mut tar = Tarball::new();
    tar.dir("etc/pipelock", 0o755, Owner::ROOT)?;
    tar.file(
        &rel(defaults::PROXY_CONFIG_PATH),
        plan.proxy.config.render().as_bytes(),
        0o644,
        Owner::ROOT,
    )?;
    tar.file(
        &rel(defaults::PROXY_CA_CERT_PATH),
        ca.cert_pem().as_bytes(),
        0o644,
        Owner::ROOT,
    )?;
    tar.file(
        &rel(defaults::PROXY_CA_KEY_PATH),
        ca.key_sec1_pem().as_bytes(),
        0o600,
        Owner::ROOT,
    )?;
    tar.finish()
}

/// Copies the files in, starts the sidecar and waits until pipelock answers its health check.
/// Returns the sidecar's address on the internal network.
pub fn start(engine: &dyn Engine, plan: &Plan, ca: &BottleCa) -> anyhow::Result<String> {
    let name = &plan.containers.proxy;
    engine
        .create_container(&spec(plan))
        .with_context(|| format!("creating the pipelock sidecar {name}"))?;
    engine
        .copy_tar_into(name, "/", &files(plan, ca)?)
        .with_context(|| format!("copying pipelock's config and CA into {name}"))?;
    signals::check()?;
    engine
        .start_container(name)
        .with_context(|| format!("starting {name}"))?;
    wait_healthy(engine, name)?;
    let info = engine
        .inspect_container(name)?
        .with_context(|| format!("{name} disappeared"))?;
    info.networks
        .get(&plan.networks.internal)
        .and_then(|endpoint| endpoint.ip.clone())
        .with_context(|| format!("{name} has no address on {}", plan.networks.internal))
}

fn wait_healthy(engine: &dyn Engine, name: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + HEALTHY_WITHIN;
    let probe = ExecSpec::new(["/pipelock", "healthcheck"]);
    loop {
        signals::check()?;
        let state = engine
            .inspect_container(name)?
            .with_context(|| format!("{name} disappeared"))?;
        if state.state != ContainerState::Running {
            bail!(
                "the pipelock sidecar {name} stopped (exit code {}) before it became healthy; its log:\n{}",
                state.exit_code,
                log_of(engine, name)
            );
        }
        if engine.exec(name, &probe).is_ok_and(|out| out.status == 0) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "the pipelock sidecar {name} was not healthy within {} s; its log:\n{}",
                HEALTHY_WITHIN.as_secs(),
                log_of(engine, name)
            );
        }
        std::thread::sleep(PROBE_EVERY);
    }
}

fn log_of(engine: &dyn Engine, name: &str) -> String {
    match engine.logs(name) {
        Ok(out) => format!("{}{}", out.stdout, out.stderr)
            .trim_end()
            .to_owned(),
        Err(e) => format!("(could not read it: {e:#})"),
    }
}
