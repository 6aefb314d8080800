//! Provisioning the agent, in order: ca → prompt → skills → ssh → git. Each step adds its files
//! to one shared tar stream, copied in once before the agent starts, so nothing runs in the
//! agent to provision it; a step whose manifest section is empty adds nothing.

mod ca;
mod git;
mod prompt;
mod skills;
mod ssh;

use anyhow::Context as _;
use backends::{Owner, Tarball};
use camino::{Utf8Path, Utf8PathBuf};

use crate::manifest::Manifest;
use crate::plan::Plan;

/// What every step may read.
pub struct Ctx<'a> {
    pub plan: &'a Plan,
    pub manifest: &'a Manifest,
    /// The bottle CA's public cert.
    pub ca_cert_pem: &'a str,
    /// The agent user's numeric ids inside the container.
    pub agent_owner: Owner,
}

impl Ctx<'_> {
    /// A manifest path resolved against the manifest's directory, as the plan checked it.
    pub fn host_path(&self, rel: &Utf8Path) -> Utf8PathBuf {
        self.plan.bottle.base_dir.join(rel)
    }

    /// `home/<user>/<rel>` as a tar path (relative to `/`).
    pub fn home_path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.plan.agent.home.trim_start_matches('/'))
    }
}

/// One provisioner.
pub trait Step {
    /// `ca`, `prompt`, … as in the plan.
    fn name(&self) -> &'static str;
    /// Adds this step's files to the shared tar stream.
    fn add_files(&self, ctx: &Ctx, tar: &mut Tarball) -> anyhow::Result<()>;
}

/// The steps in run order.
pub fn steps() -> Vec<Box<dyn Step>> {
    vec![
        Box::new(ca::Ca),
        Box::new(prompt::Prompt),
        Box::new(skills::Skills),
        Box::new(ssh::Ssh),
        Box::new(git::Git),
    ]
}

/// Every step's files as one tar stream, to be copied into the agent before it starts.
pub fn tarball(ctx: &Ctx) -> anyhow::Result<Vec<u8>> {
    let mut tar = Tarball::new();
    for step in steps() {
        step.add_files(ctx, &mut tar)
            .with_context(|| format!("provisioning step {}", step.name()))?;
    }
    tar.finish()
}

/// Adds `rel` under the agent's home and every missing parent below the home as directories
/// owned by the agent user.
fn home_dirs(ctx: &Ctx, tar: &mut Tarball, rel: &str, mode: u32) -> anyhow::Result<()> {
    let mut path = String::new();
    for part in rel.split('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
        tar.dir(&ctx.home_path(&path), mode, ctx.agent_owner)?;
    }
    Ok(())
}
