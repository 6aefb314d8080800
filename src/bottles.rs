//! The bottles that exist on an engine, found by bot-bottle's labels: their containers,
//! networks and state volumes, grouped by bottle (slug). `list`, `stop`, `gc` and the commands
//! that reach a running bottle read them from here.

use std::collections::BTreeMap;

use anyhow::bail;
use backends::{ContainerState, ContainerSummary, Engine, NetworkSummary, VolumeInfo};

use crate::launch::parallel;
use crate::plan::build::ResourceNames;
use crate::plan::{LABEL_BOTTLE, LABEL_ROLE};

/// Everything carrying one bottle's label.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub containers: Vec<ContainerSummary>,
    pub networks: Vec<NetworkSummary>,
    pub volumes: Vec<VolumeInfo>,
}

impl Found {
    /// The container with role `role` (`agent` or `proxy`).
    pub fn role(&self, role: &str) -> Option<&ContainerSummary> {
        self.containers
            .iter()
            .find(|c| c.labels.get(LABEL_ROLE).map(String::as_str) == Some(role))
    }

    /// The launch ids its containers and networks carry.
    pub fn launch_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .containers
            .iter()
            .map(|c| &c.labels)
            .chain(self.networks.iter().map(|n| &n.labels))
            .filter_map(|l| l.get(crate::plan::LABEL_LAUNCH).cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Every bottle on the engine (`slug` → what it has), or only `slug`'s. The three listings
/// run at once.
pub fn find(engine: &dyn Engine, slug: Option<&str>) -> anyhow::Result<BTreeMap<String, Found>> {
    let label = slug.map_or_else(
        || LABEL_BOTTLE.to_owned(),
        |s| format!("{LABEL_BOTTLE}={s}"),
    );
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

/// The running agent container of the bottle `name`, or a clear error.
pub fn running_agent(engine: &dyn Engine, name: &str) -> anyhow::Result<String> {
    let slug = crate::slug::slugify(name)?;
    let agent = ResourceNames::agent(&slug);
    match engine.inspect_container(&agent)? {
        Some(info) if info.state == ContainerState::Running => Ok(agent),
        Some(info) => bail!(
            "the agent {agent} of bottle {slug:?} is {}, not running; `bot-bottle stop {slug}` removes it",
            info.state.as_str()
        ),
        None => bail!(
            "no bottle named {slug:?} is running in {} ({}); `bot-bottle list` shows the bottles",
            engine.kind(),
            engine.program()
        ),
    }
}
