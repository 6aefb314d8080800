//! The walk that finds the workspace's git control files: every `.git` (directory, gitfile or
//! symlink) at any depth, and in each `.git` directory the files through which git runs code
//! or reads config from elsewhere. Symlinks are recorded, never followed; the insides of a
//! `.git` directory are not walked beyond those files (objects, refs and logs run nothing).
//! Nothing else is skipped by name: a repository hidden under `node_modules` or `target` runs
//! its hooks as well as any other once the top-level index names it as a submodule (git
//! recurses into submodules on `git status`), so skipping a directory would be the place to
//! hide one. The walk is bounded by [`MAX_ENTRIES`] instead.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// How many directory entries one walk reads at most: a few hundred milliseconds on a warm
/// cache. A workspace with more is walked in part, and the warning says so.
pub const MAX_ENTRIES: usize = 200_000;

/// How much of one file goes into its fingerprint (hooks and configs are far smaller).
const MAX_READ: u64 = 1 << 20;

/// How deep `.git/modules` is walked: module names may hold slashes, and modules nest.
const MAX_MODULE_DEPTH: usize = 8;

/// The files of a `.git` directory (and of each module's and linked worktree's git dir) that
/// git reads as config or runs, or that point it elsewhere for them.
const CONTROL_FILES: &[&str] = &[
    "config",
    "commondir",
    "config.worktree",
    "rebase-merge/git-rebase-todo",
];

/// The control files found: path relative to the workspace → fingerprint; and whether the
/// walk saw every entry.
pub struct Found {
    pub files: BTreeMap<String, String>,
    pub complete: bool,
}

struct Walk {
    files: BTreeMap<String, String>,
    entries: usize,
}

impl Walk {
    /// Counts an entry read; `false` once the bound is reached.
    fn count(&mut self) -> bool {
        self.entries += 1;
        self.entries <= MAX_ENTRIES
    }

    fn record(&mut self, rel: &str, path: &Path) {
        if let Some(print) = fingerprint(path) {
            self.files.insert(rel.to_owned(), print);
        }
    }

    /// The workspace tree below `dir` (`rel` from the workspace, `""` for the root).
    fn tree(&mut self, dir: &Path, rel: &str) -> bool {
        let mut stack = vec![(dir.to_owned(), rel.to_owned())];
        while let Some((dir, rel)) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if !self.count() {
                    return false;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let child_rel = join(&rel, &name);
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if name == ".git" {
                    self.record(&child_rel, &entry.path());
                    if kind.is_dir() && !self.git_dir(&entry.path(), &child_rel, 0) {
                        return false;
                    }
                } else if kind.is_dir() {
                    stack.push((entry.path(), child_rel));
                }
            }
        }
        true
    }

    /// A git directory's control files, its hooks, its linked worktrees' and its modules'.
    fn git_dir(&mut self, dir: &Path, rel: &str, depth: usize) -> bool {
        for file in CONTROL_FILES {
            self.record(&join(rel, file), &dir.join(file));
        }
        let hooks = dir.join("hooks");
        let hooks_rel = join(rel, "hooks");
        self.record(&hooks_rel, &hooks);
        if let Ok(entries) = fs::read_dir(&hooks) {
            for entry in entries.flatten() {
                if !self.count() {
                    return false;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                self.record(&join(&hooks_rel, &name), &entry.path());
            }
        }
        if let Ok(entries) = fs::read_dir(dir.join("worktrees")) {
            for entry in entries.flatten() {
                if !self.count() {
                    return false;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let worktree = join(&join(rel, "worktrees"), &name);
                for file in ["commondir", "config.worktree"] {
                    self.record(&join(&worktree, file), &entry.path().join(file));
                }
            }
        }
        self.modules(&dir.join("modules"), &join(rel, "modules"), depth)
    }

    /// `.git/modules`: each directory that holds a `HEAD` is a module's git directory;
    /// another is a part of a module's name, walked further.
    fn modules(&mut self, dir: &Path, rel: &str, depth: usize) -> bool {
        if depth >= MAX_MODULE_DEPTH {
            return true;
        }
        let Ok(entries) = fs::read_dir(dir) else {
            return true;
        };
        for entry in entries.flatten() {
            if !self.count() {
                return false;
            }
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let child = join(rel, &name);
            let walked = if path.join("HEAD").exists() {
                self.git_dir(&path, &child, depth + 1)
            } else {
                self.modules(&path, &child, depth + 1)
            };
            if !walked {
                return false;
            }
        }
        true
    }
}

/// Walks `workspace` (see the module's doc).
pub fn walk(workspace: &Path) -> Found {
    let mut walk = Walk {
        files: BTreeMap::new(),
        entries: 0,
    };
    let complete = walk.tree(workspace, "");
    Found {
        files: walk.files,
        complete,
    }
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_owned()
    } else {
        format!("{rel}/{name}")
    }
}

