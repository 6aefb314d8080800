//! Executing a plan: networks, the pipelock sidecar with the bottle's CA, the agent and its
//! provisioning, the agent's session, and teardown — whatever fails, and on Ctrl-C/SIGTERM.

mod agent;
mod gate;
mod keys;
pub mod limits;
pub use agent::DEAD_RESOLVER;
pub use gate::GATE_BINARY;
/// The key holder's credential, read from where the plan says it comes from (`export kube`
/// reads it as a launch does).
pub use keys::credential as key_holder_credential;
mod network;
pub use network::check_isolated;
pub mod sidecar;

use std::collections::BTreeSet;
use std::io::IsTerminal as _;

use anyhow::{bail, Context as _};
use engine::{detect, Engine};
use serde::Serialize;

use crate::bottle::record::{self, LaunchRecord};
use crate::bottle::teardown::{self, Guard, Resource};
use crate::bottle::{stage, Role};
use crate::ca::{self, BottleCa};
use crate::exit::Interrupted;
use crate::gitwatch;
use crate::parallel;
use crate::plan::Plan;
use crate::signals;
use crate::timing;

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
    /// The git gate, when the manifest declares `git.upstreams`.
    pub gate_container: Option<String>,
    /// The key holder, when the bottle has an Anthropic credential.
    pub key_holder_container: Option<String>,
    pub networks: [String; 2],
    /// Holds the rendered config and the CA's public cert (never the key) while the bottle exists.
    pub stage_dir: camino::Utf8PathBuf,
    pub detached: bool,
    /// For a detached bottle: the command that attaches to the agent.
    pub attach: Option<String>,
    /// For an attached session: the agent command's exit status.
    pub agent_exit_code: Option<i32>,
    /// For an attached learn run: the egress lock it wrote.
    pub learned_lock: Option<crate::policy::learn::Learned>,
}

/// Version of the `start --json` launch document.
pub const JSON_SCHEMA: &str = "bot-bottle.launch/v1";

/// An image the launch needs that the engine does not have. The preflight reports each one
/// before anything is created; a launch goes on only once each is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingImage {
    /// Whose image: the agent's, the proxy's or the git gate's.
    pub role: Role,
    pub image: String,
    pub engine: String,
}

impl std::fmt::Display for MissingImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fix = match self.role {
            Role::Agent => "`bot-bottle image build agent`",
            Role::Gate | Role::KeyHolder => "`bot-bottle image build gate`",
            _ => {
                "`bot-bottle image pull pipelock --from REF`, or `bot-bottle image build pipelock`"
            }
        };
        write!(
            f,
            "the {} image {} is not present in {}; make it with {fix} (or build or tag it yourself)",
            self.role, self.image, self.engine
        )
    }
}

impl std::error::Error for MissingImage {}

/// What the preflight learned besides "go".
#[derive(Debug, Clone)]
pub struct Preflight {
    /// The bottle name's state volume exists already (a login from an earlier launch): the
    /// launch mounts it and never removes it.
    pub state_volume_exists: bool,
    /// A state volume named by the slug alone, from a bot-bottle that kept one per bottle name,
    /// when it exists: it is not mounted (it may be another workspace's), and the user is told.
    pub legacy_state_volume: Option<String>,
    /// The images the launch needs that the engine does not have (agent, proxy, git gate, in
    /// that order): data, not an error, so that the caller may make them before anything is
    /// created.
    pub missing_images: Vec<MissingImage>,
}

/// One thing the preflight found.
enum Finding {
    /// A resource of a bottle with this name (`container NAME`, `network NAME`).
    Existing(String),
    Missing(MissingImage),
}

