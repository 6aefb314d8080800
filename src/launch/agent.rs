//! The agent container: on the internal network only, proxy and CA variables set, the
//! workspace mounted, kept alive by `sleep` so provisioning can run before the agent's own
//! command starts (as an `exec`, attached to the user's terminal).

use anyhow::{bail, Context as _};
use engine::{ContainerSpec, Engine, EnvVar, ExecSpec, Mount, NetworkAttachment, VolumeSpec};

use super::{network, sidecar};
use crate::bottle::teardown::{Guard, Resource};
use crate::ca::BottleCa;
use crate::defaults;
use crate::plan::Plan;
use crate::provision;
use crate::signals;
use crate::timing;

/// The resolver the agent is told of: an address no bottle network routes to, so a lookup
/// fails at once with "network unreachable", inside the bottle. Docker's embedded resolver
/// forwards to the `--dns` servers from the agent's own namespace, which has no route out;
/// left to itself it would use the host's resolvers, and when those sit on the host's loopback
/// it forwards from the host's namespace instead (CVE-2024-29018). TEST-NET-1 (RFC 5737) is
/// never a real resolver.
pub const DEAD_RESOLVER: &str = "192.0.2.53";

/// The agent's container spec. `forwarded` holds the host values of the manifest's
/// `agent.env` names that are set (they travel in the engine's environment, never in argv).
/// Nothing in it depends on the sidecar having started, so both are created at once: the
/// sidecars' addresses are the plan's, in the agent's `/etc/hosts` from its start.
pub fn spec(plan: &Plan, forwarded: Vec<EnvVar>) -> ContainerSpec {
    let mut env: Vec<EnvVar> = plan
        .agent
        .env
        .iter()
        .map(|(k, v)| EnvVar::new(k, v))
        .collect();
    env.extend(forwarded);
    ContainerSpec {
        networks: vec![NetworkAttachment::at(
            &plan.networks.internal,
            &plan.agent.address,
        )],
        // The isolated network has no DNS: the sidecars' names are mapped here.
        extra_hosts: plan
            .agent
            .hosts
            .iter()
            .map(|(name, ip)| (name.clone(), ip.clone()))
            .collect(),
        dns: vec![DEAD_RESOLVER.to_owned()],
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
        mounts: mounts(plan),
        user: Some(plan.agent.user.clone()),
        userns: plan.agent.userns.clone(),
        workdir: Some(plan.agent.workdir.clone()),
        // The image's entrypoint (e.g. node's docker-entrypoint.sh) is not wanted: the
        // container only has to stay up; the agent's command runs as an exec.
        entrypoint: Some(vec!["sleep".to_owned()]),
        cmd: vec!["infinity".to_owned()],
        security_opts: plan.agent.privileges.security_opts.clone(),
        cap_drop: plan.agent.privileges.cap_drop.clone(),
        read_only: plan.agent.privileges.read_only_root,
        limits: plan.agent.resources.limits(),
        init: plan.agent.init,
        ..ContainerSpec::new(&plan.containers.agent, &plan.images.agent)
    }
}

