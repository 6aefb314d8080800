//! The agent's provisioning as one tar stream, copied in before it starts: exactly the files
//! the plan's steps list ([`crate::plan::ProvisionStep::files`]), in order, so nothing runs in
//! the agent to provision it.

use std::os::fd::AsRawFd as _;

use anyhow::Context as _;
use engine::{Owner, Tarball};

use crate::exit::UsageError;
use crate::hostfile;
use crate::plan::{AgentFile, FileContent, FileOwner, HostSource, Plan, StepAction};

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
    add_file_as(
        tar,
        file,
        file.path.trim_start_matches('/'),
        owner,
        ca_cert_pem,
    )
}

/// [`add_file`] for a tar stream unpacked into the directory `dir` rather than `/`: `file`'s
/// path is taken relative to it, and `dir` itself is left out (the copy's target exists).
/// For a container whose root filesystem is read-only, whose files go into a volume.
pub fn add_file_under(
    tar: &mut Tarball,
    file: &AgentFile,
    dir: &str,
    owner: Owner,
) -> anyhow::Result<()> {
    let Some(below) = file.path.strip_prefix(dir) else {
        anyhow::bail!("{} is not under {dir}", file.path);
    };
    let relative = below.trim_start_matches('/');
    if relative.is_empty() {
        return Ok(());
    }
    if !below.starts_with('/') {
        anyhow::bail!("{} is not under {dir}", file.path);
    }
    add_file_as(tar, file, relative, owner, None)
}

fn add_file_as(
    tar: &mut Tarball,
    file: &AgentFile,
    path: &str,
    owner: Owner,
    ca_cert_pem: Option<&str>,
) -> anyhow::Result<()> {
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
            let bytes = read_planned(source)?;
            tar.file(path, &bytes, file.mode, owner)
        }
    };
    written.map(|_| ())
}

/// Reads the host file the plan resolved to `planned` (absolute, symlinks followed) as
/// [`hostfile`] reads one: a symlink, FIFO or other non-regular file, or one over its kind's
/// cap, is refused (the plan checked it, but something with the workspace mounted, an agent
/// say, may have swapped it since). So is one whose open reached another file through a
/// directory on the way made a symlink since the plan: the kernel says which file the open
/// reached. A refusal is a [`UsageError`] naming the file and its kind.
fn read_planned(planned: &HostSource) -> Result<Vec<u8>, UsageError> {
    let HostSource { path, cap } = planned;
    let refuse = |why: String| {
        UsageError(format!(
            "{path} ({} the plan named): {why}; nothing was read",
            cap.what
        ))
    };
    let (file, len) = hostfile::open(path, *cap).map_err(|e| refuse(e.to_string()))?;
    let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(|e| refuse(format!("asking the kernel which file was opened: {e}")))?;
    if opened != path.as_std_path() {
        return Err(refuse(format!(
            "it now leads to {}, not the file the plan named (was a symlink put in its way?)",
            opened.display()
        )));
    }
    hostfile::read_capped(file, len, *cap).map_err(|e| refuse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::read_planned;
    use crate::hostfile;
    use crate::plan::HostSource;
    use camino::Utf8PathBuf;

    fn dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::try_from(tmp.path().canonicalize().unwrap()).unwrap();
        (tmp, dir)
    }

    fn prompt(path: Utf8PathBuf) -> HostSource {
        HostSource {
            path,
            cap: hostfile::PROMPT,
        }
    }

    #[test]
    fn a_planned_file_replaced_by_a_symlink_is_refused() {
        let (_tmp, dir) = dir();
        let planned = dir.join("prompt.md");
        std::fs::write(&planned, "prompt\n").unwrap();
        std::fs::write(dir.join("secret"), "secret\n").unwrap();
        assert_eq!(read_planned(&prompt(planned.clone())).unwrap(), b"prompt\n");
        std::fs::remove_file(&planned).unwrap();
        std::os::unix::fs::symlink(dir.join("secret"), &planned).unwrap();
        let e = read_planned(&prompt(planned.clone())).unwrap_err().0;
        assert_eq!(
            e,
            format!(
                "{planned} (a prompt the plan named): it is a symbolic link, not a regular file \
                 (bot-bottle follows none here); nothing was read"
            )
        );
    }

    #[test]
    fn a_directory_on_the_way_replaced_by_a_symlink_is_refused() {
        let (_tmp, dir) = dir();
        std::fs::create_dir(dir.join("docs")).unwrap();
        std::fs::write(dir.join("docs/prompt.md"), "prompt\n").unwrap();
        std::fs::create_dir(dir.join("elsewhere")).unwrap();
        std::fs::write(dir.join("elsewhere/prompt.md"), "secret\n").unwrap();
        let planned = prompt(dir.join("docs/prompt.md"));
        std::fs::remove_dir_all(dir.join("docs")).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("docs")).unwrap();
        let e = read_planned(&planned).unwrap_err().0;
        assert!(
            e.contains("now leads to") && e.contains("/elsewhere/prompt.md"),
            "{e}"
        );
    }

    /// Swapped in after the plan checked it (the agent can write the workspace while a launch
    /// waits for an answer): a FIFO would block the open, and then the read, for ever.
    #[test]
    fn a_planned_file_replaced_by_a_fifo_is_refused_at_once() {
        let (_tmp, dir) = dir();
        let planned = dir.join("prompt.md");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            planned.as_std_path(),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let e = read_planned(&prompt(planned)).unwrap_err().0;
        assert!(
            e.contains("it is a FIFO (named pipe), not a regular file"),
            "{e}"
        );
    }

    /// A sparse file costs the attacker nothing on disk and the reader all its memory.
    #[test]
    fn a_planned_file_grown_past_its_cap_is_refused_unread() {
        let (_tmp, dir) = dir();
        let planned = dir.join("SKILL.md");
        std::fs::File::create(&planned)
            .unwrap()
            .set_len((1 << 30) + 1)
            .unwrap();
        let source = HostSource {
            path: planned,
            cap: hostfile::SKILL_FILE,
        };
        let e = read_planned(&source).unwrap_err().0;
        assert!(
            e.contains("(a skill's file the plan named): it is 1073741825 bytes, over the 16 MiB"),
            "{e}"
        );
    }
}
