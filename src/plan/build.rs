//! Building a [`Plan`] from a parsed manifest: resolving paths, names, env and the proxy config.
//! Reads the filesystem and environment, creates nothing.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::hostpaths::HostPaths;
use super::paths::absolute;
use super::resources::{Chosen, Resources};
use super::workspace::Protected;
use super::{
    AgentPlan, Bottle, Containers, EgressPlan, EngineSummary, FieldError, ForwardedEnv, Images,
    LearnPlan, LockPlan, Networks, Plan, Privileges, ProxyPlan, StateVolume, TlsInterceptionPlan,
    JSON_SCHEMA,
};
use crate::allowlist;
use crate::bottle::addresses::InternalAddresses;
use crate::bottle::{self, ResourceNames, Role};
use crate::defaults;
use crate::exit::UsageError;
use crate::manifest::{Manifest, ManifestSource};
use crate::policy::lockfile;
use crate::proxy_config::{self, PipelockConfig};
use crate::userconfig::AllowedPath;

/// Everything outside the manifest that the plan depends on, gathered by the caller so that
/// building stays deterministic and testable.
#[derive(Debug, Clone)]
pub struct PlanInputs {
    pub source: ManifestSource,
    /// The SHA-256 of the manifest's bytes as parsed (`None` for the built-in default).
    pub manifest_sha256: Option<String>,
    /// The current directory: the default workspace, and the base for the built-in manifest.
    pub cwd: Utf8PathBuf,
    pub engine: Option<EngineSummary>,
    /// `BOT_BOTTLE_PIPELOCK_IMAGE`, if set.
    pub proxy_image_override: Option<String>,
    /// `BOT_BOTTLE_GATE_IMAGE`, if set.
    pub gate_image_override: Option<String>,
    /// Where per-bottle stage directories go (`$XDG_RUNTIME_DIR/bot-bottle`, or a per-user
    /// directory under the temp dir).
    pub stage_root: Utf8PathBuf,
    /// Looks up a host environment variable's presence (never its value).
    pub env_is_set: fn(&str) -> bool,
    pub ca_validity_seconds: u64,
    /// A fresh random id for this launch (see [`crate::bottle::LABEL_LAUNCH`]).
    pub launch_id: String,
    /// Host paths the user allows a manifest to name outside its own directory.
    pub allowed_paths: Vec<AllowedPath>,
    /// The user's config file (where paths are allowed), named in errors.
    pub config_file: Utf8PathBuf,
    /// The places no workspace may be, hold or (most) lie within: bot-bottle's own (the user's
    /// config, the approvals, the stage root), the engines' sockets and the home directory
    /// ([`super::workspace::protected`]), or the agent could read and rewrite them.
    pub user_paths: Vec<Protected>,
    /// `start --learn`: every host reachable, the hosts used written to a new lock.
    pub learn: bool,
    /// The host's CPUs (what this process may use): the agent's default CPU limit leaves one
    /// of them to the host, and no container may be given more.
    pub host_cpus: u32,
    /// The user's Anthropic logins, one of which the key holder may hold.
    pub logins: crate::login::Store,
}

