//! What the podman CLI does its own way: several `--network NAME:alias=A` at create, JSON
//! arrays for listings, lowercase `network inspect`, `cp` that chowns unless told not to,
//! `rm --force` that waits for a stop timeout, and proxy variables copied into containers.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cli::{CliEngine, Dialect, Object};
use crate::inspect::{
    ContainerState, ContainerSummary, Listing, NetworkInfo, NetworkSummary, VolumeInfo,
};
use crate::interface::{EngineInfo, EngineKind, LimitSupport};

/// The podman dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Podman;

/// An engine driving a podman CLI.
pub type PodmanEngine = CliEngine<Podman>;

/// `info --format {{json .}}`.
#[derive(Deserialize)]
pub struct Info {
    host: Host,
    version: Version,
}

impl From<Info> for EngineInfo {
    fn from(info: Info) -> Self {
        let host = info.host;
        let rootless = host.security.rootless;
        let cgroup_version = match host.cgroup_version.as_deref() {
            Some("v1") => Some(1),
            Some("v2") => Some(2),
            _ => None,
        };
        // The controllers podman can use: all the kernel has for root; for a rootless user on
        // cgroup v2 those delegated to it. Rootless on cgroup v1 it lists none, and drops every
        // limit it is given ("Resource limits are not supported and ignored on cgroups V1
        // rootless systems", podman 4.3).
        let controllers = host.cgroup_controllers.unwrap_or_default();
        let has = |name: &str| controllers.iter().any(|c| c == name);
        let limits = if rootless && cgroup_version == Some(1) {
            LimitSupport::default()
        } else {
            LimitSupport {
                memory: has("memory"),
                cpu: has("cpu"),
                pids: has("pids"),
            }
        };
        EngineInfo {
            kind: EngineKind::Podman,
            version: info.version.version,
            rootless,
            cgroup_version,
            limits,
        }
    }
}

/// `info`: `host`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Host {
    security: Security,
    /// `v1` or `v2`.
    #[serde(default)]
    cgroup_version: Option<String>,
    /// The cgroup controllers podman may use (`memory`, `pids`, `cpu`, …).
    #[serde(default)]
    cgroup_controllers: Option<Vec<String>>,
}

/// `info`: `host.security`.
#[derive(Deserialize)]
pub struct Security {
    rootless: bool,
}

/// `info`: `version`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Version {
    version: String,
}

/// One network of `network inspect` or `network ls`.
#[derive(Deserialize)]
pub struct Network {
    name: String,
    id: String,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    subnets: Option<Vec<Subnet>>,
    #[serde(default)]
    dns_enabled: bool,
}

impl From<Network> for NetworkInfo {
    fn from(n: Network) -> Self {
        let subnets = n.subnets.unwrap_or_default();
        // netavark gives the bridge (the host) the subnet's gateway address; an internal
        // network created with DNS disabled has none, so the host is not on it at all.
        let isolated = n.internal && !n.dns_enabled && subnets.iter().all(|s| s.gateway.is_none());
        NetworkInfo {
            name: n.name,
            id: n.id,
            internal: n.internal,
            labels: n.labels.unwrap_or_default(),
            subnets: subnets.into_iter().map(|s| s.subnet).collect(),
            isolated,
        }
    }
}

impl From<Network> for NetworkSummary {
    fn from(n: Network) -> Self {
        let info = NetworkInfo::from(n);
        NetworkSummary {
            name: info.name,
            id: info.id,
            labels: info.labels,
        }
    }
}

/// A network's `subnets[]`.
#[derive(Deserialize)]
pub struct Subnet {
    subnet: String,
    #[serde(default)]
    gateway: Option<String>,
}

/// One element of `ps --format {{json .}}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerRow {
    names: Vec<String>,
    id: String,
    state: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    /// Seconds since the epoch.
    #[serde(default)]
    created: Option<i64>,
}

/// One element of `volume ls --format {{json .}}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeRow {
    name: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

impl From<VolumeRow> for VolumeInfo {
    fn from(row: VolumeRow) -> Self {
        VolumeInfo {
            name: row.name,
            labels: row.labels.unwrap_or_default(),
        }
    }
}

impl From<ContainerRow> for ContainerSummary {
    fn from(row: ContainerRow) -> Self {
        let name = row.names.into_iter().next().unwrap_or_default();
        let state = ContainerState::parse(&row.state);
        ContainerSummary {
            name,
            id: row.id,
            state,
            labels: row.labels.unwrap_or_default(),
            created: row.created,
        }
    }
}

impl Dialect for Podman {
    type Info = Info;
    // `network ls` prints the same objects as `network inspect`.
    type NetworkRow = Network;
    type Network = Network;
    type ContainerRow = ContainerRow;
    type VolumeRow = VolumeRow;

    const KIND: EngineKind = EngineKind::Podman;
    const LISTING: Listing = Listing::Array;
    const MULTIPLE_NETWORKS_AT_CREATE: bool = true;
    // Podman copies the host's proxy variables into every container by default; a bottle's
    // environment is exactly what the launcher says.
    const CREATE_FLAGS: &'static [&'static str] = &["--http-proxy=false"];
    // With `--read-only`, podman mounts writable tmpfs of no set size on /run, /tmp and
    // /var/tmp unless told not to; docker adds none. Off, a read-only container writes to
    // what it is given (and /dev/shm, 64 MB on both).
    const READ_ONLY_FLAGS: &'static [&'static str] = &["--read-only-tmpfs=false"];
    // Rootless on cgroup v1, podman 4.3 drops every limit with the first; where a controller
    // is missing, it drops that limit with a "... discarded" warning as docker does.
    const LIMIT_DROPPED: &'static [&'static str] = &["not supported and ignored", "discarded"];
    // `--archive` (the default) chowns everything to the container's user; off, the tar's
    // owners stay (measured with podman 4.3, rootful and rootless).
    const COPY_FLAGS: &'static [&'static str] = &["--archive=false"];
    const COPY_SPOOLS_STDIN: bool = true;
    // Without `--time 0`, `rm --force` waits the stop timeout (10 s) for a process that
    // ignores SIGTERM.
    const REMOVES_BY_LABEL: bool = true;
    const EXPORTS_VOLUMES: bool = true;
    const FORCE_REMOVE_FLAGS: &'static [&'static str] = &["--time", "0"];
    // With layers, every step leaves an intermediate image that a later build from the same
    // base reuses, its build container standing on it; `rmi --force` of another image built
    // that way deletes the shared intermediate and the running build's container with it
    // ("deleting build container …: identifier is not a container", podman 4.3). Without
    // layers a build commits once and shares nothing but its base.
    const BUILD_FLAGS: &'static [&'static str] = &["--layers=false"];
    // An internal network with DNS disabled gets no gateway: netavark puts no host address on
    // the bridge (nothing on the host answers there) and runs no aardvark-dns, which would
    // forward any outside name to the host's resolvers (a DNS exfiltration channel).
    const ISOLATED_NETWORK_FLAGS: &'static [&'static str] = &["--internal", "--disable-dns"];
    const MISSING: &'static [(Object, &'static str)] = &[
        (Object::Container, "no such container {}"),
        (
            Object::Container,
            "no container with name or ID \"{}\" found",
        ),
        (
            Object::Network,
            "unable to find network with name or ID {}: network not found",
        ),
        (Object::Image, "{}: image not known"),
        (Object::Volume, "no such volume {}"),
        (Object::Volume, "no volume with name \"{}\" found"),
    ];
}
