//! Reading a host file bot-bottle was pointed at: the manifest, the user's config, the egress
//! lock, and the files a manifest names (prompt, skill files, SSH files, tokens).
//!
//! Any of them may sit where the agent or a cloned repository writes, so what is there may be
//! made to hurt the reader: a FIFO blocks an open or a read for ever, a sparse file of a
//! terabyte is read whole into memory, a symlink swapped in after a check leads elsewhere. One
//! way to open them all: the last component is never followed (`O_NOFOLLOW`), a FIFO does not
//! block the open (`O_NONBLOCK`), the opened handle is checked (`fstat`, so no swap between a
//! check and the open matters) to be a regular file no larger than its kind's [`Cap`], and no
//! more than the cap and one byte is ever read (a file that grows meanwhile is caught).

use std::fs::File;
use std::io::Read as _;

use camino::Utf8Path;
use rustix::fs::{Mode, OFlags};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A kind of host file and the most bytes bot-bottle reads of one. Every cap is far above what
/// the kind holds in use and far below what would hurt to hold in memory (a launch may read a
/// few hundred of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// What the file is, for messages ("a prompt").
    pub what: &'static str,
    /// The most bytes it may hold.
    pub max: u64,
}

/// A manifest: a page of TOML or JSON.
pub const MANIFEST: Cap = Cap {
    what: "a manifest",
    max: MIB,
};
/// The user's config (`allow_paths`): a few lines.
pub const USER_CONFIG: Cap = Cap {
    what: "bot-bottle's config",
    max: MIB,
};
/// An egress lock: a hostname a line, so tens of thousands of hosts.
pub const LOCK: Cap = Cap {
    what: "an egress lock",
    max: MIB,
};
/// A prompt: text the agent reads whole, already well over any model's context at this size.
pub const PROMPT: Cap = Cap {
    what: "a prompt",
    max: 4 * MIB,
};
/// One file of a skill: instructions, scripts, a reference document or two.
pub const SKILL_FILE: Cap = Cap {
    what: "a skill's file",
    max: 16 * MIB,
};
/// An SSH private key: a few KiB even for the largest RSA keys.
pub const SSH_IDENTITY: Cap = Cap {
    what: "an SSH identity",
    max: 64 * KIB,
};
/// A `known_hosts` file: a few hundred bytes a host, so thousands of hosts.
pub const KNOWN_HOSTS: Cap = Cap {
    what: "a known_hosts file",
    max: 4 * MIB,
};
/// A token file: one token and a line break.
pub const TOKEN: Cap = Cap {
    what: "a token file",
    max: 64 * KIB,
};

/// `bytes` as a size a person reads (`4 MiB`, `64 KiB`, `17 bytes`).
pub fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a non-regular file is, for the refusal.
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Opens `path` as `cap`'s kind of file: its last component not followed if a symlink, a FIFO
/// not waited on, and the handle opened a regular file of at most `cap.max` bytes. Returns the
/// file and its size. The error is the reason alone (the caller names the file and field);
/// a missing file keeps its [`std::io::ErrorKind::NotFound`] for callers to whom it is no
/// error.
pub fn open(path: &Utf8Path, cap: Cap) -> Result<(File, u64), Refused> {
    open_with(path, cap, OFlags::NOFOLLOW)
}

/// Opens `path` as [`open`] does, but following a symlink: for a file the user names
/// themselves (the manifest on the command line, their config), which may well be a link into
/// their dotfiles. What the link leads to is still opened without waiting on a FIFO and
/// checked to be a regular file within the cap, so a link planted in its place can make
/// bot-bottle read only another regular file, which the approval of its content then judges.
pub fn open_following(path: &Utf8Path, cap: Cap) -> Result<(File, u64), Refused> {
    open_with(path, cap, OFlags::empty())
}

fn open_with(path: &Utf8Path, cap: Cap, follow: OFlags) -> Result<(File, u64), Refused> {
    let flags = OFlags::RDONLY | follow | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path.as_std_path(), flags, Mode::empty()).map_err(|errno| {
        if errno == rustix::io::Errno::LOOP {
            Refused::Other(
                "it is a symbolic link, not a regular file (bot-bottle follows none here)"
                    .to_owned(),
            )
        } else {
            Refused::Io(std::io::Error::from(errno))
        }
    })?;
    let file = File::from(fd);
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::Other(format!(
            "it is {}, not a regular file",
            kind_of(meta.file_type())
        )));
    }
    if meta.len() > cap.max {
        return Err(Refused::Other(format!(
            "it is {} bytes, over the {} bot-bottle reads of {}",
            meta.len(),
            size(cap.max),
            cap.what
        )));
    }
    Ok((file, meta.len()))
}

