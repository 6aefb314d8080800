//! `bot-bottle export kube`: the bottle a manifest describes, as Kubernetes objects in one YAML
//! file, made by [`crate::usecase::export`]; this writes it out.

use std::io::Write as _;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Args, Subcommand};

use super::{Global, Terminal};
use crate::kube;
use crate::usecase::export;

/// Write a bottle for another place to run it.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    Kube(KubeArgs),
}

impl ExportCommand {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        match self {
            ExportCommand::Kube(args) => args.run(global),
        }
    }
}

/// Write the bottle as Kubernetes objects: a Pod (pipelock, the git gate when declared, the
/// key holder when the bottle has an Anthropic credential, the agent), its `NetworkPolicy`, `ConfigMap` and `Secret` objects, for `kubectl apply -f` or
/// `podman kube play`.
///
/// With no MANIFEST, uses ./bottle.toml if it exists, else the built-in default. The output
/// holds the bottle CA's private key, and the Anthropic credential when the bottle has one (for
/// its key holder): --output writes it to a new file of mode 0600; without --output it goes to
/// stdout, with a warning on stderr. Nothing else is written or created.
#[derive(Debug, Args)]
pub struct KubeArgs {
    #[command(flatten)]
    pub manifest: super::planning::ManifestArgs,

    /// Write the objects to FILE (mode 0600), which must not exist yet unless --force.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<Utf8PathBuf>,

    /// Replace FILE when it exists.
    #[arg(long, requires = "output")]
    pub force: bool,

    /// The image of the pod's netfilter and unpack init containers: sh, iptables and
    /// base64 on a Debian-family base (contrib/kube-init/Containerfile).
    #[arg(long, value_name = "IMAGE", env = kube::INIT_IMAGE_ENV, default_value = kube::DEFAULT_INIT_IMAGE)]
    pub init_image: String,
}

impl KubeArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let request = export::Request {
            output: self.output.clone(),
            force: self.force,
            init_image: self.init_image.clone(),
        };
        let mut find_engine = || {
            Ok(engine::detect::find(global.engine.as_deref(), global.verbose)?.map(|f| f.engine))
        };
        let exported = export::kube(
            &self.manifest.request(),
            &request,
            &mut find_engine,
            &mut Terminal::new(),
        )?;
        eprintln!("bot-bottle: mitm ca fingerprint: {}", exported.fingerprint);
        if let Some(path) = &self.output {
            export::write_private(path, exported.yaml.as_bytes(), self.force)?;
            if let Some((secret, what)) = &exported.secret_credential {
                eprintln!(
                    "bot-bottle: {path} holds your {what} (Secret {secret}), and the bottle CA's private key: keep it private"
                );
            }
            Ok(())
        } else {
            eprintln!(
                "bot-bottle: warning: the output holds the bottle CA's private key (Secret {}); keep it private",
                exported.secret_ca_key
            );
            if let Some((secret, what)) = &exported.secret_credential {
                eprintln!(
                    "bot-bottle: warning: the output holds your {what} (Secret {secret}); keep it private"
                );
            }
            let mut out = std::io::stdout().lock();
            out.write_all(exported.yaml.as_bytes())?;
            out.flush().context("writing the export to stdout")
        }
    }
}
