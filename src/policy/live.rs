//! Changing a running bottle's allowlist (`allow`, `deny`) without restarting its agent.
//!
//! The config is read back from the sidecar: what pipelock runs, not the manifest, which the
//! agent may have rewritten since the launch, read as the typed [`PipelockConfig`] (a field it
//! does not model is refused, not carried along unread). Only `api_allowlist` changes; the file is copied
//! back in (the image has no shell) and pipelock told to reload it with SIGHUP (pipelock
//! v2.3.0 also watches the file, and drops the second reload of one config). The change counts
//! once pipelock logs `config_reload` with the `config_hash` of the bytes bot-bottle wrote (the
//! hex SHA-256 of the raw file, as pipelock computes it); a refusal (an `error` event from
//! `CONFIG_RELOAD`), a reload of other bytes (the file in the sidecar is not what was written)
//! or no answer puts the old file back and fails.
//!
//! A host can be allowed only when the bottle CA's name constraints cover it (the allowlist
//! and `egress.approvable` at launch): pipelock intercepts it with a leaf that CA signs, and
//! the agent would refuse any other. Built-in hosts cannot be denied, as a manifest cannot
//! remove them either.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use engine::{Engine, Owner, Tarball};
use serde::Serialize;
use serde_json::Value;

use crate::allowlist;
use crate::bottle::{record, Bottle};
use crate::defaults;
use crate::exit::UsageError;
use crate::manifest::Hostname;
use crate::proxy_config::{Mode, PipelockConfig};

/// Version of the `allow --json` and `deny --json` documents.
pub const ALLOW_SCHEMA: &str = "bot-bottle.allow/v1";
pub const DENY_SCHEMA: &str = "bot-bottle.deny/v1";

/// How long pipelock gets to log the reload.
const RELOAD_DEADLINE: Duration = Duration::from_secs(15);
/// The largest config file read back from a sidecar.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Which way the allowlist changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Allow,
    Deny,
}

/// What a change did (`allow --json`, `deny --json`).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub schema: &'static str,
    /// The slug.
    pub bottle: String,
    /// The hosts added (allow) or removed (deny).
    pub changed: Vec<Hostname>,
    /// The hosts that were allowed already (allow) or not on the list (deny).
    pub unchanged: Vec<Hostname>,
    /// The allowlist pipelock runs with now.
    pub allowlist: Vec<String>,
    /// The `config_hash` of pipelock's `config_reload` event; `null` when nothing changed.
    pub config_hash: Option<String>,
}

/// Applies `change` of `hosts` to the running `bottle`.
pub fn apply(
    engine: &dyn Engine,
    bottle: &Bottle,
    change: Change,
    hosts: &[Hostname],
) -> anyhow::Result<Outcome> {
    let slug = bottle.slug();
    let proxy = bottle.running_proxy(engine)?;
    let stage_dir = bottle.stage_dir();
    // One change at a time per bottle.
    let _serial = bottle.wait_for_policy_changes()?;
    let mut hosts = hosts.to_vec();
    hosts.sort();
    hosts.dedup();
    let hosts = hosts.as_slice();

    let text = read_text(engine, &proxy, defaults::PROXY_CONFIG_PATH)?;
    let mut config: PipelockConfig = serde_json::from_str(&text)
        .with_context(|| format!("reading the config of {proxy} (not bot-bottle's JSON?)"))?;
    if config.mode != Mode::Strict {
        return Err(UsageError(format!(
            "bottle {slug:?} is a learn run (pipelock mode {:?}): every host is reachable already; allow and deny change bottles started without --learn",
            config.mode.as_str()
        ))
        .into());
    }
    let current: Vec<Hostname> = config
        .api_allowlist
        .iter()
        .map(|h| Hostname::parse(h).ok())
        .collect::<Option<_>>()
        .context("the sidecar's api_allowlist holds something that is not a hostname")?;

    let (new, changed, unchanged) = match change {
        Change::Allow => {
            refuse_key_holder_hosts(hosts)?;
            check_ca_covers(engine, &proxy, slug, hosts)?;
            let (changed, unchanged): (Vec<_>, Vec<_>) = hosts
                .iter()
                .cloned()
                .partition(|h| !current.iter().any(|a| allowlist::covers(a, h)));
            let mut new = current.clone();
            new.extend(changed.iter().cloned());
            (new, changed, unchanged)
        }
        Change::Deny => {
            refuse_undeniable(&current, hosts)?;
            let (changed, unchanged): (Vec<_>, Vec<_>) =
                hosts.iter().cloned().partition(|h| current.contains(h));
            let new = current
                .iter()
                .filter(|a| !changed.contains(a))
                .cloned()
                .collect();
            (new, changed, unchanged)
        }
    };
    let mut new: Vec<Hostname> = new;
    new.sort();
    new.dedup();
    let names: Vec<String> = new.iter().map(|h| h.as_str().to_owned()).collect();
    let mut outcome = Outcome {
        schema: match change {
            Change::Allow => ALLOW_SCHEMA,
            Change::Deny => DENY_SCHEMA,
        },
        bottle: slug.to_owned(),
        changed,
        unchanged,
        allowlist: names.clone(),
        config_hash: None,
    };
    if outcome.changed.is_empty() {
        outcome.allowlist = current.iter().map(|h| h.as_str().to_owned()).collect();
        return Ok(outcome);
    }
    config.api_allowlist.clone_from(&names);
    // The form the launch wrote (pipelock checks the SHA-256 of these very bytes).
    let rendered = config.render();
    outcome.config_hash = Some(reload(engine, &proxy, &text, &rendered)?);

    if let Some(mut launched) = bottle.record() {
        launched.allowlist = names;
        record::rewrite(stage_dir, &launched)?;
    }
    Ok(outcome)
}