/// Checks, before anything is created, that the launch can work: no resource of a bottle with
/// this name exists (an error otherwise); and asks which of the images (agent, proxy, and the
/// git gate's when there is one) are missing, and whether its state volume exists. The
/// questions are asked at once.
///
/// A container of the same name that bot-bottle did not label is not looked for: the engine
/// refuses to create a second container of a name, and the launch then fails and removes what
/// it made.
pub fn preflight(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<Preflight> {
    let label = crate::bottle::selector(plan.bottle.slug());
    let image_check = |role: Role, image: &str| -> anyhow::Result<Vec<Finding>> {
        if engine.image_exists(image)? {
            return Ok(Vec::new());
        }
        Ok(vec![Finding::Missing(MissingImage {
            role,
            image: image.to_owned(),
            engine: format!("{} ({})", engine.kind(), engine.program()),
        })])
    };
    let label = label.as_str();
    let findings = || {
        let mut questions: Vec<parallel::Job<'_, anyhow::Result<Vec<Finding>>>> = vec![
            Box::new(|| image_check(Role::Agent, &plan.images.agent)),
            Box::new(|| image_check(Role::Proxy, &plan.images.proxy)),
            Box::new(|| {
                Ok(engine
                    .list_containers(label)?
                    .into_iter()
                    .map(|c| Finding::Existing(format!("container {}", c.name)))
                    .collect())
            }),
            Box::new(|| {
                Ok(engine
                    .list_networks(label)?
                    .into_iter()
                    .map(|n| Finding::Existing(format!("network {}", n.name)))
                    .collect())
            }),
        ];
        if let Some(gate) = &plan.gate {
            questions.push(Box::new(|| image_check(Role::Gate, &gate.image)));
        }
        // The holder runs from the gate's image: asked once when both use the same.
        if let Some(holder) = plan
            .key_holder
            .as_ref()
            .filter(|k| plan.gate.as_ref().is_none_or(|g| g.image != k.image))
        {
            questions.push(Box::new(|| image_check(Role::KeyHolder, &holder.image)));
        }
        parallel::all(questions)
    };
    let legacy = crate::bottle::ResourceNames::legacy_state_volume(plan.bottle.slug());
    // Whether the engine can apply the plan's limits, where it may not (see [`limits`]).
    let ask_limits = limits::worth_asking(engine.kind(), plan);
    let ((answers, engine_info), (volume, legacy_volume)) = parallel::both(
        || parallel::both(findings, || ask_limits.then(|| engine.info()).transpose()),
        || {
            parallel::both(
                || engine.inspect_volume(&plan.state_volume.name),
                || engine.inspect_volume(&legacy),
            )
        },
    );
    if let Some(info) = engine_info? {
        limits::check(&info, plan)?;
    }
    let mut existing = BTreeSet::new();
    let mut missing_images = Vec::new();
    for answer in answers {
        for finding in answer? {
            match finding {
                Finding::Existing(what) => {
                    existing.insert(what);
                }
                Finding::Missing(image) => missing_images.push(image),
            }
        }
    }
    let state_volume_exists = volume?.is_some();
    let legacy_state_volume = legacy_volume?.map(|v| v.name);
    if !existing.is_empty() {
        bail!(
            "a bottle named {:?} already exists ({}); stop it with `bot-bottle stop {}` or choose another name",
            plan.bottle.slug(),
            existing.into_iter().collect::<Vec<_>>().join(", "),
            plan.bottle.slug()
        );
    }
    Ok(Preflight {
        state_volume_exists,
        legacy_state_volume,
        missing_images,
    })
}

