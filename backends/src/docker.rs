//! What the docker CLI does its own way: one `--network` at create, NDJSON listings with
//! labels joined into one string, `network inspect` in `PascalCase`, rootless in `SecurityOptions`.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::cli::{CliEngine, Dialect};
use crate::engine::{EngineInfo, EngineKind};
use crate::inspect::{self, ContainerState, ContainerSummary, NetworkInfo, NetworkSummary};

/// The docker dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Docker;

/// An engine driving a docker CLI.
pub type DockerEngine = CliEngine<Docker>;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Info {
    server_version: String,
    #[serde(default)]
    security_options: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Network {
    name: String,
    id: String,
    internal: bool,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "IPAM")]
    ipam: Option<Ipam>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Ipam {
    #[serde(default)]
    config: Option<Vec<IpamConfig>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IpamConfig {
    #[serde(default)]
    subnet: String,
}

/// A `network ls --format {{json .}}` line: every field is a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NetworkRow {
    name: String,
    #[serde(rename = "ID")]
    id: String,
    #[serde(default)]
    labels: String,
}

/// A `ps --format {{json .}}` line: every field is a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerRow {
    names: String,
    #[serde(rename = "ID")]
    id: String,
    state: String,
    #[serde(default)]
    labels: String,
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
    // `docker cp -` keeps the tar's owners and modes as they are.
    const COPY_FLAGS: &'static [&'static str] = &[];
    // `docker rm --force` kills at once.
    const FORCE_REMOVE_FLAGS: &'static [&'static str] = &[];

    fn parse_info(json: &str) -> Result<EngineInfo> {
        let info: Info = serde_json::from_str(json).context("parsing docker info")?;
        let rootless = info
            .security_options
            .unwrap_or_default()
            .iter()
            .any(|opt| opt.split(',').any(|part| part == "name=rootless"));
        Ok(EngineInfo {
            kind: EngineKind::Docker,
            version: info.server_version,
            rootless,
        })
    }

    fn parse_network_inspect(json: &str) -> Result<Option<NetworkInfo>> {
        let networks: Vec<Network> = inspect::parse_array(json)?;
        Ok(networks.into_iter().next().map(|n| NetworkInfo {
            name: n.name,
            id: n.id,
            internal: n.internal,
            labels: n.labels.unwrap_or_default(),
            subnets: n
                .ipam
                .and_then(|ipam| ipam.config)
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.subnet)
                .filter(|s| !s.is_empty())
                .collect(),
        }))
    }

    fn parse_network_list(json: &str) -> Result<Vec<NetworkSummary>> {
        let rows: Vec<NetworkRow> = inspect::parse_ndjson(json)?;
        Ok(rows
            .into_iter()
            .map(|row| NetworkSummary {
                name: row.name,
                id: row.id,
                labels: split_labels(&row.labels),
            })
            .collect())
    }

    fn parse_container_list(json: &str) -> Result<Vec<ContainerSummary>> {
        let rows: Vec<ContainerRow> = inspect::parse_ndjson(json)?;
        Ok(rows
            .into_iter()
            .map(|row| ContainerSummary {
                // Legacy links add more names after a comma; the first is the container's own.
                name: row.names.split(',').next().unwrap_or_default().to_owned(),
                id: row.id,
                state: ContainerState::parse(&row.state),
                labels: split_labels(&row.labels),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        match name {
            "info" => include_str!("../tests/fixtures/docker-info.json"),
            "internal" => include_str!("../tests/fixtures/docker-network-inspect-internal.json"),
            "bridge" => include_str!("../tests/fixtures/docker-network-inspect-bridge.json"),
            "network-ls" => include_str!("../tests/fixtures/docker-network-ls.ndjson"),
            "ps" => include_str!("../tests/fixtures/docker-ps.ndjson"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn info_is_rootful_20_10() {
        let info = Docker::parse_info(fixture("info")).unwrap();
        assert_eq!(info.kind, EngineKind::Docker);
        assert_eq!(info.version, "20.10.24+dfsg1");
        assert!(!info.rootless);
    }

    #[test]
    fn rootless_daemon_is_seen() {
        let json = r#"{"ServerVersion":"28.0.0","SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"]}"#;
        assert!(Docker::parse_info(json).unwrap().rootless);
    }

    #[test]
    fn network_inspect() {
        let internal = Docker::parse_network_inspect(fixture("internal"))
            .unwrap()
            .unwrap();
        assert_eq!(internal.name, "bbfix-int");
        assert!(internal.internal);
        assert_eq!(internal.labels["io.bot-bottle.test"], "fixture");
        assert_eq!(internal.subnets, ["172.18.0.0/16"]);
        let bridge = Docker::parse_network_inspect(fixture("bridge"))
            .unwrap()
            .unwrap();
        assert!(!bridge.internal);
        assert_eq!(Docker::parse_network_inspect("[]").unwrap(), None);
    }

    #[test]
    fn network_list() {
        let nets = Docker::parse_network_list(fixture("network-ls")).unwrap();
        let names: Vec<_> = nets.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["bbfix-br", "bbfix-int"]);
        assert_eq!(nets[0].labels["io.bot-bottle.test"], "fixture");
        assert!(Docker::parse_network_list("").unwrap().is_empty());
    }

    #[test]
    fn container_list() {
        let ctrs = Docker::parse_container_list(fixture("ps")).unwrap();
        assert_eq!(ctrs.len(), 1);
        assert_eq!(ctrs[0].name, "bbfix-c");
        assert_eq!(ctrs[0].state, ContainerState::Running);
        assert_eq!(ctrs[0].labels["role"], "x,y");
        assert_eq!(ctrs[0].labels["io.bot-bottle.test"], "fixture");
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