/// The workspace, then the mounts over it that keep its repository's config and hooks from
/// the agent (each target below the one before: engines mount them in that order), and the
/// state volume.
fn mounts(plan: &Plan) -> Vec<Mount> {
    let mut mounts = vec![Mount::Bind {
        source: plan.agent.workspace.clone(),
        target: plan.agent.workdir.clone().into(),
        read_only: false,
    }];
    mounts.extend(plan.agent.git.mounts.iter().map(|m| Mount::Bind {
        source: m.source.clone(),
        target: m.target.clone().into(),
        read_only: m.read_only,
    }));
    mounts.push(Mount::Volume {
        name: plan.state_volume.name.clone(),
        target: plan.state_volume.target.clone().into(),
        read_only: false,
    });
    // Its scratch space: a tmpfs of the plan's size (its root filesystem has none).
    mounts.push(plan.agent.resources.scratch_mount());
    mounts
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

/// Creates the state volume unless it exists (recorded in `guard` first: a launch that fails
/// removes only a volume it created), then the agent (likewise), copies its provisioning in,
/// starts it once the internal network is known to be isolated, and copies in the files that
/// land in the state volume.
pub fn start(
    engine: &dyn Engine,
    plan: &Plan,
    ca: &BottleCa,
    guard: &Guard,
    state_volume_exists: bool,
) -> anyhow::Result<()> {
    let name = &plan.containers.agent;
    if !state_volume_exists {
        let volume = Resource::Volume(plan.state_volume.name.clone());
        guard.adopt(volume.clone());
        timing::step("agent: create state volume", || {
            engine.create_volume(&VolumeSpec {
                name: plan.state_volume.name.clone(),
                labels: plan.state_volume.labels.clone(),
            })
        })?;
        guard.created(&volume);
    }
    // What the workspace's `.git` lacks to be mounted read-only: empty, as `git init` makes it.
    crate::plan::gitmeta::create_missing(&plan.agent.git)?;
    let resource = Resource::Container(name.clone());
    guard.adopt(resource.clone());
    timing::step("agent: create", || {
        engine
            .create_container(&spec(plan, forwarded_env(plan)))
            .with_context(|| format!("creating the agent container {name}"))
    })?;
    guard.created(&resource);
    let files = provision::tarball(plan, ca.cert_pem())?;
    timing::step("agent: copy provisioning", || {
        engine
            .copy_tar_into(name, "/", &files)
            .with_context(|| format!("copying provisioning files into {name}"))
    })?;
    timing::step("agent: check network isolation", || {
        network::check_isolated(engine, &plan.networks.internal).map(drop)
    })?;
    signals::check()?;
    timing::step("agent: start", || {
        engine
            .start_container(name)
            .with_context(|| format!("starting {name}"))
    })?;
    // Only Claude Code's state volumes were made by a bot-bottle that let the agent log in.
    if state_volume_exists && std::ptr::eq(plan.agent.kind, crate::agents::DEFAULT) {
        timing::step("agent: move a login out of the state volume", || {
            move_login_out(engine, plan)
        })?;
    }
    // A volume that existed is already the agent user's; with nothing to add, no copy.
    if state_volume_exists && !provision::has_state_files(plan) {
        return Ok(());
    }
    let state = provision::state_tarball(plan)?;
    timing::step("agent: copy into the state volume", || {
        engine
            .copy_tar_into(name, "/", &state)
            .with_context(|| format!("copying files into the state volume of {name}"))
    })
}

/// Prints the file `$1` when it is there (nothing, and success, when it is not); with `rm` as
/// `$2`, removes it. Run as the agent user, whose file it is (root in the agent holds no
/// capability to read it).
const LOGIN_FILE: &str = r#"[ -f "$1" ] || exit 0
if [ "$2" = rm ]; then rm -f -- "$1"; else cat -- "$1"; fi"#;

/// Moves a Claude Code login an earlier bot-bottle left in the state volume (its
/// `.credentials.json`) to the login store, as a login named after the bottle, before the
/// agent's command starts: the agent never holds a credential now. It is removed from the
/// volume only once kept on the host. The user is told, and decides whether a bottle uses it.
fn move_login_out(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<()> {
    let name = &plan.containers.agent;
    let file = format!(
        "{}/{}",
        plan.state_volume.target,
        crate::login::claude::CREDENTIALS_FILE
    );
    let run = |arg: &str| {
        let spec = ExecSpec {
            user: Some(plan.agent.user.clone()),
            ..ExecSpec::new(["sh", "-c", LOGIN_FILE, "sh", file.as_str(), arg])
        };
        let out = engine.exec(name, &spec)?;
        anyhow::ensure!(
            out.status == 0,
            "reading {file} in {name}: {}",
            out.stderr.trim()
        );
        Ok(zeroize::Zeroizing::new(out.stdout))
    };
    let text = run("cat")?;
    if text.is_empty() {
        return Ok(());
    }
    let store = crate::login::Store::in_state_dir(
        plan.state_volume
            .moves_login_to
            .parent()
            .context("the login store has no parent directory")?,
    );
    let credential = match crate::login::claude::parse(text.as_bytes()) {
        Ok(credential) => credential,
        Err(why) => {
            eprintln!(
                "bot-bottle: the state volume {} holds {} that is not a Claude Code login ({why}); it is left there",
                plan.state_volume.name,
                crate::login::claude::CREDENTIALS_FILE
            );
            return Ok(());
        }
    };
    let login = free_login_name(&store, plan.bottle.slug())?;
    let path = store.write(&login, &credential, false)?;
    run("rm")?;
    eprintln!(
        "bot-bottle: moved the Claude Code login the state volume {} held into login {login} ({path}):          the agent no longer holds a credential, a key holder does. Check it is yours (the agent could write that file),          then set `login = \"{login}\"` under [agent] in the manifest, or `bot-bottle logout {login}`",
        plan.state_volume.name
    );
    Ok(())
}

/// The bottle's slug as a login name, or with `-2` … `-99` after it, whichever is free.
fn free_login_name(
    store: &crate::login::Store,
    slug: &str,
) -> anyhow::Result<crate::login::LoginName> {
    for n in 1..100 {
        let candidate = if n == 1 {
            slug.to_owned()
        } else {
            format!("{slug}-{n}")
        };
        let name = crate::login::LoginName::parse(&candidate)?;
        if std::fs::symlink_metadata(store.path(&name)).is_err() {
            return Ok(name);
        }
    }
    anyhow::bail!("no free login name for {slug} in {}", store.dir())
}

/// The last step of a launch, run as root in the started agent. Its arguments: the agent
/// user and the uid the plan gave its files, the bottle CA's cert and the trust bundle,
/// seconds to wait, and the health URLs to wait for. It
/// - checks that the image's agent user has the uid the provisioned files were given;
/// - appends the CA to the image's bundle (what `update-ca-certificates` would do, in a
///   millisecond instead of a second), then says `provisioned`;
/// - waits until each health endpoint answers through those names, polling with one
///   deadline, and prints `200`, or the URL and status that did not answer (nothing when the
///   image has no curl).
///
/// A fixed script: every value is an argument, never part of the text. It needs no capability
/// (root in the agent holds none, see [`crate::plan::Privileges`]): every file written here is
/// root's.
const FINISH: &str = r#"uid=$(id -u "$1") || exit 3
[ "$uid" = "$2" ] || { echo "the agent user $1 has uid $uid in this image; bot-bottle needs $2" >&2; exit 3; }
if [ -f "$4" ]; then cat "$3" >> "$4" || exit 5; fi
echo provisioned
command -v curl > /dev/null || exit 0
deadline=$(( $(date +%s) + $5 ))
shift 5
for url in "$@"; do
  while :; do
    code=$(curl -sS -m 5 --noproxy '*' -o /dev/null -w '%{http_code}' "$url") && [ "$code" = 200 ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$url $code"; exit 6; }
    sleep 0.05
  done
done
echo 200"#;

/// How long the sidecars get to answer after they started.
const PROXY_READY_WITHIN_SECS: u32 = 30;

/// Finishes the agent once its sidecars run ([`FINISH`]): its user checked, the CA in its
/// trust bundle, and the sidecar and the git gate answering through the names its
/// `/etc/hosts` maps, so that a sidecar that died or a host whose firewall drops traffic
/// inside the internal network fails here, clearly, and not as a hanging agent.
pub fn finish(engine: &dyn Engine, plan: &Plan) -> anyhow::Result<()> {
    let mut urls = vec![format!(
        "http://{}:{}/health",
        plan.containers.proxy,
        crate::defaults::PROXY_PORT
    )];
    if let Some(gate) = &plan.gate {
        urls.push(format!("{}/health", gate.url));
    }
    if let Some(holder) = &plan.key_holder {
        // Answered by the holder itself, through the name and certificate the agent uses.
        urls.push(format!(
            "https://{}{}",
            holder.hosts[0],
            bot_bottle_gate::keys::HEALTH_PATH
        ));
    }
    let uid = plan.agent.uid.to_string();
    let wait = PROXY_READY_WITHIN_SECS.to_string();
    let mut argv = vec![
        "sh",
        "-c",
        FINISH,
        "sh",
        plan.agent.user.as_str(),
        uid.as_str(),
        defaults::AGENT_CA_CERT_PATH,
        defaults::AGENT_CA_BUNDLE_PATH,
        wait.as_str(),
    ];
    argv.extend(urls.iter().map(String::as_str));
    let script = ExecSpec {
        user: Some("0".to_owned()),
        ..ExecSpec::new(argv)
    };
    let out = engine.exec(&plan.containers.agent, &script)?;
    let Some(code) = out.stdout.strip_prefix("provisioned\n") else {
        bail!(
            "finishing the agent {} failed (exit {}): {}",
            plan.containers.agent,
            out.status,
            out.stderr.trim()
        );
    };
    if out.status == 0 && (code.is_empty() || code.trim() == "200") {
        return Ok(());
    }
    if let Some(why) = sidecar::failure(engine, &plan.containers.proxy)? {
        bail!(why);
    }
    if let Some(gate) = &plan.gate {
        if let Some(why) = super::gate::failure(engine, gate)? {
            bail!(why);
        }
    }
    if let Some(holder) = &plan.key_holder {
        if let Some(why) = super::keys::failure(engine, &holder.container)? {
            bail!(why);
        }
    }
    bail!(
        "the agent cannot reach its sidecars within {wait} s ({} {}); if dockerd runs on this host next to rootful podman, \
         its FORWARD DROP policy also drops traffic inside podman's internal networks: see \"Known host issues\" in the README",
        out.stderr.trim(),
        code.trim()
    )
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
pub fn attach_hint(plan: &Plan) -> String {
    format!("bot-bottle attach {}", plan.bottle.slug())
}
