//! The end of a learn run (`start --learn`): the hosts its pipelock let the agent reach become
//! the egress lock, written next to the manifest for review. An attached learn run writes it
//! when the agent exits, a detached one when `stop` removes it: before the sidecar, and its
//! log, are gone.

use std::fmt::Write as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use engine::Engine;
use serde::Serialize;

use super::lockfile::{self, EgressLock, LockedHost};
use super::usage::Tally;
use crate::manifest::{Hostname, SafeText};

/// What a learn run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Learned {
    pub path: Utf8PathBuf,
    /// `sha256:<hex>` of the file written: what the next plan shows.
    pub sha256: String,
    pub hosts: Vec<Hostname>,
    /// Hosts the agent reached that a lock cannot hold (IP addresses): left out.
    pub left_out: Vec<String>,
    /// Hosts pipelock refused everything to (DLP): not in the lock.
    pub refused_only: Vec<String>,
}

impl Learned {
    /// The line `start` and `stop` print.
    pub fn summary(&self) -> String {
        let hosts = match self.hosts.len() {
            0 => "no host".to_owned(),
            n => format!(
                "{n} host{}: {}",
                if n == 1 { "" } else { "s" },
                self.hosts
                    .iter()
                    .map(Hostname::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut text = format!(
            "learn run: wrote {} ({}) with {hosts}; review it before the next start allows them",
            self.path, self.sha256
        );
        for (why, hosts) in [
            ("an allowlist names hosts, not addresses", &self.left_out),
            ("pipelock refused everything sent there", &self.refused_only),
        ] {
            if !hosts.is_empty() {
                let _ = write!(text, "; left out ({why}): {}", hosts.join(", "));
            }
        }
        text
    }
}

/// The lock for bottle `bottle` from pipelock's stdout `log`, learned at `now` (RFC 3339),
/// with what it had to leave out and the hosts that saw refusals only.
pub fn lock_from_log(
    bottle: &str,
    log: &str,
    now: &str,
) -> anyhow::Result<(EgressLock, Vec<String>, Vec<String>)> {
    let mut tally = Tally::default();
    for line in log.lines() {
        tally.add_line(line);
    }
    let mut hosts = Vec::new();
    let mut left_out = Vec::new();
    let mut refused_only = Vec::new();
    for used in tally.hosts() {
        if used.allowed == 0 {
            refused_only.push(used.host.clone());
            continue;
        }
        let Ok(name) = Hostname::parse(&used.host) else {
            left_out.push(used.host.clone());
            continue;
        };
        hosts.push(LockedHost {
            name,
            first_used: used
                .first_allowed
                .as_deref()
                .and_then(|t| SafeText::parse(t).ok()),
            count: used.allowed,
        });
    }
    let lock = EgressLock {
        schema: lockfile::SCHEMA.to_owned(),
        bottle: SafeText::parse(bottle)
            .map_err(|e| anyhow::anyhow!("the bottle name cannot go in a lock: {e}"))?,
        learned_at: SafeText::parse(now).map_err(|e| anyhow::anyhow!("{e}"))?,
        hosts,
    };
    Ok((lock, left_out, refused_only))
}

/// Reads the learn run's pipelock log from `proxy` and writes the lock to `path`.
pub fn finish(
    engine: &dyn Engine,
    proxy: &str,
    bottle: &str,
    path: &Utf8Path,
) -> anyhow::Result<Learned> {
    let log = engine
        .logs(proxy)
        .with_context(|| format!("reading what the learn run's pipelock {proxy} saw"))?;
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .context("formatting the time")?;
    let (lock, left_out, refused_only) = lock_from_log(bottle, &log.stdout, &now)?;
    let sha256 = lockfile::write(path, &lock).inspect_err(|_| {
        // Keep what was learned: the sidecar and its log go next.
        eprintln!(
            "bot-bottle: the learn run's lock could not be written; it would have been:\n{}",
            lockfile::render(&lock)
        );
    })?;
    Ok(Learned {
        path: path.to_owned(),
        sha256,
        hosts: lock.hosts.into_iter().map(|h| h.name).collect(),
        left_out,
        refused_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_hosts_become_the_lock() {
        let log = [
            r#"{"event":"startup","mode":"audit"}"#,
            r#"{"event":"anomaly","scanner":"tls_intercept","target":"registry.npmjs.org:443","request_id":"req-1","time":"2026-12-02T00:25:05Z"}"#,
            r#"{"event":"anomaly","scanner":"tls_intercept","target":"registry.npmjs.org:443","request_id":"req-2","time":"2026-12-02T00:25:06Z"}"#,
            r#"{"event":"tunnel_open","target":"api.anthropic.com:443","request_id":"req-3","time":"2026-12-02T00:25:07Z"}"#,
            r#"{"event":"forward_http","url":"http://198.51.100.7/x","request_id":"req-4","time":"2026-12-02T00:25:08Z"}"#,
            r#"{"event":"anomaly","scanner":"tls_intercept","target":"paste.example:443","request_id":"req-5","time":"2026-12-02T00:25:09Z"}"#,
            r#"{"event":"blocked","scanner":"body_dlp","url":"https://paste.example:443/[redacted]","request_id":"req-5","reason":"request body contains secret: GitHub Token","time":"2026-12-02T00:25:09Z"}"#,
            "not json",
        ]
        .join("\n");
        let (lock, left_out, refused) =
            lock_from_log("demo", &log, "2026-12-02T00:30:00Z").unwrap();
        let hosts: Vec<_> = lock
            .hosts
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    h.first_used.as_ref().map(SafeText::as_str),
                    h.count,
                )
            })
            .collect();
        assert_eq!(
            hosts,
            [
                ("api.anthropic.com", Some("2026-12-02T00:25:07Z"), 1),
                ("registry.npmjs.org", Some("2026-12-02T00:25:05Z"), 2),
            ]
        );
        assert_eq!(left_out, ["198.51.100.7"]);
        assert_eq!(refused, ["paste.example"]);
        assert_eq!(lock.learned_at.as_str(), "2026-12-02T00:30:00Z");
        let text = lockfile::render(&lock);
        assert_eq!(lockfile::parse(&text, "bottle.lock").unwrap(), lock);
    }
}
