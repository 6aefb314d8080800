//! The git gate sidecar: created on both networks, its config and credentials copied in as one
//! tar stream between create and start (as pipelock's key is), then started. The agent's last
//! launch step maps its name and waits until it answers.

use anyhow::Context as _;
use engine::{ContainerSpec, Engine, NetworkAttachment, Owner, Tarball};

use crate::bottle::teardown::{Guard, Resource};
use crate::plan::gate::{GatePlan, ETC_DIR};
use crate::timing;

/// Where the image keeps the gate's binary.
pub const GATE_BINARY: &str = "/usr/local/bin/bot-bottle-gate";

/// The gate's container spec.
pub fn spec(gate: &GatePlan) -> ContainerSpec {
    ContainerSpec {
        // It listens on its internal address only; the egress network reaches the upstreams.
        networks: vec![
            NetworkAttachment::at(&gate.networks[0], &gate.address),
            NetworkAttachment::new(&gate.networks[1]),
        ],
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

/// Creates the gate (recorded in `guard` first), copies its files in and starts it.
pub fn start(engine: &dyn Engine, gate: &GatePlan, guard: &Guard) -> anyhow::Result<()> {
    let name = &gate.container;
    let resource = Resource::Container(name.clone());
    guard.adopt(resource.clone());
    timing::step("gate: create", || {
        engine
            .create_container(&spec(gate))
            .with_context(|| format!("creating the git gate {name}"))
    })?;
    guard.created(&resource);
    let files = files(gate)?;
    super::sidecar::fill_and_start(
        engine,
        name,
        ETC_DIR,
        &files,
        ["gate", "the git gate's config and credentials"],
    )
}

/// Why the gate is not serving, when it stopped: its exit code and log. `None` while it runs.
pub fn failure(engine: &dyn Engine, name: &str) -> anyhow::Result<Option<String>> {
    super::sidecar::stopped(engine, name, "the git gate")
}
