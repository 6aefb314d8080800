//! The user's own config (`config.toml`, found by [`crate::userdirs::config_file`]): what the
//! user allows beyond any manifest. A manifest may come from a repository or be rewritten by
//! the agent; this file is neither's to write. Today it holds the host paths a manifest may
//! name outside its own directory, such as an SSH key or a token kept out of the workspace.

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

use crate::exit::UsageError;

/// `config.toml`. Every field is optional; unknown fields are errors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Host files and directories (a directory: everything under it) a manifest may name
    /// outside its own directory. Absolute, or under `~/`.
    #[serde(default)]
    pub allow_paths: Vec<Utf8PathBuf>,
}

/// A path the user allows manifests to name wherever they are, and where the user said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedPath {
    /// Absolute, with its symlinks resolved when it exists.
    pub path: Utf8PathBuf,
    /// The config file that allows it, or `--allow-path`.
    pub by: String,
}

/// Reads the user's config at `file`; a missing file is an empty config.
pub fn load(file: &Utf8Path) -> Result<UserConfig, UsageError> {
    match crate::hostfile::read_following(file, crate::hostfile::USER_CONFIG) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| UsageError(format!("{file}: bot-bottle's config is not UTF-8")))?;
            crate::manifest::parse_toml_as(&text, file.as_str())
        }
        Err(e) if e.is_not_found() => Ok(UserConfig::default()),
        Err(e) => Err(UsageError(format!(
            "{file}: cannot read bot-bottle's config: {e}"
        ))),
    }
}

/// The paths `config` (read from `file`) and the command line (`--allow-path`, relative to
/// `cwd`) allow. A config entry must be absolute or start with `~/`; one that does not exist
/// allows nothing yet and is no error (a key that lives on another machine), but a command-line
/// path must exist.
pub fn allowed_paths(
    file: &Utf8Path,
    config: &UserConfig,
    command_line: &[Utf8PathBuf],
    cwd: &Utf8Path,
    home: Option<&Utf8Path>,
) -> Result<Vec<AllowedPath>, UsageError> {
    let mut allowed = Vec::new();
    for (i, entry) in config.allow_paths.iter().enumerate() {
        let path = match (entry.strip_prefix("~"), home) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ if entry.is_absolute() => entry.clone(),
            _ => {
                return Err(UsageError(format!(
                    "{file}: allow_paths[{i}]: {entry:?} is relative: write an absolute path or one under ~/"
                )))
            }
        };
        allowed.push(AllowedPath {
            path: canonical_or_as_is(&path),
            by: file.to_string(),
        });
    }
    for entry in command_line {
        let path = if entry.is_absolute() {
            entry.clone()
        } else {
            cwd.join(entry)
        };
        let canonical = path
            .canonicalize_utf8()
            .map_err(|e| UsageError(format!("--allow-path {entry}: {path}: {e}")))?;
        allowed.push(AllowedPath {
            path: canonical,
            by: "--allow-path".to_owned(),
        });
    }
    Ok(allowed)
}

fn canonical_or_as_is(path: &Utf8Path) -> Utf8PathBuf {
    path.canonicalize_utf8()
        .unwrap_or_else(|_| path.components().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_absolute_or_under_home() {
        let config = UserConfig {
            allow_paths: vec!["~/.ssh/bottle".into(), "/nonexistent/tokens".into()],
        };
        let allowed = allowed_paths(
            "c.toml".into(),
            &config,
            &[],
            "/".into(),
            Some("/home/me".into()),
        )
        .unwrap();
        let paths: Vec<_> = allowed.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(paths, ["/home/me/.ssh/bottle", "/nonexistent/tokens"]);
        assert!(allowed.iter().all(|a| a.by == "c.toml"));

        let config = UserConfig {
            allow_paths: vec!["keys/id".into()],
        };
        let e = allowed_paths("c.toml".into(), &config, &[], "/".into(), None)
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("c.toml: allow_paths[0]: \"keys/id\" is relative"),
            "{e}"
        );
    }

    #[test]
    fn a_command_line_path_must_exist() {
        let e = allowed_paths(
            "c.toml".into(),
            &UserConfig::default(),
            &["nope".into()],
            "/nonexistent".into(),
            None,
        )
        .unwrap_err()
        .0;
        assert!(
            e.starts_with("--allow-path nope: /nonexistent/nope: "),
            "{e}"
        );
    }
}
