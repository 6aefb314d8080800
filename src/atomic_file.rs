//! Files written whole or not at all: a new file beside the target, renamed over it.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;

use camino::Utf8Path;

/// Writes `bytes` to `path` with `mode` (less the umask), replacing what is there: a symlink is
/// replaced, never followed, and the old file's mode never carries over. The new file is made
/// beside `path` with `O_EXCL` under a random name, synced, then renamed over `path`; on any
/// error it is removed and `path` is left as it was.
pub fn write(path: &Utf8Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Utf8Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{}.", path.file_name().unwrap_or("file")))
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt as _;

    use camino::Utf8PathBuf;

    #[test]
    fn replaces_a_symlink_and_leaves_nothing_beside() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let target = dir.join("elsewhere");
        std::fs::write(&target, "keep me").unwrap();
        let path = dir.join("file");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        super::write(&path, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::symlink_metadata(&path).unwrap().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        let err = super::write(&dir.join("no/such/file"), b"x", 0o600).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
