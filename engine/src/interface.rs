//! The [`Engine`] trait every launch step goes through, and the typed options it takes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

use crate::inspect::{ContainerInfo, ContainerSummary, NetworkInfo, NetworkSummary, VolumeInfo};

/// Which container engine CLI a driver speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// The docker CLI (tested with 20.10 and a 28 client).
    Docker,
    /// The podman CLI, rootful or rootless (tested with 4.3).
    Podman,
}

impl EngineKind {
    /// The usual program name: `docker` or `podman`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who the engine says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// Which CLI this is.
    pub kind: EngineKind,
    /// The engine's version (the daemon's for docker).
    pub version: String,
    /// Whether containers run without host root (rootless podman or rootless dockerd).
    pub rootless: bool,
    /// The cgroup version the engine runs containers under (`1`, `2`), when it says.
    pub cgroup_version: Option<u8>,
    /// Which of a container's [`Limits`] the engine can apply.
    pub limits: LimitSupport,
}

/// Which kinds of [`Limits`] an engine can apply, as it says itself: each needs its cgroup
/// controller, and rootless podman gets only the controllers delegated to the user (none on
/// cgroup v1, where it drops every limit with a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitSupport {
    /// [`Limits::memory_bytes`] (the memory controller).
    pub memory: bool,
    /// [`Limits::cpus_milli`] (the cpu controller's CFS quota).
    pub cpu: bool,
    /// [`Limits::pids`] (the pids controller).
    pub pids: bool,
}

impl LimitSupport {
    /// Every kind.
    pub const ALL: LimitSupport = LimitSupport {
        memory: true,
        cpu: true,
        pids: true,
    };

    /// The kinds `limits` sets that the engine cannot apply, by their names in
    /// [`Limits::KINDS`].
    pub fn missing_for(self, limits: &Limits) -> Vec<&'static str> {
        let [memory, cpu, pids] = Limits::KINDS;
        let mut missing = Vec::new();
        if limits.memory_bytes.is_some() && !self.memory {
            missing.push(memory);
        }
        if limits.cpus_milli.is_some() && !self.cpu {
            missing.push(cpu);
        }
        if limits.pids.is_some() && !self.pids {
            missing.push(pids);
        }
        missing
    }
}

/// What a container may take of the host, each applied through its cgroup controller; `None`
/// is no limit asked for (the engine's own default, if it has one, still applies).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// `--memory` and `--memory-swap` (the same value: no swap beyond it): the container's
    /// memory, its tmpfs pages included; past it the kernel's OOM killer ends a process in it.
    pub memory_bytes: Option<u64>,
    /// `--cpus`, in thousandths of a CPU (1500 is `--cpus 1.5`): the CFS quota of its cgroup.
    pub cpus_milli: Option<u32>,
    /// `--pids-limit`: processes and threads in it at once; past it `fork` and `clone` fail.
    pub pids: Option<u32>,
}

impl Limits {
    /// The kinds' names, as errors and `doctor` say them: memory, cpu, pids.
    pub const KINDS: [&'static str; 3] = ["memory", "cpu", "pids"];

    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        self.memory_bytes.is_some() || self.cpus_milli.is_some() || self.pids.is_some()
    }
}

/// An environment variable for a container or an exec.
///
/// The value never appears on a command line, in the `-v` echo or in an error: the driver
/// passes `--env NAME` and puts `NAME=value` in the engine CLI's own environment. Names the
/// engine CLI itself reads (`HOME`, `PATH`, proxy variables, …, see
/// [`crate::argv::engine_reads_env`]) cannot travel that way: they go in an env file that only
/// this user can read and that is deleted as soon as the engine call returns.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Variable value.
    pub value: String,
}

impl EnvVar {
    /// `name=value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl fmt::Debug for EnvVar {
    // Values may be secrets: keep them out of debug output too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnvVar({}=…)", self.name)
    }
}

/// A named volume to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    /// Volume name.
    pub name: String,
    /// Labels to set.
    pub labels: BTreeMap<String, String>,
}

