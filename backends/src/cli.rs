//! The engine driver both CLIs share: [`CliEngine`] implements [`Engine`] once, and a
//! [`Dialect`] (docker's or podman's) supplies only what their CLIs really do differently.

use std::marker::PhantomData;
use std::time::Duration;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::de::DeserializeOwned;

use crate::argv::{self, CreateNetworks};
use crate::engine::{
    BuildSpec, ContainerSpec, Engine, EngineInfo, EngineKind, ExecOutput, ExecSpec, NetworkSpec,
};
use crate::inspect::{self, ContainerInfo, ContainerSummary, Listing, NetworkInfo, NetworkSummary};
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
    /// Extra flags for `cp - CTR:DIR` so the tar's owners and modes are kept.
    const COPY_FLAGS: &'static [&'static str];
    /// Extra flags for `rm --force` so a running container is killed at once.
    const FORCE_REMOVE_FLAGS: &'static [&'static str];

    /// How `ps` and `network ls` print their rows.
    const LISTING: Listing;

    /// `info --format {{json .}}`.
    type Info: DeserializeOwned + Into<EngineInfo>;
    /// One network of `network inspect`.
    type Network: DeserializeOwned + Into<NetworkInfo>;
    /// One row of `network ls --format {{json .}}`.
    type NetworkRow: DeserializeOwned + Into<NetworkSummary>;
    /// One row of `ps --format {{json .}}`.
    type ContainerRow: DeserializeOwned + Into<ContainerSummary>;

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

    /// Parses `ps --format {{json .}}`.
    fn parse_container_list(json: &str) -> Result<Vec<ContainerSummary>> {
        let rows: Vec<Self::ContainerRow> = inspect::parse_listing(Self::LISTING, json)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
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

    /// Runs and returns `Ok(None)` when the engine says the object does not exist.
    fn run_unless_missing(&self, args: Vec<String>) -> Result<Option<Output>> {
        let cmd = self.command(args);
        let out = cmd.run_unchecked()?;
        if out.status == 0 {
            Ok(Some(out))
        } else if is_missing(&out.stderr_trimmed()) {
            Ok(None)
        } else {
            Err(cmd.failure(&out).into())
        }
    }

    fn exec_command(&self, container: &str, spec: &ExecSpec) -> Command {
        let cmd = self
            .command(argv::exec(container, spec))
            .envs(argv::child_env(&spec.env));
        match &spec.stdin {
            Some(stdin) => cmd.stdin_bytes(stdin.clone()),
            None => cmd,
        }
    }

    fn captured(out: &Output) -> ExecOutput {
        ExecOutput {
            status: out.status,
            stdout: out.stdout_text(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Whether an engine's stderr says the named object does not exist. Docker says `No such
/// container: x`; podman says `no such container`, `image not known` or `network not found`.
pub fn is_missing(stderr: &str) -> bool {
    let lower = stderr.to_ascii_lowercase();
    ["no such", "not known", "not found"]
        .iter()
        .any(|phrase| lower.contains(phrase))
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
            .run_unless_missing(argv::image_inspect(image))
            .with_context(|| format!("looking for image {image}"))?;
        Ok(found.is_some())
    }

    fn pull_image(&self, image: &str) -> Result<()> {
        self.run(argv::pull(image))
            .with_context(|| format!("pulling image {image}"))?;
        Ok(())
    }

    fn build_image(&self, spec: &BuildSpec) -> Result<()> {
        self.command(argv::build(spec))
            .envs(argv::child_env(&spec.build_args))
            .run()
            .with_context(|| format!("building image {}", spec.tag))?;
        Ok(())
    }

    fn create_network(&self, spec: &NetworkSpec) -> Result<()> {
        // Docker prints the new id and podman the name; the name we chose is all we need.
        self.run(argv::network_create(spec))
            .with_context(|| format!("creating network {}", spec.name))?;
        Ok(())
    }

    fn connect_network(&self, network: &str, container: &str, aliases: &[String]) -> Result<()> {
        self.run(argv::network_connect(network, container, aliases))
            .with_context(|| format!("connecting {container} to network {network}"))?;
        Ok(())
    }

    fn remove_network(&self, name: &str) -> Result<()> {
        self.run_unless_missing(argv::network_rm(name))
            .with_context(|| format!("removing network {name}"))?;
        Ok(())
    }

    fn inspect_network(&self, name: &str) -> Result<Option<NetworkInfo>> {
        let context = || format!("inspecting network {name}");
        match self
            .run_unless_missing(argv::network_inspect(name))
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
        self.command(argv::create(spec, style, D::CREATE_FLAGS))
            .envs(argv::child_env(&spec.env))
            .run()
            .with_context(|| format!("creating container {}", spec.name))?;
        for net in later {
            self.connect_network(&net.name, &spec.name, &net.aliases)?;
        }
        Ok(())
    }

    fn copy_tar_into(&self, container: &str, dir: &str, tar: &[u8]) -> Result<()> {
        self.command(argv::copy_tar_into(container, dir, D::COPY_FLAGS))
            .stdin_bytes(tar.to_vec())
            .run()
            .with_context(|| format!("copying files into {container}:{dir}"))?;
        Ok(())
    }

    fn start_container(&self, name: &str) -> Result<()> {
        self.run(argv::start(name))
            .with_context(|| format!("starting container {name}"))?;
        Ok(())
    }

    fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        let out = self
            .exec_command(container, spec)
            .run_unchecked()
            .with_context(|| format!("running a command in {container}"))?;
        Ok(Self::captured(&out))
    }

    fn exec_interactive(&self, container: &str, spec: &ExecSpec) -> Result<i32> {
        self.exec_command(container, spec)
            .run_inherited()
            .with_context(|| format!("running a command in {container}"))
    }

    fn stop_container(&self, name: &str, timeout: Duration) -> Result<()> {
        self.run_unless_missing(argv::stop(name, timeout))
            .with_context(|| format!("stopping container {name}"))?;
        Ok(())
    }

    fn remove_container(&self, name: &str) -> Result<()> {
        self.run_unless_missing(argv::rm(name, D::FORCE_REMOVE_FLAGS))
            .with_context(|| format!("removing container {name}"))?;
        Ok(())
    }

    fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>> {
        let context = || format!("inspecting container {name}");
        match self
            .run_unless_missing(argv::container_inspect(name))
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

    fn follow_logs(&self, name: &str) -> Result<()> {
        let cmd = self.command(argv::logs(name, true));
        let status = cmd
            .run_inherited()
            .with_context(|| format!("following the log of {name}"))?;
        if status == 0 {
            return Ok(());
        }
        let ended = Output {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        Err(anyhow::Error::new(cmd.failure(&ended)))
            .with_context(|| format!("following the log of {name}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_messages_of_both_engines() {
        for stderr in [
            "Error: No such container: x",
            "Error response from daemon: No such container: x",
            "Error: No such network: n",
            "Error: inspecting object: i: image not known",
            "Error: unable to find network with name or ID n: network not found",
            "Error: no container with name or ID \"x\" found: no such container",
        ] {
            assert!(is_missing(stderr), "{stderr}");
        }
        assert!(!is_missing(
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock"
        ));
        assert!(!is_missing("Error: network n has associated containers"));
    }
}
