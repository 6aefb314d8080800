//! The bottle's Pod: three init containers that set it up, then pipelock, the git gate and the
//! key holder when the bottle has them, and the agent.
//!
//! - `netfilter` (the init image, root with only `NET_ADMIN`) loads the pod's packet filter
//!   ([`super::netfilter`]) before anything else runs.
//! - `unpack` (the init image, root with only `CHOWN`) writes the CA key into a memory volume
//!   only pipelock mounts, owned by pipelock's uid and mode 0600 as pipelock demands, and the
//!   git gate's config and credentials into one only the gate mounts; it hands the key holder's
//!   empty memory volume to the holder's uid (the holder's Secret it never mounts).
//! - `prepare` (the agent image, root with only `CHOWN` and `DAC_READ_SEARCH`) makes the
//!   agent's home (the image's, plus the plan's provisioned files), its trust store (the
//!   image's bundle plus the bottle CA) and its workspace, all owned by the agent user, and
//!   every container's `/tmp` (a memory emptyDir of the plan's scratch size) writable by all.
//!
//! Each container has the plan's memory and CPU limits ([`resources`]) and no capability, may
//! gain none, and runs under the runtime's default seccomp profile; the sidecars' root
//! filesystems are read-only.
//!
//! Why copies rather than mounting the Secrets where they are read: `podman kube play` 4.3
//! writes a Secret's data into its volume still base64-encoded, every `ConfigMap` and Secret file
//! with mode 0644 whatever `defaultMode` says, ignores `subPath`, and makes an emptyDir owned by
//! root 0755. So the init scripts decode what is base64 (a cluster hands them the raw bytes, which
//! never are: a PEM holds dashes, a tar NUL bytes), set owners and modes themselves, and run as
//! root. The scripts are fixed text; every value they use comes in through the environment.
//!
//! The agent runs as its image's user (uid 1000), with no capabilities and no way to gain any,
//! and reaches its sidecars on loopback through the names the plan gives them (host aliases to
//! 127.0.0.1), so the plan's proxy variables and git URL rewrites work unchanged.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    ExecAction, HostAlias, Pod, PodSecurityContext, PodSpec, Probe, ResourceRequirements,
    SeccompProfile, SecretKeySelector, SecretVolumeSource, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{keys, Names, Options, GATE_GID, GATE_UID, KEYS_GID, KEYS_UID, PROXY_GID, PROXY_UID};
use crate::defaults;
use crate::plan::resources::{Resources, SCRATCH_PATH};
use crate::plan::Plan;

/// Where the pipelock sidecar finds its config, the CA cert and the CA key.
pub const PROXY_CONFIG_DIR: &str = "/etc/pipelock/config";
pub const PROXY_CA_DIR: &str = "/etc/pipelock/ca";
pub const PROXY_KEY_DIR: &str = "/etc/pipelock/key";
/// The keys of the `ConfigMaps` and Secrets: file names where they are mounted.
pub const CONFIG_FILE: &str = "pipelock.yaml";
pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";
pub const RULES_V4_FILE: &str = "rules.v4";
pub const RULES_V6_FILE: &str = "rules.v6";
pub const HOME_TAR_FILE: &str = "home.tar";
pub const GATE_TAR_FILE: &str = "gate.tar";
/// The agent's trust store: the image's `/etc/ssl/certs` plus the bottle CA, mounted over it,
/// so the plan's `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` hold as they are.
pub const TRUST_DIR: &str = "/etc/ssl/certs";
/// The bottle CA's cert alone, for `NODE_EXTRA_CA_CERTS`, in the trust store.
pub const AGENT_CA_FILE: &str = "bot-bottle-mitm.crt";
/// Where the gate keeps its mirrors.
const GATE_STATE_DIR: &str = bot_bottle_gate::config::REPO_ROOT;
/// Where the gate reads its config and credentials.
pub const GATE_ETC_DIR: &str = "/etc/bot-bottle-gate";

/// Decodes a Secret's file when podman left it base64-encoded (see the module's doc).
const UNPACK_FN: &str = r#"unpack() { if base64 -d "$1" >/dev/null 2>&1; then base64 -d "$1"; else cat "$1"; fi; }
"#;