/// A network to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Network name.
    pub name: String,
    /// `--internal`: no route out of the host.
    pub internal: bool,
    /// Implies `internal`, and more: the host keeps no address on the network and the engine
    /// serves no DNS there, so a container on it reaches only the other containers on it — not
    /// the host's services at a gateway address, and no resolver that forwards queries out.
    /// How each engine does this is its dialect's [`crate::cli::Dialect::ISOLATED_NETWORK_FLAGS`].
    pub isolated: bool,
    /// `--subnet`: the IPv4 range to use instead of one the engine picks (`None`). The engine
    /// refuses a range that overlaps one of its networks.
    pub subnet: Option<String>,
    /// Labels to set.
    pub labels: BTreeMap<String, String>,
}

/// One network a container joins, with the extra DNS names it answers to there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkAttachment {
    /// Network name.
    pub name: String,
    /// DNS aliases on that network.
    pub aliases: Vec<String>,
    /// The IPv4 address to take there (`--ip`), instead of one the engine picks. Docker takes
    /// one only on a network created with `--subnet`.
    pub ip: Option<String>,
}

impl NetworkAttachment {
    /// Joins `name` with no alias, at an address the engine picks.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            aliases: Vec::new(),
            ip: None,
        }
    }

    /// Joins `name` at the address `ip`.
    #[must_use]
    pub fn at(name: impl Into<String>, ip: impl Into<String>) -> Self {
        Self {
            ip: Some(ip.into()),
            ..Self::new(name)
        }
    }
}

/// A filesystem mount for a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// A host path.
    Bind {
        /// Host path.
        source: Utf8PathBuf,
        /// Path inside the container.
        target: Utf8PathBuf,
        /// Mounted read-only.
        read_only: bool,
    },
    /// A named volume.
    Volume {
        /// Volume name.
        name: String,
        /// Path inside the container.
        target: Utf8PathBuf,
        /// Mounted read-only.
        read_only: bool,
    },
    /// A volume the engine makes for this container alone (no name), filled at first with
    /// what the image has at `target`; removed with the container (`rm --volumes`). A created
    /// container's files can be copied into it before it starts, even when its root
    /// filesystem is read-only.
    Anonymous {
        /// Path inside the container.
        target: Utf8PathBuf,
    },
    /// A tmpfs of a fixed size (`--tmpfs`, whose options both engines take alike; their
    /// `--mount type=tmpfs` differs: docker's is `noexec`, podman's is not). `nosuid` and
    /// `nodev` always. The target must hold neither `:` nor `,`.
    Tmpfs {
        /// Path inside the container.
        target: Utf8PathBuf,
        /// Its size; writes past it fail with `ENOSPC`. Its pages count as the container's
        /// memory.
        size_bytes: u64,
        /// Permission bits of its root (`0o1777` for a `/tmp`).
        mode: u32,
        /// Whether programs may run from it.
        exec: bool,
    },
}

/// A container to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // each is one engine flag, independent of the others
pub struct ContainerSpec {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Networks to join, in order; the first is the one given at `create`.
    pub networks: Vec<NetworkAttachment>,
    /// Environment.
    pub env: Vec<EnvVar>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// `--user`.
    pub user: Option<String>,
    /// `--workdir`.
    pub workdir: Option<String>,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `--userns` mode, e.g. rootless podman's `keep-id:uid=1000,gid=1000`.
    pub userns: Option<String>,
    /// `--add-host NAME:IP` entries for the container's `/etc/hosts`.
    pub extra_hosts: Vec<(String, String)>,
    /// `--dns` servers written into the container's `/etc/resolv.conf`.
    pub dns: Vec<String>,
    /// `--sysctl NAME=VALUE` settings of the container's own (network) namespace.
    pub sysctls: Vec<(String, String)>,
    /// `--tty`.
    pub tty: bool,
    /// `--interactive`: keep stdin open.
    pub interactive: bool,
    /// `Some(argv)` replaces the image's entrypoint; `Some(vec![])` clears it.
    pub entrypoint: Option<Vec<String>>,
    /// Command (arguments to the entrypoint).
    pub cmd: Vec<String>,
    /// `--security-opt` values, e.g. `no-new-privileges`.
    pub security_opts: Vec<String>,
    /// `--cap-drop` values, e.g. `ALL`.
    pub cap_drop: Vec<String>,
    /// `--cap-add` values.
    pub cap_add: Vec<String>,
    /// `--read-only` root filesystem: the container writes only to its mounts (the dialect
    /// keeps the engine from adding writable ones of its own, see
    /// [`crate::cli::Dialect::READ_ONLY_FLAGS`]).
    pub read_only: bool,
    /// What it may take of the host.
    pub limits: Limits,
    /// `--init`: the engine's init (docker's tini, podman's catatonit) runs as process 1 and
    /// reaps orphans. Without it a process 1 that never waits (`sleep`) keeps every orphan
    /// that dies as a zombie, each holding a slot of [`Limits::pids`] for good.
    pub init: bool,
}