/// Runs the whole launch. Everything created is removed again on error, on a signal, and
/// (unless detached) when the agent's command exits.
///
/// `make_images` gets the images the preflight found missing (often none) before anything is
/// created: it makes each one (returning `Ok`), or says why the launch cannot go (an error,
/// the launch's).
pub fn launch(
    engine: &dyn Engine,
    plan: &Plan,
    options: Options,
    make_images: &mut dyn FnMut(&[MissingImage]) -> anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
    signals::install()?;
    // Held until this function returns: for the whole session when attached. The bottle's
    // own lock, as `stop` and `gc` take it.
    let _held = plan.bottle.lock()?;
    let preflight = timing::step("preflight", || preflight(engine, plan))?;
    make_images(&preflight.missing_images)?;
    tell_of_a_legacy_state_volume(engine, plan, &preflight);
    let ca = bottle_ca(plan)?;
    eprintln!("bot-bottle: mitm ca fingerprint: {}", ca.fingerprint());
    // The key that signs the flight record's checkpoints: only the sidecar keeps it.
    let recorder = crate::record::key::generate()?;

    let guard = Guard::new(engine, &plan.launch_id);
    let up = bring_up(engine, plan, &ca, &recorder, &guard, &preflight, options);
    let git_files = match up {
        Ok(git_files) => git_files,
        Err(err) => {
            report_teardown(guard.teardown());
            return Err(if signals::interrupted() {
                err.context(Interrupted)
            } else {
                err
            });
        }
    };

    let mut outcome = Outcome {
        schema: JSON_SCHEMA,
        bottle: plan.bottle.slug().to_owned(),
        ca_fingerprint: ca.fingerprint().to_owned(),
        agent_container: plan.containers.agent.clone(),
        proxy_container: plan.containers.proxy.clone(),
        gate_container: plan.containers.gate.clone(),
        key_holder_container: plan.containers.key_holder.clone(),
        networks: [plan.networks.internal.clone(), plan.networks.egress.clone()],
        stage_dir: plan.bottle.stage_dir().to_owned(),
        detached: options.detach,
        attach: None,
        agent_exit_code: None,
        learned_lock: None,
    };
    if options.detach {
        outcome.attach = Some(agent::attach_hint(plan));
        guard.keep();
        return Ok(outcome);
    }

    let session = run_agent(engine, plan);
    keys::keep_refreshed_login(engine, plan);
    // A learn run's lock comes from the sidecar's log, which teardown removes.
    let learned = plan
        .egress
        .learn
        .as_ref()
        .filter(|_| !signals::interrupted())
        .map(|learn| {
            crate::policy::learn::finish(
                engine,
                &plan.containers.proxy,
                &plan.bottle.name,
                &learn.lock_path,
            )
        })
        .transpose();
    // Pipelock is stopped (signing its last checkpoint) and the record sealed while the
    // sidecars still exist.
    seal_record(engine, plan, session.as_ref().ok().copied());
    let teardown = guard.teardown();
    // The agent is gone: what it left in the workspace's git files is final.
    if let Some(warning) = git_files.warning_now() {
        eprintln!("bot-bottle: {warning}");
    }
    if signals::interrupted() {
        report_teardown(teardown);
        return Err(anyhow::Error::new(Interrupted));
    }
    let learned = match learned {
        Ok(learned) => learned,
        Err(err) => {
            report_teardown(teardown);
            return Err(err.context("the agent exited, but writing the learn run's lock failed"));
        }
    };
    if let Some(learned) = &learned {
        eprintln!("bot-bottle: {}", learned.summary());
    }
    outcome.learned_lock = learned;
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

/// Tells the user of a state volume named by the slug alone (an earlier bot-bottle's), which
/// this launch does not mount.
fn tell_of_a_legacy_state_volume(engine: &dyn Engine, plan: &Plan, preflight: &Preflight) {
    if let (false, Some(legacy)) = (
        preflight.state_volume_exists,
        &preflight.legacy_state_volume,
    ) {
        eprintln!(
            "bot-bottle: the state volume {legacy} (an earlier bot-bottle's, one per bottle name) is not mounted: \
             state volumes are per bottle name and workspace now, so that two projects named {slug} do not share \
             one; this bottle gets {new}. The old volume stays \
             (`{engine} volume rm {legacy}`, or `bot-bottle stop --purge {slug}`, removes it)",
            slug = plan.bottle.slug(),
            new = plan.state_volume.name,
            engine = engine.kind(),
        );
    }
}

/// The bottle CA as the plan describes it: its scope and its lifetime (what `start --dry-run`
/// prints is what the launch makes, and what `export kube` puts in the pod).
pub fn bottle_ca(plan: &Plan) -> anyhow::Result<BottleCa> {
    let tls = &plan.egress.tls_interception;
    ca::generate(plan.bottle.slug(), tls.ca_scope(), tls.ca_validity())
        .context("generating the bottle CA")
}

/// Seals the bottle's record after an attached session (see [`crate::record`]), saying where
/// it is; a failure is told, not fatal: the session's outcome stands.
fn seal_record(engine: &dyn Engine, plan: &Plan, agent_exit_code: Option<i32>) {
    let sealed = crate::userdirs::state_dir()
        .map_err(anyhow::Error::new)
        .and_then(|state| {
            crate::record::collect::seal_bottle(
                engine,
                &state,
                plan.bottle.slug(),
                &plan.launch_id,
                crate::record::collect::How::Stopped { agent_exit_code },
            )
        });
    match sealed {
        Ok(Some(sealed)) => eprintln!("bot-bottle: {}", sealed.summary()),
        Ok(None) => {}
        Err(e) => eprintln!("bot-bottle: warning: the bottle's record was not sealed: {e:#}"),
    }
}

fn report_teardown(result: Result<(), teardown::TeardownErrors>) {
    if let Err(errors) = result {
        eprintln!("bot-bottle: {errors}");
    }
}

/// Creates everything, recording each resource in `guard` before creating it. After the two
/// networks and the sidecar's create (the claim on the bottle's name), the sidecar, the git
/// gate (when there is one) and the agent come up side by side: each one's files are copied
/// in before its container starts, and the only step that needs them all is the last, which
/// waits until the agent reaches its sidecar and gate. Returns the workspace's git control
/// files as they were before the agent existed (also saved in the stage directory, for `stop`).
fn bring_up(
    engine: &dyn Engine,
    plan: &Plan,
    ca: &BottleCa,
    recorder: &ed25519_dalek::SigningKey,
    guard: &Guard,
    preflight: &Preflight,
    options: Options,
) -> anyhow::Result<gitwatch::Snapshot> {
    let stage_dir = plan.bottle.stage_dir();
    guard.adopt(Resource::StageDir(stage_dir.to_owned()));
    timing::step("stage directory", || -> anyhow::Result<()> {
        stage::create(stage_dir)?;
        stage::write(stage_dir, "ca.pem", ca.cert_pem().as_bytes(), 0o644)
    })?;

    // The workspace walk needs no engine: it runs while the networks are made.
    let (networks, git_files) = parallel::both(
        || timing::step("networks", || network::create(engine, plan, guard)),
        || {
            timing::step("workspace git files", || {
                let snapshot = gitwatch::Snapshot::take(&plan.agent.workspace);
                snapshot.save(&plan.agent.git.snapshot).map(|()| snapshot)
            })
        },
    );
    networks?;
    let git_files = git_files?;
    signals::check()?;
    timing::step("sidecar: create", || sidecar::create(engine, plan, guard))?;
    let (((proxy_up, gate_up), holder_up), agent_up) = parallel::both(
        || {
            parallel::both(
                || {
                    parallel::both(
                        || timing::step("sidecar", || sidecar::start(engine, plan, ca, recorder)),
                        || {
                            plan.gate
                                .as_ref()
                                .map(|g| timing::step("gate", || gate::start(engine, g, guard)))
                                .transpose()
                        },
                    )
                },
                || {
                    plan.key_holder
                        .as_ref()
                        .map(|k| timing::step("key holder", || keys::start(engine, k, ca, guard)))
                        .transpose()
                },
            )
        },
        || {
            timing::step("agent", || {
                agent::start(engine, plan, ca, guard, preflight.state_volume_exists)
            })
        },
    );
    proxy_up?;
    gate_up?;
    holder_up?;
    agent_up?;
    signals::check()?;
    timing::step("agent: finish", || agent::finish(engine, plan))?;
    signals::check()?;
    timing::step("launch record", || {
        let launch = launch_record(plan, ca.fingerprint(), options.detach);
        record::write(stage_dir, &launch)?;
        // The signed record begins: in the user's state, where the agent never reaches.
        let pending = crate::record::pending::Pending::of(
            plan,
            crate::record::rfc3339_of_unix(launch.started_at),
            options.detach,
            ca.fingerprint(),
            &recorder.verifying_key(),
        );
        let state = crate::userdirs::state_dir()?;
        crate::record::pending::begin(&state, plan, ca.cert_pem(), &pending).map(drop)
    })?;
    // Up: from now on the state volume is the bottle name's, not this launch's.
    guard.release(&Resource::Volume(plan.state_volume.name.clone()));
    Ok(git_files)
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

/// What the launch of `plan` writes about itself once it is up (see [`record`]).
fn launch_record(plan: &Plan, ca_fingerprint: &str, detached: bool) -> LaunchRecord {
    LaunchRecord {
        schema: record::SCHEMA.to_owned(),
        bottle: plan.bottle.slug().to_owned(),
        name: plan.bottle.name.clone(),
        launch_id: plan.launch_id.clone(),
        started_at: record::now(),
        detached,
        agent_container: plan.containers.agent.clone(),
        proxy_container: plan.containers.proxy.clone(),
        networks: vec![plan.networks.internal.clone(), plan.networks.egress.clone()],
        state_volume: plan.state_volume.name.clone(),
        allowlist: plan
            .egress
            .allowlist
            .iter()
            .map(|h| h.as_str().to_owned())
            .collect(),
        agent_command: plan.agent.command.clone(),
        agent_user: plan.agent.user.clone(),
        agent_workdir: plan.agent.workdir.clone(),
        ca_fingerprint: ca_fingerprint.to_owned(),
        learn_lock: plan.egress.learn.as_ref().map(|l| l.lock_path.clone()),
        key_holder: plan.key_holder.as_ref().map(keys::record),
    }
}

#[cfg(test)]
mod tests {
    use super::{MissingImage, Role};

    #[test]
    fn the_bottle_ca_lives_as_long_as_the_plan_says() {
        let project = crate::plan::tests::Project::new("p");
        let plan = project.plan_with("", |i| i.ca_validity_seconds = 7200);
        let ca = super::bottle_ca(&plan).unwrap();
        let (_, pem) = x509_parser::pem::parse_x509_pem(ca.cert_pem().as_bytes()).unwrap();
        let cert = pem.parse_x509().unwrap();
        let validity = cert.validity();
        let span = validity.not_after.timestamp() - validity.not_before.timestamp();
        // The plan's two hours, and the few minutes the CA is backdated for clock skew.
        assert!((7200..7200 + 3600).contains(&span), "{span}");
        assert!(
            cert.subject()
                .to_string()
                .contains("bot-bottle p egress CA"),
            "{}",
            cert.subject()
        );
    }

    /// Every container a launch creates: no capability, none to gain, the engine's default
    /// seccomp profile (no `seccomp=` option at all, so never `unconfined`), the plan's limits
    /// and scratch, the sidecars' roots read-only, and the agent under an init that reaps.
    #[test]
    fn every_container_keeps_the_default_seccomp_and_gets_its_limits() {
        let project = crate::plan::tests::Project::new("p");
        // With a key holder too: the forwarded API key is set.
        let plan = project.plan_with(
            "[agent]\nenv = [\"ANTHROPIC_API_KEY\"]\n\n\
             [[git.upstreams]]\nname = \"web\"\nurl = \"https://git.example.com/web.git\"\n",
            |i| i.env_is_set = |_| true,
        );
        let gate = plan.gate.as_ref().unwrap();
        let holder = plan.key_holder.as_ref().unwrap();
        let specs = [
            (super::agent::spec(&plan, Vec::new()), false),
            (super::sidecar::spec(&plan), true),
            (super::gate::spec(gate), true),
            (super::gate::egress_spec(gate), true),
            (super::keys::spec(holder), true),
        ];
        for (spec, read_only) in &specs {
            let name = &spec.name;
            assert_eq!(spec.cap_drop, ["ALL"], "{name}");
            assert!(spec.cap_add.is_empty(), "{name}");
            assert_eq!(spec.security_opts, ["no-new-privileges"], "{name}");
            let argv = engine::argv::create(spec, engine::argv::CreateNetworks::All, &[], None);
            assert!(
                !argv
                    .iter()
                    .any(|a| a.contains("seccomp") || a.contains("unconfined")),
                "{name}: {argv:?}"
            );
            assert_eq!(spec.read_only, *read_only, "{name}");
            let limits = spec.limits;
            assert!(
                limits.memory_bytes.is_some()
                    && limits.cpus_milli.is_some()
                    && limits.pids.is_some(),
                "{name}: {limits:?}"
            );
            assert!(
                spec.mounts
                    .iter()
                    .any(|m| matches!(m, engine::Mount::Tmpfs { target, .. } if target == "/tmp")),
                "{name} has no scratch"
            );
        }
        assert!(specs[0].0.init, "the agent reaps its orphans");
        // The gate has no way out but its filter: one network, no resolver.
        assert_eq!(specs[2].0.networks.len(), 1);
        assert_eq!(specs[2].0.dns, [super::DEAD_RESOLVER]);
        assert_eq!(specs[3].0.networks.len(), 2);
    }

    #[test]
    fn a_missing_image_names_the_command_that_makes_it() {
        let missing = |role| {
            MissingImage {
                role,
                image: "localhost/x:1".to_owned(),
                engine: "podman (/usr/bin/podman)".to_owned(),
            }
            .to_string()
        };
        assert!(missing(Role::Agent).contains("`bot-bottle image build agent`"));
        assert!(missing(Role::Proxy).contains("`bot-bottle image build pipelock`"));
        let gate = missing(Role::Gate);
        assert!(
            gate.starts_with("the git gate image localhost/x:1 is not present in podman")
                && gate.contains("`bot-bottle image build gate`"),
            "{gate}"
        );
    }
}
