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

/// The regular files of one directory in the tar stream `tar`, by name, `limit` bytes in all
/// at most: at the top of the tar (as `volume export` prints a volume's, and podman 4.3's `cp`
/// a stopped container's volume's), or under the directory's own name `dir_name` (as `cp
/// CONTAINER:DIR -` prints others). The directory's own entry (and `.`) is skipped; anything
/// else (a subdirectory, a link, a device, a file deeper down) is an error, so nothing is taken
/// for what it is not.
pub fn files_of_dir(
    tar: &[u8],
    dir_name: &str,
    limit: u64,
) -> Result<std::collections::BTreeMap<String, Vec<u8>>> {
    let mut archive = tar::Archive::new(tar);
    let mut files = std::collections::BTreeMap::new();
    let mut left = limit;
    for entry in archive.entries().context("reading a tar")? {
        let entry = entry.context("reading a tar entry")?;
        let kind = entry.header().entry_type();
        let path = entry.path().context("a tar entry's path")?.into_owned();
        let mut parts: Vec<String> = path
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        if parts.first().is_some_and(|first| first == dir_name) {
            parts.remove(0);
        }
        if kind == tar::EntryType::Directory && parts.is_empty() {
            continue;
        }
        anyhow::ensure!(
            kind == tar::EntryType::Regular && parts.len() == 1,
            "expected the regular files of one directory, found a {kind:?} entry {}",
            path.display()
        );
        let size = entry.size();
        anyhow::ensure!(size <= left, "the directory holds more than {limit} bytes");
        left -= size;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        std::io::Read::read_to_end(&mut std::io::Read::take(entry, size), &mut bytes)
            .context("reading a file from a tar")?;
        files.insert(parts.remove(0), bytes);
    }
    Ok(files)
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
    fn the_files_of_one_directory_come_out_of_a_tar() {
        let mut dir = Tarball::new();
        dir.dir("flight-recorder", 0o700, Owner::ROOT)
            .unwrap()
            .file("flight-recorder/a.jsonl", b"1\n", 0o600, Owner::ROOT)
            .unwrap()
            .file("flight-recorder/b.jsonl", b"22\n", 0o600, Owner::ROOT)
            .unwrap();
        let dir = dir.finish().unwrap();
        let files = files_of_dir(&dir, "flight-recorder", 5).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files["a.jsonl"], b"1\n");
        assert_eq!(files["b.jsonl"], b"22\n");
        let err = files_of_dir(&dir, "flight-recorder", 4).unwrap_err();
        assert!(format!("{err:#}").contains("more than 4"), "{err:#}");
        // An empty directory is no files, not an error.
        let mut empty = Tarball::new();
        empty.dir("flight-recorder", 0o700, Owner::ROOT).unwrap();
        assert!(files_of_dir(&empty.finish().unwrap(), "flight-recorder", 5)
            .unwrap()
            .is_empty());
        // A subdirectory or a deeper file is refused.
        let mut deep = Tarball::new();
        deep.dir("d", 0o700, Owner::ROOT)
            .unwrap()
            .dir("d/sub", 0o700, Owner::ROOT)
            .unwrap();
        assert!(files_of_dir(&deep.finish().unwrap(), "d", 5).is_err());
        // A volume's files at the top of the tar, as `volume export` prints them.
        let mut top = Tarball::new();
        top.file("a.jsonl", b"1\n", 0o600, Owner::ROOT).unwrap();
        let top = top.finish().unwrap();
        assert_eq!(files_of_dir(&top, "d", 5).unwrap()["a.jsonl"], b"1\n");
        // A file under another directory is not one of its files.
        let mut other = Tarball::new();
        other.file("e/a.jsonl", b"1\n", 0o600, Owner::ROOT).unwrap();
        assert!(files_of_dir(&other.finish().unwrap(), "d", 5).is_err());
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