/// Checks the manifest against the world and computes the plan.
pub fn build(manifest: &Manifest, inputs: &PlanInputs) -> Result<Plan, UsageError> {
    let origin = inputs.source.display();
    let in_manifest =
        |field: &str, message: String| UsageError(format!("{origin}: {field}: {message}"));
    let base_dir = manifest_dir(inputs);
    let host_paths = HostPaths::new(base_dir.clone(), &inputs.allowed_paths, &inputs.config_file)
        .map_err(|m| UsageError(format!("{origin}: {m}")))?;
    let (workspace, workspace_allowed_by) =
        super::workspace::resolve(manifest, &host_paths, &inputs.cwd, &inputs.user_paths)
            .map_err(|(f, m)| in_manifest(f, m))?;
    let (name, slug) = name_and_slug(manifest, &workspace).map_err(|m| in_manifest("name", m))?;
    // The bottle's identity, made here once: its stage directory (and lock beside it), the
    // names of what it creates and the labels that find them again.
    let identity = bottle::Bottle::in_root(&inputs.stage_root, slug.clone());
    let names = ResourceNames::for_launch(&slug, &inputs.launch_id);
    let addresses = InternalAddresses::for_launch(&inputs.launch_id);
    let labels = |role: Role| bottle::labels(&slug, role, &inputs.launch_id);

    let (credential, egress) = credential_and_egress(manifest, inputs, &base_dir)?;
    let resources =
        Chosen::new(&manifest.resources, inputs.host_cpus).map_err(|(f, m)| in_manifest(f, m))?;
    let key_holder = credential.map(|source| {
        key_holder_plan(
            manifest.agent.kind.0,
            source,
            inputs,
            (&names, &addresses),
            resources.sidecar(&super::resources::KEY_HOLDER),
            labels(Role::KeyHolder),
        )
    });
    let gate = super::gate::plan(
        manifest,
        &resources,
        &host_paths,
        gate_placement(&names, &addresses, inputs, &labels),
    )
    .map_err(|(field, message)| in_manifest(&field, message))?;
    let agent = agent_plan(
        manifest,
        inputs,
        resources.agent(),
        (workspace, workspace_allowed_by),
        identity.stage_dir(),
        &Neighbours {
            proxy: &names.proxy,
            gate: gate.as_ref().map(|g| g.container.as_str()),
            key_holder: key_holder.as_ref(),
            addresses: &addresses,
        },
        labels(Role::Agent),
    )
    .map_err(|(field, message)| in_manifest(field, message))?;
    let state_volume = state_volume(&slug, &agent, labels(Role::State), &inputs.logins);
    let provisioning = super::steps::plan(
        manifest,
        &host_paths,
        &agent.home,
        &agent.workdir,
        gate.as_ref(),
    )
    .map_err(|(field, message)| in_manifest(field, message))?;

    Ok(Plan {
        schema: JSON_SCHEMA,
        launch_id: inputs.launch_id.clone(),
        stage_dir: identity.stage_dir().to_owned(),
        bottle: Bottle {
            name,
            identity,
            manifest: manifest_path(inputs),
            manifest_sha256: inputs.manifest_sha256.clone(),
        },
        engine: inputs.engine.clone(),
        images: images(manifest, inputs),
        containers: Containers {
            agent: names.agent,
            proxy: names.proxy,
            gate: gate.as_ref().map(|g| g.container.clone()),
            key_holder: key_holder.as_ref().map(|k| k.container.clone()),
        },
        networks: Networks {
            internal: names.internal_network,
            internal_subnet: addresses.subnet.clone(),
            egress: names.egress_network,
            labels: labels(Role::Network),
        },
        proxy: proxy_plan(
            &egress,
            &addresses,
            resources.sidecar(&super::resources::PROXY),
            labels(Role::Proxy),
        ),
        agent,
        egress,
        gate,
        key_holder,
        state_volume,
        resources: resources.policy(),
        provisioning,
        host_files: host_paths.into_found(),
    })
}

/// Where the git gate and its egress filter sit in the bottle.
fn gate_placement<'a>(
    names: &'a ResourceNames,
    addresses: &InternalAddresses,
    inputs: &'a PlanInputs,
    labels: &dyn Fn(Role) -> BTreeMap<String, String>,
) -> super::gate::Placement<'a> {
    super::gate::Placement {
        container: &names.gate,
        image: inputs.gate_image_override.as_deref(),
        networks: [names.internal_network.clone(), names.egress_network.clone()],
        address: addresses.gate.to_string(),
        labels: labels(Role::Gate),
        egress_container: &names.gate_egress,
        egress_address: addresses.gate_egress.to_string(),
        egress_labels: labels(Role::GateEgress),
    }
}

/// The directory the manifest's relative paths start from: its own, or the current one for
/// the built-in default.
fn manifest_dir(inputs: &PlanInputs) -> Utf8PathBuf {
    match &inputs.source {
        ManifestSource::File(path) => {
            absolute(&inputs.cwd, path.parent().unwrap_or(Utf8Path::new(".")))
        }
        ManifestSource::Builtin => inputs.cwd.clone(),
    }
}

/// The manifest file, absolute, or `None` for the built-in default.
fn manifest_path(inputs: &PlanInputs) -> Option<Utf8PathBuf> {
    match &inputs.source {
        ManifestSource::File(p) => Some(absolute(&inputs.cwd, p)),
        ManifestSource::Builtin => None,
    }
}