impl ContainerSpec {
    /// A container `name` running `image` with everything else default.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            ..Self::default()
        }
    }
}

/// A command to run in a running container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSpec {
    /// `--user`, e.g. `0` or `agent`.
    pub user: Option<String>,
    /// Environment (values kept off the command line, see [`EnvVar`]).
    pub env: Vec<EnvVar>,
    /// `--workdir`.
    pub workdir: Option<String>,
    /// `--tty`.
    pub tty: bool,
    /// `--interactive`; implied when `stdin` is set.
    pub interactive: bool,
    /// Bytes fed to the command's stdin.
    pub stdin: Option<Vec<u8>>,
    /// The command and its arguments.
    pub argv: Vec<String>,
}

impl ExecSpec {
    /// Runs `argv` with everything else default.
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// An image to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildSpec {
    /// `--tag`.
    pub tag: String,
    /// Build context directory.
    pub context: Utf8PathBuf,
    /// `--file`, when not `Dockerfile`/`Containerfile` in the context.
    pub file: Option<Utf8PathBuf>,
    /// `--build-arg` values (kept off the command line like [`EnvVar`]s).
    pub build_args: Vec<EnvVar>,
    /// `--label` values.
    pub labels: BTreeMap<String, String>,
    /// Show the engine's output as it builds instead of capturing it.
    pub progress: bool,
}

/// What a captured exec or logs call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit status (the command's own, or the engine's 125–127).
    pub status: i32,
    /// Stdout, lossy UTF-8.
    pub stdout: String,
    /// Stderr, lossy UTF-8.
    pub stderr: String,
}

/// A container engine driven through its CLI. Every method is one or a few engine commands run
/// through [`crate::process`]; none assumes host root.
pub trait Engine: Send + Sync {
    /// Which CLI this is.
    fn kind(&self) -> EngineKind;

    /// The program run (a name or path).
    fn program(&self) -> &Utf8Path;

    /// Asks the engine who it is (reaches the daemon for docker: this is the reachability check).
    fn info(&self) -> Result<EngineInfo>;

    /// Whether `image` is present locally.
    fn image_exists(&self, image: &str) -> Result<bool>;

    /// Pulls `image`, the engine's progress shown on this process's stdout and stderr.
    fn pull_image(&self, image: &str) -> Result<()>;

    /// Builds an image.
    fn build_image(&self, spec: &BuildSpec) -> Result<()>;

    /// Gives the local image `source` a second name `target`.
    fn tag_image(&self, source: &str, target: &str) -> Result<()>;

    /// The registry digests (`name@sha256:…`) the engine knows for a local image; empty for
    /// an image that was built or imported rather than pulled.
    fn image_digests(&self, image: &str) -> Result<Vec<String>>;

    /// Creates a named volume.
    fn create_volume(&self, spec: &VolumeSpec) -> Result<()>;

    /// Inspects a volume; `None` when there is none by that name.
    fn inspect_volume(&self, name: &str) -> Result<Option<VolumeInfo>>;

    /// Volumes carrying `label` (`key` or `key=value`).
    fn list_volumes(&self, label: &str) -> Result<Vec<VolumeInfo>>;

    /// Removes a volume; a missing volume is success.
    fn remove_volume(&self, name: &str) -> Result<()>;

