//! Where bot-bottle keeps what is the user's own and no bottle's: the user's config
//! (`$XDG_CONFIG_HOME/bot-bottle/config.toml`) and state (`$XDG_STATE_HOME/bot-bottle`, the
//! manifest approvals). Both are outside every workspace, so nothing an agent or a cloned
//! repository writes reaches them; a workspace that holds either is refused.

use camino::Utf8PathBuf;

use crate::exit::UsageError;

/// Names the user's config file instead of the XDG location (the tests use it; so can you).
pub const CONFIG_ENV: &str = "BOT_BOTTLE_CONFIG";
/// Names bot-bottle's state directory instead of the XDG location.
pub const STATE_DIR_ENV: &str = "BOT_BOTTLE_STATE_DIR";

/// The user's config file: `$BOT_BOTTLE_CONFIG`, else `$XDG_CONFIG_HOME/bot-bottle/config.toml`,
/// else `~/.config/bot-bottle/config.toml`. It need not exist.
pub fn config_file() -> Result<Utf8PathBuf, UsageError> {
    if let Some(file) = env_path(CONFIG_ENV)? {
        return Ok(file);
    }
    Ok(xdg_dir("XDG_CONFIG_HOME", ".config")?
        .join("bot-bottle")
        .join("config.toml"))
}

/// bot-bottle's state directory: `$BOT_BOTTLE_STATE_DIR`, else
/// `$XDG_STATE_HOME/bot-bottle`, else `~/.local/state/bot-bottle`. It need not exist.
pub fn state_dir() -> Result<Utf8PathBuf, UsageError> {
    if let Some(dir) = env_path(STATE_DIR_ENV)? {
        return Ok(dir);
    }
    Ok(xdg_dir("XDG_STATE_HOME", ".local/state")?.join("bot-bottle"))
}

/// `$HOME`, which `~/` in the user's config stands for.
pub fn home() -> Result<Utf8PathBuf, UsageError> {
    env_path("HOME")?.ok_or_else(|| {
        UsageError("HOME is not set, and bot-bottle keeps its config and state under it".to_owned())
    })
}

/// The XDG base directory `var` when it is set to an absolute path (the spec says to ignore a
/// relative one), else `~/fallback`.
fn xdg_dir(var: &str, fallback: &str) -> Result<Utf8PathBuf, UsageError> {
    match env_path(var)? {
        Some(dir) if dir.is_absolute() => Ok(dir),
        _ => Ok(home()?.join(fallback)),
    }
}

/// The variable `var` as a path, `None` when unset or empty.
fn env_path(var: &str) -> Result<Option<Utf8PathBuf>, UsageError> {
    match std::env::var_os(var) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .into_string()
            .map(|s| Some(Utf8PathBuf::from(s)))
            .map_err(|v| UsageError(format!("{var}={} is not UTF-8", v.to_string_lossy()))),
    }
}
