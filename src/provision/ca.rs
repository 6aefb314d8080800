//! Step `ca`: the bottle CA's public cert into the agent's trust store.

use backends::{ExecSpec, Owner, Tarball};

use super::{as_root, Ctx, Step};
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

    fn commands(&self, _ctx: &Ctx) -> Vec<ExecSpec> {
        // Rebuilds /etc/ssl/certs/ca-certificates.crt, which SSL_CERT_FILE and
        // REQUESTS_CA_BUNDLE point at; Node reads the cert itself via NODE_EXTRA_CA_CERTS.
        vec![as_root(["update-ca-certificates"])]
    }
}
