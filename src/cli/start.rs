//! `bot-bottle start`: plan a bottle from its manifest, show the plan, and launch it.

use std::io::Write as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use clap::Args;

use super::Global;
use crate::defaults;
use crate::exit::UsageError;
use crate::manifest::{self, ManifestSource};
use crate::plan::{self, Plan, PlanInputs};

/// The manifest `start` picks up from the current directory when none is named.
const DEFAULT_MANIFEST: &str = "bottle.toml";

/// Plan and launch a bottle.
///
/// With no MANIFEST, uses ./bottle.toml if it exists, else the built-in default.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// The bottle manifest (TOML; JSON when the name ends in .json).
    #[arg(value_name = "MANIFEST")]
    pub manifest: Option<Utf8PathBuf>,

    /// Print the plan and exit without creating anything.
    #[arg(long)]
    pub dry_run: bool,

    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Launch without asking for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Leave the agent running in the background; `bot-bottle stop NAME` removes it.
    #[arg(long)]
    pub detach: bool,
}

impl StartArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let plan = self.plan(global)?;
        if self.dry_run {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            if self.json {
                serde_json::to_writer_pretty(&mut out, &plan).context("writing the plan")?;
                writeln!(out)?;
            } else {
                out.write_all(plan::render_text(&plan).as_bytes())?;
            }
            return Ok(());
        }
        anyhow::bail!("launching a bottle is not available yet; use --dry-run to see the plan")
    }

    fn plan(&self, global: &Global) -> anyhow::Result<Plan> {
        let cwd = current_dir()?;
        let source = match &self.manifest {
            Some(path) => ManifestSource::File(path.clone()),
            None if Utf8Path::new(DEFAULT_MANIFEST).is_file() => ManifestSource::File(DEFAULT_MANIFEST.into()),
            None => ManifestSource::Builtin,
        };
        let manifest = manifest::load(&source)?;
        let inputs = PlanInputs {
            source,
            cwd,
            engine: crate::engine::summary(global),
            proxy_image_override: std::env::var(defaults::PROXY_IMAGE_ENV).ok().filter(|v| !v.is_empty()),
            stage_root: stage_root()?,
            env_is_set: |name| std::env::var_os(name).is_some(),
            ca_validity_seconds: crate::ca::DEFAULT_VALIDITY.as_secs(),
        };
        Ok(plan::build(&manifest, &inputs)?)
    }
}

fn current_dir() -> anyhow::Result<Utf8PathBuf> {
    let dir = std::env::current_dir().context("reading the current directory")?;
    Utf8PathBuf::from_path_buf(dir)
        .map_err(|p| anyhow::Error::new(UsageError(format!("the current directory {} is not UTF-8", p.display()))))
}

/// `$XDG_RUNTIME_DIR/bot-bottle` (private to the user, on tmpfs), else a per-user directory
/// in the temp dir.
fn stage_root() -> anyhow::Result<Utf8PathBuf> {
    if let Some(runtime) = std::env::var("XDG_RUNTIME_DIR").ok().filter(|v| !v.is_empty()) {
        return Ok(Utf8PathBuf::from(runtime).join("bot-bottle"));
    }
    let tmp = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|p| anyhow::anyhow!("the temp dir {} is not UTF-8", p.display()))?;
    Ok(tmp.join(format!("bot-bottle-{}", crate::engine::current_uid()?)))
}
