//! The workspace: the host directory mounted read-write in the agent, so the one host path the
//! agent can change, not only read. The manifest's `agent.workspace` is confined as the host
//! files it names are (under the manifest's own directory, or a path the user allowed): a
//! manifest from a cloned repository, or one the agent rewrote, could otherwise mount `../..`
//! or `~/.ssh`. The default, the current directory, is where the user chose to run bot-bottle
//! and needs no allowance. Whichever it is, it may not overlap the places bot-bottle and the
//! engines depend on ([`Protected`]): a workspace that held the runtime directory would hand
//! the agent the engine's socket, one that held bot-bottle's state its approvals.

use camino::{Utf8Path, Utf8PathBuf};

use super::hostpaths::HostPaths;
use super::FieldError;
use crate::manifest::Manifest;

/// What [`super::AgentPlan::workspace_allowed_by`] says of the default workspace.
pub const CURRENT_DIR: &str = "current directory";

/// A host place no workspace may overlap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub path: Utf8PathBuf,
    /// What it is and why it matters, for the refusal.
    pub what: String,
    /// Whether a workspace inside it is refused too, not only one that is it or holds it.
    /// Not for the home directory: a project under it is the usual workspace.
    pub inside_too: bool,
}

impl Protected {
    fn new(path: impl Into<Utf8PathBuf>, what: &str, inside_too: bool) -> Self {
        Protected {
            path: path.into(),
            what: what.to_owned(),
            inside_too,
        }
    }
}

