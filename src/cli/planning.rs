//! The manifest arguments a command plans from (`start`, `approve`, `doctor`, `export kube`);
//! what they select and the plan's other inputs are [`crate::usecase::inputs`]'s.

use camino::Utf8PathBuf;
use clap::Args;

use crate::usecase::ManifestRequest;

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
    /// The request these arguments make.
    pub fn request(&self) -> ManifestRequest {
        ManifestRequest {
            manifest: self.manifest.clone(),
            allow_paths: self.allow_paths.clone(),
        }
    }
}
