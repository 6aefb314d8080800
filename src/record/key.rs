//! The user's record-signing key: Ed25519, made on first use, kept in bot-bottle's state
//! directory (`<state>/keys/record-ed25519.pem`, PKCS#8 PEM, mode 0600, in a 0700 directory).
//!
//! The state directory, not the config directory: the key is made by bot-bottle, not written
//! by the user, and it sits beside the approvals, which are refused as (or inside) a workspace
//! for the same reason (see [`crate::plan`]'s workspace checks): an agent that could read it
//! could sign a record of its own. `bot-bottle record key` prints the public half (SPKI PEM,
//! which openssl reads) and its key id, for a team to pin.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::exit::UsageError;

/// The key's file name under `<state>/keys/`.
pub const FILE: &str = "record-ed25519.pem";

/// Where the user's key lives in `state_dir`.
pub fn path_in(state_dir: &Utf8Path) -> Utf8PathBuf {
    state_dir.join("keys").join(FILE)
}

/// The user's key: read from `state_dir`, or made (and said so on stderr) when there is none.
pub fn load_or_create(state_dir: &Utf8Path) -> anyhow::Result<SigningKey> {
    let path = path_in(state_dir);
    if let Some(key) = read(&path)? {
        return Ok(key);
    }
    let key = generate()?;
    create(&path, &key)?;
    eprintln!(
        "bot-bottle: made your record-signing key {path} ({}); `bot-bottle record key` prints its public half",
        key_id(&key.verifying_key())
    );
    Ok(key)
}

/// A fresh Ed25519 key from the operating system's randomness.
pub fn generate() -> anyhow::Result<SigningKey> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut()).context("reading randomness for a signing key")?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The key at `path`, `None` when there is no file. A key readable by anyone but its owner is
/// refused: someone else may have signed with it.
pub fn read(path: &Utf8Path) -> anyhow::Result<Option<SigningKey>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading your record key {path}")),
    };
    if !meta.file_type().is_file() {
        bail!(UsageError(format!(
            "your record key {path} is not a regular file (a symlink is not followed); move it away"
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(UsageError(format!(
            "your record key {path} has mode {mode:04o}: others may have read it; `chmod 600 {path}` if it is still yours alone, else move it away and a new one is made"
        )));
    }
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("reading your record key {path}"))?;
    let key = SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| UsageError(format!("{path}: not an Ed25519 PKCS#8 PEM key: {e}")))?;
    Ok(Some(key))
}

/// Writes `key` to `path` (0600, its directory 0700), never over an existing file.
pub fn create(path: &Utf8Path, key: &SigningKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {dir}"))?;
    }
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding the record key: {e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating your record key {path}"))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing your record key {path}"))
}

/// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF)
        .expect("an Ed25519 public key encodes")
}

/// A public key from SPKI PEM, or 64 hex digits of the raw key.
pub fn parse_public(text: &str) -> anyhow::Result<VerifyingKey> {
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(text)
            .map_err(|e| anyhow::anyhow!("not an Ed25519 public key PEM: {e}"));
    }
    let mut raw = [0u8; 32];
    base16ct::mixed::decode(text, &mut raw)
        .map_err(|_| anyhow::anyhow!("neither a PEM public key nor 64 hex digits"))?;
    VerifyingKey::from_bytes(&raw).map_err(|e| anyhow::anyhow!("not an Ed25519 public key: {e}"))
}

/// The key's id: `ed25519:` and the first 16 hex digits of the SHA-256 of its raw 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("ed25519:{}", &base16ct::lower::encode_string(&digest)[..16])
}

/// Lowercase hex of the raw public key.
pub fn public_hex(key: &VerifyingKey) -> String {
    base16ct::lower::encode_string(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        (tmp, path)
    }

    #[test]
    fn the_key_is_made_once_0600_and_read_back() {
        let (_tmp, state) = dir();
        let key = load_or_create(&state).unwrap();
        let path = path_in(&state);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let again = load_or_create(&state).unwrap();
        assert_eq!(key.to_bytes(), again.to_bytes());
        let pem = public_pem(&key.verifying_key());
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        assert_eq!(parse_public(&pem).unwrap(), key.verifying_key());
        assert_eq!(
            parse_public(&public_hex(&key.verifying_key())).unwrap(),
            key.verifying_key()
        );
    }

    #[test]
    fn a_key_others_can_read_is_refused() {
        let (_tmp, state) = dir();
        load_or_create(&state).unwrap();
        let path = path_in(&state);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&state).unwrap_err().to_string();
        assert!(err.contains("mode 0644"), "{err}");
    }
}
