//! The workspace repository's git metadata, kept from the agent where mounts can: git on the
//! host runs what `.git/config` (`core.fsmonitor`, `core.hooksPath`, filter drivers, …) and
//! `.git/hooks` say, so the agent must not write them.
//!
//! - A `.git` directory is mounted on itself (read-write: git in the bottle writes objects,
//!   refs and the index there), which makes it a mount point the agent can neither rename nor
//!   remove (`mv .git .git-old && git init` would otherwise leave a fresh one on the host); its
//!   `config` and `hooks` are mounted read-only inside it. A missing `config` or `hooks` is
//!   created empty at launch (as `git init` makes them), so that there is something to mount.
//! - A gitfile (`gitdir: …`, a linked worktree's or a submodule's) is mounted read-only.
//! - A `.git` that is a symlink is not mounted apart: a mount on it would land where it
//!   points. The plan says so.
//!
//! What mounts cannot cover (a `commondir` the agent adds, modules, repositories made
//! elsewhere in the workspace) is checked when the bottle ends: see [`crate::gitwatch`].

use std::fs;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

/// What the workspace's `.git` is, and how the launch protects it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceGit {
    /// `<workspace>/.git` as the plan found it.
    pub repository: Repository,
    /// Bind mounts over the workspace's, in the order the engine gets them.
    pub mounts: Vec<AgentMount>,
    /// What is left unprotected by mounts, and why.
    pub unprotected: Vec<String>,
    /// Where the launch records the workspace's git control files before the agent starts,
    /// to warn at the end about those that appeared or changed.
    pub snapshot: Utf8PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repository {
    /// A `.git` directory.
    Directory,
    /// A `.git` file naming the git directory elsewhere.
    Gitfile,
    /// A `.git` symlink, or anything else that is not a directory or a file.
    Other,
    /// No `.git`: not a repository (the agent may make one; the end of the bottle says so).
    None,
}

/// A bind mount of a host path into the agent, over the workspace mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentMount {
    pub source: Utf8PathBuf,
    pub target: String,
    pub read_only: bool,
    /// `directory` or `file` when the source is missing: the launch creates it, empty, before
    /// it creates the agent. `null` when it exists.
    pub create: Option<Create>,
    pub why: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Create {
    Directory,
    File,
}

/// How the launch protects `workspace/.git` for an agent that sees the workspace at
/// `workdir`; `snapshot` is where the launch records the control files.
pub fn plan(workspace: &Utf8Path, workdir: &str, snapshot: Utf8PathBuf) -> WorkspaceGit {
    let git = workspace.join(".git");
    let target = format!("{workdir}/.git");
    let mut mounts = Vec::new();
    let mut unprotected = Vec::new();
    let repository = match fs::symlink_metadata(&git) {
        Err(_) => Repository::None,
        Ok(meta) if meta.is_dir() => {
            mounts.push(AgentMount {
                source: git.clone(),
                target: target.clone(),
                read_only: false,
                create: None,
                why: "a mount point of its own: it cannot be renamed or removed",
            });
            for (name, want) in [("config", Create::File), ("hooks", Create::Directory)] {
                let source = git.join(name);
                let create = match fs::symlink_metadata(&source) {
                    Err(_) => Some(want),
                    Ok(m) if m.is_file() && want == Create::File => None,
                    Ok(m) if m.is_dir() && want == Create::Directory => None,
                    Ok(_) => {
                        unprotected.push(format!(
                            "{source} is not a {}: not mounted read-only (a mount there would land where it leads)",
                            match want {
                                Create::File => "regular file",
                                Create::Directory => "directory",
                            }
                        ));
                        continue;
                    }
                };
                mounts.push(AgentMount {
                    source,
                    target: format!("{target}/{name}"),
                    read_only: true,
                    create,
                    why: "read-only: git on the host runs what it says",
                });
            }
            Repository::Directory
        }
        Ok(meta) if meta.is_file() => {
            mounts.push(AgentMount {
                source: git.clone(),
                target,
                read_only: true,
                create: None,
                why: "read-only: it names the git directory git on the host uses",
            });
            Repository::Gitfile
        }
        Ok(_) => {
            unprotected.push(format!(
                "{git} is not a directory or a file: not mounted apart (a mount there would land where it leads)"
            ));
            Repository::Other
        }
    };
    WorkspaceGit {
        repository,
        mounts,
        unprotected,
        snapshot,
    }
}

