//! The engine driver both CLIs share: [`CliEngine`] implements [`Engine`] once, and a
//! [`Dialect`] (docker's or podman's) supplies only what their CLIs really do differently.

use std::marker::PhantomData;
use std::time::Duration;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::de::DeserializeOwned;

use crate::argv::{self, CreateNetworks};
use crate::envfile::EnvFile;
use crate::inspect::{
    self, ContainerInfo, ContainerSummary, Listing, NetworkInfo, NetworkSummary, VolumeInfo,
};
use crate::interface::{
    BuildSpec, ContainerSpec, Engine, EngineInfo, EngineKind, ExecOutput, ExecSpec,
    NetworkAttachment, NetworkSpec, VolumeSpec,
};
use crate::process::{Command, Output};

/// What one engine CLI does its own way. Implemented by [`crate::docker::Docker`] and
/// [`crate::podman::Podman`].
pub trait Dialect: Send + Sync + 'static {
    /// Which CLI this is.
    const KIND: EngineKind;
    /// Whether `create` takes several `--network` flags, each with its own aliases.
    const MULTIPLE_NETWORKS_AT_CREATE: bool;
    /// Extra flags for `create`.
    const CREATE_FLAGS: &'static [&'static str];
    /// Extra flags for `create` of a container whose root filesystem is read-only, so that it
    /// writes only to the mounts it is given.
    const READ_ONLY_FLAGS: &'static [&'static str];
    /// What the CLI prints on stderr when `create` succeeds but a limit it was given is not
    /// applied (the engine cannot: no such cgroup controller, or rootless on cgroup v1). A
    /// limit dropped is an error, never a warning the user might not see.
    const LIMIT_DROPPED: &'static [&'static str];
    /// Extra flags for `cp - CTR:DIR` so the tar's owners and modes are kept.
    const COPY_FLAGS: &'static [&'static str];
    /// Whether `cp -` copies its stdin to a file under `$TMPDIR` first (and, podman 4.3, leaves
    /// it there: with the sidecar's tar, a copy of its CA key in `/var/tmp`). Such a copy is
    /// pointed at a private scratch directory that goes when the copy returns.
    const COPY_SPOOLS_STDIN: bool;
    /// Whether `volume export NAME` prints a volume's files as a tar (podman): reading a
    /// stopped container's volume that way mounts nothing, where `cp` of a stopped container
    /// mounts its whole root filesystem first (podman 4.3: 0.05 s against 0.17 s).
    const EXPORTS_VOLUMES: bool;
    /// Whether `rm --force` takes `--filter label=…` (podman): then the containers of a label go
    /// in one command, with no listing first.
    const REMOVES_BY_LABEL: bool;
    /// Extra flags for `rm --force` so a running container is killed at once.
    const FORCE_REMOVE_FLAGS: &'static [&'static str];
    /// Extra flags for `build`.
    const BUILD_FLAGS: &'static [&'static str];

    /// How `ps` and `network ls` print their rows.
    const LISTING: Listing;
    /// `network create` flags for an isolated network (see [`crate::NetworkSpec::isolated`]).
    const ISOLATED_NETWORK_FLAGS: &'static [&'static str];
    /// What the CLI prints on stderr when the named object does not exist, `{}` standing for
    /// the name. Only these count as "missing": any other failure (a daemon that does not
    /// answer, a missing config file) is an error, never a resource that is already gone.
    const MISSING: &'static [(Object, &'static str)];

    /// `info --format {{json .}}`.
    type Info: DeserializeOwned + Into<EngineInfo>;
    /// One network of `network inspect`.
    type Network: DeserializeOwned + Into<NetworkInfo>;
    /// One row of `network ls --format {{json .}}`.
    type NetworkRow: DeserializeOwned + Into<NetworkSummary>;
    /// One row of `ps --format {{json .}}`.
    type ContainerRow: DeserializeOwned + Into<ContainerSummary>;
    /// One row of `volume ls --format {{json .}}`.
    type VolumeRow: DeserializeOwned + Into<VolumeInfo>;

    /// Parses `info --format {{json .}}`.
    fn parse_info(json: &str) -> Result<EngineInfo> {
        let info: Self::Info =
            serde_json::from_str(json).with_context(|| format!("parsing {} info", Self::KIND))?;
        Ok(info.into())
    }

    /// Parses `network inspect NAME`.
    fn parse_network_inspect(json: &str) -> Result<Option<NetworkInfo>> {
        let networks: Vec<Self::Network> = inspect::parse_array(json)?;
        Ok(networks.into_iter().next().map(Into::into))
    }

    /// Parses `network ls --format {{json .}}`.
    fn parse_network_list(json: &str) -> Result<Vec<NetworkSummary>> {
        let rows: Vec<Self::NetworkRow> = inspect::parse_listing(Self::LISTING, json)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Parses `volume ls --format {{json .}}`.
    fn parse_volume_list(json: &str) -> Result<Vec<VolumeInfo>> {
        let rows: Vec<Self::VolumeRow> = inspect::parse_listing(Self::LISTING, json)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Parses `ps --format {{json .}}`.
    fn parse_container_list(json: &str) -> Result<Vec<ContainerSummary>> {
        let rows: Vec<Self::ContainerRow> = inspect::parse_listing(Self::LISTING, json)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// The kinds of object an engine can say it does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// A container.
    Container,
    /// A network.
    Network,
    /// An image.
    Image,
    /// A named volume.
    Volume,
}

/// Whether `stderr` is the dialect's own word that `object` named `name` does not exist.
/// The message must stand on its own within a line, so that `No such container: web` does not
/// vouch for a container named `we`.
pub fn says_missing<D: Dialect>(object: Object, name: &str, stderr: &str) -> bool {
    D::MISSING
        .iter()
        .filter(|(kind, _)| *kind == object)
        .map(|(_, message)| message.replace("{}", name))
        .any(|message| stderr.lines().any(|line| stands_alone(line, &message)))
}

fn stands_alone(line: &str, message: &str) -> bool {
    line.match_indices(message).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + message.len()..].chars().next();
        before.is_none_or(char::is_whitespace)
            && after.is_none_or(|c| c.is_whitespace() || c == ':')
    })
}

