//! The manifest a command plans from (`start`, `approve`, `doctor`) and the plan built from it:
//! one set of arguments, one way to find `./bottle.toml`, one set of inputs from the outside
//! world (environment, the user's config, the current directory).

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use clap::Args;

use crate::approval::Reviewed;
use crate::bottle::stage;
use crate::defaults;
use crate::exit::{NeedsApproval, UsageError};
use crate::manifest::{self, ManifestSource};
use crate::plan::{self, EngineSummary, PlanInputs};
use crate::{approval, userconfig, userdirs};

/// The manifest `start` picks up from the current directory when none is named.
const DEFAULT_MANIFEST: &str = "bottle.toml";

/// Which manifest, and which host paths outside its directory it may name.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// The bottle manifest (TOML; JSON when the name ends in .json). Default: ./bottle.toml if
    /// it exists, else the built-in default.
    #[arg(value_name = "MANIFEST")]
    pub manifest: Option<Utf8PathBuf>,

    /// A host file or directory (everything under it) the manifest may name outside its own
    /// directory, such as an SSH key kept out of the workspace, or mount as its workspace;
    /// repeatable. `allow_paths` in bot-bottle's config file does the same for every launch.
    #[arg(long = "allow-path", value_name = "PATH")]
    pub allow_paths: Vec<Utf8PathBuf>,
}

impl ManifestArgs {
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

    /// The plan for this manifest, as `start` makes it (`learn`: as `start --learn` does).
    pub fn plan(&self, engine: Option<EngineSummary>, learn: bool) -> anyhow::Result<Reviewed> {
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
            proxy_image_override: std::env::var(defaults::PROXY_IMAGE_ENV)
                .ok()
                .filter(|v| !v.is_empty()),
            gate_image_override: std::env::var(defaults::GATE_IMAGE_ENV)
                .ok()
                .filter(|v| !v.is_empty()),
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
                |var| std::env::var(var).ok().filter(|v| !v.is_empty()),
            ),
            config_file,
            learn,
        };
        let plan = plan::build(&manifest, &inputs)?;
        Reviewed::of(plan, &userdirs::state_dir()?)
    }
}

/// 64 random bits as hex: enough that two launches never share one.
fn new_launch_id() -> anyhow::Result<String> {
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

/// Settles the approval of `plan`'s manifest for a command that makes a bottle without asking
/// (`start -y`, `export kube`): an approved manifest, or the built-in default, goes; a change
/// that widens nothing is approved now, and said so; anything else fails with
/// [`NeedsApproval`] (exit 3) showing the difference, recording nothing. `start` says the
/// question a terminal would get.
pub fn approve_unasked(reviewed: &Reviewed, start: bool) -> anyhow::Result<()> {
    let Some(approval) = reviewed.pending() else {
        return Ok(());
    };
    let manifest = approval
        .manifest
        .as_ref()
        .map_or_else(String::new, ToString::to_string);
    if approval.yes_suffices() {
        approval::record(approval)?;
        eprintln!("bot-bottle: {manifest} changed since approved, widening nothing; approved it");
        return Ok(());
    }
    let what = match approval.state {
        approval::State::New => "is new to bot-bottle (never approved); what it asks for",
        _ => "changed since you approved it, widening egress, env or files; what changed",
    };
    let or_answer = if start {
        ", or run `bot-bottle start` on a terminal to answer"
    } else {
        ""
    };
    Err(NeedsApproval(format!(
        "{manifest} {what}:\n{}nothing was created. Read it, then approve it with \
         `bot-bottle approve {manifest}`{or_answer}",
        approval::render_changes(&approval.changes)
    ))
    .into())
}
