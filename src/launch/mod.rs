//! Executing a plan: networks, the pipelock sidecar with the bottle's CA, the agent and its
//! provisioning, the agent's session, and teardown — whatever fails, and on Ctrl-C/SIGTERM.

mod agent;
pub mod lock;
mod network;
pub mod sidecar;
pub mod stage;
pub mod teardown;

use std::collections::BTreeSet;
use std::io::IsTerminal as _;

use anyhow::{bail, Context as _};
use backends::{detect, Engine};
use serde::Serialize;

use crate::ca::{self, BottleCa};
use crate::exit::Interrupted;
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::provision;
use crate::signals;
use teardown::{Guard, Resource};

/// How the launch should end.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Leave the bottle running and return once it is provisioned.
    pub detach: bool,
}

/// What a launch reports (`start --json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub schema: &'static str,
    pub bottle: String,
    pub ca_fingerprint: String,
    pub agent_container: String,
    pub proxy_container: String,
    pub networks: [String; 2],
    /// Holds the rendered config and the CA's public cert (never the key) while the bottle exists.
    pub stage_dir: camino::Utf8PathBuf,
    pub detached: bool,
    /// For a detached bottle: the command that attaches to the agent.
    pub attach: Option<String>,
    /// For an attached session: the agent command's exit status.
    pub agent_exit_code: Option<i32>,
}

/// Version of the `start --json` launch document.
pub const JSON_SCHEMA: &str = "bot-bottle.launch/v1";

