//! An in-memory tar builder for [`crate::Engine::copy_tar_into`]: every entry states its path,
//! mode and owner, so what lands in the container does not depend on the host's files.

use anyhow::{Context, Result};

/// The numeric owner of an entry inside the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// User id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
}

impl Owner {
    /// `root:root`.
    pub const ROOT: Owner = Owner { uid: 0, gid: 0 };

    /// `uid:gid`.
    pub fn new(uid: u64, gid: u64) -> Self {
        Self { uid, gid }
    }
}

/// A tar archive being written to memory.
pub struct Tarball {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for Tarball {
    fn default() -> Self {
        Self::new()
    }
}

impl Tarball {
    /// An empty archive.
    pub fn new() -> Self {
        Self {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    /// Adds a directory at `path` (relative, e.g. `etc/pipelock`).
    pub fn dir(&mut self, path: &str, mode: u32, owner: Owner) -> Result<&mut Self> {
        let mut header = header(tar::EntryType::Directory, mode, owner, 0);
        self.builder
            .append_data(&mut header, path, std::io::empty())
            .with_context(|| format!("adding directory {path} to a tar"))?;
        Ok(self)
    }

    /// Adds a regular file at `path` (relative) holding `contents`.
    pub fn file(
        &mut self,
        path: &str,
        contents: &[u8],
        mode: u32,
        owner: Owner,
    ) -> Result<&mut Self> {
        let size = u64::try_from(contents.len()).context("file too large")?;
        let mut header = header(tar::EntryType::Regular, mode, owner, size);
        self.builder
            .append_data(&mut header, path, contents)
            .with_context(|| format!("adding file {path} to a tar"))?;
        Ok(self)
    }

    /// Finishes the archive and returns its bytes.
    pub fn finish(self) -> Result<Vec<u8>> {
        self.builder.into_inner().context("finishing a tar")
    }
}

/// The contents of the one regular file in the tar stream `tar` (what `cp CONTAINER:FILE -`
/// prints), refusing more than `limit` bytes, any other kind of entry, or a second file.
pub fn single_file(tar: &[u8], limit: u64) -> Result<Vec<u8>> {
    let mut archive = tar::Archive::new(tar);
    let mut found = None;
    for entry in archive.entries().context("reading a tar")? {
        let entry = entry.context("reading a tar entry")?;
        let kind = entry.header().entry_type();
        anyhow::ensure!(
            kind == tar::EntryType::Regular && found.is_none(),
            "expected one regular file, found a {kind:?} entry {}",
            entry
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        let size = entry.size();
        anyhow::ensure!(
            size <= limit,
            "the file holds {size} bytes, more than {limit}"
        );
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        std::io::Read::read_to_end(&mut std::io::Read::take(entry, limit), &mut bytes)
            .context("reading a file from a tar")?;
        found = Some(bytes);
    }
    found.context("the tar stream holds no file")
}

fn header(kind: tar::EntryType, mode: u32, owner: Owner, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(owner.uid);
    header.set_gid(owner.gid);
    header.set_size(size);
    // A fixed time keeps the archive reproducible.
    header.set_mtime(0);
    header
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn one_file_comes_out_of_a_tar() {
        let mut one = Tarball::new();
        one.file("pipelock.yaml", b"{}\n", 0o644, Owner::ROOT)
            .unwrap();
        let one = one.finish().unwrap();
        assert_eq!(single_file(&one, 3).unwrap(), b"{}\n");
        let err = single_file(&one, 2).unwrap_err();
        assert!(format!("{err:#}").contains("more than 2"), "{err:#}");

        let mut two = Tarball::new();
        two.file("a", b"1", 0o644, Owner::ROOT)
            .unwrap()
            .file("b", b"2", 0o644, Owner::ROOT)
            .unwrap();
        assert!(single_file(&two.finish().unwrap(), 10).is_err());
        let mut dir = Tarball::new();
        dir.dir("etc", 0o755, Owner::ROOT).unwrap();
        assert!(single_file(&dir.finish().unwrap(), 10).is_err());
        assert!(single_file(&Tarball::new().finish().unwrap(), 10).is_err());
    }

    #[test]
    fn entries_keep_path_mode_and_owner() {
        let mut tar = Tarball::new();
        tar.dir("etc/pipelock", 0o750, Owner::new(1000, 1001))
            .unwrap()
            .file(
                "etc/pipelock/config.yaml",
                b"mode: strict\n",
                0o640,
                Owner::ROOT,
            )
            .unwrap();
        let bytes = tar.finish().unwrap();

        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let h = entry.header().clone();
            let mut body = String::new();
            entry.read_to_string(&mut body).unwrap();
            seen.push((
                entry.path().unwrap().to_string_lossy().into_owned(),
                h.entry_type(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                body,
            ));
        }
        assert_eq!(
            seen,
            [
                (
                    "etc/pipelock".into(),
                    tar::EntryType::Directory,
                    0o750,
                    1000,
                    1001,
                    String::new()
                ),
                (
                    "etc/pipelock/config.yaml".into(),
                    tar::EntryType::Regular,
                    0o640,
                    0,
                    0,
                    "mode: strict\n".into()
                ),
            ]
        );
    }
}
