//! The launch plan: every name, path, image, env var and file a launch will use, computed from
//! the manifest before anything is created. `start --dry-run` prints it; the launch executes it.

pub mod build;
pub mod gate;
pub mod gitmeta;
pub mod hostpaths;
pub mod keys;
mod paths;
mod render;
pub mod resources;
mod steps;
pub mod workspace;

use std::collections::BTreeMap;

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};

use crate::manifest::{DlpAction, EnvName, Hostname};
use crate::proxy_config::PipelockConfig;

pub use build::{build, PlanInputs};

pub use render::render_text;
pub use steps::SETTINGS_STEP;

#[cfg(test)]
pub(crate) mod tests;

/// Version of the `--json` plan document. Bumped only when a field changes meaning or goes
/// away; new fields may appear within a version.
pub const JSON_SCHEMA: &str = "bot-bottle.plan/v1";

/// A manifest field that cannot be planned, and why: `(field, message)`.
pub(crate) type FieldError = (&'static str, String);

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema: &'static str,
    pub bottle: Bottle,
    /// This launch's id (the [`crate::bottle::LABEL_LAUNCH`] label); a new one for every `start`.
    pub launch_id: String,
    /// The engine found on this machine, or `None` ("none found").
    pub engine: Option<EngineSummary>,
    pub images: Images,
    pub containers: Containers,
    pub networks: Networks,
    pub agent: AgentPlan,
    pub egress: EgressPlan,
    pub proxy: ProxyPlan,
    /// The git gate sidecar, when the manifest declares `git.upstreams`.
    pub gate: Option<gate::GatePlan>,
    /// The key holder sidecar, when there is a credential of the agent's kind to hold (a login,
    /// or a credential variable the manifest forwards); without one the bottle reaches none of
    /// the kind's key holder hosts.
    pub key_holder: Option<keys::KeyHolderPlan>,
    /// The agent's state (its settings, history), kept from one launch of this bottle name to
    /// the next.
    pub state_volume: StateVolume,
    /// Whether the containers' memory, CPU and process limits are on (each container's own
    /// are in its `resources`).
    pub resources: resources::Policy,
    /// Provisioners in the order they run.
    pub provisioning: Vec<ProvisionStep>,
    /// Every host file and directory the manifest names, resolved, and why it may be read.
    pub host_files: Vec<HostFile>,
    /// Private directory (0700) holding the rendered config and public cert during the launch:
    /// [`crate::bottle::Bottle::stage_dir`] of [`Self::bottle`], copied here for the document
    /// only (private, so that code reads the bottle's).
    stage_dir: Utf8PathBuf,
}

/// The bottle a plan launches: its identity on this machine ([`crate::bottle::Bottle`]: slug,
/// stage directory, lock, container names), which every later command that reaches it derives
/// the same way, and what it was made from. Dereferences to the identity.
#[derive(Debug, Clone, Serialize)]
pub struct Bottle {
    pub name: String,
    /// Serialized as `slug`.
    #[serde(flatten)]
    pub identity: crate::bottle::Bottle,
    /// The manifest file, or `None` for the built-in default.
    pub manifest: Option<Utf8PathBuf>,
    /// The SHA-256 of the manifest's bytes the plan was made from (`None` for the default).
    pub manifest_sha256: Option<String>,
}

impl std::ops::Deref for Bottle {
    type Target = crate::bottle::Bottle;

