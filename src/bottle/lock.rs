//! One bottle name, one owner: an advisory lock per bottle, held by the `start` that launches it
//! (for the whole session when attached) and by `stop`, so two of them for one name never run
//! at once for the same user. The kernel drops the lock when its holder dies, however it dies,
//! so a crashed launch never leaves a stale lock behind.
//!
//! The lock files stay (an empty file per bottle name in the private stage root): deleting one
//! while another process waits on it would let two holders in.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};

use super::stage;

/// A held bottle lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct BottleLock {
    _file: File,
}

/// Where the lock of the bottle whose stage directory is `stage_dir` lives: beside it.
pub fn path_for(stage_dir: &Utf8Path) -> Utf8PathBuf {
    stage_dir.with_extension("lock")
}

/// Takes the lock of the bottle staged at `stage_dir`, or fails at once if another process
/// holds it.
pub fn acquire(stage_dir: &Utf8Path) -> anyhow::Result<BottleLock> {
    let path = path_for(stage_dir);
    let file = open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(BottleLock { _file: file }),
        Err(TryLockError::WouldBlock) => bail!(
            "another bot-bottle process is launching, running or stopping the bottle {:?} right now (it holds {path}); wait for it, or stop that bottle",
            stage_dir.file_name().unwrap_or_default()
        ),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking the bottle lock {path}"))
        }
    }
}

/// Waits for, then takes, the lock that serialises live changes of the allowlist of the bottle
/// staged at `stage_dir` (a second `allow` waits for the first, so neither loses the other's
/// hosts); released when the file is dropped.
pub fn wait_for_policy_changes(stage_dir: &Utf8Path) -> anyhow::Result<File> {
    let path = stage_dir.with_extension("policy-lock");
    let file = open(&path)?;
    file.lock().with_context(|| format!("locking {path}"))?;
    Ok(file)
}

/// Opens the lock file `path` (0600, created if missing; never truncated, never deleted) in
/// the private stage root, which it makes first.
fn open(path: &Utf8Path) -> anyhow::Result<File> {
    let root = path.parent().context("the lock file has no parent")?;
    stage::ensure_root(root)?;
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("opening the lock file {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let tmp = Utf8PathBuf::from_path_buf(std::env::temp_dir()).unwrap();
        let root = tmp.join(format!("bot-bottle-lock-test-{}", std::process::id()));
        let stage_dir = root.join("bottle");
        let first = acquire(&stage_dir).unwrap();
        let err = acquire(&stage_dir).unwrap_err();
        assert!(
            format!("{err:#}").contains("another bot-bottle process"),
            "{err:#}"
        );
        drop(first);
        let again = acquire(&stage_dir).unwrap();
        drop(again);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
