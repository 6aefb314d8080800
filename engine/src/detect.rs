//! Engine selection: an explicit choice (`--engine` or `BOT_BOTTLE_ENGINE`) first, otherwise
//! podman then docker on PATH; the binary's real identity is probed, since a `docker` on PATH
//! may be podman.

use std::fmt;

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::docker::DockerEngine;
use crate::interface::{Engine, EngineKind};
use crate::podman::PodmanEngine;
use crate::process::Command;

/// The environment variable naming the engine (a name on PATH or a path).
pub const ENGINE_ENV: &str = "BOT_BOTTLE_ENGINE";

/// The names looked up on PATH when no engine is chosen, in order.
pub const SEARCH_ORDER: [EngineKind; 2] = [EngineKind::Podman, EngineKind::Docker];

/// No engine could be found; says what was looked for. Downcast an `anyhow::Error` to this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoEngineFound {
    /// What was looked for, e.g. `podman on PATH`.
    pub looked_for: Vec<String>,
}

impl fmt::Display for NoEngineFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no container engine found: looked for {}; install podman or docker, or name one \
             with --engine or {ENGINE_ENV}",
            self.looked_for.join(", ")
        )
    }
}

impl std::error::Error for NoEngineFound {}

/// An engine binary found and identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// What the binary says it is.
    pub kind: EngineKind,
    /// Where it is.
    pub program: Utf8PathBuf,
}

