//! `export kube`: the bottle a manifest describes, as Kubernetes objects in one YAML
//! document. It plans the bottle as `start` does, only from a manifest as the user approved it
//! (an exported bottle is a bottle; exit 3 otherwise, as `start -y` without a terminal), makes
//! its CA, and asks the engine (when there is one) for the digests of the images, to name them
//! as approved. Nothing is created but the output.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use engine::Engine;

use super::settle::{self, Maker};
use super::{Ask, ManifestRequest};
use crate::approval::Reviewed;
use crate::exit::UsageError;
use crate::kube;

/// What `export kube` was asked for besides the manifest.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where the output goes (`None`: stdout).
    pub output: Option<Utf8PathBuf>,
    /// Replace `output` when it exists.
    pub force: bool,
    /// The pod's init containers' image.
    pub init_image: String,
}

/// The export, checked to read back as the objects it was made from.
#[derive(Debug)]
pub struct Exported {
    pub yaml: String,
    /// The bottle CA's fingerprint.
    pub fingerprint: String,
    /// The Secret holding the CA's private key.
    pub secret_ca_key: String,
    /// The Secret holding the user's credential (of the agent kind's provider), for the key
    /// holder, and what it is and where it came from (`Anthropic credential, from …`, never its
    /// value); `None` for a bottle without a credential.
    pub secret_credential: Option<(String, String)>,
}

/// Exports `manifest`'s bottle; `find_engine` finds the engine to ask for the images' digests
/// (`None`: there is none).
pub fn kube(
    manifest: &ManifestRequest,
    request: &Request,
    find_engine: &mut dyn FnMut() -> anyhow::Result<Option<Box<dyn Engine>>>,
    ask: &mut dyn Ask,
) -> anyhow::Result<Exported> {
    // Checked before the CA is made, so that a refusal costs nothing.
    if let Some(path) = &request.output {
        if !request.force && fs::symlink_metadata(path).is_ok() {
            return Err(exists(path).into());
        }
    }
    let reviewed = manifest.review(None, false)?;
    export(reviewed, request, find_engine, ask)
}

fn export(
    reviewed: Reviewed,
    request: &Request,
    find_engine: &mut dyn FnMut() -> anyhow::Result<Option<Box<dyn Engine>>>,
    ask: &mut dyn Ask,
) -> anyhow::Result<Exported> {
    settle::unasked(&reviewed, ask, Maker::Export)?;
    let plan = reviewed.plan;
    let ca = crate::launch::bottle_ca(&plan)?;
    let mut options = kube::Options {
        init_image: request.init_image.clone(),
        pins: kube::images::Pins::default(),
    };
    options.pins = pins(
        find_engine()?.as_deref(),
        &options.image_references(&plan),
        ask,
    );
    let export = kube::build(&plan, &ca, &options)?;
    let yaml = kube::render(&export, &plan)?;
    // What is written must read back as the same objects, each valid against its kind.
    let read_back = kube::parse(&yaml).context("reading the export back")?;
    anyhow::ensure!(
        read_back == export.objects,
        "the export does not read back as the objects it was made from"
    );
    Ok(Exported {
        yaml,
        fingerprint: export.fingerprint,
        secret_ca_key: export.names.secret_ca_key,
        secret_credential: plan.key_holder.as_ref().map(|holder| {
            let what = format!(
                "{} credential, from {}",
                plan.agent.kind.credential.provider,
                holder.credential.describe()
            );
            (export.names.secret_keys, what)
        }),
    })
}

/// The digests `engine` knows for `references`, so that the Pod runs the images as approved;
/// each image left unpinned (no engine, no digest) is told, and the Pod names it with
/// `imagePullPolicy: Never`.
fn pins(engine: Option<&dyn Engine>, references: &[&str], ask: &mut dyn Ask) -> kube::images::Pins {
    let Some(engine) = engine else {
        ask.tell(
            "no engine found to ask for the images' digests: the pod names each image as it is, with imagePullPolicy: Never",
        );
        return kube::images::Pins::default();
    };
    let (pins, unpinned) =
        kube::images::Pins::ask(references.iter().copied(), |r| engine.image_digests(r));
    for why in unpinned {
        ask.tell(&format!(
            "image {why}: the pod names it as it is, with imagePullPolicy: Never"
        ));
    }
    pins
}

fn exists(path: &Utf8Path) -> UsageError {
    UsageError(format!(
        "{path} exists; pass --force to replace it, or name another file"
    ))
}

/// Writes `bytes` (which hold the CA's private key) to `path` with mode 0600. Without
/// `replace`, only as a new file; with it, a new file beside `path` renamed over it, so the
/// old file's mode never carries over.
pub fn write_private(path: &Utf8Path, bytes: &[u8], replace: bool) -> anyhow::Result<()> {
    let cannot_create = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::Error::new(exists(path)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::NeedsApproval;
    use crate::usecase::scripted::Scripted;
    use crate::usecase::settle::tests::{Project, NARROW};

    fn request() -> Request {
        Request {
            output: None,
            force: false,
            init_image: kube::DEFAULT_INIT_IMAGE.to_owned(),
        }
    }

    #[test]
    fn only_an_approved_manifest_is_exported_and_a_terminal_is_never_asked() {
        let p = Project::new();
        let mut ask = Scripted::answering(&[]);
        let err = export(p.review(NARROW), &request(), &mut || Ok(None), &mut ask).unwrap_err();
        let refusal = err.downcast_ref::<NeedsApproval>().expect("exit 3");
        assert!(refusal.0.contains("is new to bot-bottle"), "{refusal}");
        assert!(!refusal.0.contains("on a terminal"), "{refusal}");
        assert!(ask.asked.is_empty() && !p.recorded());

        p.approved(NARROW);
        let exported = export(p.review(NARROW), &request(), &mut || Ok(None), &mut ask).unwrap();
        assert!(exported.yaml.contains(&exported.secret_ca_key));
        assert_eq!(ask.told.len(), 1, "{:?}", ask.told);
        assert!(ask.told[0].starts_with("no engine found to ask for the images' digests"));
    }
}