/// bot-bottle's own places and the engines' sockets, as this host has them: the user's config
/// and bot-bottle's state (the approvals), the user's runtime directory (`$XDG_RUNTIME_DIR`:
/// rootless podman's and docker's sockets), the system's (`/run`, and `/var/run` which usually
/// leads there: rootful engines' sockets), the directory of a unix socket `DOCKER_HOST` or
/// `CONTAINER_HOST` names, the stage root, and the home directory (it holds `~/.ssh`,
/// the shell's startup files, which run on the host, and every other project's credentials).
pub fn protected(
    config_file: &Utf8Path,
    state_dir: &Utf8Path,
    stage_root: &Utf8Path,
    home: Option<&Utf8Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<Protected> {
    let mut places = vec![
        Protected::new(
            config_file,
            "bot-bottle's config (what you allow beyond any manifest)",
            true,
        ),
        Protected::new(
            state_dir,
            "bot-bottle's state (the manifest approvals)",
            true,
        ),
    ];
    if let Some(runtime) = env("XDG_RUNTIME_DIR").filter(|d| d.starts_with('/')) {
        places.push(Protected::new(
            runtime,
            "your runtime directory ($XDG_RUNTIME_DIR, where engine sockets live)",
            true,
        ));
    }
    for dir in ["/run", "/var/run"] {
        places.push(Protected::new(
            dir,
            "the system's runtime directory (where engine sockets live)",
            true,
        ));
    }
    for var in ["DOCKER_HOST", "CONTAINER_HOST"] {
        let socket = env(var).and_then(|url| {
            let path = Utf8PathBuf::from(url.strip_prefix("unix://")?);
            path.parent().map(Utf8Path::to_owned)
        });
        if let Some(dir) = socket.filter(|d| d.is_absolute() && d != "/") {
            places.push(Protected::new(
                dir,
                &format!("the directory of the engine socket {var} names"),
                true,
            ));
        }
    }
    // After the runtime directory, which usually holds it: the refusal names the first match.
    places.push(Protected::new(
        stage_root,
        "bot-bottle's runtime directory (the bottles' stage directories and locks)",
        true,
    ));
    if let Some(home) = home.filter(|h| h.is_absolute()) {
        places.push(Protected::new(
            home,
            "your home directory (~/.ssh, your shell's startup files and other projects' \
             credentials are there)",
            false,
        ));
    }
    places
}

/// The workspace (the manifest's `agent.workspace`, or `cwd`) with its symlinks resolved, and
/// what allows it: the manifest's directory or a user's allowance ([`HostPaths::workspace`]),
/// or [`CURRENT_DIR`]. Refused when it overlaps a `protected` place.
pub fn resolve(
    manifest: &Manifest,
    host: &HostPaths<'_>,
    cwd: &Utf8Path,
    protected: &[Protected],
) -> Result<(Utf8PathBuf, String), FieldError> {
    let (workspace, allowed_by, field) = if let Some(dir) = &manifest.agent.workspace {
        let (resolved, by) = host.workspace(dir).map_err(|m| ("agent.workspace", m))?;
        (resolved, by, "agent.workspace")
    } else {
        let field = "agent.workspace (the current directory)";
        let resolved = cwd
            .canonicalize_utf8()
            .map_err(|e| (field, format!("{cwd}: {e}")))?;
        (resolved, CURRENT_DIR.to_owned(), field)
    };
    if let Some(why) = overlap(&workspace, protected) {
        return Err((field, why));
    }
    Ok((workspace, allowed_by))
}

/// Why `workspace` (resolved) may not be mounted, if it overlaps a protected place.
fn overlap(workspace: &Utf8Path, protected: &[Protected]) -> Option<String> {
    protected.iter().find_map(|place| {
        // Compared with its symlinks resolved where it exists (`/var/run` is `/run`).
        let path = place
            .path
            .canonicalize_utf8()
            .unwrap_or_else(|_| place.path.clone());
        let how = if workspace == path {
            "is"
        } else if path.starts_with(workspace) {
            "holds"
        } else if place.inside_too && workspace.starts_with(&path) {
            "lies within"
        } else {
            return None;
        };
        Some(format!(
            "{workspace} {how} {}, {}: mounted read-write in the agent, it would be the agent's \
             to read and change; choose a workspace that does not overlap it",
            place.path, place.what
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(dir: &Utf8Path) -> Vec<Protected> {
        protected(
            &dir.join("config/bot-bottle/config.toml"),
            &dir.join("state/bot-bottle"),
            &dir.join("runtime/bot-bottle"),
            Some(&dir.join("home")),
            |var| match var {
                "XDG_RUNTIME_DIR" => Some(dir.join("runtime").to_string()),
                "DOCKER_HOST" => Some(format!("unix://{dir}/docker/docker.sock")),
                "CONTAINER_HOST" => Some("ssh://host/run/podman.sock".to_owned()),
                _ => None,
            },
        )
    }

    #[test]
    fn a_workspace_may_not_be_hold_or_lie_within_a_protected_place() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::from_path_buf(tmp.path().canonicalize().unwrap()).unwrap();
        let places = places(&dir);
        let refused = |ws: &str, how: &str| {
            let ws = dir.join(ws);
            let why = overlap(&ws, &places).unwrap_or_else(|| panic!("{ws} was not refused"));
            assert!(why.starts_with(&format!("{ws} {how} ")), "{why}");
        };
        refused("runtime", "is");
        refused("runtime/bot-bottle/b", "lies within");
        refused("runtime/podman", "lies within");
        refused("state", "holds");
        refused("state/bot-bottle/approvals", "lies within");
        refused("config", "holds");
        refused("docker", "is");
        refused("home", "is");
        refused("", "holds");
        assert_eq!(overlap(&dir.join("home/src/project"), &places), None);
        assert_eq!(overlap(&dir.join("elsewhere"), &places), None);
        let why = overlap(&dir.join("runtime/podman"), &places).unwrap();
        assert!(why.contains("$XDG_RUNTIME_DIR"), "{why}");
        assert!(
            !places
                .iter()
                .any(|p| p.path.as_str().contains("podman.sock")),
            "a remote CONTAINER_HOST names no local directory"
        );
        assert!(overlap(Utf8Path::new("/run/user/1000"), &places).is_some());
        assert!(overlap(Utf8Path::new("/run/podman"), &places).is_some());
    }
}