/// The line of `stderr` where the engine says it did not apply a limit, if any.
pub fn limit_dropped<D: Dialect>(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .find(|line| D::LIMIT_DROPPED.iter().any(|m| line.contains(m)))
        .map(|line| line.trim().to_owned())
}

/// The engine created a container without a limit it was given (and said so only as a
/// warning). The container exists: the caller removes it. Downcast an `anyhow::Error` to this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDropped {
    /// The container created.
    pub container: String,
    /// Which engine.
    pub engine: EngineKind,
    /// What it said.
    pub warning: String,
}

impl std::fmt::Display for LimitDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created {} without a resource limit it was given: {:?}",
            self.engine, self.container, self.warning
        )
    }
}

impl std::error::Error for LimitDropped {}

/// The exit `status` of `cmd`, whose output went to the terminal, as a result: non-zero is
/// the command's failure.
fn ended_well(cmd: &Command, status: i32) -> Result<()> {
    if status == 0 {
        return Ok(());
    }
    let ended = Output {
        status,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    Err(cmd.failure(&ended).into())
}

/// An [`Engine`] driving the CLI at `program` in dialect `D`.
pub struct CliEngine<D> {
    program: Utf8PathBuf,
    verbose: bool,
    dialect: PhantomData<D>,
}

impl<D: Dialect> CliEngine<D> {
    /// Drives `program` (a name on PATH or a path); `verbose` echoes every command.
    pub fn new(program: impl Into<Utf8PathBuf>, verbose: bool) -> Self {
        Self {
            program: program.into(),
            verbose,
            dialect: PhantomData,
        }
    }

    /// The command `program args…`, not yet run.
    pub fn command(&self, args: Vec<String>) -> Command {
        Command::new(self.program.as_str())
            .args(args)
            .verbose(self.verbose)
    }

    fn run(&self, args: Vec<String>) -> Result<Output> {
        self.command(args).run()
    }

    /// Runs and returns `Ok(None)` when the engine says `object` `name` does not exist.
    fn run_unless_missing(
        &self,
        args: Vec<String>,
        object: Object,
        name: &str,
    ) -> Result<Option<Output>> {
        let cmd = self.command(args);
        let out = cmd.run_unchecked()?;
        if out.status == 0 {
            Ok(Some(out))
        } else if says_missing::<D>(object, name, &out.stderr_trimmed()) {
            Ok(None)
        } else {
            Err(cmd.failure(&out).into())
        }
    }

    /// Runs a removal of `names`: it succeeded if the engine removed them all, or if every
    /// complaint on stderr is the engine saying one of them is missing.
    fn remove_all_of(&self, args: Vec<String>, object: Object, names: &[String]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let cmd = self.command(args);
        let out = cmd.run_unchecked()?;
        if out.status == 0 {
            return Ok(());
        }
        let stderr = out.stderr_trimmed();
        let only_missing = stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .all(|line| names.iter().any(|n| says_missing::<D>(object, n, line)));
        if only_missing && !stderr.trim().is_empty() {
            Ok(())
        } else {
            Err(cmd.failure(&out).into())
        }
    }

    /// `exec` with the spec's environment; the env file, if one was needed, lives as long as
    /// the returned guard.
    fn exec_command(&self, container: &str, spec: &ExecSpec) -> Result<(Command, Option<EnvFile>)> {
        let env_file = EnvFile::for_vars(&spec.env)?;
        let cmd = self
            .command(argv::exec(
                container,
                spec,
                env_file.as_ref().map(EnvFile::path),
            ))
            .envs(argv::child_env(&spec.env));
        let cmd = match &spec.stdin {
            Some(stdin) => cmd.stdin_bytes(stdin.clone()),
            None => cmd,
        };
        Ok((cmd, env_file))
    }

    fn captured(out: &Output) -> ExecOutput {
        ExecOutput {
            status: out.status,
            stdout: out.stdout_text(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl<D: Dialect> Engine for CliEngine<D> {
    fn kind(&self) -> EngineKind {
        D::KIND
    }

    fn program(&self) -> &Utf8Path {
        &self.program
    }

    fn info(&self) -> Result<EngineInfo> {
        let out = self
            .run(argv::info())
            .with_context(|| format!("asking {} who it is", self.program))?;
        D::parse_info(&out.stdout_text())
    }

    fn image_exists(&self, image: &str) -> Result<bool> {
        let found = self
            .run_unless_missing(argv::image_inspect(image), Object::Image, image)
            .with_context(|| format!("looking for image {image}"))?;
        Ok(found.is_some())
    }

    fn pull_image(&self, image: &str) -> Result<()> {
        let cmd = self.command(argv::pull(image));
        let status = cmd
            .run_inherited()
            .with_context(|| format!("pulling image {image}"))?;
        ended_well(&cmd, status).with_context(|| format!("pulling image {image}"))
    }

    fn build_image(&self, spec: &BuildSpec) -> Result<()> {
        // `build` takes no env file: a build argument the engine reads itself could only go
        // inline, where every local user sees it.
        if let Some(arg) = spec
            .build_args
            .iter()
            .find(|a| argv::engine_reads_env(&a.name))
        {
            anyhow::bail!(
                "building image {}: the build argument {} is a variable {} reads itself; rename it",
                spec.tag,
                arg.name,
                D::KIND
            );
        }
        let cmd = self
            .command(argv::build(spec, D::BUILD_FLAGS))
            .envs(argv::child_env(&spec.build_args));
        if !spec.progress {
            cmd.run()
                .with_context(|| format!("building image {}", spec.tag))?;
            return Ok(());
        }
        let status = cmd
            .run_inherited()
            .with_context(|| format!("building image {}", spec.tag))?;
        ended_well(&cmd, status).with_context(|| format!("building image {}", spec.tag))
    }

    fn tag_image(&self, source: &str, target: &str) -> Result<()> {
        self.run(argv::tag(source, target))
            .with_context(|| format!("tagging image {source} as {target}"))?;
        Ok(())
    }

    fn image_digests(&self, image: &str) -> Result<Vec<String>> {
        let context = || format!("reading the digests of image {image}");
        let out = self.run(argv::image_digests(image)).with_context(context)?;
        inspect::parse_digests(&out.stdout_text()).with_context(context)
    }

    fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        self.run(argv::volume_create(spec))
            .with_context(|| format!("creating volume {}", spec.name))?;
        Ok(())
    }

    fn inspect_volume(&self, name: &str) -> Result<Option<VolumeInfo>> {
        let context = || format!("inspecting volume {name}");
        match self
            .run_unless_missing(argv::volume_inspect(name), Object::Volume, name)
            .with_context(context)?
        {
            Some(out) => inspect::parse_volume_inspect(&out.stdout_text()).with_context(context),
            None => Ok(None),
        }
    }

    fn list_volumes(&self, label: &str) -> Result<Vec<VolumeInfo>> {
        let context = || format!("listing volumes labelled {label}");
        let out = self.run(argv::volume_ls(label)).with_context(context)?;
        D::parse_volume_list(&out.stdout_text()).with_context(context)
    }

    fn remove_volume(&self, name: &str) -> Result<()> {
        self.run_unless_missing(argv::volume_rm(name), Object::Volume, name)
            .with_context(|| format!("removing volume {name}"))?;
        Ok(())
    }

    fn create_network(&self, spec: &NetworkSpec) -> Result<()> {
        // Docker prints the new id and podman the name; the name we chose is all we need.
        self.run(argv::network_create(spec, D::ISOLATED_NETWORK_FLAGS))
            .with_context(|| format!("creating network {}", spec.name))?;
        Ok(())
    }

    fn connect_network(&self, net: &NetworkAttachment, container: &str) -> Result<()> {
        self.run(argv::network_connect(net, container))
            .with_context(|| format!("connecting {container} to network {}", net.name))?;
        Ok(())
    }

    fn remove_networks(&self, names: &[String]) -> Result<()> {
        self.remove_all_of(argv::network_rm(names), Object::Network, names)
            .with_context(|| format!("removing network(s) {}", names.join(", ")))
    }

    fn inspect_network(&self, name: &str) -> Result<Option<NetworkInfo>> {
        let context = || format!("inspecting network {name}");
        match self
            .run_unless_missing(argv::network_inspect(name), Object::Network, name)
            .with_context(context)?
        {
            Some(out) => D::parse_network_inspect(&out.stdout_text()).with_context(context),
            None => Ok(None),
        }
    }

    fn list_networks(&self, label: &str) -> Result<Vec<NetworkSummary>> {
        let context = || format!("listing networks labelled {label}");
        let out = self.run(argv::network_ls(label)).with_context(context)?;
        D::parse_network_list(&out.stdout_text()).with_context(context)
    }

    fn create_container(&self, spec: &ContainerSpec) -> Result<()> {
        let (style, later) = if D::MULTIPLE_NETWORKS_AT_CREATE {
            (CreateNetworks::All, &[][..])
        } else {
            (
                CreateNetworks::First,
                spec.networks.get(1..).unwrap_or_default(),
            )
        };
        let env_file = EnvFile::for_vars(&spec.env)?;
        let env_file_path = env_file.as_ref().map(EnvFile::path);
        let mut extra = D::CREATE_FLAGS.to_vec();
        if spec.read_only {
            extra.extend(D::READ_ONLY_FLAGS);
        }
        let out = self
            .command(argv::create(spec, style, &extra, env_file_path))
            .envs(argv::child_env(&spec.env))
            .run()
            .with_context(|| format!("creating container {}", spec.name))?;
        // The engine has read the values: the file goes now, not at the end of the launch.
        drop(env_file);
        if let Some(warning) = limit_dropped::<D>(&out.stderr_trimmed()) {
            return Err(LimitDropped {
                container: spec.name.clone(),
                engine: D::KIND,
                warning,
            }
            .into());
        }
        for net in later {
            self.connect_network(net, &spec.name)?;
        }
        Ok(())
    }

    fn copy_tar_into(&self, container: &str, dir: &str, tar: &[u8]) -> Result<()> {
        let spool = D::COPY_SPOOLS_STDIN
            .then(crate::scratch::private_dir)
            .transpose()?;
        let spool_env = spool.iter().map(|dir| {
            (
                "TMPDIR".to_owned(),
                dir.path().to_string_lossy().into_owned(),
            )
        });
        self.command(argv::copy_tar_into(container, dir, D::COPY_FLAGS))
            .envs(spool_env)
            .stdin_bytes(tar.to_vec())
            .run()
            .with_context(|| format!("copying files into {container}:{dir}"))?;
        // Dropping the scratch directory removes whatever the engine left in it.
        drop(spool);
        Ok(())
    }

    fn read_file(&self, container: &str, path: &str, limit: u64) -> Result<Vec<u8>> {
        let context = || format!("reading {container}:{path}");
        let out = self
            .run(argv::copy_out(container, path))
            .with_context(context)?;
        crate::tarball::single_file(&out.stdout, limit).with_context(context)
    }

    fn read_dir_files(
        &self,
        container: &str,
        dir: &str,
        volume: Option<&str>,
        limit: u64,
    ) -> Result<std::collections::BTreeMap<String, Vec<u8>>> {
        if let Some(volume) = volume.filter(|_| D::EXPORTS_VOLUMES) {
            let context = || format!("reading the volume {volume} ({container}:{dir})");
            let out = self
                .run(argv::volume_export(volume))
                .with_context(context)?;
            return crate::tarball::files_of_dir(&out.stdout, dir_name(dir), limit)
                .with_context(context);
        }
        let context = || format!("reading the directory {container}:{dir}");
        let out = self
            .run(argv::copy_out(container, dir))
            .with_context(context)?;
        crate::tarball::files_of_dir(&out.stdout, dir_name(dir), limit).with_context(context)
    }

    fn start_container(&self, name: &str) -> Result<()> {
        self.run(argv::start(name))
            .with_context(|| format!("starting container {name}"))?;
        Ok(())
    }

    fn signal_container(&self, name: &str, signal: &str) -> Result<()> {
        self.run(argv::kill(name, signal))
            .with_context(|| format!("sending SIG{signal} to container {name}"))?;
        Ok(())
    }

    fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        let (cmd, _env_file) = self.exec_command(container, spec)?;
        let out = cmd
            .run_unchecked()
            .with_context(|| format!("running a command in {container}"))?;
        Ok(Self::captured(&out))
    }

    fn exec_interactive(&self, container: &str, spec: &ExecSpec) -> Result<i32> {
        let (cmd, env_file) = self.exec_command(container, spec)?;
        let started = cmd.spawn_inherited()?;
        // The exec has read its env file once it is running; the session may last hours.
        drop(env_file);
        started
            .wait()
            .with_context(|| format!("running a command in {container}"))
    }

    fn stop_container(&self, name: &str, timeout: Duration) -> Result<()> {
        self.run_unless_missing(argv::stop(name, timeout), Object::Container, name)
            .with_context(|| format!("stopping container {name}"))?;
        Ok(())
    }

    fn remove_container(&self, name: &str) -> Result<()> {
        self.run_unless_missing(
            argv::rm(name, D::FORCE_REMOVE_FLAGS),
            Object::Container,
            name,
        )
        .with_context(|| format!("removing container {name}"))?;
        Ok(())
    }

    fn remove_containers_labelled(&self, label: &str) -> Result<usize> {
        let context = || format!("removing the containers labelled {label}");
        if D::REMOVES_BY_LABEL {
            let out = self
                .run(argv::rm_labelled(label, D::FORCE_REMOVE_FLAGS))
                .with_context(context)?;
            // One line per container removed (its id).
            return Ok(out
                .stdout_text()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count());
        }
        let names: Vec<String> = self
            .list_containers(label)
            .with_context(context)?
            .into_iter()
            .map(|c| c.name)
            .collect();
        let failures: Vec<String> = std::thread::scope(|scope| {
            let removals: Vec<_> = names
                .iter()
                .map(|name| scope.spawn(move || self.remove_container(name)))
                .collect();
            removals
                .into_iter()
                .filter_map(|removal| match removal.join() {
                    Ok(Ok(())) => None,
                    Ok(Err(err)) => Some(format!("{err:#}")),
                    Err(_) => Some("a removal panicked".to_owned()),
                })
                .collect()
        });
        if failures.is_empty() {
            Ok(names.len())
        } else {
            Err(anyhow::anyhow!(failures.join("; "))).with_context(context)
        }
    }

    fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>> {
        let context = || format!("inspecting container {name}");
        match self
            .run_unless_missing(argv::container_inspect(name), Object::Container, name)
            .with_context(context)?
        {
            Some(out) => inspect::parse_container_inspect(&out.stdout_text()).with_context(context),
            None => Ok(None),
        }
    }

    fn list_containers(&self, label: &str) -> Result<Vec<ContainerSummary>> {
        let context = || format!("listing containers labelled {label}");
        let out = self.run(argv::ps(label)).with_context(context)?;
        D::parse_container_list(&out.stdout_text()).with_context(context)
    }

    fn logs(&self, name: &str) -> Result<ExecOutput> {
        let out = self
            .run(argv::logs(name, false))
            .with_context(|| format!("reading the log of {name}"))?;
        Ok(Self::captured(&out))
    }

    fn stream_logs(
        &self,
        name: &str,
        follow: bool,
        on_line: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let cmd = self.command(argv::logs(name, follow));
        let status = cmd
            .stream_lines(on_line)
            .with_context(|| format!("reading the log of {name}"))?;
        ended_well(&cmd, status).with_context(|| format!("reading the log of {name}"))
    }

    fn wait(&self, name: &str) -> Result<i32> {
        let context = || format!("waiting for container {name}");
        let out = self.run(argv::wait(name)).with_context(context)?;
        let text = out.stdout_text();
        text.trim()
            .parse()
            .with_context(|| format!("reading exit code {:?}", text.trim()))
            .with_context(context)
    }
}

/// The last component of the container path `dir`, under which `cp` puts its files.
fn dir_name(dir: &str) -> &str {
    dir.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::Docker;
    use crate::podman::Podman;

    // Captured from docker 20.10 and podman 4.3 (rootful and rootless say the same).
    #[test]
    fn each_engine_says_missing_its_own_way() {
        let docker = [
            (
                Object::Container,
                "ctr",
                "Error response from daemon: No such container: ctr",
            ),
            (Object::Container, "ctr", "Error: No such container: ctr"),
            (Object::Network, "net", "Error: No such network: net"),
            (
                Object::Image,
                "localhost/img",
                "Error: No such image: localhost/img",
            ),
            (
                Object::Volume,
                "vol",
                "Error response from daemon: get vol: no such volume",
            ),
            (Object::Volume, "vol", "Error: No such volume: vol"),
        ];
        for (object, name, stderr) in docker {
            assert!(says_missing::<Docker>(object, name, stderr), "{stderr}");
            assert!(!says_missing::<Podman>(object, name, stderr), "{stderr}");
        }
        let podman = [
            (
                Object::Container,
                "ctr",
                "Error: inspecting object: no such container ctr",
            ),
            (
                Object::Container,
                "ctr",
                "Error: no container with name or ID \"ctr\" found: no such container",
            ),
            (
                Object::Network,
                "net",
                "Error: unable to find network with name or ID net: network not found",
            ),
            (
                Object::Image,
                "localhost/img",
                "Error: inspecting object: localhost/img: image not known",
            ),
            (
                Object::Volume,
                "vol",
                "Error: inspecting object: no such volume vol",
            ),
            (
                Object::Volume,
                "vol",
                "Error: no volume with name \"vol\" found: no such volume",
            ),
        ];
        for (object, name, stderr) in podman {
            assert!(says_missing::<Podman>(object, name, stderr), "{stderr}");
        }
    }

    #[test]
    fn other_failures_are_not_missing() {
        for stderr in [
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
            "Error: network net has associated containers",
            // A missing file is not a missing container.
            "Error: open /etc/containers/policy.json: no such file or directory",
            // Another object's name, which only starts with this one's.
            "Error: No such container: ctr2-other",
            "Error: No such network: net2-other",
            "Error: inspecting object: no such container ctr2-other",
        ] {
            assert!(
                !says_missing::<Docker>(Object::Container, "ctr2", stderr),
                "{stderr}"
            );
            assert!(
                !says_missing::<Podman>(Object::Container, "ctr2", stderr),
                "{stderr}"
            );
            assert!(
                !says_missing::<Docker>(Object::Network, "net2", stderr),
                "{stderr}"
            );
            assert!(
                !says_missing::<Podman>(Object::Network, "net2", stderr),
                "{stderr}"
            );
        }
        // A container that is missing is not a network that is missing.
        assert!(!says_missing::<Docker>(
            Object::Network,
            "x",
            "Error: No such container: x"
        ));
    }

    // podman 4.3, rootless on cgroup v1: the container is created, its limits dropped.
    #[test]
    fn a_limit_podman_drops_is_seen_on_create() {
        let stderr =
            "Resource limits are not supported and ignored on cgroups V1 rootless systems\n";
        assert_eq!(
            limit_dropped::<Podman>(stderr).as_deref(),
            Some("Resource limits are not supported and ignored on cgroups V1 rootless systems")
        );
        assert_eq!(limit_dropped::<Podman>("some other warning"), None);
    }
}