const NETFILTER_SCRIPT: &str = r"set -eu
iptables-restore /run/bot-bottle/netfilter/rules.v4
ip6tables-restore /run/bot-bottle/netfilter/rules.v6
";

const UNPACK_SCRIPT: &str = r#"set -eu
umask 077
unpack /run/bot-bottle/secret/ca/ca-key.pem >/run/bot-bottle/proxy-key/ca-key.pem
chown "$BB_PROXY_UID:$BB_PROXY_GID" /run/bot-bottle/proxy-key/ca-key.pem
if [ -e /run/bot-bottle/secret/gate/gate.tar ]; then
  unpack /run/bot-bottle/secret/gate/gate.tar | tar -x --no-same-owner -C /run/bot-bottle/gate
fi
if [ -d /run/bot-bottle/keys ]; then
  chmod 0700 /run/bot-bottle/keys
  chown "$BB_KEYS_UID:$BB_KEYS_GID" /run/bot-bottle/keys
fi
"#;

/// The key holder's start, as the holder's uid: its key and credential from its Secret into
/// its memory volume (decoded, 0600), then the holder (`"$@"`). A credential already there is
/// one the holder rewrote after a refresh, which stays.
const KEYS_SCRIPT: &str = r#"set -eu
umask 077
unpack "$BB_SECRET/$BB_KEY" >"$BB_STATE/$BB_KEY"
if [ ! -e "$BB_STATE/$BB_CREDENTIAL" ]; then
  unpack "$BB_SECRET/$BB_CREDENTIAL" >"$BB_STATE/.$BB_CREDENTIAL.new"
  mv "$BB_STATE/.$BB_CREDENTIAL.new" "$BB_STATE/$BB_CREDENTIAL"
fi
exec "$@"
"#;