fn read_text(engine: &dyn Engine, container: &str, path: &str) -> anyhow::Result<String> {
    let bytes = engine.read_file(container, path, MAX_CONFIG_BYTES)?;
    String::from_utf8(bytes).with_context(|| format!("{container}:{path} is not UTF-8"))
}

/// Fails unless the bottle CA (read from the sidecar) may issue for every host.
fn check_ca_covers(
    engine: &dyn Engine,
    proxy: &str,
    slug: &str,
    hosts: &[Hostname],
) -> anyhow::Result<()> {
    let pem = read_text(engine, proxy, defaults::PROXY_CA_CERT_PATH)?;
    let Some(subtrees) = crate::ca::permitted_dns_subtrees(&pem)? else {
        return Ok(());
    };
    let outside: Vec<&str> = hosts
        .iter()
        .filter(|h| !crate::ca::subtrees_permit(&subtrees, h.as_str()))
        .map(Hostname::as_str)
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(UsageError(format!(
        "cannot allow {} in bottle {slug:?}: its CA may only issue certificates for {} (its name constraints, fixed at launch), so the agent would refuse pipelock's certificate for {}; add {} to egress.approvable (or egress.allowlist) in the manifest and start the bottle again",
        outside.join(", "),
        subtrees.join(", "),
        if outside.len() == 1 { "it" } else { "them" },
        if outside.len() == 1 { "it" } else { "them" },
    ))
    .into())
}

/// The key holder's hosts are never pipelock's to allow: the agent reaches them through the
/// holder only, and pipelock's blocklist refuses them whatever the allowlist says.
fn refuse_key_holder_hosts(hosts: &[Hostname]) -> Result<(), UsageError> {
    match hosts.iter().find(|h| allowlist::is_key_holder_host(h)) {
        Some(host) => Err(UsageError(format!(
            "cannot allow {host}: the agent reaches it through the bottle's key holder only, which puts your credential on its requests (of the agent kind whose API it is); pipelock refuses it in every bottle (see `bot-bottle login`)"
        ))),
        None => Ok(()),
    }
}

/// Built-in hosts cannot be denied, and a host allowed only through a wildcard entry cannot be
/// taken out of it.
fn refuse_undeniable(current: &[Hostname], hosts: &[Hostname]) -> Result<(), UsageError> {
    for host in hosts {
        if allowlist::is_key_holder_host(host) {
            return Err(UsageError(format!(
                "cannot deny {host}: pipelock refuses it in every bottle already; the agent reaches it through the bottle's key holder only, which `bot-bottle logout` (and a bottle without a login) leaves out"
            )));
        }
        if allowlist::is_builtin(host) {
            return Err(UsageError(format!(
                "cannot deny {host}: it is one of the hosts an agent kind itself needs, which every bottle of that kind allows (a manifest cannot remove them either)"
            )));
        }
        if !current.contains(host) {
            if let Some(wider) = current.iter().find(|a| allowlist::covers(a, host)) {
                return Err(UsageError(format!(
                    "cannot deny {host} alone: the allowlist entry {wider} allows it; deny {wider}"
                )));
            }
        }
    }
    Ok(())
}

