//! What the docker CLI does its own way: one `--network` at create, NDJSON listings with
//! labels joined into one string, `network inspect` in `PascalCase`, rootless in `SecurityOptions`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cli::{CliEngine, Dialect, Object};
use crate::inspect::{
    parse_timestamp, ContainerState, ContainerSummary, Listing, NetworkInfo, NetworkSummary,
    VolumeInfo,
};
use crate::interface::{EngineInfo, EngineKind, LimitSupport};

/// The docker dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Docker;

/// An engine driving a docker CLI.
pub type DockerEngine = CliEngine<Docker>;

/// `info --format {{json .}}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Info {
    server_version: String,
    #[serde(default)]
    security_options: Option<Vec<String>>,
    /// `1` or `2`.
    #[serde(default)]
    cgroup_version: Option<String>,
    /// Whether the daemon can apply a memory limit (the memory controller is there for it).
    #[serde(default)]
    memory_limit: bool,
    /// … a CPU quota (`--cpus`).
    #[serde(default)]
    cpu_cfs_quota: bool,
    /// … a process limit.
    #[serde(default)]
    pids_limit: bool,
}

impl From<Info> for EngineInfo {
    fn from(info: Info) -> Self {
        let rootless = info
            .security_options
            .unwrap_or_default()
            .iter()
            .any(|opt| opt.split(',').any(|part| part == "name=rootless"));
        EngineInfo {
            kind: EngineKind::Docker,
            version: info.server_version,
            rootless,
            cgroup_version: info.cgroup_version.as_deref().and_then(|v| v.parse().ok()),
            limits: LimitSupport {
                memory: info.memory_limit,
                cpu: info.cpu_cfs_quota,
                pids: info.pids_limit,
            },
        }
    }
}

/// One network of `network inspect`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Network {
    name: String,
    id: String,
    internal: bool,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "IPAM")]
    ipam: Option<Ipam>,
    #[serde(default)]
    options: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "EnableIPv6")]
    enable_ipv6: bool,
}

/// The bridge driver option that leaves the bridge (the host) without an IPv4 address.
const INHIBIT_IPV4: &str = "com.docker.network.bridge.inhibit_ipv4";

impl From<Network> for NetworkInfo {
    fn from(n: Network) -> Self {
        let config = n.ipam.and_then(|ipam| ipam.config).unwrap_or_default();
        // Docker still reports a gateway for an inhibited bridge; the option is what counts.
        let inhibited = n
            .options
            .unwrap_or_default()
            .get(INHIBIT_IPV4)
            .is_some_and(|v| v == "true");
        let isolated = n.internal && inhibited && !n.enable_ipv6;
        NetworkInfo {
            name: n.name,
            id: n.id,
            internal: n.internal,
            labels: n.labels.unwrap_or_default(),
            subnets: config
                .into_iter()
                .map(|c| c.subnet)
                .filter(|s| !s.is_empty())
                .collect(),
            isolated,
        }
    }
}

/// A network's `IPAM`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipam {
    #[serde(default)]
    config: Option<Vec<IpamConfig>>,
}

/// A network's `IPAM.Config[]`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamConfig {
    #[serde(default)]
    subnet: String,
}

/// A `network ls --format {{json .}}` line: every field is a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkRow {
    name: String,
    #[serde(rename = "ID")]
    id: String,
    #[serde(default)]
    labels: String,
}

impl From<NetworkRow> for NetworkSummary {
    fn from(row: NetworkRow) -> Self {
        let labels = split_labels(&row.labels);
        NetworkSummary {
            name: row.name,
            id: row.id,
            labels,
        }
    }
}

/// A `ps --format {{json .}}` line: every field is a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerRow {
    names: String,
    #[serde(rename = "ID")]
    id: String,
    state: String,
    #[serde(default)]
    labels: String,
    #[serde(default)]
    created_at: String,
}

/// A `volume ls --format {{json .}}` line: every field is a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeRow {
    name: String,
    #[serde(default)]
    labels: String,
}

impl From<VolumeRow> for VolumeInfo {
    fn from(row: VolumeRow) -> Self {
        VolumeInfo {
            labels: split_labels(&row.labels),
            name: row.name,
        }
    }
}

impl From<ContainerRow> for ContainerSummary {
    fn from(row: ContainerRow) -> Self {
        // Legacy links add more names after a comma; the first is the container's own.
        let name = row.names.split(',').next().unwrap_or_default().to_owned();
        let labels = split_labels(&row.labels);
        let state = ContainerState::parse(&row.state);
        ContainerSummary {
            name,
            id: row.id,
            state,
            labels,
            created: parse_timestamp(&row.created_at),
        }
    }
}

