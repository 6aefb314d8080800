//! The resources a launch created, and their removal: agent, then sidecar, then networks, then
//! the stage directory, collecting every error instead of stopping at the first.
//!
//! A launch records each resource before it asks the engine to create it, so a launch stopped
//! mid-create still removes it. Whether the create went through is not always known (it may
//! have failed because another launch holds the name); such a resource is removed only when it
//! carries this launch's id ([`super::LABEL_LAUNCH`]).

use std::fmt;
use std::sync::Mutex;

use camino::Utf8PathBuf;
use engine::Engine;

use super::identity::LABEL_LAUNCH;
use crate::parallel;

/// One thing to remove. Recorded *before* it is created, so a launch killed mid-create still
/// removes it (removal of a missing resource is success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Container(String),
    Network(String),
    /// A named volume: only a launch that created it removes it, and only when it fails.
    Volume(String),
    StageDir(Utf8PathBuf),
}

impl Resource {
    /// What kind of thing it is, as reports name it (`gc --json`'s `kind`): `container`,
    /// `network`, `volume` or `stage_dir`.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Container(_) => "container",
            Resource::Network(_) => "network",
            Resource::Volume(_) => "volume",
            Resource::StageDir(_) => "stage_dir",
        }
    }

    /// Its name: the engine's name of it, or the stage directory's path.
    pub fn name(&self) -> &str {
        match self {
            Resource::Container(n) | Resource::Network(n) | Resource::Volume(n) => n,
            Resource::StageDir(p) => p.as_str(),
        }
    }

    /// Removal order: containers before the networks they sit on, the stage dir last.
    fn rank(&self) -> u8 {
        match self {
            Resource::Container(_) => 0,
            Resource::Network(_) => 1,
            Resource::Volume(_) => 2,
            Resource::StageDir(_) => 3,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            Resource::StageDir(_) => "stage directory",
            other => other.kind(),
        };
        write!(f, "{what} {}", self.name())
    }
}

/// Every failure of one teardown.
#[derive(Debug)]
pub struct TeardownErrors(pub Vec<(Resource, anyhow::Error)>);

