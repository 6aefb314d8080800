//! The bottles that exist on an engine, found by bot-bottle's labels: their containers,
//! networks and state volumes, grouped by bottle (slug), for `list` and `gc`. A command that
//! reaches one running bottle asks through [`Bottle`] instead.

use std::collections::BTreeMap;

use camino::Utf8Path;
use engine::{ContainerSummary, Engine, NetworkSummary, VolumeInfo};
use serde::Serialize;

use super::identity::{selector, Role, LABEL_BOTTLE, LABEL_LAUNCH, LABEL_ROLE};
use super::{record, Bottle};
use crate::parallel;

/// Everything carrying one bottle's label.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub containers: Vec<ContainerSummary>,
    pub networks: Vec<NetworkSummary>,
    pub volumes: Vec<VolumeInfo>,
}

impl Found {
    /// The container with role `role`.
    pub fn role(&self, role: Role) -> Option<&ContainerSummary> {
        self.containers
            .iter()
            .find(|c| c.labels.get(LABEL_ROLE).map(String::as_str) == Some(role.as_label()))
    }

    /// The launch ids its containers and networks carry.
    pub fn launch_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .containers
            .iter()
            .map(|c| &c.labels)
            .chain(self.networks.iter().map(|n| &n.labels))
            .filter_map(|l| l.get(LABEL_LAUNCH).cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Every bottle on the engine (`slug` → what it has), or only `slug`'s. The three listings
/// run at once.
pub fn find(engine: &dyn Engine, slug: Option<&str>) -> anyhow::Result<BTreeMap<String, Found>> {
    let label = slug.map_or_else(|| LABEL_BOTTLE.to_owned(), selector);
    let label = label.as_str();
    let (containers, (networks, volumes)) = parallel::both(
        || engine.list_containers(label),
        || {
            parallel::both(
                || engine.list_networks(label),
                || engine.list_volumes(label),
            )
        },
    );
    let mut bottles: BTreeMap<String, Found> = BTreeMap::new();
    let slug_of = |labels: &BTreeMap<String, String>| labels.get(LABEL_BOTTLE).cloned();
    for c in containers? {
        if let Some(s) = slug_of(&c.labels) {
            bottles.entry(s).or_default().containers.push(c);
        }
    }
    for n in networks? {
        if let Some(s) = slug_of(&n.labels) {
            bottles.entry(s).or_default().networks.push(n);
        }
    }
    for v in volumes? {
        if let Some(s) = slug_of(&v.labels) {
            bottles.entry(s).or_default().volumes.push(v);
        }
    }
    Ok(bottles)
}

/// One bottle as `list` shows it: its containers' states, age, allowlist size, state volume
/// and networks.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub bottle: String,
    /// The agent container's state, `null` when there is none.
    pub agent: Option<String>,
    /// The sidecar's state, `null` when there is none.
    pub proxy: Option<String>,
    /// The git gate's state; `null` for a bottle without one.
    pub gate: Option<String>,
    /// Its key holder's state, `null` when it has none.
    pub key_holder: Option<String>,
    /// When the bottle was created (seconds since the Unix epoch), and how long ago.
    pub created: Option<i64>,
    pub age_seconds: Option<i64>,
    /// Hosts on its allowlist (from its launch record), `null` when unknown.
    pub allowlist_size: Option<usize>,
    /// Its Claude Code state volume, `null` when there is none.
    pub state_volume: Option<String>,
    pub networks: Vec<String>,
}

/// Every bottle on `engine`, summarised; launch records are read from the stage root `root`.
pub fn summaries(engine: &dyn Engine, root: &Utf8Path) -> anyhow::Result<Vec<Summary>> {
    let now = i64::try_from(record::now()).unwrap_or(i64::MAX);
    Ok(find(engine, None)?
        .into_iter()
        .map(|(slug, found)| {
            let launch = Bottle::in_root(root, slug.clone()).record();
            let created = found
                .containers
                .iter()
                .filter_map(|c| c.created)
                .min()
                .or_else(|| {
                    launch
                        .as_ref()
                        .and_then(|r| i64::try_from(r.started_at).ok())
                })
                .filter(|_| !found.containers.is_empty());
            let state = |role| found.role(role).map(|c| c.state.as_str().to_owned());
            Summary {
                agent: state(Role::Agent),
                proxy: state(Role::Proxy),
                gate: state(Role::Gate),
                key_holder: state(Role::KeyHolder),
                created,
                age_seconds: created.map(|c| (now - c).max(0)),
                allowlist_size: launch.map(|r| r.allowlist.len()),
                state_volume: found.volumes.first().map(|v| v.name.clone()),
                networks: found.networks.iter().map(|n| n.name.clone()).collect(),
                bottle: slug,
            }
        })
        .collect())
}