/// Where the key holder's credential comes from (`None`: no holder), and the egress plan,
/// whose CA covers the holder's hosts when there is one.
fn credential_and_egress(
    manifest: &Manifest,
    inputs: &PlanInputs,
    base_dir: &Utf8Path,
) -> Result<(Option<super::keys::CredentialSource>, EgressPlan), UsageError> {
    let credential = super::keys::credential(manifest, &inputs.logins, inputs.env_is_set).map_err(
        |(field, message)| UsageError(format!("{}: {field}: {message}", inputs.source.display())),
    )?;
    let lock = lockfile::path_in(base_dir);
    let egress = egress_plan(manifest, inputs, &lock, credential.is_some())?;
    Ok((credential, egress))
}

/// The state volume of bottle `slug` for `agent`'s workspace.
fn state_volume(
    slug: &str,
    agent: &AgentPlan,
    labels: BTreeMap<String, String>,
    logins: &crate::login::Store,
) -> StateVolume {
    StateVolume {
        name: ResourceNames::state_volume(slug, &agent.workspace, agent.kind),
        workspace: agent.workspace.clone(),
        target: agent.kind.state_path(&agent.home),
        labels,
        moves_login_to: logins.dir().to_owned(),
    }
}

/// The key holder of a bottle whose credential comes from `source`, in the gate's image.
fn key_holder_plan(
    manifest_kind: &'static crate::agents::AgentKind,
    source: super::keys::CredentialSource,
    inputs: &PlanInputs,
    (names, addresses): (&ResourceNames, &InternalAddresses),
    resources: Resources,
    labels: BTreeMap<String, String>,
) -> super::keys::KeyHolderPlan {
    super::keys::plan(
        source,
        super::keys::Inputs {
            kind: manifest_kind,
            container: &names.key_holder,
            image: inputs
                .gate_image_override
                .as_deref()
                .unwrap_or(defaults::GATE_IMAGE),
            networks: [names.internal_network.clone(), names.egress_network.clone()],
            address: &addresses.key_holder.to_string(),
            launch_id: &inputs.launch_id,
            resources,
            labels,
        },
    )
}

/// The bottle's name (the manifest's, else its workspace directory's) and its slug.
fn name_and_slug(manifest: &Manifest, workspace: &Utf8Path) -> Result<(String, String), String> {
    if let Some(name) = &manifest.name {
        let slug = bottle::slugify(name).map_err(|e| e.0)?;
        return Ok((name.clone(), slug));
    }
    // Named after the workspace; a directory name with nothing usable still gets a bottle.
    let dir_name = workspace.file_name().unwrap_or("bottle");
    let slug = bottle::slugify(dir_name).unwrap_or_else(|_| "bottle".to_owned());
    Ok((dir_name.to_owned(), slug))
}

/// The pipelock sidecar: its command and the config it loads.
fn proxy_plan(
    egress: &EgressPlan,
    addresses: &InternalAddresses,
    resources: Resources,
    labels: BTreeMap<String, String>,
) -> ProxyPlan {
    let listen = proxy_config::listen_address(addresses.proxy);
    ProxyPlan {
        command: proxy_config::sidecar_command(&listen),
        privileges: Privileges::sidecar(),
        resources,
        // Its config (which `allow` rewrites) and the flight recorder's evidence, which `stop`
        // reads once pipelock has stopped.
        volumes: vec![
            defaults::PROXY_CONFIG_DIR.to_owned(),
            defaults::PROXY_RECORDER_DIR.to_owned(),
        ],
        address: addresses.proxy.to_string(),
        config_path: defaults::PROXY_CONFIG_PATH.to_owned(),
        config: {
            let config = PipelockConfig::for_bottle(
                &egress.allowlist,
                &egress.blocklist,
                &egress.tls_interception.passthrough_domains,
                &egress.internal_hosts,
                egress.dlp_action,
                listen.clone(),
            )
            .with_events(&egress.events);
            if egress.learn.is_some() {
                config.learning()
            } else {
                config
            }
        },
        listen,
        labels,
    }
}

/// The agent's image (the manifest's, or the default) and pipelock's.
fn images(manifest: &Manifest, inputs: &PlanInputs) -> Images {
    Images {
        agent: manifest
            .agent
            .image
            .as_ref()
            .map_or_else(|| manifest.agent.kind.0.image(), |i| i.as_str().to_owned()),
        proxy: inputs
            .proxy_image_override
            .clone()
            .unwrap_or_else(|| defaults::PROXY_IMAGE.to_owned()),
    }
}