impl fmt::Display for TeardownErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "teardown left {} thing(s) behind:", self.0.len())?;
        for (resource, err) in &self.0 {
            write!(f, "\n  {resource}: {err:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TeardownErrors {}

/// Removes `resources` in teardown order: the containers (agent and sidecar at once), then the
/// networks they sat on (one command), then the stage directory. Every error is collected.
pub fn remove_all(engine: &dyn Engine, resources: &[Resource]) -> Result<(), TeardownErrors> {
    let mut errors = Vec::new();
    let named = |rank: u8| -> Vec<String> {
        resources
            .iter()
            .filter(|r| r.rank() == rank)
            .filter_map(|r| match r {
                Resource::Container(name) | Resource::Network(name) => Some(name.clone()),
                Resource::Volume(_) | Resource::StageDir(_) => None,
            })
            .collect()
    };
    // The containers side by side, one command each (see `Engine::remove_container`).
    let jobs: Vec<parallel::Job<'_, Option<(Resource, anyhow::Error)>>> = resources
        .iter()
        .filter_map(|resource| match resource {
            Resource::Container(name) => Some(Box::new(move || {
                engine
                    .remove_container(name)
                    .err()
                    .map(|err| (resource.clone(), err))
            }) as Box<dyn FnOnce() -> _ + Send>),
            _ => None,
        })
        .collect();
    errors.extend(parallel::all(jobs).into_iter().flatten());
    // Then the networks they sat on, in one command; should it fail, each on its own, so that
    // one failure neither hides nor blocks the other.
    let networks: Vec<&Resource> = resources
        .iter()
        .filter(|r| matches!(r, Resource::Network(_)))
        .collect();
    if engine.remove_networks(&named(1)).is_err() {
        for resource in networks {
            if let Resource::Network(name) = resource {
                if let Err(err) = engine.remove_network(name) {
                    errors.push((resource.clone(), err));
                }
            }
        }
    }
    // Volumes once no container uses them.
    for resource in resources {
        if let Resource::Volume(name) = resource {
            if let Err(err) = engine.remove_volume(name) {
                errors.push((resource.clone(), err));
            }
        }
    }
    for resource in resources {
        if let Resource::StageDir(dir) = resource {
            if let Err(err) = remove_stage_dir(dir) {
                errors.push((resource.clone(), err));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(TeardownErrors(errors))
    }
}

fn remove_stage_dir(dir: &Utf8PathBuf) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Whether a resource of this launch is known to exist because this launch created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// The engine said the create succeeded.
    Created,
    /// Recorded before the create; the engine has not (yet) said it succeeded.
    Attempted,
}

/// Owns what a launch created; tears it all down when dropped unless [`Self::keep`] was called
/// (a detached bottle). Teardown errors at drop time are printed, since drop cannot return them.
///
/// Launch steps that run side by side share one guard: its record is behind a lock.
pub struct Guard<'e> {
    engine: &'e dyn Engine,
    launch_id: String,
    resources: Mutex<Vec<(Resource, Claim)>>,
    armed: bool,
}

impl<'e> Guard<'e> {
    /// A guard for the launch whose resources carry `launch_id`.
    pub fn new(engine: &'e dyn Engine, launch_id: &str) -> Self {
        Guard {
            engine,
            launch_id: launch_id.to_owned(),
            resources: Mutex::new(Vec::new()),
            armed: true,
        }
    }

    /// Records `resource` as this launch's before it is created, to be removed at teardown if
    /// it turns out to be this launch's.
    pub fn adopt(&self, resource: Resource) {
        self.record().push((resource, Claim::Attempted));
    }

    /// Notes that the engine created `resource` for this launch.
    pub fn created(&self, resource: &Resource) {
        for (held, claim) in self.record().iter_mut() {
            if held == resource {
                *claim = Claim::Created;
            }
        }
    }

    /// Takes `resource` off the record: it outlives the launch from now on (the state volume,
    /// once the bottle is up).
    pub fn release(&self, resource: &Resource) {
        self.record().retain(|(held, _)| held != resource);
    }

    /// Tears down now and reports every error.
    pub fn teardown(mut self) -> Result<(), TeardownErrors> {
        self.armed = false;
        self.remove_ours()
    }

    /// Removes what is this launch's: what it created, and what it attempted that carries its
    /// launch id; never another launch's resource of the same name.
    fn remove_ours(&self) -> Result<(), TeardownErrors> {
        let mut ours = Vec::new();
        let mut errors = Vec::new();
        let record = self.record().clone();
        for (resource, claim) in &record {
            let mine = match claim {
                Claim::Created => Ok(true),
                Claim::Attempted => carries_launch(self.engine, resource, &self.launch_id),
            };
            match mine {
                Ok(true) => ours.push(resource.clone()),
                Ok(false) => {}
                Err(err) => errors.push((resource.clone(), err)),
            }
        }
        let removed = remove_all(self.engine, &ours);
        if let Err(TeardownErrors(more)) = removed {
            errors.extend(more);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(TeardownErrors(errors))
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Vec<(Resource, Claim)>> {
        self.resources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps everything (a detached bottle, removed later by `bot-bottle stop`).
    pub fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if self.armed {
            if let Err(errors) = self.remove_ours() {
                eprintln!("bot-bottle: {errors}");
            }
        }
    }
}

/// Whether `resource` exists and carries `launch_id`. A missing one is not ours to remove; the
/// stage directory is always ours (the bottle lock guards it).
fn carries_launch(
    engine: &dyn Engine,
    resource: &Resource,
    launch_id: &str,
) -> anyhow::Result<bool> {
    let labels = match resource {
        Resource::Container(name) => engine.inspect_container(name)?.map(|c| c.labels),
        Resource::Network(name) => engine.inspect_network(name)?.map(|n| n.labels),
        Resource::Volume(name) => engine.inspect_volume(name)?.map(|v| v.labels),
        Resource::StageDir(_) => return Ok(true),
    };
    Ok(labels.is_some_and(|l| l.get(LABEL_LAUNCH).map(String::as_str) == Some(launch_id)))
}

#[cfg(test)]
mod tests {
    use super::Resource;

    #[test]
    fn kinds_and_names_are_what_reports_print() {
        let all = [
            (Resource::Container("c".into()), "container", "container c"),
            (Resource::Network("n".into()), "network", "network n"),
            (Resource::Volume("v".into()), "volume", "volume v"),
            (
                Resource::StageDir("/tmp/x".into()),
                "stage_dir",
                "stage directory /tmp/x",
            ),
        ];
        for (resource, kind, shown) in all {
            assert_eq!(resource.kind(), kind);
            assert_eq!(resource.to_string(), shown);
        }
    }

    #[test]
    fn containers_go_before_networks_before_the_stage_dir() {
        let created = [
            Resource::StageDir("/tmp/x".into()),
            Resource::Volume("v".into()),
            Resource::Network("n".into()),
            Resource::Container("proxy".into()),
            Resource::Container("agent".into()),
        ];
        let mut all: Vec<_> = created.iter().rev().cloned().collect();
        all.sort_by_key(Resource::rank);
        assert_eq!(all[0], Resource::Container("agent".into()));
        assert_eq!(all[1], Resource::Container("proxy".into()));
        assert_eq!(all[2], Resource::Network("n".into()));
        assert_eq!(all[3], Resource::Volume("v".into()));
        assert_eq!(all[4], Resource::StageDir("/tmp/x".into()));
    }
}
