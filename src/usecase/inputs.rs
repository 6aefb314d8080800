//! What a plan is made from besides the manifest (`start`, `approve`, `doctor`, `export
//! kube`): which manifest (the one named, `./bottle.toml`, or the built-in default), and the
//! outside world gathered once (environment, the user's config, the current directory, a fresh
//! launch id), so that [`crate::plan::build`] stays a function of its inputs.

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};

use crate::approval::Reviewed;
use crate::bottle::stage;
use crate::defaults;
use crate::exit::UsageError;
use crate::manifest::{self, ManifestSource};
use crate::plan::{self, EngineSummary, PlanInputs};
use crate::{userconfig, userdirs};

/// The manifest `start` picks up from the current directory when none is named.
pub const DEFAULT_MANIFEST: &str = "bottle.toml";

/// Which manifest, and which host paths outside its directory it may name (`--allow-path`).
#[derive(Debug, Clone, Default)]
pub struct ManifestRequest {
    /// The manifest named on the command line, if any.
    pub manifest: Option<Utf8PathBuf>,
    pub allow_paths: Vec<Utf8PathBuf>,
}

impl ManifestRequest {
    /// Where the manifest comes from: the one named, `./bottle.toml`, or the built-in default.
    pub fn source(&self) -> ManifestSource {
        match &self.manifest {
            Some(path) => ManifestSource::File(path.clone()),
            None if Utf8Path::new(DEFAULT_MANIFEST).is_file() => {
                ManifestSource::File(DEFAULT_MANIFEST.into())
            }
            None => ManifestSource::Builtin,
        }
    }

    /// The plan for this manifest as `start` makes it (`learn`: as `start --learn` does), with
    /// where its approval stands; writes nothing.
    pub fn review(&self, engine: Option<EngineSummary>, learn: bool) -> anyhow::Result<Reviewed> {
        let cwd = current_dir()?;
        let source = self.source();
        let (manifest, manifest_sha256) = manifest::load_with_digest(&source)?;
        let config_file = userdirs::config_file()?;
        let config = userconfig::load(&config_file)?;
        let home = userdirs::home().ok();
        let allowed_paths = userconfig::allowed_paths(
            &config_file,
            &config,
            &self.allow_paths,
            &cwd,
            home.as_deref(),
        )?;
        let stage_root = stage::root()?;
        let inputs = PlanInputs {
            source,
            manifest_sha256,
            cwd,
            engine,
            proxy_image_override: non_empty_var(defaults::PROXY_IMAGE_ENV),
            gate_image_override: non_empty_var(defaults::GATE_IMAGE_ENV),
            stage_root: stage_root.clone(),
            env_is_set: |name| std::env::var_os(name).is_some(),
            ca_validity_seconds: crate::ca::DEFAULT_VALIDITY.as_secs(),
            launch_id: new_launch_id()?,
            allowed_paths,
            user_paths: plan::workspace::protected(
                &config_file,
                &userdirs::state_dir()?,
                &stage_root,
                home.as_deref(),
                non_empty_var,
            ),
            config_file,
            learn,
            logins: crate::login::Store::of_user()?,
            host_cpus: host_cpus(),
        };
        let plan = plan::build(&manifest, &inputs)?;
        Reviewed::of(plan, &userdirs::state_dir()?)
    }
}

/// The CPUs this process may use (its affinity and its cgroup's quota count), at least one.
fn host_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX))
}

/// A host environment variable's value, when it is set and not empty.
fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// 64 random bits as hex: enough that two launches never share one.
pub(crate) fn new_launch_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("reading random bytes: {e}"))?;
    Ok(base16ct::lower::encode_string(&bytes))
}

fn current_dir() -> anyhow::Result<Utf8PathBuf> {
    let dir = std::env::current_dir().context("reading the current directory")?;
    Utf8PathBuf::from_path_buf(dir).map_err(|p| {
        anyhow::Error::new(UsageError(format!(
            "the current directory {} is not UTF-8",
            p.display()
        )))
    })
}
