//! Config hot reload, as pipelock v2.3.0 does it (`internal/config/reload.go` and
//! `Server.Reload` in `internal/cli/runtime/server.go`): a change of the config file or a
//! SIGHUP loads the file again; a file that does not load leaves the old config in place (a
//! line on stderr); a reload that would weaken a strict-mode config is refused (an `error`
//! event); otherwise the proxy swaps to the new config and logs a `config_reload` event.
//!
//! One difference: pipelock watches the file's directory with inotify, the double polls the
//! file every [`POLL`] (a change is reloaded once the file has been still for one poll, about
//! pipelock's 100 ms debounce).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use serde_json::json;

use crate::config::{self, Config, Mode};
use crate::events::Events;

/// How often the double looks at the config file.
const POLL: Duration = Duration::from_millis(100);
/// Pipelock drops a reload of the config it loaded last when that was this recent: a file
/// change and a SIGHUP for one edit would otherwise log it twice.
const DEDUP_WINDOW: Duration = Duration::from_secs(2);

/// A value swapped whole on reload: each connection takes the current one when it starts
/// and keeps it to its end, as pipelock's atomic config pointer does.
pub struct Live<T>(Arc<RwLock<Arc<T>>>);

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Live<T> {
    pub fn new(value: T) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(value))))
    }

    /// The current value.
    pub fn get(&self) -> Arc<T> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, value: T) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(value);
    }
}

/// Watches `path` (the config `current` was loaded from) and SIGHUP; on each valid change
/// builds the proxy's new state with `build` and swaps it into `live`.
pub fn watch<T: Send + Sync + 'static>(
    path: PathBuf,
    current: Config,
    events: Events,
    live: Live<T>,
    build: impl Fn(Config) -> Result<T> + Send + 'static,
) -> Result<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])
        .context("installing the SIGHUP handler")?;
    let on_signal = tx.clone();
    thread::spawn(move || {
        for _ in signals.forever() {
            let _ = on_signal.send(());
        }
    });
    let watched = path.clone();
    thread::spawn(move || poll_file(&watched, &tx));
    let mut reloader = Reloader {
        path,
        current,
        events,
        last: None,
    };
    thread::spawn(move || {
        for () in rx {
            reloader.try_reload(|cfg| build(cfg).map(|state| live.set(state)));
        }
    });
    Ok(())
}

/// What identifies a version of the file without reading it.
fn stamp(path: &Path) -> Option<(SystemTime, u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len(), meta.ino()))
}

/// Sends on `tx` once the file changed and then stayed still for a poll.
fn poll_file(path: &Path, tx: &mpsc::Sender<()>) {
    let mut seen = stamp(path);
    let mut pending = false;
    loop {
        thread::sleep(POLL);
        let now = stamp(path);
        if now != seen {
            seen = now;
            pending = true;
        } else if pending {
            pending = false;
            if tx.send(()).is_err() {
                return;
            }
        }
    }
}

struct Reloader {
    path: PathBuf,
    current: Config,
    events: Events,
    /// The hash of the config last loaded by a reload, and when.
    last: Option<(String, Instant)>,
}

impl Reloader {
    fn try_reload(&mut self, apply: impl FnOnce(Config) -> Result<()>) {
        let loaded = std::fs::read(&self.path)
            .with_context(|| format!("reading config {}", self.path.display()))
            .and_then(|bytes| Ok((config::load(&self.path)?, hash(&bytes))));
        let (new, hash) = match loaded {
            Ok(loaded) => loaded,
            Err(err) => {
                eprintln!("pipelock: config reload failed: {err:#}");
                return;
            }
        };
        if !self.current.forward_proxy.enabled && new.forward_proxy.enabled {
            self.reject("rejected: forward proxy cannot be enabled via reload (requires restart)");
            return;
        }
        if self
            .last
            .as_ref()
            .is_some_and(|(h, at)| *h == hash && at.elapsed() < DEDUP_WINDOW)
        {
            return;
        }
        let warnings = downgrades(&self.current, &new);
        for (field, message) in &warnings {
            eprintln!("WARNING: config reload: {field} - {message}");
        }
        if self.current.mode == Mode::Strict && !warnings.is_empty() {
            self.reject("rejected: security downgrade from strict mode");
            return;
        }
        let mode = mode_name(new.mode);
        if let Err(err) = apply(new.clone()) {
            eprintln!("pipelock: {err:#}");
            self.error("reload failed: proxy kept previous config");
            return;
        }
        self.current = new;
        self.events.emit(
            "info",
            "config_reload",
            "configuration reloaded",
            json!({"status": "success", "detail": format!("mode={mode}"), "config_hash": hash}),
        );
        self.last = Some((hash, Instant::now()));
    }

    /// A refused reload: pipelock logs it where it refuses and again where the reload loop
    /// gets the error back, so each refusal is two identical `error` events.
    fn reject(&self, error: &str) {
        self.error(error);
        self.error(error);
    }

    fn error(&self, error: &str) {
        self.events.emit(
            "error",
            "error",
            "request error",
            json!({"method": "CONFIG_RELOAD", "resource": self.path.display().to_string(), "error": error}),
        );
    }
}

/// The entries of `new` not in `old` (case-insensitively), as pipelock's
/// `passthroughDomainsAdded` finds them.
fn added<'a>(old: &[String], new: &'a [String]) -> Vec<&'a str> {
    new.iter()
        .filter(|d| !old.iter().any(|o| o.eq_ignore_ascii_case(d)))
        .map(String::as_str)
        .collect()
}

