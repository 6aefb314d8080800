//! Step `ssh`: an identity and a `known_hosts` file for the agent's `~/.ssh`.

use anyhow::Context as _;
use backends::Tarball;

use super::{home_dirs, Ctx, Step};

pub struct Ssh;

/// The identity's name in the agent; `~/.ssh/config` points ssh at it.
const IDENTITY: &str = ".ssh/id_bottle";

impl Step for Ssh {
    fn name(&self) -> &'static str {
        "ssh"
    }

    fn add_files(&self, ctx: &Ctx, tar: &mut Tarball) -> anyhow::Result<()> {
        let ssh = &ctx.manifest.ssh;
        if ssh.identity.is_none() && ssh.known_hosts.is_none() {
            return Ok(());
        }
        home_dirs(ctx, tar, ".ssh", 0o700)?;
        if let Some(rel) = &ssh.identity {
            let path = ctx.host_path(rel);
            let key =
                std::fs::read(&path).with_context(|| format!("reading the ssh identity {path}"))?;
            tar.file(&ctx.home_path(IDENTITY), &key, 0o600, ctx.agent_owner)?;
            let config = format!("Host *\n    IdentityFile ~/{IDENTITY}\n");
            tar.file(
                &ctx.home_path(".ssh/config"),
                config.as_bytes(),
                0o600,
                ctx.agent_owner,
            )?;
        }
        if let Some(rel) = &ssh.known_hosts {
            let path = ctx.host_path(rel);
            let hosts =
                std::fs::read(&path).with_context(|| format!("reading known_hosts {path}"))?;
            tar.file(
                &ctx.home_path(".ssh/known_hosts"),
                &hosts,
                0o644,
                ctx.agent_owner,
            )?;
        }
        Ok(())
    }
}
