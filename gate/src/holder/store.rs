//! The user's credential in the holder: read from its file at start, held behind one lock (so
//! that one refresh runs at a time and a request waits for it), and written back atomically
//! after a refresh: a private temp file in the same directory, renamed over the old one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use bot_bottle_gate::keys::{Credential, Secret};
use tokio::sync::{Mutex, MutexGuard};
use zeroize::Zeroizing;

pub struct Store {
    path: PathBuf,
    current: Mutex<Credential>,
}

impl Store {
    pub fn new(path: PathBuf, credential: Credential) -> Self {
        Store {
            path,
            current: Mutex::new(credential),
        }
    }

    /// The credential, held until the guard is dropped (a refresh in the meantime waits).
    pub async fn lock(&self) -> MutexGuard<'_, Credential> {
        self.current.lock().await
    }

    /// Every secret the credential holds now.
    pub async fn secrets(&self) -> Vec<Secret> {
        self.lock().await.secrets().into_iter().cloned().collect()
    }

    /// Writes `credential` to the file, replacing it atomically (0600).
    pub fn write(&self, credential: &Credential) -> Result<(), String> {
        write_atomically(&self.path, credential)
    }
}

fn write_atomically(path: &Path, credential: &Credential) -> Result<(), String> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let text = Zeroizing::new(
        serde_json::to_vec(credential).map_err(|e| format!("writing {shown}: {e}"))?,
    );
    // tempfile creates it O_EXCL with mode 0600 under a random name, and removes it if the
    // rename does not happen.
    let mut file = tempfile::Builder::new()
        .prefix(".credential-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            format!(
                "writing {shown}: creating a temp file in {}: {e}",
                dir.display()
            )
        })?;
    file.write_all(&text)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| format!("writing {shown}: {e}"))?;
    file.persist(path)
        .map_err(|e| format!("writing {shown}: {}", e.error))?;
    // The rename itself lasts once the directory is on disk.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_rewrite_replaces_the_file_with_a_private_one_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credential.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let credential = Credential::ApiKey(Secret::new("sk-ant-api03-new"));
        write_atomically(&path, &credential).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            r#"{"version":1,"kind":"api_key","api_key":"sk-ant-api03-new"}"#
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["credential.json"]);
    }
}
