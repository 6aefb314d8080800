//! Provisioning a started agent, in order: ca → prompt → skills → ssh → git. Each step adds its
//! files to one shared tar stream (copied in once) and names the commands to run afterwards;
//! a step whose manifest section is empty adds nothing.

mod ca;
mod git;
mod prompt;
mod skills;
mod ssh;

use anyhow::{bail, Context as _};
use backends::{Engine, ExecSpec, Owner, Tarball};
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
    /// Commands to run after the copy, in order; most steps only copy files.
    fn commands(&self, _ctx: &Ctx) -> Vec<ExecSpec> {
        Vec::new()
    }
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

/// Runs every step against the running agent container.
pub fn run(engine: &dyn Engine, container: &str, ctx: &Ctx) -> anyhow::Result<()> {
    let steps = steps();
    let mut tar = Tarball::new();
    for step in &steps {
        step.add_files(ctx, &mut tar)
            .with_context(|| format!("provisioning step {}", step.name()))?;
    }
    let bytes = tar.finish()?;
    engine
        .copy_tar_into(container, "/", &bytes)
        .with_context(|| format!("copying provisioning files into {container}"))?;
    for step in &steps {
        for cmd in step.commands(ctx) {
            let out = engine.exec(container, &cmd)?;
            if out.status != 0 {
                bail!(
                    "provisioning step {}: `{}` in {container} exited with {}: {}",
                    step.name(),
                    cmd.argv.join(" "),
                    out.status,
                    out.stderr.trim()
                );
            }
        }
    }
    Ok(())
}

/// An exec as root (provisioning runs system tools that need it).
fn as_root<I, S>(argv: I) -> ExecSpec
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    ExecSpec {
        user: Some("0".to_owned()),
        ..ExecSpec::new(argv)
    }
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
