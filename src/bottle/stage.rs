//! The bottle's stage directory: a private (0700) directory holding the rendered pipelock
//! config and the CA's public cert while the bottle exists. The CA's private key never lands
//! here: it goes from memory straight into the sidecar as a tar stream.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};

use anyhow::{bail, Context as _};
use camino::Utf8Path;

/// Overrides where stage directories and bottle locks go.
pub const RUNTIME_DIR_ENV: &str = "BOT_BOTTLE_RUNTIME_DIR";

/// Where stage directories go: `$BOT_BOTTLE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/bot-bottle`
/// (private to the user, on tmpfs), else a per-user directory in the temp dir.
pub fn root() -> anyhow::Result<camino::Utf8PathBuf> {
    if let Some(dir) = std::env::var(RUNTIME_DIR_ENV)
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Ok(camino::Utf8PathBuf::from(dir));
    }
    if let Some(runtime) = std::env::var("XDG_RUNTIME_DIR")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Ok(camino::Utf8PathBuf::from(runtime).join("bot-bottle"));
    }
    let tmp = camino::Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|p| anyhow::anyhow!("the temp dir {} is not UTF-8", p.display()))?;
    Ok(tmp.join(format!("bot-bottle-{}", engine::process::current_uid())))
}

/// Creates the per-user stage root `root` (0700) if needed, and checks that it is ours and not
/// writable by others: it may live in a shared temp directory.
pub fn ensure_root(root: &Utf8Path) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(root)
        .with_context(|| format!("creating {root}"))?;
    let meta = fs::symlink_metadata(root).with_context(|| format!("reading {root}"))?;
    let uid = engine::process::current_uid();
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o022 != 0 {
        bail!("{root} must be a directory owned by uid {uid} and writable only by it; remove it or set XDG_RUNTIME_DIR");
    }
    Ok(())
}

/// Creates `dir` (and its parent, the per-user stage root) with mode 0700. The caller holds
/// the bottle's lock ([`super::lock`]), so an existing `dir` is a crashed launch's leftover.
pub fn create(dir: &Utf8Path) -> anyhow::Result<()> {
    ensure_root(dir.parent().context("the stage directory has no parent")?)?;
    // A leftover from a crashed launch of the same bottle: ours, and stale.
    if dir.exists() {
        fs::remove_dir_all(dir)
            .with_context(|| format!("removing the stale stage directory {dir}"))?;
    }
    fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {dir}"))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("setting the mode of {dir}"))?;
    Ok(())
}

/// Writes `contents` to a new file `dir/name` with `mode`.
pub fn write(dir: &Utf8Path, name: &str, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let path = dir.join(name);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)
        .with_context(|| format!("creating {path}"))?;
    file.write_all(contents)
        .with_context(|| format!("writing {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_private_dirs_and_files() {
        let tmp = camino::Utf8PathBuf::from_path_buf(std::env::temp_dir()).unwrap();
        let base = tmp.join(format!("bot-bottle-stage-test-{}", std::process::id()));
        let dir = base.join("root").join("bottle");
        create(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(
            fs::metadata(dir.parent().unwrap()).unwrap().mode() & 0o777,
            0o700
        );
        write(&dir, "f", b"x", 0o600).unwrap();
        assert_eq!(fs::metadata(dir.join("f")).unwrap().mode() & 0o777, 0o600);
        // A second launch replaces the stale directory.
        create(&dir).unwrap();
        assert!(!dir.join("f").exists());
        fs::remove_dir_all(&base).unwrap();
    }
}
