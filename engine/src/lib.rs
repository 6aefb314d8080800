//! The one place that drives a container engine: the [`Engine`] trait and its docker and podman CLI drivers.
//!
//! ```no_run
//! use engine::{detect, ContainerSpec, Engine, NetworkSpec};
//! # fn main() -> anyhow::Result<()> {
//! let engine = detect::select_engine(detect::choice_from_env().as_deref(), false)?;
//! engine.create_network(&NetworkSpec { name: "bb-int".into(), internal: true, ..Default::default() })?;
//! engine.create_container(&ContainerSpec::new("bb-agent", "localhost/agent"))?;
//! # Ok(())
//! # }
//! ```

pub mod argv;
pub mod cli;
pub mod detect;
pub mod docker;
pub mod envfile;
pub mod inspect;
pub mod interface;
pub mod podman;
pub mod process;
pub mod scratch;
pub mod tarball;

pub use cli::LimitDropped;
pub use detect::{select_engine, NoEngineFound, UnusableEngine, ENGINE_ENV};
pub use inspect::{
    ContainerInfo, ContainerState, ContainerSummary, Endpoint, NetworkInfo, NetworkSummary,
    VolumeInfo,
};
pub use interface::{
    BuildSpec, ContainerSpec, Engine, EngineInfo, EngineKind, EnvVar, ExecOutput, ExecSpec,
    LimitSupport, Limits, Mount, NetworkAttachment, NetworkSpec, VolumeSpec,
};
pub use process::CommandError;
pub use tarball::{Owner, Tarball};

#[cfg(test)]
mod parse_tests;