/// `strict`, `balanced` or `audit`.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Strict => "strict",
        Mode::Balanced => "balanced",
        Mode::Audit => "audit",
    }
}

/// Lowercase hex SHA-256 of the file (pipelock hashes its canonical config: the same config
/// gives the same hash either way).
pub fn hash(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Pipelock's `ValidateReload` for the fields the double knows: (field, message) for each
/// way `new` is weaker than `old`. Allowlist changes are not among them.
fn downgrades(old: &Config, new: &Config) -> Vec<(&'static str, String)> {
    let rank = |m: Mode| match m {
        Mode::Strict => 3,
        Mode::Balanced => 2,
        Mode::Audit => 1,
    };
    let mut out = Vec::new();
    if rank(new.mode) < rank(old.mode) {
        out.push((
            "mode",
            format!(
                "mode downgraded from {} to {}",
                mode_name(old.mode),
                mode_name(new.mode)
            ),
        ));
    }
    let mut lost = |was: bool, is: bool, field: &'static str, message: &str| {
        if was && !is {
            out.push((field, message.to_owned()));
        }
    };
    lost(
        old.dlp_include_defaults,
        new.dlp_include_defaults,
        "dlp.include_defaults",
        "DLP include_defaults disabled — new default patterns will not be merged on future upgrades",
    );
    lost(
        old.enforce,
        new.enforce,
        "enforce",
        "enforcement disabled — switching to detect-only mode",
    );
    lost(
        old.forward_proxy.enabled,
        new.forward_proxy.enabled,
        "forward_proxy.enabled",
        "forward proxy disabled",
    );
    lost(
        old.tls.enabled,
        new.tls.enabled,
        "tls_interception.enabled",
        "TLS interception disabled — CONNECT tunnel body/header scanning lost",
    );
    lost(
        old.body.enabled,
        new.body.enabled,
        "request_body_scanning.enabled",
        "request body scanning disabled",
    );
    if old.tls.enabled && new.tls.enabled {
        let added = added(&old.tls.passthrough_domains, &new.tls.passthrough_domains);
        if !added.is_empty() {
            out.push((
                "tls_interception.passthrough_domains",
                format!(
                    "passthrough domains added: {} — these CONNECT tunnels now bypass body scanning",
                    added.join(", ")
                ),
            ));
        }
    }
    if !old.ssrf.internal.is_empty() && new.ssrf.internal.is_empty() {
        out.push((
            "internal",
            "internal CIDR list emptied — SSRF protection disabled".to_owned(),
        ));
    }
    let trusted = added(&old.ssrf.trusted_domains, &new.ssrf.trusted_domains);
    if !trusted.is_empty() {
        out.push((
            "trusted_domains",
            format!(
                "trusted domains added: {} — SSRF internal-IP check bypassed for these hosts",
                trusted.join(", ")
            ),
        ));
    }
    // A new range widens the exemption unless an old one holds it.
    let widened: Vec<String> = new
        .ssrf
        .ip_allowlist
        .iter()
        .filter(|net| !old.ssrf.ip_allowlist.iter().any(|o| o.contains(*net)))
        .map(ToString::to_string)
        .collect();
    if !widened.is_empty() {
        out.push((
            "ssrf.ip_allowlist",
            format!(
                "SSRF IP allowlist expanded: {} — SSRF check bypassed for these IP ranges",
                widened.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(allow: &[&str]) -> Config {
        let mut cfg = Config::defaults();
        cfg.mode = Mode::Strict;
        cfg.forward_proxy.enabled = true;
        cfg.api_allowlist = allow.iter().map(ToString::to_string).collect();
        cfg
    }

    #[test]
    fn allowlist_changes_are_not_downgrades() {
        let old = strict(&["a.test"]);
        assert!(downgrades(&old, &strict(&["a.test", "b.test"])).is_empty());
        assert!(downgrades(&strict(&["a.test", "b.test"]), &old).is_empty());
    }

    #[test]
    fn weakening_a_strict_config_is_named() {
        let old = strict(&["a.test"]);
        let mut audit = old.clone();
        audit.mode = Mode::Audit;
        assert_eq!(
            downgrades(&old, &audit),
            [("mode", "mode downgraded from strict to audit".to_owned())]
        );
        let mut open = old.clone();
        open.enforce = false;
        open.tls.passthrough_domains = vec!["b.test".into()];
        let fields: Vec<_> = downgrades(&old, &open).into_iter().map(|w| w.0).collect();
        assert_eq!(fields, ["enforce"]);
        let mut intercepting = old.clone();
        intercepting.tls.enabled = true;
        let mut passthrough = intercepting.clone();
        passthrough.tls.passthrough_domains = vec!["b.test".into()];
        assert_eq!(
            downgrades(&intercepting, &passthrough)[0].1,
            "passthrough domains added: b.test — these CONNECT tunnels now bypass body scanning"
        );
        let mut exempt = old.clone();
        exempt.ssrf.trusted_domains = vec!["corp.test".into()];
        exempt.ssrf.ip_allowlist = vec!["10.1.0.0/16".parse().unwrap()];
        exempt.ssrf.internal.clear();
        let fields: Vec<_> = downgrades(&old, &exempt).into_iter().map(|w| w.0).collect();
        assert_eq!(fields, ["internal", "trusted_domains", "ssrf.ip_allowlist"]);
        let mut narrower = exempt.clone();
        narrower.ssrf.ip_allowlist = vec!["10.1.2.0/24".parse().unwrap()];
        assert!(downgrades(&exempt, &narrower).is_empty());
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
