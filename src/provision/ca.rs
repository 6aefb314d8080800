//! Step `ca`: the bottle CA's public cert where `update-ca-certificates` keeps local CAs; the
//! launch's last step ([`crate::launch`]'s agent finish) appends it to the image's trust bundle,
//! which `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` point at. Node reads the cert itself via
//! `NODE_EXTRA_CA_CERTS`.

use backends::{Owner, Tarball};

use super::{Ctx, Step};
use crate::defaults;

pub struct Ca;

impl Step for Ca {
    fn name(&self) -> &'static str {
        "ca"
    }

    fn add_files(&self, ctx: &Ctx, tar: &mut Tarball) -> anyhow::Result<()> {
        let path = defaults::AGENT_CA_CERT_PATH.trim_start_matches('/');
        tar.file(path, ctx.ca_cert_pem.as_bytes(), 0o644, Owner::ROOT)?;
        Ok(())
    }
}