    /// Creates a network.
    fn create_network(&self, spec: &NetworkSpec) -> Result<()>;

    /// Attaches a created or running `container` to a network, with its aliases and address.
    fn connect_network(&self, net: &NetworkAttachment, container: &str) -> Result<()>;

    /// Removes a network; a missing network is success.
    fn remove_network(&self, name: &str) -> Result<()> {
        self.remove_networks(&[name.to_owned()])
    }

    /// Removes networks with one engine command (one process: cheaper than one each); missing
    /// ones are success.
    fn remove_networks(&self, names: &[String]) -> Result<()>;

    /// Inspects a network; `None` when there is none by that name.
    fn inspect_network(&self, name: &str) -> Result<Option<NetworkInfo>>;

    /// Networks carrying `label` (`key` or `key=value`).
    fn list_networks(&self, label: &str) -> Result<Vec<NetworkSummary>>;

    /// Creates (does not start) a container attached to all of `spec.networks`.
    fn create_container(&self, spec: &ContainerSpec) -> Result<()>;

    /// Unpacks an in-memory tar stream into `dir` (which must exist) of a created or running
    /// container, keeping the owners and modes written in the tar. Works before the first
    /// start, so it needs no shell in the image.
    fn copy_tar_into(&self, container: &str, dir: &str, tar: &[u8]) -> Result<()>;

    /// The regular file `path` of a created or running container, read as a tar stream (so
    /// the image needs no shell); more than `limit` bytes is an error.
    fn read_file(&self, container: &str, path: &str, limit: u64) -> Result<Vec<u8>>;

    /// The regular files directly in the directory `dir` of a created, running or stopped
    /// container, by name, read as one tar stream; more than `limit` bytes in all, or anything
    /// in it but regular files, is an error. `volume`: the volume mounted at `dir`, when the
    /// caller knows it (see [`ContainerInfo::volumes`]), which an engine that exports volumes
    /// reads without touching the container.
    fn read_dir_files(
        &self,
        container: &str,
        dir: &str,
        volume: Option<&str>,
        limit: u64,
    ) -> Result<std::collections::BTreeMap<String, Vec<u8>>>;

    /// Starts a created container.
    fn start_container(&self, name: &str) -> Result<()>;

    /// Sends `signal` (a name such as `HUP`) to a running container's main process.
    fn signal_container(&self, name: &str, signal: &str) -> Result<()>;

    /// Runs a command in a running container and captures its output; a non-zero status is
    /// returned, not an error.
    fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecOutput>;

    /// Runs a command in a running container with this process's terminal and returns its
    /// exit status.
    fn exec_interactive(&self, container: &str, spec: &ExecSpec) -> Result<i32>;

    /// Stops a container, killing it after `timeout`; a missing container is success.
    fn stop_container(&self, name: &str, timeout: Duration) -> Result<()>;

    /// Removes a container, killing it if it runs; a missing container is success. One name a
    /// command: podman 4.3's `rm --force` given several names, one of them missing, removes
    /// none of them and still exits 0.
    fn remove_container(&self, name: &str) -> Result<()>;

    /// Force-removes every container carrying `label` (`KEY=VALUE`) and says how many went: in
    /// one command where the CLI can filter its `rm` by label, else listed first and removed
    /// side by side.
    fn remove_containers_labelled(&self, label: &str) -> Result<usize>;

    /// Inspects a container; `None` when there is none by that name.
    fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>>;

    /// Containers (running or not) carrying `label` (`key` or `key=value`).
    fn list_containers(&self, label: &str) -> Result<Vec<ContainerSummary>>;

    /// A container's log so far.
    fn logs(&self, name: &str) -> Result<ExecOutput>;

    /// A container's log, each stdout line handed to `on_line` as it comes (stderr goes to this
    /// process's stderr); with `follow`, until the container stops.
    fn stream_logs(
        &self,
        name: &str,
        follow: bool,
        on_line: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()>;

    /// Waits for a container to stop and returns its exit code.
    fn wait(&self, name: &str) -> Result<i32>;
}
