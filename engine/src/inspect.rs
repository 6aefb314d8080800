//! What inspecting and listing containers and networks yields, in one shape for both engines,
//! and the container-inspect parser both engines share (their `container inspect` agree).
//!
//! The engine-specific shapes (`network inspect`, `ps`, `network ls`, `info`) are parsed in
//! [`crate::docker`] and [`crate::podman`] into these types.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::parsing::Parsed;
use time::{OffsetDateTime, PrimitiveDateTime};

/// A container's lifecycle state as the engine names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Restarting.
    Restarting,
    /// Exited (podman also says `stopped`).
    Exited,
    /// Dead or being removed.
    Dead,
    /// Anything else, verbatim.
    Other(String),
}

impl ContainerState {
    /// Reads the engine's lowercase state word.
    pub fn parse(word: &str) -> Self {
        match word.to_ascii_lowercase().as_str() {
            "created" | "configured" | "initialized" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "exited" | "stopped" => Self::Exited,
            "dead" | "removing" => Self::Dead,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The state as one lowercase word, for people and scripts.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Other(word) => word,
        }
    }
}

/// A container as `container inspect` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// Name, without docker's leading `/`.
    pub name: String,
    /// Full id.
    pub id: String,
    /// The id of the image it runs (`sha256:<hex>`; empty when the engine did not say).
    pub image: String,
    /// Lifecycle state.
    pub state: ContainerState,
    /// Exit code of the last run (0 before the first).
    pub exit_code: i32,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Networks joined, by name.
    pub networks: BTreeMap<String, Endpoint>,
    /// The volumes mounted in it: each one's name, by the path it is mounted at.
    pub volumes: BTreeMap<String, String>,
}

/// A container's place on one network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// DNS aliases (the engines add the short id).
    pub aliases: Vec<String>,
    /// IPv4 address while running.
    pub ip: Option<String>,
}

/// A network as `network inspect` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    /// Name.
    pub name: String,
    /// Full id.
    pub id: String,
    /// Created with `--internal`.
    pub internal: bool,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Subnets in CIDR notation.
    pub subnets: Vec<String>,
    /// Whether the engine reports it as isolated (see [`crate::NetworkSpec::isolated`]): internal,
    /// no engine DNS, and no address of the host on it.
    pub isolated: bool,
}

/// A container as a label listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Name.
    pub name: String,
    /// Id (docker lists a short one).
    pub id: String,
    /// Lifecycle state.
    pub state: ContainerState,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// When it was created, in seconds since the Unix epoch, when the engine says.
    pub created: Option<i64>,
}

/// A named volume as `volume inspect` or `volume ls` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// One volume of `volume inspect` (both engines print the same `PascalCase` fields).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVolume {
    name: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// Parses `volume inspect NAME` (a one-element array on both engines).
pub fn parse_volume_inspect(json: &str) -> Result<Option<VolumeInfo>> {
    let raw: Vec<RawVolume> = parse_array(json).context("parsing volume inspect")?;
    Ok(raw.into_iter().next().map(|v| VolumeInfo {
        name: v.name,
        labels: v.labels.unwrap_or_default(),
    }))
}

/// Parses `image inspect --format {{json .RepoDigests}}`: a JSON array of `name@sha256:…`
/// (docker prints `[]` for an image that was built or imported; podman names a digest even
/// then), or `null`.
pub fn parse_digests(text: &str) -> Result<Vec<String>> {
    let text = text.trim();
    if text.is_empty() || text == "null" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).context("parsing the image's RepoDigests")
}

/// Go's `time.Time` string form, which docker's `ps` prints as `CreatedAt`
/// (`2026-12-02 00:11:27 +0000 UTC`): what follows the offset, the zone's name, is not read.
const GO_TIME: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]\
     [optional [ [offset_hour sign:mandatory][offset_minute]]]"
);

/// Seconds since the Unix epoch of an engine's timestamp: RFC 3339
/// (`2026-12-02T00:12:28.613827148Z`), or Go's `time.Time` form that docker's `ps` prints
/// (`2026-12-02 00:11:27 +0000 UTC`), in UTC when it names no offset. `None` for anything else.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(time.unix_timestamp());
    }
    let mut parsed = Parsed::new();
    parsed.parse_items(text.as_bytes(), GO_TIME).ok()?;
    let time = OffsetDateTime::try_from(parsed)
        .or_else(|_| PrimitiveDateTime::try_from(parsed).map(PrimitiveDateTime::assume_utc))
        .ok()?;
    Some(time.unix_timestamp())
}