const PREPARE_SCRIPT: &str = r#"set -eu
if [ -d "$BB_HOME" ]; then cp -R --preserve=mode,timestamps "$BB_HOME/." /run/bot-bottle/home/; fi
unpack /run/bot-bottle/files/home.tar | tar -x --no-same-owner -C /run/bot-bottle/home
chown -R "$BB_UID:$BB_GID" /run/bot-bottle/home /run/bot-bottle/workspace
cp -R --preserve=mode,timestamps "$BB_TRUST_DIR/." /run/bot-bottle/trust/
cat /run/bot-bottle/ca/ca.pem >>"/run/bot-bottle/trust/$BB_BUNDLE"
cp /run/bot-bottle/ca/ca.pem "/run/bot-bottle/trust/$BB_AGENT_CA"
for tmp in /run/bot-bottle/tmp/*; do chmod 1777 "$tmp"; done
"#;

/// The Pod of `plan`'s bottle.
pub fn pod(
    plan: &Plan,
    names: &Names,
    options: &Options,
    labels: &BTreeMap<String, String>,
) -> Pod {
    let has_gate = plan.gate.is_some();
    let has_keys = plan.key_holder.is_some();
    let mut init_containers = vec![
        netfilter(names, options),
        unpack(names, options, has_gate, has_keys),
    ];
    init_containers.push(prepare(plan, names, options));
    let mut containers = vec![proxy(plan, names, options)];
    containers.extend(gate(plan, names, options));
    containers.extend(key_holder(plan, names, options));
    containers.push(agent(plan, names, options));
    let mut volumes = volumes(plan, names);
    if has_keys {
        volumes.extend(key_holder_volumes(names));
    }

    // The agent reaches its sidecars, and the key holder's hosts, on loopback. (The holder's
    // container has an `/etc/hosts` of its own: these names would lead it to itself.)
    let mut aliases = vec![plan.containers.proxy.clone()];
    aliases.extend(plan.containers.gate.clone());
    aliases.extend(plan.key_holder.iter().flat_map(|k| k.hosts.iter().cloned()));
    Pod {
        metadata: ObjectMeta {
            name: Some(names.pod.clone()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            init_containers: Some(init_containers),
            containers,
            volumes: Some(volumes),
            host_aliases: Some(vec![HostAlias {
                ip: "127.0.0.1".to_owned(),
                hostnames: Some(aliases),
            }]),
            // The agent exiting ends the bottle, as with `start`.
            restart_policy: Some("Never".to_owned()),
            // No API credentials and no other services' addresses in the pod, and no container
            // sees another's processes (and through them, their files and environment).
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            share_process_namespace: Some(false),
            host_network: Some(false),
            security_context: Some(PodSecurityContext {
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".to_owned(),
                    ..SeccompProfile::default()
                }),
                ..PodSecurityContext::default()
            }),
            ..PodSpec::default()
        }),
        status: None,
    }
}

fn netfilter(names: &Names, options: &Options) -> Container {
    Container {
        name: "netfilter".to_owned(),
        command: Some(shell(NETFILTER_SCRIPT, false)),
        volume_mounts: Some(vec![mount(
            &names.config_netfilter,
            "/run/bot-bottle/netfilter",
            true,
        )]),
        security_context: Some(root_with(&["NET_ADMIN"])),
        ..base_container(options, &options.init_image)
    }
}

fn unpack(names: &Names, options: &Options, has_gate: bool, has_keys: bool) -> Container {
    let mut mounts = vec![
        mount(&names.secret_ca_key, "/run/bot-bottle/secret/ca", true),
        mount(&names.volume_proxy_key, "/run/bot-bottle/proxy-key", false),
    ];
    if has_gate {
        mounts.push(mount(
            &names.secret_gate,
            "/run/bot-bottle/secret/gate",
            true,
        ));
        mounts.push(mount(&names.volume_gate_etc, "/run/bot-bottle/gate", false));
    }
    if has_keys {
        // The holder's memory volume only, to own it: never the holder's Secret.
        mounts.push(mount(&names.volume_keys, "/run/bot-bottle/keys", false));
    }
    Container {
        name: "unpack".to_owned(),
        command: Some(shell(UNPACK_SCRIPT, true)),
        env: Some(env([
            ("BB_PROXY_UID", PROXY_UID.to_string()),
            ("BB_PROXY_GID", PROXY_GID.to_string()),
            ("BB_KEYS_UID", KEYS_UID.to_string()),
            ("BB_KEYS_GID", KEYS_GID.to_string()),
        ])),
        volume_mounts: Some(mounts),
        security_context: Some(root_with(&["CHOWN"])),
        ..base_container(options, &options.init_image)
    }
}

fn prepare(plan: &Plan, names: &Names, options: &Options) -> Container {
    let bundle = defaults::AGENT_CA_BUNDLE_PATH
        .strip_prefix(TRUST_DIR)
        .map_or("ca-certificates.crt", |rest| rest.trim_start_matches('/'));
    Container {
        name: "prepare".to_owned(),
        command: Some(shell(PREPARE_SCRIPT, true)),
        env: Some(env([
            ("BB_HOME", plan.agent.home.clone()),
            ("BB_UID", plan.agent.uid.to_string()),
            ("BB_GID", plan.agent.gid.to_string()),
            ("BB_TRUST_DIR", TRUST_DIR.to_owned()),
            ("BB_BUNDLE", bundle.to_owned()),
            ("BB_AGENT_CA", AGENT_CA_FILE.to_owned()),
        ])),
        volume_mounts: Some(prepare_mounts(names, plan.gate.is_some())),
        // Reads the image's home whatever its modes, and hands what it wrote to the agent user.
        security_context: Some(root_with(&["CHOWN", "DAC_READ_SEARCH"])),
        ..base_container(options, &plan.images.agent)
    }
}

/// What `prepare` writes: the agent's home, trust store and workspace, and every container's
/// scratch space (a `/tmp` any user may write, as an emptyDir is not everywhere).
fn prepare_mounts(names: &Names, has_gate: bool) -> Vec<VolumeMount> {
    let mut mounts = vec![
        mount(&names.secret_files, "/run/bot-bottle/files", true),
        mount(&names.config_ca, "/run/bot-bottle/ca", true),
        mount(&names.volume_home, "/run/bot-bottle/home", false),
        mount(&names.volume_trust, "/run/bot-bottle/trust", false),
        mount(&names.volume_workspace, "/run/bot-bottle/workspace", false),
        mount(&names.volume_agent_tmp, "/run/bot-bottle/tmp/agent", false),
        mount(&names.volume_proxy_tmp, "/run/bot-bottle/tmp/proxy", false),
    ];
    if has_gate {
        mounts.push(mount(
            &names.volume_gate_tmp,
            "/run/bot-bottle/tmp/gate",
            false,
        ));
    }
    mounts
}

/// A container's limits as Kubernetes takes them: memory and CPU (requests: the memory limit,
/// so that a node never promises it to another pod, and a tenth of a CPU). A process limit has
/// no per-container field: the node's `podPidsLimit` is the cluster's to set. `None` without
/// any limit (`limits = "none"`).
pub fn resources(resources: &Resources) -> Option<ResourceRequirements> {
    let mut limits = std::collections::BTreeMap::new();
    let mut requests = std::collections::BTreeMap::new();
    if let Some(bytes) = resources.memory_bytes {
        limits.insert("memory".to_owned(), bytes_quantity(bytes));
        requests.insert("memory".to_owned(), bytes_quantity(bytes));
    }
    if let Some(cpus) = resources.cpus {
        limits.insert("cpu".to_owned(), Quantity(format!("{}m", cpus.0)));
        requests.insert("cpu".to_owned(), Quantity(format!("{}m", cpus.0.min(100))));
    }
    (!limits.is_empty()).then(|| ResourceRequirements {
        limits: Some(limits),
        requests: Some(requests),
        ..ResourceRequirements::default()
    })
}

/// Bytes in the largest binary unit they are a whole number of (`4Gi`, `512Mi`).
fn bytes_quantity(bytes: u64) -> Quantity {
    for (shift, unit) in [(40, "Ti"), (30, "Gi"), (20, "Mi"), (10, "Ki")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return Quantity(format!("{}{unit}", bytes >> shift));
        }
    }
    Quantity(bytes.to_string())
}

fn proxy(plan: &Plan, names: &Names, options: &Options) -> Container {
    Container {
        name: "proxy".to_owned(),
        args: Some(proxy_args()),
        volume_mounts: Some(vec![
            mount(&names.config_proxy, PROXY_CONFIG_DIR, true),
            mount(&names.config_ca, PROXY_CA_DIR, true),
            mount(&names.volume_proxy_key, PROXY_KEY_DIR, true),
            mount(&names.volume_proxy_tmp, SCRATCH_PATH, false),
        ]),
        resources: resources(&plan.proxy.resources),
        // `kubectl wait --for=condition=Ready` then means the proxy answers.
        readiness_probe: Some(Probe {
            exec: Some(ExecAction {
                command: Some(strings(&[
                    "/pipelock",
                    "healthcheck",
                    "--addr",
                    &listen_address(),
                ])),
            }),
            period_seconds: Some(2),
            ..Probe::default()
        }),
        security_context: Some(unprivileged(PROXY_UID, PROXY_GID)),
        ..base_container(options, &plan.images.proxy)
    }
}

fn gate(plan: &Plan, names: &Names, options: &Options) -> Option<Container> {
    let gate = plan.gate.as_ref()?;
    // Root for its OpenSSH client (see `netfilter::Filter::gate`), told apart by its group,
    // with every capability dropped: it reads the root-owned 0600 files it owns.
    let mut security = unprivileged(GATE_UID, GATE_GID);
    security.run_as_non_root = Some(false);
    Some(Container {
        name: "gate".to_owned(),
        args: Some(gate.command.clone()),
        volume_mounts: Some(vec![
            mount(&names.volume_gate_etc, GATE_ETC_DIR, true),
            mount(&names.volume_gate_state, GATE_STATE_DIR, false),
            // It reads a push into a file there.
            mount(&names.volume_gate_tmp, SCRATCH_PATH, false),
        ]),
        resources: resources(&gate.resources),
        security_context: Some(security),
        ..base_container(options, &gate.image)
    })
}

/// The key holder (see [`super::keys`]): the plan's command, started by [`KEYS_SCRIPT`], as a
/// uid of its own with no capability; the only container that mounts its Secret.
fn key_holder(plan: &Plan, names: &Names, options: &Options) -> Option<Container> {
    let holder = plan.key_holder.as_ref()?;
    let mut command = shell(KEYS_SCRIPT, true);
    command.push("keys".to_owned());
    command.push(crate::launch::GATE_BINARY.to_owned());
    command.extend(keys::in_pod(holder).command);
    Some(Container {
        name: "keys".to_owned(),
        command: Some(command),
        env: Some(env([
            ("BB_SECRET", keys::SECRET_DIR.to_owned()),
            ("BB_STATE", keys::STATE_DIR.to_owned()),
            ("BB_KEY", keys::KEY_FILE.to_owned()),
            ("BB_CREDENTIAL", keys::CREDENTIAL_FILE.to_owned()),
        ])),
        volume_mounts: Some(vec![
            mount(&names.config_keys, keys::CONFIG_DIR, true),
            // Over the pod's, which maps the holder's hosts to loopback. (podman 4.3 ignores
            // `subPath` and mounts the directory there: the resolver then finds no hosts file
            // and asks DNS, as it must.)
            VolumeMount {
                sub_path: Some(keys::HOSTS_FILE.to_owned()),
                ..mount(&names.config_keys, "/etc/hosts", true)
            },
            mount(&names.secret_keys, keys::SECRET_DIR, true),
            mount(&names.volume_keys, keys::STATE_DIR, false),
        ]),
        security_context: Some(unprivileged(KEYS_UID, KEYS_GID)),
        ..base_container(options, &holder.image)
    })
}

fn agent(plan: &Plan, names: &Names, options: &Options) -> Container {
    let mut vars: Vec<EnvVar> = plan
        .agent
        .env
        .iter()
        .map(|(name, value)| {
            // The bottle CA's cert alone (NODE_EXTRA_CA_CERTS, whatever a kind calls it) is in
            // the mounted trust store.
            let value = if value == crate::defaults::AGENT_CA_CERT_PATH {
                format!("{TRUST_DIR}/{AGENT_CA_FILE}")
            } else {
                value.clone()
            };
            EnvVar {
                name: name.clone(),
                value: Some(value),
                value_from: None,
            }
        })
        .collect();
    // Forwarded variables come from a Secret the user makes (their values never enter the
    // export); a variable it lacks is left unset, as `start` skips one unset on the host.
    vars.extend(plan.agent.forwarded_env.iter().map(|f| EnvVar {
        name: f.name.as_str().to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: names.secret_env.clone(),
                key: f.name.as_str().to_owned(),
                optional: Some(true),
            }),
            ..EnvVarSource::default()
        }),
    }));
    Container {
        name: "agent".to_owned(),
        command: Some(plan.agent.command.clone()),
        working_dir: Some(plan.agent.workdir.clone()),
        env: Some(vars),
        volume_mounts: Some(vec![
            mount(&names.volume_home, &plan.agent.home, false),
            mount(&names.volume_trust, TRUST_DIR, true),
            mount(&names.volume_workspace, &plan.agent.workdir, false),
            mount(&names.volume_agent_tmp, SCRATCH_PATH, false),
        ]),
        resources: resources(&plan.agent.resources),
        // `kubectl attach -it` reaches an interactive agent.
        stdin: Some(true),
        tty: Some(true),
        security_context: Some(SecurityContext {
            // The agent's tools write where they like (/tmp, caches), as in a launched bottle.
            read_only_root_filesystem: Some(false),
            ..unprivileged(plan.agent.uid, plan.agent.gid)
        }),
        ..base_container(options, &plan.images.agent)
    }
}

/// pipelock's command line: the config from its `ConfigMap`, listening on loopback only.
pub fn proxy_args() -> Vec<String> {
    let config = format!("{PROXY_CONFIG_DIR}/{CONFIG_FILE}");
    strings(&["run", "--config", &config, "--listen", &listen_address()])
}

/// Where pipelock listens in the pod: loopback, where the agent is; nothing outside the pod
/// could reach it anyway, but a proxy not listening is one nobody can misuse.
pub fn listen_address() -> String {
    format!("127.0.0.1:{}", defaults::PROXY_PORT)
}

fn volumes(plan: &Plan, names: &Names) -> Vec<Volume> {
    let config_map = |name: &str| Volume {
        name: name.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: name.to_owned(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    };
    let secret = |name: &str| Volume {
        name: name.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(name.to_owned()),
            default_mode: Some(0o400),
            // podman 4.3 dereferences this without checking that it is set.
            optional: Some(false),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    };
    let empty_dir = |name: &str, memory: bool| Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: memory.then(|| "Memory".to_owned()),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    };
    // A container's scratch: memory (counted as its own), of the plan's size.
    let scratch = |name: &str, resources: &Resources| Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".to_owned()),
            size_limit: Some(bytes_quantity(resources.scratch.bytes)),
        }),
        ..Volume::default()
    };
    let mut volumes = vec![
        config_map(&names.config_netfilter),
        config_map(&names.config_proxy),
        config_map(&names.config_ca),
        secret(&names.secret_ca_key),
        secret(&names.secret_files),
        // Key material stays in memory on a cluster node.
        empty_dir(&names.volume_proxy_key, true),
        empty_dir(&names.volume_home, false),
        empty_dir(&names.volume_trust, false),
        empty_dir(&names.volume_workspace, false),
        scratch(&names.volume_agent_tmp, &plan.agent.resources),
        scratch(&names.volume_proxy_tmp, &plan.proxy.resources),
    ];
    if let Some(gate) = &plan.gate {
        volumes.push(secret(&names.secret_gate));
        volumes.push(empty_dir(&names.volume_gate_etc, true));
        volumes.push(empty_dir(&names.volume_gate_state, false));
        volumes.push(scratch(&names.volume_gate_tmp, &gate.resources));
    }
    volumes
}

/// The key holder's volumes: its `ConfigMap`, its Secret, its memory volume.
fn key_holder_volumes(names: &Names) -> [Volume; 3] {
    [
        Volume {
            name: names.config_keys.clone(),
            config_map: Some(ConfigMapVolumeSource {
                name: names.config_keys.clone(),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        Volume {
            name: names.secret_keys.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(names.secret_keys.clone()),
                // Owned by root on a node: readable by the holder's uid, the one process of
                // the one container that mounts it.
                default_mode: Some(0o444),
                optional: Some(false),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        },
        Volume {
            name: names.volume_keys.clone(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".to_owned()),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        },
    ]
}

/// A container of `image`, named as approved: by digest where the engine knew one, else by its
/// name and never pulled (see [`super::images`]).
fn base_container(options: &Options, image: &str) -> Container {
    let named = options.pins.pod_image(image);
    Container {
        image: Some(named.image),
        image_pull_policy: Some(named.pull_policy.to_owned()),
        ..Container::default()
    }
}

/// A non-root user with no capabilities and a read-only root filesystem.
fn unprivileged(uid: u32, gid: u32) -> SecurityContext {
    SecurityContext {
        run_as_user: Some(uid.into()),
        run_as_group: Some(gid.into()),
        run_as_non_root: Some(uid != 0),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(strings(&["ALL"])),
            add: None,
        }),
        ..SecurityContext::default()
    }
}

/// Root with only the capabilities in `add`, for an init container.
fn root_with(add: &[&str]) -> SecurityContext {
    SecurityContext {
        capabilities: Some(Capabilities {
            drop: Some(strings(&["ALL"])),
            add: Some(strings(add)),
        }),
        ..unprivileged(0, 0)
    }
}

/// `sh -c SCRIPT`, with the base64 helper first when the script reads a Secret.
fn shell(script: &str, reads_secrets: bool) -> Vec<String> {
    let text = if reads_secrets {
        format!("{UNPACK_FN}{script}")
    } else {
        script.to_owned()
    };
    vec!["/bin/sh".to_owned(), "-c".to_owned(), text]
}

fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.to_owned(),
        mount_path: path.to_owned(),
        read_only: Some(read_only),
        ..VolumeMount::default()
    }
}

fn env<const N: usize>(vars: [(&str, String); N]) -> Vec<EnvVar> {
    vars.into_iter()
        .map(|(name, value)| EnvVar {
            name: name.to_owned(),
            value: Some(value),
            value_from: None,
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
