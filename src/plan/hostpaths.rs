//! The host files and directories a manifest names (prompt, skills, SSH files, tokens), resolved
//! and confined: each must lead, once every symlink is followed, to a place under the manifest's
//! own directory, or to one the user allowed in their own config or on the command line. A
//! manifest may come from a cloned repository or have been rewritten by the agent, and a path
//! such as `notes.md -> ../../.aws/credentials` would otherwise carry a host secret in.

use std::cell::RefCell;

use camino::{Utf8Path, Utf8PathBuf};

use super::paths::absolute;
use super::{Destination, HostFile, HostSource};
use crate::hostfile::{self, Cap};
use crate::userconfig::AllowedPath;

/// What [`HostFile::allowed_by`] says for a path under the manifest's directory.
pub const IN_MANIFEST_DIR: &str = "manifest directory";

/// Resolves the manifest's host paths and records each one for the plan.
pub struct HostPaths<'a> {
    /// The manifest's directory as the user named it (absolute): relative paths start here.
    base: Utf8PathBuf,
    /// The same directory with its symlinks resolved: what a path must lead under.
    root: Utf8PathBuf,
    allowed: &'a [AllowedPath],
    /// The user's config file, named in the error that says how to allow a path.
    config_file: &'a Utf8Path,
    found: RefCell<Vec<HostFile>>,
}

/// What a manifest does with a path it names, for the refusal.
#[derive(Clone, Copy)]
enum Named {
    /// Reads it (a file, or a directory of skills).
    Read,
    /// Mounts it read-write as the workspace.
    Workspace,
}

#[derive(Clone, Copy)]
enum Kind {
    /// A regular file, of at most this many bytes.
    File(Cap),
    Dir,
}

impl<'a> HostPaths<'a> {
    pub fn new(
        base: Utf8PathBuf,
        allowed: &'a [AllowedPath],
        config_file: &'a Utf8Path,
    ) -> Result<Self, String> {
        let root = base
            .canonicalize_utf8()
            .map_err(|e| format!("the manifest's directory {base}: {e}"))?;
        Ok(HostPaths {
            base,
            root,
            allowed,
            config_file,
            found: RefCell::new(Vec::new()),
        })
    }

    /// The regular file the manifest's `field` names as `declared`, of `cap`'s kind, to be
    /// copied to `to`: opened without following a symlink or waiting on a FIFO, to check it is
    /// a regular file within the cap ([`hostfile::open`]); the launch reads it the same way.
    pub fn file(
        &self,
        field: &str,
        declared: &Utf8Path,
        cap: Cap,
        to: Destination,
    ) -> Result<HostSource, String> {
        let path = self.resolve(field, declared, Kind::File(cap), to)?;
        Ok(HostSource { path, cap })
    }

    /// The directory the manifest's `field` names as `declared`, to be copied to `to`.
    pub fn dir(
        &self,
        field: &str,
        declared: &Utf8Path,
        to: Destination,
    ) -> Result<Utf8PathBuf, String> {
        self.resolve(field, declared, Kind::Dir, to)
    }

    /// The directory the manifest's `agent.workspace` names as `declared`, resolved, and what
    /// allows it (as for a host file, but mounted read-write rather than read). Not listed with
    /// the host files: the plan shows it as the agent's workspace.
    pub fn workspace(&self, declared: &Utf8Path) -> Result<(Utf8PathBuf, String), String> {
        let full = absolute(&self.base, declared);
        let resolved = full
            .canonicalize_utf8()
            .map_err(|e| format!("{declared:?} (resolved to {full}): {e}"))?;
        let allowed_by = self.allowed_by(declared, &resolved, Named::Workspace)?;
        if !resolved.is_dir() {
            return Err(format!(
                "{declared:?} (resolved to {resolved}) is not a directory"
            ));
        }
        Ok((resolved, allowed_by))
    }

    /// Every path resolved so far, in order.
    pub fn into_found(self) -> Vec<HostFile> {
        self.found.into_inner()
    }

    fn resolve(
        &self,
        field: &str,
        declared: &Utf8Path,
        kind: Kind,
        destination: Destination,
    ) -> Result<Utf8PathBuf, String> {
        let full = absolute(&self.base, declared);
        let resolved = full
            .canonicalize_utf8()
            .map_err(|e| format!("{declared:?} (resolved to {full}): {e}"))?;
        let allowed_by = self.allowed_by(declared, &resolved, Named::Read)?;
        match kind {
            Kind::File(cap) => {
                hostfile::open(&resolved, cap)
                    .map_err(|e| format!("{declared:?} (resolved to {resolved}): {e}"))?;
            }
            Kind::Dir => {
                let meta = std::fs::metadata(&resolved)
                    .map_err(|e| format!("{declared:?} (resolved to {resolved}): {e}"))?;
                if !meta.is_dir() {
                    return Err(format!(
                        "{declared:?} (resolved to {resolved}) is not a directory"
                    ));
                }
            }
        }
        let mut found = self.found.borrow_mut();
        if !found
            .iter()
            .any(|f| f.field == field && f.resolved == resolved && f.destination == destination)
        {
            found.push(HostFile {
                field: field.to_owned(),
                declared: declared.to_owned(),
                resolved: resolved.clone(),
                allowed_by,
                destination,
            });
        }
        Ok(resolved)
    }

    /// What allows `resolved` (what `declared` leads to): the manifest's directory, or the
    /// user's allowance that covers it; an error saying how to allow it when nothing does.
    fn allowed_by(
        &self,
        declared: &Utf8Path,
        resolved: &Utf8Path,
        named: Named,
    ) -> Result<String, String> {
        let allowed_by = if resolved.starts_with(&self.root) {
            IN_MANIFEST_DIR.to_owned()
        } else if let Some(allowed) = self.allowed.iter().find(|a| resolved.starts_with(&a.path)) {
            allowed.by.clone()
        } else {
            let (may, this) = match named {
                Named::Read => ("may name only files under its own directory", "this file is yours to share"),
                Named::Workspace => (
                    "may mount as the workspace (read-write, the agent's to change) only a directory \
                     under its own",
                    "the agent may have this directory",
                ),
            };
            return Err(format!(
                "{declared:?} resolves to {resolved}, outside the manifest's directory {}: a manifest \
                 {may}, since a repository or the agent may have written it; if {this}, allow it in {} \
                 (allow_paths = [{:?}]) or with --allow-path {resolved}",
                self.root, self.config_file, resolved.as_str()
            ));
        };
        Ok(allowed_by)
    }
}
