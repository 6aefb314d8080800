//! One home for a bottle: who it is ([`identity`]: slug, the names of what it creates, the
//! labels that find them; [`addresses`]: where its containers sit on its internal network), what this machine keeps of it while it exists ([`stage`],
//! [`lock`], [`record`]), how it is found on an engine ([`discovery`]) and how it goes
//! ([`teardown`], [`remove`] for `stop`, [`gc`] for crashes' leftovers). A command that
//! reaches an existing bottle starts from a [`Bottle`].

pub mod addresses;
pub mod discovery;
pub mod gc;
pub mod identity;
pub mod lock;
pub mod record;
pub mod remove;
pub mod stage;
pub mod teardown;

use anyhow::bail;
use camino::{Utf8Path, Utf8PathBuf};
use engine::{ContainerState, Engine};
use serde::Serialize;

pub use discovery::Found;
pub use identity::{
    labels, selector, slugify, ResourceNames, Role, LABEL_BOTTLE, LABEL_LAUNCH, LABEL_ROLE,
};
pub use record::LaunchRecord;

/// A bottle as this user's machine knows it: its slug and its stage directory under the
/// user's stage root. Naming one creates nothing. A plan holds the one it launches
/// ([`crate::plan::Bottle`]), so a launch and the commands that reach its bottle later derive
/// the stage directory, the lock and the names in one place. Serialized as its slug (the
/// plan document prints the stage directory on its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bottle {
    slug: String,
    #[serde(skip)]
    stage_dir: Utf8PathBuf,
}

impl Bottle {
    /// The bottle the user names (its name or its slug), under this user's stage root.
    pub fn named(name: &str) -> anyhow::Result<Self> {
        Ok(Self::in_root(&stage::root()?, slugify(name)?))
    }

    /// The bottle `slug` staged under `root`.
    pub fn in_root(root: &Utf8Path, slug: String) -> Self {
        Bottle {
            stage_dir: root.join(&slug),
            slug,
        }
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// Its private stage directory (the rendered config, the CA cert, the launch record).
    pub fn stage_dir(&self) -> &Utf8Path {
        &self.stage_dir
    }

    /// Its pipelock sidecar's name.
    pub fn proxy(&self) -> String {
        ResourceNames::proxy(&self.slug)
    }

    /// Its git gate's name (a bottle without upstreams has none).
    pub fn gate(&self) -> String {
        ResourceNames::gate(&self.slug)
    }

    /// Its git gate's egress filter's name.
    pub fn gate_egress(&self) -> String {
        ResourceNames::gate_egress(&self.slug)
    }

    /// What its launch wrote about itself once it was up, if this version can read it.
    pub fn record(&self) -> Option<LaunchRecord> {
        record::read(&self.stage_dir)
    }

    /// Takes the bottle's lock: while it is held, no other bot-bottle of this user launches,
    /// runs attached or removes this bottle. Fails at once when another holds it.
    pub fn lock(&self) -> anyhow::Result<Held<'_>> {
        Ok(Held {
            _lock: lock::acquire(&self.stage_dir)?,
            bottle: self,
        })
    }

    /// Its lock file, which exists once any bot-bottle of this user took the lock.
    pub fn lock_path(&self) -> Utf8PathBuf {
        lock::path_for(&self.stage_dir)
    }

    /// Waits for, then takes, the lock that serialises live changes of its allowlist (see
    /// [`lock::wait_for_policy_changes`]); released when the file is dropped.
    pub fn wait_for_policy_changes(&self) -> anyhow::Result<std::fs::File> {
        lock::wait_for_policy_changes(&self.stage_dir)
    }

    /// Its pipelock sidecar on `engine` and the sidecar's state, running or not (a stopped
    /// sidecar's log is still there to read); an error naming the bottle when it has none.
    pub fn proxy_on(&self, engine: &dyn Engine) -> anyhow::Result<(String, ContainerState)> {
        let proxy = self.proxy();
        match engine.inspect_container(&proxy)? {
            Some(info) => Ok((proxy, info.state)),
            None => Err(self.not_on(engine)),
        }
    }

    /// Its pipelock sidecar, when it is running; otherwise an error saying what to do.
    pub fn running_proxy(&self, engine: &dyn Engine) -> anyhow::Result<String> {
        self.running(engine, "sidecar", self.proxy())
    }

    /// Its agent container, when it is running; otherwise an error saying what to do.
    pub fn running_agent(&self, engine: &dyn Engine) -> anyhow::Result<String> {
        self.running(engine, "agent", ResourceNames::agent(&self.slug))
    }

    /// `container` (the bottle's `what`), when it is running.
    fn running(
        &self,
        engine: &dyn Engine,
        what: &str,
        container: String,
    ) -> anyhow::Result<String> {
        let slug = &self.slug;
        match engine.inspect_container(&container)? {
            Some(info) if info.state == ContainerState::Running => Ok(container),
            Some(info) => bail!(
                "the {what} {container} of bottle {slug:?} is {}, not running; `bot-bottle stop {slug}` removes it",
                info.state.as_str()
            ),
            None => Err(self.not_on(engine)),
        }
    }

    /// The error for a bottle `engine` has no container of.
    fn not_on(&self, engine: &dyn Engine) -> anyhow::Error {
        anyhow::anyhow!(
            "no bottle named {:?} is running in {} ({}); `bot-bottle list` shows the bottles",
            self.slug,
            engine.kind(),
            engine.program()
        )
    }
}

/// A bottle whose lock this process holds: what needs the bottle to itself (removing it)
/// is only reachable from here.
pub struct Held<'b> {
    bottle: &'b Bottle,
    _lock: lock::BottleLock,
}

impl Held<'_> {
    pub fn bottle(&self) -> &Bottle {
        self.bottle
    }
}
