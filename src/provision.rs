//! The agent's provisioning as one tar stream, copied in before it starts: exactly the files
//! the plan's steps list ([`crate::plan::ProvisionStep::files`]), in order, so nothing runs in
//! the agent to provision it.

use std::io::Read as _;
use std::os::fd::AsRawFd as _;

use anyhow::Context as _;
use camino::Utf8Path;
use engine::{Owner, Tarball};

use crate::plan::{AgentFile, FileContent, FileOwner, Plan, StepAction};

/// Whether `path` lies in the state volume's mount (or is its root).
fn in_state_volume(plan: &Plan, path: &str) -> bool {
    let target = plan.state_volume.target.as_str();
    path == target
        || path
            .strip_prefix(target)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Every file of every step that runs, read from the host now, except those that land in the
/// state volume ([`state_tarball`]); `ca_cert_pem` is the bottle CA's cert, made at launch.
pub fn tarball(plan: &Plan, ca_cert_pem: &str) -> anyhow::Result<Vec<u8>> {
    let mut tar = Tarball::new();
    add_files(plan, ca_cert_pem, &mut tar, |path| {
        !in_state_volume(plan, path)
    })?;
    tar.finish()
}

/// Whether any step that runs puts a file in the state volume.
pub fn has_state_files(plan: &Plan) -> bool {
    plan.provisioning
        .iter()
        .filter(|s| s.action == StepAction::Run)
        .flat_map(|s| &s.files)
        .any(|f| in_state_volume(plan, &f.path))
}

/// The files that land in the state volume, with the volume's root first (owned by the agent
/// user, so Claude Code can write its state there). Copied in once the agent runs: podman
/// copies into a created container's image layer, under the volume, where nothing sees them.
/// Only these paths are written; whatever else the volume holds stays.
pub fn state_tarball(plan: &Plan) -> anyhow::Result<Vec<u8>> {
    let agent = Owner::new(plan.agent.uid.into(), plan.agent.gid.into());
    let mut tar = Tarball::new();
    let root = plan.state_volume.target.trim_start_matches('/');
    tar.dir(root, 0o700, agent)?;
    add_files(plan, "", &mut tar, |path| {
        in_state_volume(plan, path) && path != plan.state_volume.target
    })?;
    tar.finish()
}

fn add_files(
    plan: &Plan,
    ca_cert_pem: &str,
    tar: &mut Tarball,
    wanted: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    let agent = Owner::new(plan.agent.uid.into(), plan.agent.gid.into());
    for step in plan
        .provisioning
        .iter()
        .filter(|s| s.action == StepAction::Run)
    {
        for file in step.files.iter().filter(|f| wanted(&f.path)) {
            let owner = match file.owner {
                FileOwner::Root => Owner::ROOT,
                FileOwner::Agent => agent,
            };
            add_file(tar, file, owner, Some(ca_cert_pem))
                .with_context(|| format!("provisioning step {}: {}", step.step, file.path))?;
        }
    }
    Ok(())
}

/// Writes one planned file into `tar`, owned by `owner`, a host file read now.
/// `ca_cert_pem` is the bottle CA's cert; `None` where no file may take it.
pub fn add_file(
    tar: &mut Tarball,
    file: &AgentFile,
    owner: Owner,
    ca_cert_pem: Option<&str>,
) -> anyhow::Result<()> {
    let path = file.path.trim_start_matches('/');
    let written = match &file.content {
        FileContent::Directory => tar.dir(path, file.mode, owner),
        FileContent::Text(text) => tar.file(path, text.as_bytes(), file.mode, owner),
        FileContent::BottleCaCert => {
            let pem = ca_cert_pem.with_context(|| {
                format!("{} takes the bottle CA, which has no place here", file.path)
            })?;
            tar.file(path, pem.as_bytes(), file.mode, owner)
        }
        FileContent::HostFile(source) => {
            let bytes = read_planned(source)
                .with_context(|| format!("reading {source} for {}", file.path))?;
            tar.file(path, &bytes, file.mode, owner)
        }
    };
    written.map(|_| ())
}

/// Reads the host file the plan resolved to `planned` (absolute, symlinks followed), refusing
/// it when what opens is another file: something (an agent with the workspace mounted, say) put
/// a symlink on the way since the plan was made. The kernel says which file the open reached.
fn read_planned(planned: &Utf8Path) -> anyhow::Result<Vec<u8>> {
    let mut file = std::fs::File::open(planned)?;
    let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .context("asking the kernel which file was opened")?;
    if opened != planned.as_std_path() {
        anyhow::bail!(
            "it now leads to {}, not the file the plan named: refusing it (was a symlink put in its way?)",
            opened.display()
        );
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::read_planned;
    use camino::Utf8PathBuf;

    #[test]
    fn a_planned_file_replaced_by_a_symlink_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::try_from(tmp.path().canonicalize().unwrap()).unwrap();
        let planned = dir.join("prompt.md");
        std::fs::write(&planned, "prompt\n").unwrap();
        std::fs::write(dir.join("secret"), "secret\n").unwrap();
        assert_eq!(read_planned(&planned).unwrap(), b"prompt\n");
        std::fs::remove_file(&planned).unwrap();
        std::os::unix::fs::symlink(dir.join("secret"), &planned).unwrap();
        let e = format!("{:#}", read_planned(&planned).unwrap_err());
        assert!(e.contains("now leads to") && e.contains("/secret"), "{e}");
    }
}
