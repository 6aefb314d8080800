//! Where short-lived private files go: the env files of [`crate::envfile`] and the copy of a
//! tar stream that podman's `cp -` spools to disk.
//!
//! Both can hold secrets (a forwarded value, the sidecar's CA key), so they go in a directory
//! only this user can enter, in memory where the host has a place for that: the user's
//! runtime directory, else `/dev/shm`, else the temp dir.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};

/// A fresh directory (mode 0700, random name) that is removed with everything in it when
/// dropped.
pub fn private_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("bot-bottle-")
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
}
