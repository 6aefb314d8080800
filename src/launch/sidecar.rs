//! The pipelock sidecar: created on both networks, its config and CA copied in between create
//! and start (the image has no shell), then started. The agent's last launch step waits until
//! it answers.

use anyhow::Context as _;
use ed25519_dalek::SigningKey;
use engine::{ContainerSpec, ContainerState, Engine, Mount, NetworkAttachment, Owner, Tarball};

use crate::bottle::teardown::{Guard, Resource};
use crate::ca::BottleCa;
use crate::defaults;
use crate::plan::resources::Resources;
use crate::plan::Plan;
use crate::signals;
use crate::timing;

/// The sidecar's container spec.
pub fn spec(plan: &Plan) -> ContainerSpec {
    ContainerSpec {
        // Pipelock listens on its internal address only (see `crate::bottle::addresses`).
        networks: vec![
            NetworkAttachment::at(&plan.networks.internal, &plan.proxy.address),
            NetworkAttachment::new(&plan.networks.egress),
        ],
        labels: plan.proxy.labels.clone(),
        cmd: plan.proxy.command.clone(),
        // Pipelock needs no capability: it binds an unprivileged port and reads files it owns,
        // in a volume of its own (its config, which `allow` rewrites) and its scratch.
        cap_drop: plan.proxy.privileges.cap_drop.clone(),
        security_opts: plan.proxy.privileges.security_opts.clone(),
        read_only: plan.proxy.privileges.read_only_root,
        mounts: own_mounts(&plan.proxy.volumes, &plan.proxy.resources),
        limits: plan.proxy.resources.limits(),
        ..ContainerSpec::new(&plan.containers.proxy, &plan.images.proxy)
    }
}

/// A sidecar's writable places: a volume of its own at each of `volumes` (made empty, or with
/// the image's files there, and removed with the container) and its scratch tmpfs.
pub fn own_mounts(volumes: &[String], resources: &Resources) -> Vec<Mount> {
    let mut mounts: Vec<Mount> = volumes
        .iter()
        .map(|target| Mount::Anonymous {
            target: target.into(),
        })
        .collect();
    mounts.push(resources.scratch_mount());
    mounts
}

/// The tar stream of `/etc/pipelock`, to be unpacked there: config, CA cert, the CA key and the
/// flight recorder's key (root, 0600 — pipelock refuses a key readable by others).
pub fn files(plan: &Plan, ca: &BottleCa, recorder: &SigningKey) -> anyhow::Result<Vec<u8>> {
    let rel = |p: &str| {
        p.strip_prefix(defaults::PROXY_CONFIG_DIR)
            .unwrap_or(p)
            .trim_start_matches('/')
            .to_owned()
    };
    let mut tar = Tarball::new();
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
    // The flight recorder writes in a volume of its own (`plan.proxy.volumes`): the sidecar's
    // root is read-only, and pipelock, root without capabilities, could not make the directory.
    tar.file(
        &rel(defaults::PROXY_RECORDER_KEY_PATH),
        crate::record::flight::pipelock_private_key(recorder).as_bytes(),
        0o600,
        Owner::ROOT,
    )?;
    tar.finish()
}

/// Creates the sidecar, recorded in `guard` first. This create is where one of two launches
/// of a bottle wins: the engine refuses a second container of the name, and the loser stops
/// before it creates its agent, so the two can never end up holding one container each.
pub fn create(engine: &dyn Engine, plan: &Plan, guard: &Guard) -> anyhow::Result<()> {
    let name = &plan.containers.proxy;
    let resource = Resource::Container(name.clone());
    guard.adopt(resource.clone());
    engine
        .create_container(&spec(plan))
        .with_context(|| format!("creating the pipelock sidecar {name}"))?;
    guard.created(&resource);
    Ok(())
}

/// Copies the created sidecar's files in and starts it.
pub fn start(
    engine: &dyn Engine,
    plan: &Plan,
    ca: &BottleCa,
    recorder: &SigningKey,
) -> anyhow::Result<()> {
    let files = files(plan, ca, recorder)?;
    fill_and_start(
        engine,
        &plan.containers.proxy,
        defaults::PROXY_CONFIG_DIR,
        &files,
        ["sidecar", "pipelock's config and CA"],
    )
}

/// Copies `files` (a tar stream of the directory `dir`, a volume of its own: its root
/// filesystem is read-only) into the created container `name` and starts it.
/// `[step, what]`: the timing steps' prefix and what the files are, for messages.
pub fn fill_and_start(
    engine: &dyn Engine,
    name: &str,
    dir: &str,
    files: &[u8],
    [step, what]: [&str; 2],
) -> anyhow::Result<()> {
    timing::step(&format!("{step}: copy files"), || {
        engine
            .copy_tar_into(name, dir, files)
            .with_context(|| format!("copying {what} into {name}"))
    })?;
    signals::check()?;
    timing::step(&format!("{step}: start"), || {
        engine
            .start_container(name)
            .with_context(|| format!("starting {name}"))
    })
}

/// Why the sidecar is not serving, when the reason is on its side: it stopped (with its exit
/// code and log). `None` while it still runs.
pub fn failure(engine: &dyn Engine, name: &str) -> anyhow::Result<Option<String>> {
    stopped(engine, name, "the pipelock sidecar")
}

/// Why the container `name` (`what`, for the message) is not serving, when it stopped: its
/// exit code and log. `None` while it runs.
pub fn stopped(engine: &dyn Engine, name: &str, what: &str) -> anyhow::Result<Option<String>> {
    let state = engine
        .inspect_container(name)?
        .with_context(|| format!("{name} disappeared"))?;
    if state.state == ContainerState::Running {
        return Ok(None);
    }
    Ok(Some(format!(
        "{what} {name} stopped (exit code {}) before it served the agent; its log:\n{}",
        state.exit_code,
        log_of(engine, name)
    )))
}

fn log_of(engine: &dyn Engine, name: &str) -> String {
    match engine.logs(name) {
        Ok(out) => format!("{}{}", out.stdout, out.stderr)
            .trim_end()
            .to_owned(),
        Err(e) => format!("(could not read it: {e:#})"),
    }
}