    fn deref(&self) -> &crate::bottle::Bottle {
        &self.identity
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineSummary {
    /// `docker` or `podman`.
    pub kind: String,
    pub program: Utf8PathBuf,
    /// The engine's version; `null` unless the engine was asked (a plan does not ask: the
    /// question costs podman a third of a second).
    pub version: Option<String>,
    /// Whether the engine runs rootless: known for podman from the caller's uid, `null` for
    /// docker unless the daemon was asked.
    pub rootless: Option<bool>,
    /// Whether the engine answered; `null` when it was not asked.
    pub reachable: Option<bool>,
}

/// The named volume that holds Claude Code's state (`~/.claude`, and `~/.claude.json` in it
/// through `CLAUDE_CONFIG_DIR`), one per bottle name and workspace. Created by the first launch
/// of a bottle name in a workspace when missing, kept by `stop`, removed by `stop --purge`.
#[derive(Debug, Clone, Serialize)]
pub struct StateVolume {
    /// `bot-bottle-<slug>-<8 hex of the workspace path's SHA-256>-claude`.
    pub name: String,
    /// The workspace it belongs to, with the bottle name: the same name in another workspace
    /// gets another volume.
    pub workspace: Utf8PathBuf,
    /// Where it is mounted in the agent.
    pub target: String,
    /// Labels it gets when a launch creates it.
    pub labels: BTreeMap<String, String>,
    /// Where a Claude Code login an earlier bot-bottle left in the volume goes: the login
    /// store ([`crate::login`]), as a login named after the bottle, so that the agent no longer
    /// holds it. The launch moves it there and tells the user, who chooses whether a bottle
    /// uses it (`agent.login`): the agent could have written the file itself.
    pub moves_login_to: Utf8PathBuf,
}

impl Plan {
    /// What each container of the bottle may take of the host: the agent's, the sidecar's and
    /// the git gate's when there is one.
    pub fn container_resources(&self) -> Vec<&resources::Resources> {
        let mut all = vec![&self.agent.resources, &self.proxy.resources];
        all.extend(self.gate.as_ref().map(|g| &g.resources));
        all
    }
}

impl EngineSummary {
    /// What a plan says of an engine found without asking it anything.
    pub fn of(found: &engine::detect::Found) -> Self {
        EngineSummary {
            kind: found.detected.kind.to_string(),
            program: found.detected.program.clone(),
            version: None,
            rootless: found.rootless,
            reachable: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Images {
    pub agent: String,
    pub proxy: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Containers {
    pub agent: String,
    pub proxy: String,
    /// The git gate, when there is one.
    pub gate: Option<String>,
    /// The key holder, when there is one.
    pub key_holder: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Networks {
    /// `--internal`: no route out. The agent's only network.
    pub internal: String,
    /// The internal network's subnet, chosen here so that each container's address on it is
    /// known before anything starts (see [`crate::bottle::addresses`]).
    pub internal_subnet: String,
    /// A bridge with a route out. Only the proxy is on it.
    pub egress: String,
    /// Labels both get.
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentPlan {
    /// The agent kind (`agent.kind`): its package, the hosts it brings and how its credential
    /// is held.
    pub kind: &'static crate::agents::AgentKind,
    pub command: Vec<String>,
    pub privileges: Privileges,
    pub resources: resources::Resources,
    /// Whether the engine's init runs as the container's process 1, reaping orphans (always:
    /// a zombie holds one of its `resources.pids` until reaped, and the container's own
    /// process, `sleep`, reaps none).
    pub init: bool,
    pub user: String,
    /// The uid and gid the image must give [`Self::user`]: provisioned files are owned by
    /// them, and rootless podman maps the invoking user to them.
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    /// Host directory mounted read-write at [`Self::workdir`].
    pub workspace: Utf8PathBuf,
    /// Why it may be mounted: `manifest directory` (it lies under the manifest's), the user's
    /// config file or `--allow-path` that allows it, or `current directory` (the manifest names
    /// none, so it is where bot-bottle runs).
    pub workspace_allowed_by: String,
    pub workdir: String,
    /// Its address on the internal network.
    pub address: String,
    /// Names its `/etc/hosts` maps (`--add-host`): the sidecars', to their internal addresses
    /// (the internal network has no DNS).
    pub hosts: BTreeMap<String, String>,
    /// Its repository's `.git`: the mounts that keep its config and hooks from the agent, and
    /// the snapshot the end of the bottle compares with.
    pub git: gitmeta::WorkspaceGit,
    /// `--userns` for the agent: rootless podman maps the invoking user to the agent user
    /// (`keep-id`); other engines map ids one to one and get none.
    pub userns: Option<String>,
    /// Variables bot-bottle sets (proxy routing and CA trust); never secret.
    pub env: BTreeMap<String, String>,
    /// Host variables forwarded by name; values are never printed.
    pub forwarded_env: Vec<ForwardedEnv>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForwardedEnv {
    pub name: EnvName,
    /// Whether the host has it set now; unset ones are skipped at launch.
    pub set_on_host: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EgressPlan {
    /// Built-in hosts ∪ `egress.allowlist` ∪ the lock's hosts (none in a learn run, which
    /// reaches every host).
    pub allowlist: Vec<Hostname>,
    /// Hosts pipelock refuses whatever the allowlist says: every kind's key holder hosts
    /// ([`crate::agents::key_holder_hosts`]); the agent reaches its own kind's through its
    /// holder only.
    pub blocklist: Vec<Hostname>,
    pub summary: String,
    pub dlp_action: DlpAction,
    /// Allowed hosts that may resolve to private addresses (pipelock's `trusted_domains`).
    pub internal_hosts: Vec<Hostname>,
    pub tls_interception: TlsInterceptionPlan,
    /// `egress.approvable`: hosts `bot-bottle allow` may allow while the bottle runs.
    pub approvable: Vec<Hostname>,
    /// The egress lock beside the manifest whose hosts the allowlist includes; `null` when
    /// there is none, and in a learn run.
    pub lock: Option<LockPlan>,
    /// A learn run (`start --learn`); `null` otherwise.
    pub learn: Option<LearnPlan>,
    /// `egress.events`: the collectors pipelock sends its audit events to (`null` each when
    /// none).
    pub events: crate::manifest::EventSinks,
}

/// An egress lock the plan allows: what it is, for the user (and an approval) to check.
#[derive(Debug, Clone, Serialize)]
pub struct LockPlan {
    pub path: Utf8PathBuf,
    /// `sha256:<hex>` of the file.
    pub sha256: String,
    pub hosts: Vec<Hostname>,
}

/// A learn run: pipelock lets every host through (DLP still blocks credentials) and the hosts
/// the agent used become a new lock when the bottle ends.
#[derive(Debug, Clone, Serialize)]
pub struct LearnPlan {
    /// Where the lock is written (replacing what is there).
    pub lock_path: Utf8PathBuf,
    /// `sha256:<hex>` of the lock it replaces; `null` when there is none.
    pub replaces: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TlsInterceptionPlan {
    pub enabled: bool,
    /// SHA-256 of the bottle CA; `null` in a plan because the CA is made at launch.
    pub ca_fingerprint: Option<String>,
    /// The CA is generated per bottle and dies with it.
    pub ca: &'static str,
    /// How long the bottle CA is valid: what the launch and the export generate it with.
    pub ca_validity_seconds: u64,
    /// Domains the CA's name constraints permit (the allowlist's and `egress.approvable`'s):
    /// nothing else can be minted with its key. `null` in a learn run: any DNS name (never an
    /// IP address).
    pub ca_permitted_domains: Option<Vec<String>>,
    pub passthrough_domains: Vec<Hostname>,
    pub agent_ca_path: String,
}

impl TlsInterceptionPlan {
    /// [`Self::ca_validity_seconds`], as [`crate::ca::generate`] takes it.
    pub fn ca_validity(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.ca_validity_seconds)
    }

    /// What the bottle CA may sign for, as [`crate::ca::generate`] takes it.
    pub fn ca_scope(&self) -> crate::ca::DnsScope<'_> {
        match &self.ca_permitted_domains {
            Some(domains) => crate::ca::DnsScope::Only(domains),
            None => crate::ca::DnsScope::Any,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProxyPlan {
    pub command: Vec<String>,
    pub privileges: Privileges,
    pub resources: resources::Resources,
    /// Where it writes besides its scratch space, its root being read-only: volumes of its own
    /// that go with it. `/etc/pipelock`, which the launch fills before it starts and `allow`
    /// and `deny` rewrite while it runs.
    pub volumes: Vec<String>,
    /// The sidecar's address on the internal network: the only one it listens on.
    pub address: String,
    pub listen: String,
    /// The exact config the sidecar will load.
    pub config_path: String,
    pub config: PipelockConfig,
    pub labels: BTreeMap<String, String>,
}

/// What a container of the bottle may do beyond its user's file permissions: no Linux
/// capability (the engine's default set dropped whole) and no way to gain one
/// (`no-new-privileges`: setuid binaries do not raise privileges). The same for the agent and
/// each sidecar: none needs a capability (they bind unprivileged ports, read and write files
/// they own, and root in the agent writes only root's own files). A sidecar's root filesystem
/// is read-only too: it writes only to its scratch space and to volumes of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Privileges {
    /// `--cap-drop` values.
    pub cap_drop: Vec<String>,
    /// `--security-opt` values; the engine's default seccomp profile stays (never `unconfined`).
    pub security_opts: Vec<String>,
    /// `--read-only`: the image's files cannot be changed.
    pub read_only_root: bool,
}

impl Privileges {
    /// No capability, and no way to gain one.
    pub fn none() -> Self {
        Privileges {
            cap_drop: vec!["ALL".to_owned()],
            security_opts: vec!["no-new-privileges".to_owned()],
            read_only_root: false,
        }
    }

    /// [`Self::none`], and the image's files read-only: a sidecar's.
    pub fn sidecar() -> Self {
        Privileges {
            read_only_root: true,
            ..Self::none()
        }
    }
}

/// A host file or directory the manifest names (`prompt`, `skills[i]`, `ssh.identity`,
/// `ssh.known_hosts`, `git.upstreams[i].token_file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostFile {
    /// The manifest field that names it.
    pub field: String,
    /// As the manifest wrote it.
    pub declared: Utf8PathBuf,
    /// What bot-bottle reads: absolute, every symlink followed.
    pub resolved: Utf8PathBuf,
    /// Which container it is copied into. The same field can go to either: `ssh.identity` goes
    /// to the git gate when an SSH upstream is declared, into the agent's home otherwise.
    pub destination: Destination,
    /// Why it may be read: `manifest directory` (it lies under it), or the user's config file
    /// or `--allow-path` that allows it.
    pub allowed_by: String,
}

/// Where a host file is copied: what an approval records with it, since the same file is a
/// credential the agent never sees in the gate and one it holds in its own home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// The agent's container (its home).
    Agent,
    /// The git gate sidecar, which uses it for the agent without handing it over.
    GitGate,
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Destination::Agent => "the agent",
            Destination::GitGate => "the git gate",
        })
    }
}

/// One provisioner, in run order; `action: "skip"` where its manifest section is empty.
#[derive(Debug, Clone, Serialize)]
pub struct ProvisionStep {
    pub step: &'static str,
    pub action: StepAction,
    /// Human description of what happens, or why it is skipped.
    pub detail: String,
    /// Host files this step copies in.
    pub sources: Vec<Utf8PathBuf>,
    /// Every file and directory it puts in the agent, in order.
    pub files: Vec<AgentFile>,
}

/// One file or directory a provisioning step puts in the agent before it starts.
#[derive(Debug, Clone, Serialize)]
pub struct AgentFile {
    /// Absolute path in the agent.
    pub path: String,
    /// Permission bits, written in octal (`"0644"`).
    #[serde(serialize_with = "octal")]
    pub mode: u32,
    pub owner: FileOwner,
    pub content: FileContent,
}

/// Who owns a provisioned file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileOwner {
    Root,
    /// The agent user ([`AgentPlan::uid`], [`AgentPlan::gid`]).
    Agent,
}

/// What a provisioned path holds: `"directory"`, `{"host_file": PATH}` (read at launch),
/// `{"text": TEXT}`, or `"bottle_ca_cert"` (made at launch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileContent {
    Directory,
    HostFile(HostSource),
    Text(String),
    BottleCaCert,
}

/// A host file a provisioned path is copied from: absolute, every symlink followed, and what
/// kind of file it is, which caps what is read of it ([`crate::hostfile`]). Shown as its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HostSource {
    pub path: Utf8PathBuf,
    #[serde(skip)]
    pub cap: crate::hostfile::Cap,
}

impl std::fmt::Display for HostSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.path.fmt(f)
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's serialize_with passes a reference
fn octal<S: serde::Serializer>(mode: &u32, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(&format!("{mode:04o}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepAction {
    Run,
    Skip,
}
