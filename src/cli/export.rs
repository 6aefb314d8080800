//! `bot-bottle export kube`: the bottle a manifest describes, as Kubernetes objects in one YAML
//! file. It plans the bottle as `start` does, makes its CA, and asks the engine (when there is
//! one) for the digests of the images, to name them as approved; nothing else happens but
//! writing the output: nothing is created.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use clap::{Args, Subcommand};

use super::Global;
use crate::exit::UsageError;
use crate::kube;

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
/// agent), its `NetworkPolicy`, `ConfigMap` and `Secret` objects, for `kubectl apply -f` or
/// `podman kube play`.
///
/// With no MANIFEST, uses ./bottle.toml if it exists, else the built-in default. The output
/// holds the bottle CA's private key: --output writes it to a new file of mode 0600; without
/// --output it goes to stdout, with a warning on stderr. Nothing else is written or created.
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
        // Checked before the CA is made, so that a refusal costs nothing.
        if let Some(path) = &self.output {
            if !self.force && fs::symlink_metadata(path).is_ok() {
                return Err(UsageError(format!(
                    "{path} exists; pass --force to replace it, or name another file"
                ))
                .into());
            }
        }
        let reviewed = self.manifest.plan(None, false)?;
        // An exported bottle is a bottle: made only from a manifest as the user approved it.
        super::planning::approve_unasked(&reviewed, false)?;
        let plan = reviewed.plan;
        let ca = crate::ca::generate(
            plan.bottle.slug(),
            plan.egress.tls_interception.ca_scope(),
            std::time::Duration::from_secs(plan.egress.tls_interception.ca_validity_seconds),
        )
        .context("generating the bottle CA")?;
        let mut options = kube::Options {
            init_image: self.init_image.clone(),
            pins: kube::images::Pins::default(),
        };
        options.pins = pins(global, &options.image_references(&plan))?;
        let export = kube::build(&plan, &ca, &options)?;
        let yaml = kube::render(&export, &plan)?;
        // What is written must read back as the same objects, each valid against its kind.
        let read_back = kube::parse(&yaml).context("reading the export back")?;
        anyhow::ensure!(
            read_back == export.objects,
            "the export does not read back as the objects it was made from"
        );
        eprintln!("bot-bottle: mitm ca fingerprint: {}", export.fingerprint);
        if let Some(path) = &self.output {
            write_private(path, yaml.as_bytes(), self.force)
        } else {
            eprintln!(
                "bot-bottle: warning: the output holds the bottle CA's private key (Secret {}); keep it private",
                export.names.secret_ca_key
            );
            let mut out = std::io::stdout().lock();
            out.write_all(yaml.as_bytes())?;
            out.flush().context("writing the export to stdout")
        }
    }
}

/// The digests the engine knows for `references`, so that the Pod runs the images as
/// approved; each image left unpinned (no engine, no digest) is said on stderr, and the Pod
/// names it with `imagePullPolicy: Never`.
fn pins(global: &Global, references: &[&str]) -> anyhow::Result<kube::images::Pins> {
    let Some(found) = engine::detect::find(global.engine.as_deref(), global.verbose)? else {
        eprintln!(
            "bot-bottle: no engine found to ask for the images' digests: the pod names each image as it is, with imagePullPolicy: Never"
        );
        return Ok(kube::images::Pins::default());
    };
    let (pins, unpinned) = kube::images::Pins::ask(references.iter().copied(), |r| {
        found.engine.image_digests(r)
    });
    for why in unpinned {
        eprintln!(
            "bot-bottle: image {why}: the pod names it as it is, with imagePullPolicy: Never"
        );
    }
    Ok(pins)
}

/// Writes `bytes` to `path` with mode 0600. Without `replace`, only as a new file; with it, a
/// new file beside `path` renamed over it, so the old file's mode never carries over.
fn write_private(path: &Utf8Path, bytes: &[u8], replace: bool) -> anyhow::Result<()> {
    let cannot_create = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::Error::new(UsageError(format!(
            "{path} exists; pass --force to replace it, or name another file"
        ))),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            anyhow::Error::new(UsageError(format!("cannot create {path}: {e}")))
        }
        _ => anyhow::Error::new(e).context(format!("creating {path}")),
    };
    if replace {
        return crate::atomic_file::write(path, bytes, 0o600).map_err(cannot_create);
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(cannot_create)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {path}"));
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}