/// What `path` is, enough to tell a change: `directory`, `symlink -> TARGET`, `file SIZE
/// sha256:HEX` (of its first [`MAX_READ`] bytes), `unreadable file`, `other`; `None` when
/// nothing is there.
fn fingerprint(path: &Path) -> Option<String> {
    let meta = fs::symlink_metadata(path).ok()?;
    let kind = meta.file_type();
    Some(if kind.is_symlink() {
        let target = fs::read_link(path).unwrap_or_else(|_| PathBuf::from("?"));
        format!("symlink -> {}", target.to_string_lossy())
    } else if kind.is_dir() {
        "directory".to_owned()
    } else if kind.is_file() {
        let mut bytes = Vec::new();
        match fs::File::open(path).and_then(|f| f.take(MAX_READ).read_to_end(&mut bytes)) {
            Ok(_) => format!("file {} {}", meta.len(), crate::ca::sha256_of(&bytes)),
            Err(_) => "unreadable file".to_owned(),
        }
    } else {
        "other".to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn finds_every_git_and_only_its_control_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, ".git/config", "[core]\n");
        write(root, ".git/HEAD", "ref: refs/heads/main\n");
        write(root, ".git/objects/ab/cdef", "blob");
        write(root, ".git/hooks/pre-commit", "#!/bin/sh\n");
        write(root, ".git/modules/lib/a/HEAD", "x");
        write(root, ".git/modules/lib/a/config", "[core]\n");
        write(
            root,
            ".git/modules/lib/a/hooks/post-checkout",
            "#!/bin/sh\n",
        );
        write(root, ".git/worktrees/w/commondir", "../..\n");
        write(root, "src/main.rs", "fn main() {}\n");
        write(
            root,
            "node_modules/pkg/.git",
            "gitdir: ../../.git/modules/pkg\n",
        );
        write(root, "deep/er/sub/.git/config", "[core]\n");
        std::os::unix::fs::symlink("/elsewhere", root.join("deep/.git")).unwrap();
        let found = walk(root);
        assert!(found.complete);
        let paths: Vec<&str> = found.files.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                ".git",
                ".git/config",
                ".git/hooks",
                ".git/hooks/pre-commit",
                ".git/modules/lib/a/config",
                ".git/modules/lib/a/hooks",
                ".git/modules/lib/a/hooks/post-checkout",
                ".git/worktrees/w/commondir",
                "deep/.git",
                "deep/er/sub/.git",
                "deep/er/sub/.git/config",
                "node_modules/pkg/.git",
            ]
        );
        assert_eq!(found.files["deep/.git"], "symlink -> /elsewhere");
        assert_eq!(found.files[".git"], "directory");
        assert!(found.files[".git/config"].starts_with("file 7 sha256:"));
    }

    #[test]
    fn a_changed_file_changes_its_fingerprint() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), ".git/config", "[core]\n");
        let before = walk(tmp.path()).files;
        write(tmp.path(), ".git/config", "[core]\n\tfsmonitor = x\n");
        let after = walk(tmp.path()).files;
        assert_ne!(before[".git/config"], after[".git/config"]);
    }
}
