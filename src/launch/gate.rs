//! The git gate sidecar and its egress filter. The gate is created on the internal network
//! alone, its config and credentials copied in as one tar stream between create and start (as
//! pipelock's key is), then started; beside it, its egress filter, on the internal and the
//! egress network, is created and started (it needs no file). The agent's last launch step
//! maps the gate's name and waits until it answers.

use anyhow::Context as _;
use engine::{ContainerSpec, Engine, NetworkAttachment, Owner, Tarball};

use crate::bottle::teardown::{Guard, Resource};
use crate::parallel;
use crate::plan::gate::{EgressFilterPlan, GatePlan, ETC_DIR};
use crate::timing;

/// Where the image keeps the gate's binary.
pub const GATE_BINARY: &str = "/usr/local/bin/bot-bottle-gate";

/// The gate's container spec.
pub fn spec(gate: &GatePlan) -> ContainerSpec {
    ContainerSpec {
        // It listens on its internal address only, and has no other network: its upstreams
        // are reached through its egress filter, there too.
        networks: gate
            .networks
            .iter()
            .map(|net| NetworkAttachment::at(net, &gate.address))
            .collect(),
        // No resolver: it names no host itself (the filter resolves the upstreams').
        dns: vec![super::DEAD_RESOLVER.to_owned()],
        labels: gate.labels.clone(),
        entrypoint: Some(vec![GATE_BINARY.to_owned()]),
        cmd: gate.command.clone(),
        // It binds an unprivileged port and reads and writes files that are its own: its
        // config and its mirrors, in volumes of its own, and its scratch.
        cap_drop: gate.privileges.cap_drop.clone(),
        security_opts: gate.privileges.security_opts.clone(),
        read_only: gate.privileges.read_only_root,
        mounts: super::sidecar::own_mounts(&gate.volumes, &gate.resources),
        limits: gate.resources.limits(),
        ..ContainerSpec::new(&gate.container, &gate.image)
    }
}

/// The egress filter's container spec: the gate's image running `bot-bottle-gate egress`.
pub fn egress_spec(gate: &GatePlan) -> ContainerSpec {
    let filter: &EgressFilterPlan = &gate.egress;
    ContainerSpec {
        // It listens on its internal address only; the egress network reaches the upstreams.
        networks: vec![
            NetworkAttachment::at(&filter.networks[0], &filter.address),
            NetworkAttachment::new(&filter.networks[1]),
        ],
        labels: filter.labels.clone(),
        entrypoint: Some(vec![GATE_BINARY.to_owned()]),
        cmd: filter.command.clone(),
        cap_drop: filter.privileges.cap_drop.clone(),
        security_opts: filter.privileges.security_opts.clone(),
        read_only: filter.privileges.read_only_root,
        mounts: super::sidecar::own_mounts(&[], &filter.resources),
        limits: filter.resources.limits(),
        ..ContainerSpec::new(&filter.container, &gate.image)
    }
}

/// The tar stream of the plan's gate files (config, SSH identity and `known_hosts`, tokens),
/// to be unpacked into [`ETC_DIR`], a volume of the gate's.
pub fn files(gate: &GatePlan) -> anyhow::Result<Vec<u8>> {
    let mut tar = Tarball::new();
    for file in &gate.files {
        crate::provision::add_file_under(&mut tar, file, ETC_DIR, Owner::ROOT)
            .with_context(|| format!("the git gate's {}", file.path))?;
    }
    tar.finish()
}

/// Creates the gate (recorded in `guard` first), copies its files in and starts it; and side
/// by side, creates and starts its egress filter.
pub fn start(engine: &dyn Engine, gate: &GatePlan, guard: &Guard) -> anyhow::Result<()> {
    let (gate_up, filter_up) = parallel::both(
        || {
            let name = &gate.container;
            create(engine, guard, &spec(gate), "gate: create", "the git gate")?;
            let files = files(gate)?;
            super::sidecar::fill_and_start(
                engine,
                name,
                ETC_DIR,
                &files,
                ["gate", "the git gate's config and credentials"],
            )
        },
        || {
            let name = &gate.egress.container;
            create(
                engine,
                guard,
                &egress_spec(gate),
                "gate egress: create",
                "the git gate's egress filter",
            )?;
            timing::step("gate egress: start", || {
                engine
                    .start_container(name)
                    .with_context(|| format!("starting {name}"))
            })
        },
    );
    gate_up?;
    filter_up
}

/// Creates the container `spec` (`what`, for messages), recorded in `guard` first.
fn create(
    engine: &dyn Engine,
    guard: &Guard,
    spec: &ContainerSpec,
    step: &str,
    what: &str,
) -> anyhow::Result<()> {
    let resource = Resource::Container(spec.name.clone());
    guard.adopt(resource.clone());
    timing::step(step, || {
        engine
            .create_container(spec)
            .with_context(|| format!("creating {what} {}", spec.name))
    })?;
    guard.created(&resource);
    Ok(())
}

/// Why the gate is not serving, when it or its egress filter stopped: the exit code and log.
/// `None` while both run.
pub fn failure(engine: &dyn Engine, gate: &GatePlan) -> anyhow::Result<Option<String>> {
    if let Some(why) = super::sidecar::stopped(engine, &gate.container, "the git gate")? {
        return Ok(Some(why));
    }
    super::sidecar::stopped(
        engine,
        &gate.egress.container,
        "the git gate's egress filter",
    )
}