/// Allowlist (with the egress lock at `lock_path`, unless learning), passthrough hosts and
/// what the bottle CA will be.
fn egress_plan(
    manifest: &Manifest,
    inputs: &PlanInputs,
    lock_path: &Utf8Path,
    key_holder: bool,
) -> Result<EgressPlan, UsageError> {
    let (lock, learn) = if inputs.learn {
        let replaces = crate::hostfile::read(lock_path, crate::hostfile::LOCK)
            .ok()
            .map(|bytes| crate::ca::sha256_of(&bytes));
        let learn = LearnPlan {
            lock_path: lock_path.to_owned(),
            replaces,
        };
        (None, Some(learn))
    } else {
        let lock = lockfile::load(lock_path)?.map(|loaded| LockPlan {
            hosts: loaded.hosts(),
            path: loaded.path,
            sha256: loaded.sha256,
        });
        (lock, None)
    };
    let locked = lock.as_ref().map_or(&[][..], |l| l.hosts.as_slice());
    let kind = manifest.agent.kind.0;
    let allowlist = allowlist::effective_allowlist(kind, &manifest.egress, locked);
    let in_manifest = |e: UsageError| UsageError(format!("{}: {}", inputs.source.display(), e.0));
    let passthrough = allowlist::effective_passthrough(kind, &manifest.egress, &allowlist)
        .map_err(in_manifest)?;
    let internal_hosts =
        allowlist::effective_internal(&manifest.egress, &allowlist).map_err(in_manifest)?;
    let approvable = {
        let mut hosts = manifest.egress.approvable.clone();
        hosts.sort();
        hosts.dedup();
        hosts
    };
    // The key holder's certificate is the bottle CA's too: with a holder, its hosts are in
    // the CA's scope (pipelock still refuses them, by its blocklist).
    let blocklist = allowlist::blocklist();
    let ca_permitted_domains = learn.is_none().then(|| {
        let mut scope = allowlist.clone();
        scope.extend(approvable.iter().cloned());
        if key_holder {
            scope.extend(blocklist.iter().cloned());
        }
        permitted_domains(&scope)
    });
    Ok(EgressPlan {
        summary: allowlist::summary(&allowlist),
        blocklist,
        dlp_action: manifest.egress.dlp_action,
        internal_hosts,
        tls_interception: TlsInterceptionPlan {
            enabled: true,
            ca_fingerprint: None,
            ca: "per-bottle, generated at launch, destroyed with the sidecar",
            ca_validity_seconds: inputs.ca_validity_seconds,
            ca_permitted_domains,
            passthrough_domains: passthrough,
            agent_ca_path: defaults::AGENT_CA_CERT_PATH.to_owned(),
        },
        allowlist,
        approvable,
        events: manifest.egress.events.clone(),
        lock,
        learn,
    })
}

/// The agent's neighbours on the internal network: the sidecars' names, and where each of them
/// (and the agent) sits there.
struct Neighbours<'a> {
    proxy: &'a str,
    gate: Option<&'a str>,
    key_holder: Option<&'a super::keys::KeyHolderPlan>,
    addresses: &'a InternalAddresses,
}

impl Neighbours<'_> {
    /// What the agent's `/etc/hosts` maps: each sidecar's name to its internal address, and
    /// the key holder's hosts to the key holder.
    fn hosts(&self) -> BTreeMap<String, String> {
        let mut hosts = BTreeMap::from([(self.proxy.to_owned(), self.addresses.proxy.to_string())]);
        if let Some(gate) = self.gate {
            hosts.insert(gate.to_owned(), self.addresses.gate.to_string());
        }
        if let Some(holder) = self.key_holder {
            for host in &holder.hosts {
                hosts.insert(host.clone(), holder.address.clone());
            }
        }
        hosts
    }

    /// What the agent reaches directly, not through the proxy: the git gate and the key
    /// holder's hosts.
    fn direct(&self) -> Vec<&str> {
        let mut direct: Vec<&str> = self.gate.into_iter().collect();
        if let Some(holder) = self.key_holder {
            direct.extend(holder.hosts.iter().map(String::as_str));
        }
        direct
    }
}

