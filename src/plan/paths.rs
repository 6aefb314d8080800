//! Path helpers the plan's builders share: made absolute, checked to be a directory, compared
//! with symlinks resolved. A file of their own, so that the builders depend on it and not on
//! each other.

use camino::{Utf8Path, Utf8PathBuf};

/// The directory `path` names, made absolute against `base`.
pub fn existing_dir(base: &Utf8Path, path: &Utf8Path) -> Result<Utf8PathBuf, String> {
    let full = absolute(base, path);
    let meta =
        std::fs::metadata(&full).map_err(|e| format!("{path:?} (resolved to {full}): {e}"))?;
    if meta.is_dir() {
        Ok(full)
    } else {
        Err(format!("{path:?} (resolved to {full}) is not a directory"))
    }
}

/// Whether `dir` is `path` or a directory above it; `path` is compared with its symlinks
/// resolved when it exists (else as written, for a file not made yet).
pub fn holds(dir: &Utf8Path, path: &Utf8Path) -> bool {
    let path = path.canonicalize_utf8().unwrap_or_else(|_| path.to_owned());
    path.starts_with(dir)
}

pub fn absolute(base: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        let joined = base.join(path);
        // Tidy `./x` and `x/.` without touching the filesystem (symlinks stay as written).
        joined.components().collect()
    }
}
