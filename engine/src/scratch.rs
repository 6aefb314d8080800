//! Where short-lived private files go: the env files of [`crate::envfile`] and the copy of a
//! tar stream that podman's `cp -` spools to disk.
//!
//! Both can hold secrets (a forwarded value, the sidecar's CA key), so they go in a directory
//! only this user can enter, in memory where the host has a place for that: the user's
//! runtime directory, else `/dev/shm`, else the temp dir. They go as soon as the engine call
//! returns; only a process killed during the call leaves one behind, which [`stale`] finds.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result};

/// Names of scratch directories start with this.
pub const DIR_PREFIX: &str = "bot-bottle-scratch-";
/// Names of env files ([`crate::envfile`]) start with this.
pub const ENV_FILE_PREFIX: &str = "bot-bottle-env-";

/// A fresh directory (mode 0700, random name) that is removed with everything in it when
/// dropped.
pub fn private_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(DIR_PREFIX)
        // Created with this mode, not chmodded after: no moment when others may enter.
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(place())
        .context("creating a private scratch directory")
}

/// Where private scratch files go: the first of `$XDG_RUNTIME_DIR`, `/dev/shm` and the temp
/// dir that is a directory.
pub fn place() -> PathBuf {
    let candidates = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/dev/shm")]);
    for dir in candidates {
        if dir.is_dir() {
            return dir;
        }
    }
    std::env::temp_dir()
}

/// Scratch directories and env files of this user untouched for at least `min_age`: left by
/// a bot-bottle killed during an engine call (no call takes that long), for `gc` to remove.
pub fn stale(min_age: Duration) -> Vec<PathBuf> {
    stale_in(&place(), min_age)
}

fn stale_in(place: &Path, min_age: Duration) -> Vec<PathBuf> {
    let me = crate::process::current_uid();
    let Ok(entries) = std::fs::read_dir(place) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(meta) = entry.path().symlink_metadata() else {
                return false;
            };
            let ours = (name.starts_with(DIR_PREFIX) && meta.is_dir())
                || (name.starts_with(ENV_FILE_PREFIX) && meta.is_file());
            let old = meta
                .modified()
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= min_age);
            ours && meta.uid() == me && old
        })
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

/// Removes what [`stale`] found: a directory with everything in it, or a file.
pub fn remove(path: &Path) -> Result<()> {
    let result = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_is_private_and_goes_when_dropped() {
        let dir = private_dir().unwrap();
        let path = dir.path().to_owned();
        std::fs::write(path.join("secret"), "x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn only_old_scratch_of_ours_is_stale() {
        let place = tempfile::tempdir().unwrap();
        let make_dir = |name: &str| {
            let path = place.path().join(name);
            std::fs::create_dir(&path).unwrap();
            path
        };
        let make_file = |name: &str| {
            let path = place.path().join(name);
            std::fs::write(&path, "x").unwrap();
            path
        };
        let age = |path: &Path, seconds: u64| {
            let then = SystemTime::now() - Duration::from_secs(seconds);
            std::fs::File::open(path)
                .unwrap()
                .set_modified(then)
                .unwrap();
        };
        let old_dir = make_dir("bot-bottle-scratch-aaaaaa");
        let new_dir = make_dir("bot-bottle-scratch-bbbbbb");
        let old_env = make_file("bot-bottle-env-cccccc");
        let stage_root = make_dir("bot-bottle");
        let other = make_dir("other-scratch");
        let env_named_dir = make_dir("bot-bottle-env-dddddd");
        for path in [&old_dir, &old_env, &stage_root, &other, &env_named_dir] {
            age(path, 3600);
        }
        age(&new_dir, 10);
        let stale = stale_in(place.path(), Duration::from_secs(600));
        assert_eq!(stale, vec![old_env.clone(), old_dir.clone()]);
        for path in &stale {
            remove(path).unwrap();
        }
        assert!(!old_dir.exists() && !old_env.exists());
        assert!(new_dir.exists() && stage_root.exists() && other.exists());
        remove(&old_dir).unwrap();
    }
}