/// Creates the mount sources the plan marked missing, empty (the launch, before the agent is
/// created). One that appeared meanwhile is left as it is.
pub fn create_missing(git: &WorkspaceGit) -> anyhow::Result<()> {
    use anyhow::Context as _;
    for mount in &git.mounts {
        let made = match mount.create {
            None => continue,
            Some(Create::Directory) => fs::create_dir(&mount.source),
            Some(Create::File) => fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&mount.source)
                .map(drop),
        };
        match made {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e).with_context(|| {
                    format!(
                        "creating {} to mount it read-only in the agent",
                        mount.source
                    )
                })
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        (tmp, path)
    }

    fn summary(git: &WorkspaceGit) -> Vec<(String, bool, Option<Create>)> {
        git.mounts
            .iter()
            .map(|m| (m.target.clone(), m.read_only, m.create))
            .collect()
    }

    #[test]
    fn a_git_directory_is_its_own_mount_with_config_and_hooks_read_only() {
        let (_tmp, ws) = workspace();
        fs::create_dir_all(ws.join(".git/hooks")).unwrap();
        fs::write(ws.join(".git/config"), "[core]\n").unwrap();
        let git = plan(&ws, "/workspace", ws.join("snap"));
        assert_eq!(git.repository, Repository::Directory);
        assert_eq!(
            summary(&git),
            [
                ("/workspace/.git".to_owned(), false, None),
                ("/workspace/.git/config".to_owned(), true, None),
                ("/workspace/.git/hooks".to_owned(), true, None),
            ]
        );
        assert_eq!(git.mounts[1].source, ws.join(".git/config"));
        assert!(git.unprotected.is_empty());
    }

    #[test]
    fn missing_config_and_hooks_are_created_at_launch_not_in_the_plan() {
        let (_tmp, ws) = workspace();
        fs::create_dir(ws.join(".git")).unwrap();
        let git = plan(&ws, "/workspace", ws.join("snap"));
        assert_eq!(git.mounts[1].create, Some(Create::File));
        assert_eq!(git.mounts[2].create, Some(Create::Directory));
        assert!(!ws.join(".git/config").exists() && !ws.join(".git/hooks").exists());
        create_missing(&git).unwrap();
        assert!(ws.join(".git/config").is_file() && ws.join(".git/hooks").is_dir());
        // Again: nothing to do, nothing overwritten.
        fs::write(ws.join(".git/config"), "x").unwrap();
        create_missing(&git).unwrap();
        assert_eq!(fs::read_to_string(ws.join(".git/config")).unwrap(), "x");
    }

    #[test]
    fn a_gitfile_is_mounted_read_only_and_no_git_gets_no_mount() {
        let (_tmp, ws) = workspace();
        assert_eq!(
            plan(&ws, "/workspace", ws.join("s")).repository,
            Repository::None
        );
        assert!(plan(&ws, "/workspace", ws.join("s")).mounts.is_empty());
        fs::write(ws.join(".git"), "gitdir: /elsewhere/.git/worktrees/x\n").unwrap();
        let git = plan(&ws, "/workspace", ws.join("s"));
        assert_eq!(git.repository, Repository::Gitfile);
        assert_eq!(summary(&git), [("/workspace/.git".to_owned(), true, None)]);
    }

    #[test]
    fn symlinks_are_not_mounted_over_and_the_plan_says_so() {
        let (_tmp, ws) = workspace();
        fs::create_dir(ws.join(".git")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", ws.join(".git/config")).unwrap();
        let git = plan(&ws, "/workspace", ws.join("s"));
        assert_eq!(
            summary(&git),
            [
                ("/workspace/.git".to_owned(), false, None),
                (
                    "/workspace/.git/hooks".to_owned(),
                    true,
                    Some(Create::Directory)
                ),
            ]
        );
        assert!(git.unprotected[0].contains(".git/config is not a regular file"));
        let (_tmp2, ws2) = workspace();
        std::os::unix::fs::symlink(&ws, ws2.join(".git")).unwrap();
        let git = plan(&ws2, "/workspace", ws2.join("s"));
        assert_eq!(git.repository, Repository::Other);
        assert!(git.mounts.is_empty());
    }
}