/// Puts `new` in the sidecar's config file, has pipelock reload it and returns the reload's
/// `config_hash`; puts `old` back if pipelock refuses it, reloads other bytes, or does not
/// answer. Having reloaded other bytes, pipelock runs a config nobody wrote: it is told to
/// reload the old one, and that reload must be the old file's too.
fn reload(engine: &dyn Engine, proxy: &str, old: &str, new: &str) -> anyhow::Result<String> {
    let failure = match put_and_reload(engine, proxy, new)? {
        Ok(hash) => return Ok(hash),
        Err(failure) => failure,
    };
    if !failure.reloaded {
        put(engine, proxy, old).context("putting the old config back")?;
        bail!(
            "{}; the old config file is back in {proxy}",
            failure.message
        );
    }
    match put_and_reload(engine, proxy, old).context("putting the old config back")? {
        Ok(_) => bail!(
            "{}; the old config file is back in {proxy} and pipelock reloaded it",
            failure.message
        ),
        Err(again) => bail!(
            "{}; the old config file is back in {proxy}, but reloading it failed too ({}): `bot-bottle stop` the bottle",
            failure.message,
            again.message
        ),
    }
}

/// Why a reload did not count.
struct Failure {
    message: String,
    /// Whether pipelock reloaded something (other bytes than written) rather than nothing.
    reloaded: bool,
}

