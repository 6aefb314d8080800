//! Git control files in the workspace that the agent may have written: what cannot be kept
//! from it by mounts. The launch mounts the workspace repository's `.git` so that its config
//! and hooks cannot change (see `plan::gitmeta`); everything else git reads there stays
//! writable, because git in the bottle writes the same directories: a `.git/commondir` that
//! points git at config elsewhere, a module's config or hooks, a repository created anywhere
//! in the workspace (which the top-level index can name as a submodule, so that `git status`
//! at the top runs its config). A launch records a [`Snapshot`] of those files before the
//! agent starts, in the stage directory; the end of an attached session and `stop` walk the
//! workspace again and warn about each that appeared or changed.

pub mod config;
mod walk;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

pub use walk::MAX_ENTRIES;

/// The snapshot's file name in the stage directory.
pub const FILE: &str = "git-files.json";

/// Version of the snapshot file.
pub const SCHEMA: &str = "bot-bottle.git-files/v1";

/// The workspace's git control files at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: String,
    pub workspace: Utf8PathBuf,
    /// Path relative to the workspace → what it was (kind, size, digest).
    pub files: BTreeMap<String, String>,
    /// Whether the walk read every entry (see [`MAX_ENTRIES`]).
    pub complete: bool,
}

impl Snapshot {
    /// Walks `workspace` now.
    pub fn take(workspace: &Utf8Path) -> Self {
        let found = walk::walk(workspace.as_std_path());
        Snapshot {
            schema: SCHEMA.to_owned(),
            workspace: workspace.to_owned(),
            files: found.files,
            complete: found.complete,
        }
    }

    /// Writes it to `path` (0600), whole or not at all.
    pub fn save(&self, path: &Utf8Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self).context("serializing the git snapshot")?;
        crate::atomic_file::write(path, &json, 0o600)
            .with_context(|| format!("writing the git snapshot {path}"))
    }

    /// The snapshot at `path`, if a launch left one there that this version can read.
    pub fn load(path: &Utf8Path) -> Option<Self> {
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice::<Snapshot>(&bytes)
            .ok()
            .filter(|s| s.schema == SCHEMA)
    }

    /// What appeared or changed in the workspace since this snapshot (a file removed runs
    /// nothing and is not named), and the warning that names them, when there is any.
    pub fn warning_now(&self) -> Option<String> {
        warning(self, &Snapshot::take(&self.workspace))
    }
}

/// One control file that appeared or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub new: bool,
    /// What git does with it.
    pub what: &'static str,
    /// For a config file: the keys it sets that run programs.
    pub keys: Vec<String>,
}

