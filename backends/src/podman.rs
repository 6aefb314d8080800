//! What the podman CLI does its own way: several `--network NAME:alias=A` at create, JSON
//! arrays for listings, lowercase `network inspect`, `cp` that chowns unless told not to,
//! `rm --force` that waits for a stop timeout, and proxy variables copied into containers.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::cli::{CliEngine, Dialect};
use crate::engine::{EngineInfo, EngineKind};
use crate::inspect::{self, ContainerState, ContainerSummary, NetworkInfo, NetworkSummary};

/// The podman dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Podman;

/// An engine driving a podman CLI.
pub type PodmanEngine = CliEngine<Podman>;

#[derive(Deserialize)]
struct Info {
    host: Host,
    version: Version,
}

#[derive(Deserialize)]
struct Host {
    security: Security,
}

#[derive(Deserialize)]
struct Security {
    rootless: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Version {
    version: String,
}

/// `network inspect` and `network ls` print the same objects.
#[derive(Deserialize)]
struct Network {
    name: String,
    id: String,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    subnets: Option<Vec<Subnet>>,
}

#[derive(Deserialize)]
struct Subnet {
    subnet: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerRow {
    names: Vec<String>,
    id: String,
    state: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

impl Dialect for Podman {
    const KIND: EngineKind = EngineKind::Podman;
    const MULTIPLE_NETWORKS_AT_CREATE: bool = true;
    // Podman copies the host's proxy variables into every container by default; a bottle's
    // environment is exactly what the launcher says.
    const CREATE_FLAGS: &'static [&'static str] = &["--http-proxy=false"];
    // `--archive` (the default) chowns everything to the container's user; off, the tar's
    // owners stay (measured with podman 4.3, rootful and rootless).
    const COPY_FLAGS: &'static [&'static str] = &["--archive=false"];
    // Without `--time 0`, `rm --force` waits the stop timeout (10 s) for a process that
    // ignores SIGTERM.
    const FORCE_REMOVE_FLAGS: &'static [&'static str] = &["--time", "0"];

    fn parse_info(json: &str) -> Result<EngineInfo> {
        let info: Info = serde_json::from_str(json).context("parsing podman info")?;
        Ok(EngineInfo {
            kind: EngineKind::Podman,
            version: info.version.version,
            rootless: info.host.security.rootless,
        })
    }

    fn parse_network_inspect(json: &str) -> Result<Option<NetworkInfo>> {
        Ok(Self::parse_networks(json)?.into_iter().next())
    }

    fn parse_network_list(json: &str) -> Result<Vec<NetworkSummary>> {
        Ok(Self::parse_networks(json)?
            .into_iter()
            .map(|n| NetworkSummary {
                name: n.name,
                id: n.id,
                labels: n.labels,
            })
            .collect())
    }

    fn parse_container_list(json: &str) -> Result<Vec<ContainerSummary>> {
        let rows: Vec<ContainerRow> = inspect::parse_array(json)?;
        Ok(rows
            .into_iter()
            .map(|row| ContainerSummary {
                name: row.names.into_iter().next().unwrap_or_default(),
                id: row.id,
                state: ContainerState::parse(&row.state),
                labels: row.labels.unwrap_or_default(),
            })
            .collect())
    }
}

impl Podman {
    fn parse_networks(json: &str) -> Result<Vec<NetworkInfo>> {
        let networks: Vec<Network> = inspect::parse_array(json)?;
        Ok(networks
            .into_iter()
            .map(|n| NetworkInfo {
                name: n.name,
                id: n.id,
                internal: n.internal,
                labels: n.labels.unwrap_or_default(),
                subnets: n
                    .subnets
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.subnet)
                    .collect(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "rootful" => include_str!("../tests/fixtures/podman-info-rootful.json"),
            "rootless" => include_str!("../tests/fixtures/podman-info-rootless.json"),
            "internal" => include_str!("../tests/fixtures/podman-network-inspect-internal.json"),
            "bridge" => include_str!("../tests/fixtures/podman-network-inspect-bridge.json"),
            "network-ls" => include_str!("../tests/fixtures/podman-network-ls.json"),
            "ps" => include_str!("../tests/fixtures/podman-ps.json"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn info_rootful_and_rootless() {
        let rootful = Podman::parse_info(fixture("rootful")).unwrap();
        assert_eq!(rootful.kind, EngineKind::Podman);
        assert_eq!(rootful.version, "4.3.1");
        assert!(!rootful.rootless);
        assert!(Podman::parse_info(fixture("rootless")).unwrap().rootless);
    }

    #[test]
    fn network_inspect() {
        let internal = Podman::parse_network_inspect(fixture("internal"))
            .unwrap()
            .unwrap();
        assert_eq!(internal.name, "bbfix-int");
        assert!(internal.internal);
        assert_eq!(internal.subnets, ["10.89.0.0/24"]);
        assert_eq!(internal.labels["io.bot-bottle.test"], "fixture");
        let bridge = Podman::parse_network_inspect(fixture("bridge"))
            .unwrap()
            .unwrap();
        assert!(!bridge.internal);
        assert_eq!(bridge.labels["other"], "x");
    }

    #[test]
    fn network_list() {
        let nets = Podman::parse_network_list(fixture("network-ls")).unwrap();
        let names: Vec<_> = nets.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["bbfix-br", "bbfix-int"]);
        assert!(Podman::parse_network_list("[]").unwrap().is_empty());
    }

    #[test]
    fn container_list() {
        let ctrs = Podman::parse_container_list(fixture("ps")).unwrap();
        assert_eq!(ctrs.len(), 1);
        assert_eq!(ctrs[0].name, "bbfix-c");
        assert_eq!(ctrs[0].state, ContainerState::Running);
        assert_eq!(ctrs[0].labels["role"], "x,y");
        assert!(Podman::parse_container_list("[]\n").unwrap().is_empty());
    }
}