/// Puts `text` in the sidecar's config file, sends SIGHUP and waits for pipelock's answer: the
/// `config_hash` of its reload when that is the hash of `text`, else why not.
fn put_and_reload(
    engine: &dyn Engine,
    proxy: &str,
    text: &str,
) -> anyhow::Result<Result<String, Failure>> {
    let before = reloads(&engine.logs(proxy)?.stdout);
    put(engine, proxy, text)?;
    engine.signal_container(proxy, "HUP")?;
    let deadline = Instant::now() + RELOAD_DEADLINE;
    loop {
        let log = engine.logs(proxy)?;
        let now = reloads(&log.stdout);
        if let Some(hash) = now
            .successes
            .get(before.successes.len()..)
            .and_then(|s| s.last())
        {
            return Ok(check_hash(hash, text)
                .map(|()| hash.clone())
                .map_err(|message| Failure {
                    message,
                    reloaded: true,
                }));
        }
        if let Some(error) = now
            .errors
            .get(before.errors.len()..)
            .and_then(|e| e.first())
        {
            return Ok(Err(Failure {
                message: format!("pipelock refused the new config: {error}"),
                reloaded: false,
            }));
        }
        if Instant::now() > deadline {
            let stderr: Vec<&str> = log.stderr.lines().rev().take(5).collect();
            return Ok(Err(Failure {
                message: format!(
                    "pipelock did not log a reload within {} s; its last lines on stderr: {}",
                    RELOAD_DEADLINE.as_secs(),
                    stderr.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ),
                reloaded: false,
            }));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Fails unless pipelock's `config_hash` is the hex SHA-256 of `written`: what it reloaded is
/// then the file bot-bottle wrote, not one something else put there (or a copy cut short).
fn check_hash(reloaded: &str, written: &str) -> Result<(), String> {
    let digest = crate::ca::sha256_of(written.as_bytes());
    let expected = digest.trim_start_matches("sha256:");
    if reloaded.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(format!(
            "pipelock reloaded a config whose hash is {reloaded:?}, not {expected} (the SHA-256 of the file bot-bottle wrote): the file in the sidecar is not the one written"
        ))
    }
}

/// Writes the config into the sidecar's config directory, a volume of its own: its root
/// filesystem is read-only (a sidecar an earlier bot-bottle launched has the directory in its
/// writable root, which takes the same copy).
fn put(engine: &dyn Engine, proxy: &str, text: &str) -> anyhow::Result<()> {
    let name = defaults::PROXY_CONFIG_PATH
        .strip_prefix(defaults::PROXY_CONFIG_DIR)
        .unwrap_or(defaults::PROXY_CONFIG_PATH)
        .trim_start_matches('/');
    let mut tar = Tarball::new();
    tar.file(name, text.as_bytes(), 0o644, Owner::ROOT)?;
    engine
        .copy_tar_into(proxy, defaults::PROXY_CONFIG_DIR, &tar.finish()?)
        .with_context(|| format!("copying the new config into {proxy}"))
}

/// The reloads pipelock logged: each success's `config_hash`, and each refusal's error.
#[derive(Debug, Default, PartialEq, Eq)]
struct Reloads {
    successes: Vec<String>,
    errors: Vec<String>,
}

fn reloads(stdout: &str) -> Reloads {
    let mut found = Reloads::default();
    for event in stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let field = |name: &str| event[name].as_str().unwrap_or_default().to_owned();
        match field("event").as_str() {
            "config_reload" if field("status") == "success" => {
                found.successes.push(field("config_hash"));
            }
            "error" if field("method") == "CONFIG_RELOAD" => found.errors.push(field("error")),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> Vec<Hostname> {
        names.iter().map(|h| Hostname::parse(h).unwrap()).collect()
    }

    #[test]
    fn reloads_are_read_from_pipelock_s_events() {
        // As the real pipelock v2.3.0 printed them (trimmed).
        let log = [
            r#"{"level":"info","component":"pipelock","event":"startup","config_hash":"aa"}"#,
            r#"{"level":"info","component":"pipelock","event":"config_reload","status":"success","detail":"mode=strict","config_hash":"bb","message":"configuration reloaded"}"#,
            r#"{"level":"error","component":"pipelock","event":"error","method":"CONFIG_RELOAD","resource":"/etc/pipelock/pipelock.yaml","error":"rejected: security downgrade from strict mode","message":"request error"}"#,
            r#"{"level":"error","component":"pipelock","event":"error","method":"close","error":"x"}"#,
        ]
        .join("\n");
        assert_eq!(
            reloads(&log),
            Reloads {
                successes: vec!["bb".to_owned()],
                errors: vec!["rejected: security downgrade from strict mode".to_owned()],
            }
        );
    }

    #[test]
    fn a_reload_counts_only_with_the_hash_of_the_bytes_written() {
        let written = "{\n  \"mode\": \"strict\"\n}\n";
        // The hex SHA-256 of those bytes, as pipelock's Config.Hash() computes it.
        let hash = crate::ca::sha256_of(written.as_bytes())
            .trim_start_matches("sha256:")
            .to_owned();
        assert_eq!(hash.len(), 64);
        check_hash(&hash, written).unwrap();
        // The same config with one byte more (another writer's, or a reformatting) is refused.
        let err = check_hash(&hash, &format!("{written} ")).unwrap_err();
        assert!(err.contains("is not the one written"), "{err}");
        assert!(check_hash("", written).is_err(), "no hash is no proof");
    }

    #[test]
    fn built_in_and_wildcard_covered_hosts_cannot_be_denied() {
        let current = hosts(&["sentry.io", "*.example.org", "a.test"]);
        let err = refuse_undeniable(&current, &hosts(&["sentry.io"])).unwrap_err();
        assert!(err.0.contains("hosts an agent kind itself needs"), "{err}");
        let err = refuse_undeniable(&current, &hosts(&["x.example.org"])).unwrap_err();
        assert!(err.0.contains("entry *.example.org allows it"), "{err}");
        refuse_undeniable(&current, &hosts(&["a.test", "*.example.org", "b.test"])).unwrap();
        let err = refuse_undeniable(&current, &hosts(&["api.anthropic.com"])).unwrap_err();
        assert!(err.0.contains("key holder"), "{err}");
    }

    #[test]
    fn the_key_holder_s_hosts_cannot_be_allowed() {
        let err = refuse_key_holder_hosts(&hosts(&["a.test", "platform.claude.com"])).unwrap_err();
        assert!(
            err.0.starts_with("cannot allow platform.claude.com: "),
            "{err}"
        );
        refuse_key_holder_hosts(&hosts(&["a.test", "*.claude.ai"])).unwrap();
    }
}