/// The files of `after` that `before` did not have, or had otherwise, in path order.
pub fn changes(before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    after
        .files
        .iter()
        .filter(|(path, print)| before.files.get(*path) != Some(*print))
        .map(|(path, print)| {
            let what = what(path, print);
            let keys = if what.starts_with("config") && print.starts_with("file ") {
                std::fs::read(after.workspace.join(path))
                    .map(|bytes| config::code_running_keys(&String::from_utf8_lossy(&bytes)))
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            Change {
                path: path.clone(),
                new: !before.files.contains_key(path),
                what,
                keys,
            }
        })
        .collect()
}

/// What git does with the control file at `path` (relative), holding `print`.
fn what(path: &str, print: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parent = path
        .rsplit_once('/')
        .map_or("", |(p, _)| p.rsplit('/').next().unwrap_or(p));
    match name {
        ".git" if print == "directory" => {
            "a repository: git run in or above it (a submodule `git status` recurses into) reads its config and runs its hooks"
        }
        ".git" => "a gitfile or link: git run there uses the git directory it points at",
        "commondir" => "points git at another directory for config and hooks",
        "config" => "config git reads",
        "config.worktree" => "config git reads when extensions.worktreeConfig is set",
        "git-rebase-todo" => "a rebase's todo: `git rebase --continue` runs its exec lines",
        "hooks" => "the hooks directory",
        _ if parent == "hooks" => "a hook: git runs it",
        _ => "a git control file",
    }
}

/// The warning for `after` against `before`, when anything appeared or changed, or the walk
/// was cut short.
pub fn warning(before: &Snapshot, after: &Snapshot) -> Option<String> {
    let changes = changes(before, after);
    let complete = before.complete && after.complete;
    if changes.is_empty() && complete {
        return None;
    }
    let mut out = String::new();
    if !changes.is_empty() {
        let _ = writeln!(
            out,
            "warning: git files in the workspace {} appeared or changed while the bottle ran; git run there on this host \
             may run what the agent wrote. Read them before you run git in the workspace:",
            after.workspace
        );
        for change in &changes {
            let state = if change.new { "new" } else { "changed" };
            let _ = write!(out, "  {} ({state}): {}", change.path, change.what);
            if !change.keys.is_empty() {
                let _ = write!(out, "; it sets {}", change.keys.join(", "));
            }
            out.push('\n');
        }
    }
    if !complete {
        let _ = writeln!(
            out,
            "warning: the workspace {} has more than {MAX_ENTRIES} entries; only the first {MAX_ENTRIES} were checked for git files",
            after.workspace
        );
    }
    Some(out.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(files: &[(&str, &str)], workspace: &Utf8Path) -> Snapshot {
        Snapshot {
            schema: SCHEMA.to_owned(),
            workspace: workspace.to_owned(),
            files: files
                .iter()
                .map(|(p, f)| ((*p).to_owned(), (*f).to_owned()))
                .collect(),
            complete: true,
        }
    }

    #[test]
    fn names_what_appeared_or_changed_and_not_what_went() {
        let ws = Utf8Path::new("/nonexistent-ws");
        let before = snapshot(
            &[
                (".git", "directory"),
                (".git/config", "file 1 a"),
                (".git/hooks", "directory"),
                (".git/hooks/gone", "file 1 b"),
            ],
            ws,
        );
        let after = snapshot(
            &[
                (".git", "directory"),
                (".git/config", "file 1 a"),
                (".git/commondir", "file 9 c"),
                (".git/hooks", "directory"),
                (".git/modules/m/hooks/pre-commit", "file 1 d"),
                ("sub/.git", "directory"),
                ("wt/.git", "file 3 e"),
                ("x/.git/config", "file 1 f"),
            ],
            ws,
        );
        let changes = changes(&before, &after);
        let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ".git/commondir",
                ".git/modules/m/hooks/pre-commit",
                "sub/.git",
                "wt/.git",
                "x/.git/config"
            ]
        );
        assert_eq!(changes[1].what, "a hook: git runs it");
        assert!(changes[2].what.starts_with("a repository"));
        assert!(changes[3].what.starts_with("a gitfile"));
        let text = warning(&before, &after).unwrap();
        assert!(text.contains("  .git/commondir (new): points git at another directory"));
        assert!(warning(&before, &before).is_none());
    }

    #[test]
    fn a_changed_config_names_its_code_running_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = Utf8Path::from_path(tmp.path()).unwrap();
        std::fs::create_dir_all(ws.join("sub/.git")).unwrap();
        std::fs::write(ws.join("sub/.git/config"), "[core]\n\tbare = false\n").unwrap();
        let before = Snapshot::take(ws);
        std::fs::write(
            ws.join("sub/.git/config"),
            "[core]\n\tbare = false\n\tfsmonitor = \"touch x\"\n",
        )
        .unwrap();
        let text = before.warning_now().unwrap();
        assert!(
            text.contains("  sub/.git/config (changed): config git reads; it sets core.fsmonitor"),
            "{text}"
        );
    }

    #[test]
    fn an_incomplete_walk_says_so() {
        let ws = Utf8Path::new("/nonexistent-ws");
        let before = snapshot(&[], ws);
        let mut after = before.clone();
        after.complete = false;
        assert!(warning(&before, &after)
            .unwrap()
            .contains("only the first 200000 were checked"));
    }

    #[test]
    fn saved_and_loaded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(tmp.path()).unwrap();
        let snap = snapshot(&[(".git", "directory")], dir);
        snap.save(&dir.join(FILE)).unwrap();
        assert_eq!(Snapshot::load(&dir.join(FILE)), Some(snap));
        assert_eq!(Snapshot::load(&dir.join("missing.json")), None);
    }
}