/// Reads `path` as `cap`'s kind of file (see [`open`]): never more than `cap.max` bytes.
pub fn read(path: &Utf8Path, cap: Cap) -> Result<Vec<u8>, Refused> {
    let (file, len) = open(path, cap)?;
    read_capped(file, len, cap)
}

/// Reads `path` as [`read`] does, following a symlink (see [`open_following`]).
pub fn read_following(path: &Utf8Path, cap: Cap) -> Result<Vec<u8>, Refused> {
    let (file, len) = open_following(path, cap)?;
    read_capped(file, len, cap)
}

/// Reads an opened `file` of `len` bytes, refusing it if it turns out to hold more than
/// `cap.max` (it grew since it was opened).
pub fn read_capped(file: File, len: u64, cap: Cap) -> Result<Vec<u8>, Refused> {
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(cap.max + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > cap.max {
        return Err(Refused::Other(format!(
            "it grew past the {} bot-bottle reads of {} while it was read",
            size(cap.max),
            cap.what
        )));
    }
    Ok(bytes)
}

/// Why a host file was not read.
#[derive(Debug)]
pub enum Refused {
    /// The system said no (the file is missing, say).
    Io(std::io::Error),
    /// bot-bottle said no: a symlink, not a regular file, too large.
    Other(String),
}

impl Refused {
    /// Whether the file is simply not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Refused::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Io(e) => write!(f, "{e}"),
            Refused::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Refused {}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8PathBuf;

    fn dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        (tmp, path)
    }

    const SMALL: Cap = Cap {
        what: "a test file",
        max: 8,
    };

    #[test]
    fn a_regular_file_within_its_cap_is_read() {
        let (_tmp, dir) = dir();
        let file = dir.join("f");
        std::fs::write(&file, b"12345678").unwrap();
        assert_eq!(read(&file, SMALL).unwrap(), b"12345678");
        std::fs::write(&file, b"123456789").unwrap();
        let e = read(&file, SMALL).unwrap_err().to_string();
        assert_eq!(
            e,
            "it is 9 bytes, over the 8 bytes bot-bottle reads of a test file"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let (_tmp, dir) = dir();
        let fifo = dir.join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            fifo.as_std_path(),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let e = read(&fifo, SMALL).unwrap_err().to_string();
        assert_eq!(e, "it is a FIFO (named pipe), not a regular file");
    }

    #[test]
    fn a_symlink_directory_or_device_is_refused() {
        let (_tmp, dir) = dir();
        let target = dir.join("target");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = read(&link, SMALL).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(read_following(&link, SMALL).unwrap(), b"x");
        let fifo = dir.join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            fifo.as_std_path(),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let to_fifo = dir.join("to-fifo");
        std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
        let e = read_following(&to_fifo, SMALL).unwrap_err().to_string();
        assert_eq!(e, "it is a FIFO (named pipe), not a regular file");
        let e = read(&dir, SMALL).unwrap_err().to_string();
        assert_eq!(e, "it is a directory, not a regular file");
        let e = read(Utf8Path::new("/dev/null"), SMALL)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "it is a device, not a regular file");
        let missing = read(&dir.join("missing"), SMALL).unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
    }

    #[test]
    fn a_huge_sparse_file_is_refused_unread() {
        let (_tmp, dir) = dir();
        let file = dir.join("sparse");
        std::fs::File::create(&file)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        let e = read(&file, SKILL_FILE).unwrap_err().to_string();
        assert_eq!(
            e,
            "it is 1099511627776 bytes, over the 16 MiB bot-bottle reads of a skill's file"
        );
    }

    #[test]
    fn a_file_that_grows_after_the_open_is_cut_at_the_cap() {
        let (_tmp, dir) = dir();
        let path = dir.join("f");
        std::fs::write(&path, b"1234").unwrap();
        let (file, len) = open(&path, SMALL).unwrap();
        std::fs::write(&path, b"123456789abc").unwrap();
        let e = read_capped(file, len, SMALL).unwrap_err().to_string();
        assert!(e.contains("grew past the 8 bytes"), "{e}");
    }
}