/// Splits docker's `k=v,k2=v2` label string. A comma inside a value cannot be told from a
/// separator; a piece without `=` is taken to continue the previous value.
fn split_labels(joined: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut last: Option<String> = None;
    for piece in joined.split(',').filter(|p| !p.is_empty()) {
        match (piece.split_once('='), &last) {
            (Some((key, value)), _) => {
                labels.insert(key.to_owned(), value.to_owned());
                last = Some(key.to_owned());
            }
            (None, Some(key)) => {
                if let Some(value) = labels.get_mut(key) {
                    value.push(',');
                    value.push_str(piece);
                }
            }
            (None, None) => {
                labels.insert(piece.to_owned(), String::new());
            }
        }
    }
    labels
}

impl Dialect for Docker {
    const KIND: EngineKind = EngineKind::Docker;
    // Docker before 25 (20.10 here) rejects a second `--network` at create.
    const MULTIPLE_NETWORKS_AT_CREATE: bool = false;
    const CREATE_FLAGS: &'static [&'static str] = &[];
    // A read-only docker container gets no writable mount it was not given.
    const READ_ONLY_FLAGS: &'static [&'static str] = &[];
    // "WARNING: Your kernel does not support … Limitation discarded." (and "PIDs limit
    // discarded", "Period/quota discarded"): the container is created without it.
    const LIMIT_DROPPED: &'static [&'static str] = &["discarded"];
    // `docker cp -` keeps the tar's owners and modes as they are.
    const COPY_FLAGS: &'static [&'static str] = &[];
    const COPY_SPOOLS_STDIN: bool = false;
    // `docker rm --force` kills at once.
    const REMOVES_BY_LABEL: bool = false;
    // `docker volume` has no `export`; its `cp` of a stopped container is quick.
    const EXPORTS_VOLUMES: bool = false;
    const FORCE_REMOVE_FLAGS: &'static [&'static str] = &[];
    const BUILD_FLAGS: &'static [&'static str] = &[];
    const LISTING: Listing = Listing::Ndjson;
    // The host keeps no IPv4 address on the bridge, so the gateway a container on it routes
    // through answers nothing: neither the host's services nor docker's DNS forwarder there.
    // Containers on the bridge still reach each other. Docker already turns IPv6 off inside
    // containers on a network without IPv6.
    const ISOLATED_NETWORK_FLAGS: &'static [&'static str] = &[
        "--internal",
        "--opt",
        "com.docker.network.bridge.inhibit_ipv4=true",
    ];
    const MISSING: &'static [(Object, &'static str)] = &[
        (Object::Container, "No such container: {}"),
        (Object::Network, "No such network: {}"),
        (Object::Image, "No such image: {}"),
        // `volume inspect` says the first, `volume rm` the second (docker 20.10).
        (Object::Volume, "No such volume: {}"),
        (Object::Volume, "get {}: no such volume"),
    ];

    type Info = Info;
    type Network = Network;
    type NetworkRow = NetworkRow;
    type ContainerRow = ContainerRow;
    type VolumeRow = VolumeRow;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootless_daemon_is_seen() {
        let json = r#"{"ServerVersion":"28.0.0","SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"]}"#;
        let info = Docker::parse_info(json).unwrap();
        assert!(info.rootless);
        // A daemon that does not say it can apply a limit cannot.
        assert_eq!(info.limits, LimitSupport::default());
    }

    #[test]
    fn a_limit_docker_drops_is_seen_on_create() {
        // docker 20.10 on a kernel without the pids controller.
        let stderr = "WARNING: Your kernel does not support pids limit capabilities or the cgroup is not mounted. PIDs limit discarded.\n";
        assert!(crate::cli::limit_dropped::<Docker>(stderr).is_some());
        assert_eq!(crate::cli::limit_dropped::<Docker>(""), None);
    }

    #[test]
    fn isolated_networks_carry_the_option_the_parser_checks() {
        let option = format!("{INHIBIT_IPV4}=true");
        assert!(Docker::ISOLATED_NETWORK_FLAGS.contains(&option.as_str()));
        assert!(Docker::ISOLATED_NETWORK_FLAGS.contains(&"--internal"));
    }

    #[test]
    fn label_string_splitting() {
        let labels = split_labels("a=1,b=x,y,c=,d=e=f");
        assert_eq!(labels["a"], "1");
        assert_eq!(labels["b"], "x,y");
        assert_eq!(labels["c"], "");
        assert_eq!(labels["d"], "e=f");
        assert!(split_labels("").is_empty());
    }
}