/// A network as a label listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    /// Name.
    pub name: String,
    /// Id (docker lists a short one).
    pub id: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawContainer {
    id: String,
    name: String,
    /// docker: `sha256:<hex>`; podman: the bare hex.
    #[serde(default)]
    image: String,
    state: RawState,
    config: RawConfig,
    #[serde(default)]
    network_settings: Option<RawNetworkSettings>,
    #[serde(default)]
    mounts: Option<Vec<RawMount>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMount {
    #[serde(default, rename = "Type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    destination: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawState {
    status: String,
    #[serde(default)]
    exit_code: i32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawNetworkSettings {
    #[serde(default)]
    networks: Option<BTreeMap<String, RawEndpoint>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEndpoint {
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default, rename = "IPAddress")]
    ip_address: String,
}

/// Parses `container inspect` output (a one-element array on both engines).
pub fn parse_container_inspect(json: &str) -> Result<Option<ContainerInfo>> {
    let raw: Vec<RawContainer> = parse_array(json).context("parsing container inspect")?;
    Ok(raw.into_iter().next().map(|c| ContainerInfo {
        name: c.name.trim_start_matches('/').to_owned(),
        id: c.id,
        image: if c.image.is_empty() || c.image.contains(':') {
            c.image
        } else {
            format!("sha256:{}", c.image)
        },
        state: ContainerState::parse(&c.state.status),
        exit_code: c.state.exit_code,
        labels: c.config.labels.unwrap_or_default(),
        networks: c
            .network_settings
            .and_then(|n| n.networks)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, ep)| {
                let endpoint = Endpoint {
                    aliases: ep.aliases.unwrap_or_default(),
                    ip: Some(ep.ip_address).filter(|ip| !ip.is_empty()),
                };
                (name, endpoint)
            })
            .collect(),
        volumes: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.kind == "volume" && !m.name.is_empty())
            .map(|m| (m.destination, m.name))
            .collect(),
    }))
}

/// How an engine prints a listing with `--format {{json .}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// One JSON object per line (docker).
    Ndjson,
    /// One JSON array (podman).
    Array,
}

/// Parses a listing printed in the `listing` shape.
pub fn parse_listing<T: DeserializeOwned>(listing: Listing, json: &str) -> Result<Vec<T>> {
    match listing {
        Listing::Ndjson => parse_ndjson(json),
        Listing::Array => parse_array(json),
    }
}

/// Parses one JSON array (podman's listings, and every `inspect`); empty output is empty.
pub fn parse_array<T: DeserializeOwned>(json: &str) -> Result<Vec<T>> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(json).context("parsing a JSON array")
}

/// Parses one JSON object per line (docker's `--format {{json .}}` listings).
pub fn parse_ndjson<T: DeserializeOwned>(json: &str) -> Result<Vec<T>> {
    json.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).with_context(|| format!("parsing JSON line {}", n + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_both_engines() {
        // Captured from docker 20.10 and podman 4.3 for an imported image.
        assert!(parse_digests("[]\n").unwrap().is_empty());
        assert!(parse_digests("null\n").unwrap().is_empty());
        assert_eq!(
            parse_digests(r#"["localhost/bot-bottle-test/agent@sha256:600eab96acdfaaedc027505e50c17292bfe12a7728cfd875b770ce3c43c925ee"]"#).unwrap(),
            ["localhost/bot-bottle-test/agent@sha256:600eab96acdfaaedc027505e50c17292bfe12a7728cfd875b770ce3c43c925ee"]
        );
    }

    #[test]
    fn timestamps_of_both_engines() {
        // docker `ps`'s CreatedAt; podman's `volume inspect` CreatedAt.
        assert_eq!(
            parse_timestamp("2026-12-02 00:11:27 +0000 UTC"),
            Some(1_796_170_287)
        );
        assert_eq!(
            parse_timestamp("2026-12-02T00:12:28.613827148Z"),
            Some(1_796_170_348)
        );
        assert_eq!(
            parse_timestamp("2026-12-02 01:11:27 +0100 CET"),
            Some(1_796_170_287)
        );
        assert_eq!(parse_timestamp("1970-01-01 00:00:00 +0000 UTC"), Some(0));
        assert_eq!(parse_timestamp("2026-12-02T00:11:27Z"), Some(1_796_170_287));
        assert_eq!(
            parse_timestamp("2026-12-02 00:11:27 UTC"),
            Some(1_796_170_287)
        );
        assert_eq!(parse_timestamp("2 seconds ago"), None);
        assert_eq!(parse_timestamp("2026-13-02 00:11:27 +0000 UTC"), None);
        assert_eq!(parse_timestamp(""), None);
    }

    #[test]
    fn volume_inspect_of_both_engines() {
        // Captured from docker 20.10 and podman 4.3.
        let docker = r#"[{"CreatedAt":"2026-12-02T00:11:27Z","Driver":"local","Labels":{"io.bot-bottle.test":"x"},"Mountpoint":"/var/lib/docker/volumes/v/_data","Name":"v","Options":null,"Scope":"local"}]"#;
        let podman = r#"[{"Name":"v","Driver":"local","Mountpoint":"/var/lib/containers/storage/volumes/v/_data","CreatedAt":"2026-12-02T00:12:28.613827148Z","Labels":{"io.bot-bottle.test":"x"},"Scope":"local","Options":{},"MountCount":0,"NeedsCopyUp":true,"NeedsChown":true}]"#;
        for json in [docker, podman] {
            let v = parse_volume_inspect(json).unwrap().unwrap();
            assert_eq!(v.name, "v");
            assert_eq!(v.labels["io.bot-bottle.test"], "x");
        }
        assert_eq!(parse_volume_inspect("[]").unwrap(), None);
    }

    #[test]
    fn empty_inspect_is_none() {
        assert_eq!(parse_container_inspect("[]\n").unwrap(), None);
        assert_eq!(parse_container_inspect("").unwrap(), None);
    }

    #[test]
    fn ndjson_skips_blank_lines_and_names_bad_line() {
        let rows: Vec<serde_json::Value> = parse_ndjson("{\"a\":1}\n\n{\"a\":2}\n").unwrap();
        assert_eq!(rows.len(), 2);
        let err = parse_ndjson::<serde_json::Value>("{}\nnope\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"));
    }
}