/// The agent container: command, user, workspace, and the variables it gets.
fn agent_plan(
    manifest: &Manifest,
    inputs: &PlanInputs,
    resources: Resources,
    (workspace, workspace_allowed_by): (Utf8PathBuf, String),
    stage_dir: &Utf8Path,
    neighbours: &Neighbours<'_>,
    labels: BTreeMap<String, String>,
) -> Result<AgentPlan, FieldError> {
    let kind = manifest.agent.kind.0;
    let command = match &manifest.agent.command {
        Some(cmd) if cmd.is_empty() => {
            return Err(("agent.command", "must not be empty".to_owned()))
        }
        Some(cmd) => cmd.iter().map(|a| a.as_str().to_owned()).collect(),
        None => kind.command.iter().map(|s| (*s).to_owned()).collect(),
    };
    let user = defaults::AGENT_USER.to_owned();
    let home = if user == "root" {
        "/root".to_owned()
    } else {
        format!("/home/{user}")
    };
    // With a key holder, no credential variable of the kind is forwarded (the one the holder
    // takes, nor another set beside it): the agent gets the placeholder under the holder's.
    let held = |name: &str| {
        neighbours.key_holder.is_some_and(|holder| {
            holder.placeholder_variables.iter().any(|h| h == name)
                || kind.credential_variable(name).is_some()
        })
    };
    let forwarded_env = manifest
        .agent
        .env
        .iter()
        .filter(|name| !held(name.as_str()))
        .map(|name| ForwardedEnv {
            name: name.clone(),
            set_on_host: (inputs.env_is_set)(name.as_str()),
        })
        .collect();
    // Rootful engines map ids one to one; rootless podman maps the invoking user to root
    // unless told to map it to the agent user.
    let rootless_podman = inputs
        .engine
        .as_ref()
        .is_some_and(|e| e.kind == "podman" && e.rootless == Some(true));
    let userns = rootless_podman.then(|| {
        format!(
            "keep-id:uid={},gid={}",
            defaults::AGENT_UID,
            defaults::AGENT_GID
        )
    });
    let mut env = agent_env(kind, neighbours.proxy, &neighbours.direct(), &home);
    if let Some(holder) = neighbours.key_holder {
        for variable in &holder.placeholder_variables {
            env.insert(
                variable.clone(),
                holder.config.placeholder.expose().to_owned(),
            );
        }
    }
    let git = super::gitmeta::plan(
        &workspace,
        defaults::AGENT_WORKDIR,
        stage_dir.join(crate::gitwatch::FILE),
    );
    Ok(AgentPlan {
        kind,
        command,
        // Raw sockets, ownership and permission overrides: root in the agent (`exec -u 0`, or
        // an exploit) would hold the engine's default set otherwise (podman's), which no
        // feature of the agent needs.
        privileges: Privileges::none(),
        resources,
        init: true,
        user,
        uid: defaults::AGENT_UID,
        gid: defaults::AGENT_GID,
        home,
        workspace,
        workspace_allowed_by,
        workdir: defaults::AGENT_WORKDIR.to_owned(),
        address: neighbours.addresses.agent.to_string(),
        hosts: neighbours.hosts(),
        git,
        userns,
        env,
        forwarded_env,
        labels,
    })
}

/// Proxy routing and CA trust for the agent, and the kind's own variables (its CA, where it
/// keeps its state). The hosts in `direct` (the git gate, the key holder's) are reached
/// directly, not through the proxy.
fn agent_env(
    kind: &crate::agents::AgentKind,
    proxy_name: &str,
    direct: &[&str],
    home: &str,
) -> BTreeMap<String, String> {
    let proxy_url = format!("http://{proxy_name}:{}", defaults::PROXY_PORT);
    let no_proxy = ["localhost", "127.0.0.1", "::1"]
        .iter()
        .chain(direct)
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    let no_proxy = no_proxy.as_str();
    let ca_bundle = defaults::AGENT_CA_BUNDLE_PATH;
    [
        ("HTTPS_PROXY", proxy_url.as_str()),
        ("HTTP_PROXY", &proxy_url),
        ("https_proxy", &proxy_url),
        ("http_proxy", &proxy_url),
        ("NO_PROXY", no_proxy),
        ("no_proxy", no_proxy),
        ("SSL_CERT_FILE", ca_bundle),
        ("REQUESTS_CA_BUNDLE", ca_bundle),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain(
        kind.env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.value(kind, home))),
    )
    .collect()
}

/// The DNS subtrees the bottle CA may issue for: the allowlist's base domains, de-duplicated.
fn permitted_domains(allowlist: &[crate::manifest::Hostname]) -> Vec<String> {
    let mut domains: Vec<String> = allowlist
        .iter()
        .map(|h| h.base_domain().to_owned())
        .collect();
    domains.sort();
    domains.dedup();
    domains
}
