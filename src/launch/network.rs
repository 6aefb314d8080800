//! The bottle's two networks: the isolated one the agent lives on, where its only peer is the
//! sidecar, and the egress bridge only the sidecar joins.

use anyhow::{bail, Context as _};
use engine::{Engine, NetworkInfo, NetworkSpec};

use crate::bottle::teardown::{Guard, Resource};
use crate::parallel;
use crate::plan::Plan;

/// The networks to create, internal first.
pub fn specs(plan: &Plan) -> [NetworkSpec; 2] {
    let labels = &plan.networks.labels;
    [
        // No route out, no address of the host on it and no engine DNS: the agent reaches
        // neither the host's services nor a resolver that would forward a query out.
        // Its subnet is the plan's, so the sidecars can listen on addresses known before they
        // start.
        NetworkSpec {
            name: plan.networks.internal.clone(),
            internal: true,
            isolated: true,
            subnet: Some(plan.networks.internal_subnet.clone()),
            labels: labels.clone(),
        },
        NetworkSpec {
            name: plan.networks.egress.clone(),
            internal: false,
            isolated: false,
            subnet: None,
            labels: labels.clone(),
        },
    ]
}

/// Creates both networks at once, each recorded in `guard` before its create.
pub fn create(engine: &dyn Engine, plan: &Plan, guard: &Guard) -> anyhow::Result<()> {
    let specs = specs(plan);
    let jobs: Vec<parallel::Job<'_, anyhow::Result<()>>> = specs
        .iter()
        .map(|spec| {
            Box::new(move || {
                let resource = Resource::Network(spec.name.clone());
                guard.adopt(resource.clone());
                engine
                    .create_network(spec)
                    .with_context(|| match &spec.subnet {
                        // Another network may hold the subnet this launch picked at random.
                        Some(subnet) => format!(
                        "creating network {} on {subnet} (if another network holds that subnet, \
                         start again: each launch picks another)",
                        spec.name
                    ),
                        None => format!("creating network {}", spec.name),
                    })?;
                guard.created(&resource);
                Ok(())
            }) as Box<dyn FnOnce() -> _ + Send>
        })
        .collect();
    parallel::all(jobs).into_iter().collect()
}

/// Refuses a network the engine did not really isolate: an engine that quietly ignores the
/// isolation options would otherwise leave the host one hop from the agent. `doctor` asks the
/// same of the network it makes. Returns what the engine said of the network.
pub fn check_isolated(engine: &dyn Engine, name: &str) -> anyhow::Result<NetworkInfo> {
    let info = engine
        .inspect_network(name)?
        .with_context(|| format!("network {name} disappeared right after it was created"))?;
    if !info.isolated {
        bail!(
            "{} {} created network {name} without isolating it (internal: {}; it may give the host an address on it, or serve DNS that forwards outside names); \
             a bottle on it could reach the host, so none is launched. Use podman 4 (netavark) or docker 20.10 or later, whose isolation options bot-bottle knows",
            engine.kind(),
            engine.program(),
            info.internal
        );
    }
    Ok(info)
}