/// The engine choice from [`ENGINE_ENV`], if set and not empty.
pub fn choice_from_env() -> Option<String> {
    std::env::var(ENGINE_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// What [`probe`] looks for given `choice`, for messages.
pub fn looked_for(choice: Option<&str>) -> Vec<String> {
    match choice {
        Some(path) if path.contains('/') => vec![format!("{path} (the chosen engine)")],
        Some(name) => vec![format!("{name} on PATH (the chosen engine)")],
        None => SEARCH_ORDER
            .iter()
            .map(|kind| format!("{kind} on PATH"))
            .collect(),
    }
}

/// Finds and identifies the engine without failing when there is none: `Ok(None)` means
/// nothing was found where [`looked_for`] says. A binary that is found but is neither docker
/// nor podman is an error.
pub fn probe(choice: Option<&str>, verbose: bool) -> Result<Option<Detected>> {
    let candidates: Vec<Utf8PathBuf> = match choice {
        Some(path) if path.contains('/') => {
            let path = Utf8PathBuf::from(path);
            if path.is_file() {
                vec![path]
            } else {
                Vec::new()
            }
        }
        Some(name) => find_on_path(name)?.into_iter().collect(),
        None => {
            let mut found = Vec::new();
            for kind in SEARCH_ORDER {
                found.extend(find_on_path(kind.name())?);
            }
            found
        }
    };
    let Some(program) = candidates.into_iter().next() else {
        return Ok(None);
    };
    let kind = identify(&program, verbose)?;
    Ok(Some(Detected { kind, program }))
}

/// The chosen engine cannot be used: the binary named is neither docker nor podman, or could
/// not be asked. The user's choice is wrong, not the machine: the CLI maps this to its usage
/// exit code. Downcast an `anyhow::Error` to this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusableEngine(pub String);

impl fmt::Display for UnusableEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnusableEngine {}

/// An engine found and identified, with its driver.
pub struct Found {
    pub engine: Box<dyn Engine>,
    pub detected: Detected,
    /// Whether it runs rootless: podman does exactly when its caller is not root; for docker
    /// only the daemon knows (`None`).
    pub rootless: Option<bool>,
}

/// Finds the engine for `choice` (see [`probe`]) without running it: what a plan needs is
/// known from the binary and this process. `None` when there is none; [`UnusableEngine`] when
/// the binary found is no engine.
pub fn find(choice: Option<&str>, verbose: bool) -> Result<Option<Found>> {
    let probed = probe(choice, verbose).map_err(|e| UnusableEngine(format!("{e:#}")))?;
    let Some(detected) = probed else {
        return Ok(None);
    };
    let rootless = match detected.kind {
        EngineKind::Podman => Some(crate::process::current_uid() != 0),
        EngineKind::Docker => None,
    };
    Ok(Some(Found {
        engine: engine_for(&detected, verbose),
        detected,
        rootless,
    }))
}

/// The engine for a command that needs one; [`NoEngineFound`] when there is none.
pub fn select_engine(choice: Option<&str>, verbose: bool) -> Result<Box<dyn Engine>> {
    match find(choice, verbose)? {
        Some(found) => Ok(found.engine),
        None => Err(NoEngineFound {
            looked_for: looked_for(choice),
        }
        .into()),
    }
}

/// The driver for an identified binary.
pub fn engine_for(found: &Detected, verbose: bool) -> Box<dyn Engine> {
    match found.kind {
        EngineKind::Docker => Box::new(DockerEngine::new(found.program.clone(), verbose)),
        EngineKind::Podman => Box::new(PodmanEngine::new(found.program.clone(), verbose)),
    }
}

fn find_on_path(name: &str) -> Result<Option<Utf8PathBuf>> {
    match which::which(name) {
        Ok(path) => Utf8PathBuf::from_path_buf(path)
            .map(Some)
            .map_err(|p| anyhow::anyhow!("engine path {} is not UTF-8", p.display())),
        Err(_) => Ok(None),
    }
}

/// Who `program` really is: told by the binary itself when it is a native executable named
/// `docker` or `podman` (symlinks resolved), otherwise asked with `--version`. Asking costs a
/// process, which a dry run cannot afford.
pub fn identify(program: &Utf8Path, verbose: bool) -> Result<EngineKind> {
    if let Some(kind) = kind_from_binary(program) {
        return Ok(kind);
    }
    identify_by_version(program, verbose)
}

/// The kind a native executable's real name says. `None` for anything else, so a wrapper
/// script (podman-docker's `docker` is one) or a renamed binary is asked instead.
fn kind_from_binary(program: &Utf8Path) -> Option<EngineKind> {
    let real = std::fs::canonicalize(program).ok()?;
    let kind = match real.file_name()?.to_str()? {
        "docker" => EngineKind::Docker,
        "podman" => EngineKind::Podman,
        _ => return None,
    };
    let mut magic = [0u8; 4];
    std::io::Read::read_exact(&mut std::fs::File::open(&real).ok()?, &mut magic).ok()?;
    (magic == *b"\x7fELF").then_some(kind)
}

/// Runs `program --version` and reads who it really is.
fn identify_by_version(program: &Utf8Path, verbose: bool) -> Result<EngineKind> {
    let out = Command::new(program.as_str())
        .args(["--version"])
        .verbose(verbose)
        .run()
        .with_context(|| format!("asking {program} for its version"))?;
    let banner = out.stdout_text();
    match kind_from_banner(&banner) {
        Some(kind) => Ok(kind),
        None => bail!(
            "{program} is neither docker nor podman: `--version` said {:?}",
            banner.trim()
        ),
    }
}

/// Reads `podman version 4.3.1` or `Docker version 20.10.24, build …`.
pub fn kind_from_banner(banner: &str) -> Option<EngineKind> {
    let first = banner.trim_start().to_ascii_lowercase();
    if first.starts_with("podman version") {
        Some(EngineKind::Podman)
    } else if first.starts_with("docker version") {
        Some(EngineKind::Docker)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        assert_eq!(
            kind_from_banner("podman version 4.3.1\n"),
            Some(EngineKind::Podman)
        );
        assert_eq!(
            kind_from_banner("Docker version 20.10.24+dfsg1, build 297e128\n"),
            Some(EngineKind::Docker)
        );
        assert_eq!(kind_from_banner("nerdctl version 1.7"), None);
    }

    #[test]
    fn missing_choice_is_none_and_error_lists_it() {
        let choice = Some("/nonexistent/bb/podman");
        assert_eq!(probe(choice, false).unwrap(), None);
        let err = select_engine(choice, false).err().unwrap();
        let typed = err.downcast_ref::<NoEngineFound>().unwrap();
        assert_eq!(
            typed.looked_for,
            ["/nonexistent/bb/podman (the chosen engine)"]
        );
        assert!(err.to_string().contains("BOT_BOTTLE_ENGINE"));
        assert_eq!(probe(Some("bb-no-such-engine"), false).unwrap(), None);
    }

    #[test]
    fn default_search_names_both() {
        assert_eq!(looked_for(None), ["podman on PATH", "docker on PATH"]);
    }

    #[test]
    fn only_a_native_binary_is_taken_at_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| Utf8PathBuf::from_path_buf(dir.path().join(name)).unwrap();
        std::fs::copy("/bin/true", path("podman")).unwrap();
        std::fs::write(path("docker"), "#!/bin/sh\nexec podman \"$@\"\n").unwrap();
        std::os::unix::fs::symlink(path("podman"), path("engine")).unwrap();
        assert_eq!(kind_from_binary(&path("podman")), Some(EngineKind::Podman));
        assert_eq!(kind_from_binary(&path("engine")), Some(EngineKind::Podman));
        assert_eq!(kind_from_binary(&path("docker")), None, "a script is asked");
        assert_eq!(kind_from_binary(Utf8Path::new("/bin/true")), None);
    }

    #[test]
    fn a_binary_that_is_no_engine_is_an_error() {
        let err = probe(Some("/bin/true"), false).unwrap_err();
        assert!(find(Some("/bin/true"), false)
            .err()
            .unwrap()
            .is::<UnusableEngine>());
        assert!(
            format!("{err:#}").contains("neither docker nor podman"),
            "{err:#}"
        );
    }
}
