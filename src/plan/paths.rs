//! Path helpers the plan's builders share: made absolute without touching the filesystem. A
//! file of their own, so that the builders depend on it and not on each other.

use camino::{Utf8Path, Utf8PathBuf};

pub fn absolute(base: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        let joined = base.join(path);
        // Tidy `./x` and `x/.` without touching the filesystem (symlinks stay as written).
        joined.components().collect()
    }
}
