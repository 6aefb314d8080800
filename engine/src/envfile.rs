//! Env files for the variables an engine CLI reads itself (`HOME`, `DOCKER_*`, `XDG_*`, …).
//!
//! Such a variable cannot travel in the engine CLI's own environment (the engine would act on
//! it), and an inline `--env NAME=value` puts the value in `/proc/*/cmdline`, where every local
//! user can read it. So it goes in a file only this user can read (0600, in memory where the
//! host allows: see [`crate::scratch`]), handed over with `--env-file` and deleted as soon as
//! the engine has read it.

use std::io::Write as _;

use anyhow::{bail, Context as _, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::argv::engine_reads_env;
use crate::interface::EnvVar;

/// A private env file, deleted when dropped.
pub struct EnvFile {
    // Held only so that dropping the `EnvFile` deletes the file.
    _file: tempfile::NamedTempFile,
    path: Utf8PathBuf,
}

impl EnvFile {
    /// The file for those of `env` that the engine reads itself; `None` when there are none.
    pub fn for_vars(env: &[EnvVar]) -> Result<Option<Self>> {
        let vars: Vec<&EnvVar> = env.iter().filter(|v| engine_reads_env(&v.name)).collect();
        if vars.is_empty() {
            return Ok(None);
        }
        let contents = render(&vars)?;
        // tempfile creates the file with O_EXCL and mode 0600 under a random name.
        let mut file = tempfile::Builder::new()
            .prefix(crate::scratch::ENV_FILE_PREFIX)
            .tempfile_in(crate::scratch::place())
            .context("creating a private env file")?;
        file.write_all(contents.as_bytes())
            .and_then(|()| file.flush())
            .context("writing a private env file")?;
        let path = Utf8PathBuf::from_path_buf(file.path().to_owned())
            .map_err(|p| anyhow::anyhow!("the temp dir path {} is not UTF-8", p.display()))?;
        Ok(Some(Self { _file: file, path }))
    }

    /// Where the file is.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}

/// `NAME=value` lines. Both engines read a line as one variable, so a value with a line break
/// cannot be carried; the error names the variable, never its value.
fn render(vars: &[&EnvVar]) -> Result<String> {
    let mut out = String::new();
    for var in vars {
        if var.value.contains(['\n', '\r', '\0']) {
            bail!(
                "the value of {} holds a line break or NUL, which an env file cannot carry",
                var.name
            );
        }
        out.push_str(&var.name);
        out.push('=');
        out.push_str(&var.value);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn only_engine_read_names_go_in_a_private_file_removed_on_drop() {
        let env = vec![
            EnvVar::new("TOKEN", "t"),
            EnvVar::new("DOCKER_PASSWORD", "hunter2 with spaces = and more"),
            EnvVar::new("HOME", "/home/node"),
        ];
        let file = EnvFile::for_vars(&env).unwrap().expect("a file");
        let path = file.path().to_owned();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "DOCKER_PASSWORD=hunter2 with spaces = and more\nHOME=/home/node\n"
        );
        drop(file);
        assert!(!path.exists());
        assert!(EnvFile::for_vars(&env[..1]).unwrap().is_none());
    }

    #[test]
    fn a_line_break_is_refused_without_showing_the_value() {
        let err = EnvFile::for_vars(&[EnvVar::new("XDG_SECRET", "line1\nline2")])
            .err()
            .unwrap();
        let text = format!("{err:#}");
        assert!(text.contains("XDG_SECRET"), "{text}");
        assert!(!text.contains("line1"), "{text}");
    }
}