/// Checks, before anything is created, that the launch can work: both images are present and
/// no resource of a bottle with this name exists.
pub fn preflight(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<()> {
    for (role, image) in [("agent", &plan.images.agent), ("proxy", &plan.images.proxy)] {
        if !engine.image_exists(image)? {
            bail!(
                "the {role} image {image} is not present in {} ({}); build or tag it first (see the README)",
                engine.kind(),
                engine.program()
            );
        }
    }
    // By label (a crashed launch of this bottle), and by name (anything else in the way).
    let label = format!("{}={}", crate::plan::LABEL_BOTTLE, plan.bottle.slug);
    let mut existing = BTreeSet::new();
    for c in engine.list_containers(&label)? {
        existing.insert(format!("container {}", c.name));
    }
    for n in engine.list_networks(&label)? {
        existing.insert(format!("network {}", n.name));
    }
    for name in [&plan.containers.agent, &plan.containers.proxy] {
        if engine.inspect_container(name)?.is_some() {
            existing.insert(format!("container {name}"));
        }
    }
    for name in [&plan.networks.internal, &plan.networks.egress] {
        if engine.inspect_network(name)?.is_some() {
            existing.insert(format!("network {name}"));
        }
    }
    if !existing.is_empty() {
        bail!(
            "a bottle named {:?} already exists ({}); stop it with `bot-bottle stop {}` or choose another name",
            plan.bottle.slug,
            existing.into_iter().collect::<Vec<_>>().join(", "),
            plan.bottle.slug
        );
    }
    Ok(())
}

/// Runs the whole launch. Everything created is removed again on error, on a signal, and
/// (unless detached) when the agent's command exits.
pub fn launch(
    engine: &dyn Engine,
    plan: &Plan,
    manifest: &Manifest,
    options: Options,
) -> anyhow::Result<Outcome> {
    signals::install()?;
    // Held until this function returns: for the whole session when attached.
    let _lock = lock::acquire(&plan.stage_dir)?;
    preflight(engine, plan)?;
    let ca = ca::generate(
        &plan.bottle.slug,
        &plan.egress.tls_interception.ca_permitted_domains,
        ca::DEFAULT_VALIDITY,
    )
    .context("generating the bottle CA")?;
    eprintln!("bot-bottle: mitm ca fingerprint: {}", ca.fingerprint());

    let mut guard = Guard::new(engine, &plan.launch_id);
    let brought_up = bring_up(engine, plan, manifest, &ca, &mut guard);
    if let Err(err) = brought_up {
        report_teardown(guard.teardown());
        return Err(if signals::interrupted() {
            err.context(Interrupted)
        } else {
            err
        });
    }

    let mut outcome = Outcome {
        schema: JSON_SCHEMA,
        bottle: plan.bottle.slug.clone(),
        ca_fingerprint: ca.fingerprint().to_owned(),
        agent_container: plan.containers.agent.clone(),
        proxy_container: plan.containers.proxy.clone(),
        networks: [plan.networks.internal.clone(), plan.networks.egress.clone()],
        stage_dir: plan.stage_dir.clone(),
        detached: options.detach,
        attach: None,
        agent_exit_code: None,
    };
    if options.detach {
        outcome.attach = Some(agent::attach_hint(engine.program().as_str(), plan));
        guard.keep();
        return Ok(outcome);
    }

    let session = run_agent(engine, plan);
    let teardown = guard.teardown();
    if signals::interrupted() {
        report_teardown(teardown);
        return Err(anyhow::Error::new(Interrupted));
    }
    match (session, teardown) {
        (Ok(status), Ok(())) => {
            outcome.agent_exit_code = Some(status);
            Ok(outcome)
        }
        (Ok(_), Err(errors)) => Err(anyhow::Error::new(errors))
            .context("the agent exited, but tearing the bottle down failed"),
        (Err(err), teardown) => {
            // The session's failure is the error; teardown's own are still the user's to see.
            report_teardown(teardown);
            Err(err)
        }
    }
}

fn report_teardown(result: Result<(), teardown::TeardownErrors>) {
    if let Err(errors) = result {
        eprintln!("bot-bottle: {errors}");
    }
}

/// Creates everything, recording each resource in `guard` before creating it.
fn bring_up(
    engine: &dyn Engine,
    plan: &Plan,
    manifest: &Manifest,
    ca: &BottleCa,
    guard: &mut Guard,
) -> anyhow::Result<()> {
    guard.adopt(Resource::StageDir(plan.stage_dir.clone()));
    stage::create(&plan.stage_dir)?;
    stage::write(
        &plan.stage_dir,
        "pipelock.yaml",
        plan.proxy.config.render().as_bytes(),
        0o600,
    )?;
    stage::write(&plan.stage_dir, "ca.pem", ca.cert_pem().as_bytes(), 0o644)?;

    for spec in network::specs(plan) {
        signals::check()?;
        let resource = Resource::Network(spec.name.clone());
        guard.adopt(resource.clone());
        engine
            .create_network(&spec)
            .with_context(|| format!("creating network {}", spec.name))?;
        guard.created(&resource);
        if spec.isolated {
            network::check_isolated(engine, &spec.name)?;
        }
    }

    signals::check()?;
    guard.adopt(Resource::Container(plan.containers.proxy.clone()));
    let proxy_ip = sidecar::start(engine, plan, ca)?;

    signals::check()?;
    let name = &plan.containers.agent;
    let resource = Resource::Container(name.clone());
    guard.adopt(resource.clone());
    engine
        .create_container(&agent::spec(plan, agent::forwarded_env(plan), &proxy_ip))
        .with_context(|| format!("creating the agent container {name}"))?;
    guard.created(&resource);
    engine
        .start_container(name)
        .with_context(|| format!("starting {name}"))?;

    signals::check()?;
    let ctx = provision::Ctx {
        plan,
        manifest,
        ca_cert_pem: ca.cert_pem(),
        agent_owner: agent::owner(engine, plan)?,
    };
    provision::run(engine, name, &ctx)?;
    agent::check_reaches_proxy(engine, plan)?;
    signals::check()?;
    Ok(())
}

/// Runs the agent's command attached to this terminal; a signal removes the agent container,
/// which ends the exec.
fn run_agent(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<i32> {
    let found = detect::Detected {
        kind: engine.kind(),
        program: engine.program().to_owned(),
    };
    let agent = plan.containers.agent.clone();
    let unblock = Box::new(move || {
        let engine = detect::engine_for(&found, false);
        let _ = engine.remove_container(&agent);
    });
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    signals::while_unblockable(unblock, || {
        engine.exec_interactive(&plan.containers.agent, &agent::command(plan, tty))
    })
    .with_context(|| format!("running the agent in {}", plan.containers.agent))
}
