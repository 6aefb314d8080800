//! The agent's provisioning as one tar stream, copied in before it starts: exactly the files
//! the plan's steps list ([`crate::plan::ProvisionStep::files`]), in order, so nothing runs in
//! the agent to provision it.

use anyhow::Context as _;
use backends::{Owner, Tarball};

use crate::plan::{FileContent, FileOwner, Plan, StepAction};

/// Every file of every step that runs, read from the host now; `ca_cert_pem` is the bottle
/// CA's cert, made at launch.
pub fn tarball(plan: &Plan, ca_cert_pem: &str) -> anyhow::Result<Vec<u8>> {
    let agent = Owner::new(plan.agent.uid.into(), plan.agent.gid.into());
    let mut tar = Tarball::new();
    for step in plan
        .provisioning
        .iter()
        .filter(|s| s.action == StepAction::Run)
    {
        for file in &step.files {
            let owner = match file.owner {
                FileOwner::Root => Owner::ROOT,
                FileOwner::Agent => agent,
            };
            let path = file.path.trim_start_matches('/');
            let written = match &file.content {
                FileContent::Directory => tar.dir(path, file.mode, owner),
                FileContent::Text(text) => tar.file(path, text.as_bytes(), file.mode, owner),
                FileContent::BottleCaCert => {
                    tar.file(path, ca_cert_pem.as_bytes(), file.mode, owner)
                }
                FileContent::HostFile(source) => {
                    let bytes = std::fs::read(source)
                        .with_context(|| format!("reading {source} for {}", file.path))?;
                    tar.file(path, &bytes, file.mode, owner)
                }
            };
            written.with_context(|| format!("provisioning step {}: {}", step.step, file.path))?;
        }
    }
    tar.finish()
}
