//! What a bottle's proxy allowed and refused, per host, tallied from pipelock's audit events:
//! `policy log` prints it, and a learn run's lock is made from it.
//!
//! Pipelock v2.3.0 logs a connection it lets through as `tunnel_open` (spliced), `anomaly`
//! with scanner `tls_intercept` (intercepted), `forward_http` (plain HTTP) or `allowed`; a
//! refusal as `blocked`, or as `body_dlp`/`header_dlp` with `action: "block"` (plain HTTP).
//! Every event of one connection carries its `request_id` (an intercepted tunnel's requests
//! carry the CONNECT's), so the tally counts connections, not events: one is refused when
//! pipelock refused it or anything sent through it, else allowed.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

/// Version of each `policy log --json` line.
pub const JSON_SCHEMA: &str = "bot-bottle.policy-log/v1";

/// One host's tally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostUse {
    pub schema: &'static str,
    /// Lowercase, without the port.
    pub host: String,
    /// Connections pipelock let through with nothing in them refused.
    pub allowed: u64,
    /// Connections pipelock refused, or refused something sent through.
    pub refused: u64,
    /// The times (RFC 3339, as pipelock wrote them) of the first and the last event.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The first time the host was let through: when a learn run saw it used.
    pub first_allowed: Option<String>,
    /// Why the latest refusal happened, as pipelock said it.
    pub last_refusal: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allowed,
    Refused,
}

/// Tallies of a stream of events, host by host.
#[derive(Debug, Default)]
pub struct Tally {
    hosts: BTreeMap<String, HostUse>,
    /// What each connection counted as so far, and for which host.
    connections: HashMap<String, (String, Verdict)>,
}

impl Tally {
    /// Counts one line of pipelock's stdout; returns the host whose tally changed, if any.
    pub fn add_line(&mut self, line: &str) -> Option<&HostUse> {
        let event: Value = serde_json::from_str(line.trim()).ok()?;
        self.add(&event)
    }

    /// Counts one event; returns the host whose tally changed, if any.
    pub fn add(&mut self, event: &Value) -> Option<&HostUse> {
        let field = |name: &str| event.get(name).and_then(Value::as_str);
        let verdict = verdict(event)?;
        let host = field("target")
            .or_else(|| field("url").map(authority_of_url))
            .map(host_of_authority)?;
        if host.is_empty() {
            return None;
        }
        let time = field("time").map(str::to_owned);
        let id = field("request_id").map(str::to_owned);
        let before = id.as_ref().and_then(|id| self.connections.get(id)).cloned();
        let entry = self.hosts.entry(host.clone()).or_insert_with(|| HostUse {
            schema: JSON_SCHEMA,
            host: host.clone(),
            allowed: 0,
            refused: 0,
            first_seen: time.clone(),
            last_seen: None,
            first_allowed: None,
            last_refusal: None,
        });
        entry.last_seen.clone_from(&time);
        if entry.first_seen.is_none() {
            entry.first_seen.clone_from(&time);
        }
        match (verdict, before.map(|(_, v)| v)) {
            // Another event of a connection already counted this way.
            (Verdict::Allowed, Some(_)) => return Some(entry),
            (Verdict::Refused, Some(Verdict::Refused)) => {}
            (Verdict::Allowed, None) => {
                entry.allowed += 1;
                if entry.first_allowed.is_none() {
                    entry.first_allowed.clone_from(&time);
                }
            }
            (Verdict::Refused, before) => {
                if before == Some(Verdict::Allowed) {
                    entry.allowed -= 1;
                }
                entry.refused += 1;
            }
        }
        if verdict == Verdict::Refused {
            entry.last_refusal = refusal_reason(event);
        }
        if let Some(id) = id {
            self.connections.insert(id, (host, verdict));
        }
        Some(entry)
    }

    /// Every host seen, by name.
    pub fn hosts(&self) -> impl Iterator<Item = &HostUse> {
        self.hosts.values()
    }
}

/// Whether `event` lets a connection through, refuses one, or is about something else.
fn verdict(event: &Value) -> Option<Verdict> {
    let field = |name: &str| event.get(name).and_then(Value::as_str);
    match field("event")? {
        "tunnel_open" | "forward_http" | "allowed" => Some(Verdict::Allowed),
        "anomaly" if field("scanner") == Some("tls_intercept") => Some(Verdict::Allowed),
        "blocked" => Some(Verdict::Refused),
        "body_dlp" | "header_dlp" if field("action") == Some("block") => Some(Verdict::Refused),
        _ => None,
    }
}

fn refusal_reason(event: &Value) -> Option<String> {
    let field = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
    field("reason").or_else(|| {
        // Pipelock's plain-HTTP DLP events name the patterns, not a reason.
        let patterns: Vec<&str> = event
            .get("patterns")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let what = if field("event").as_deref() == Some("header_dlp") {
            "header"
        } else {
            "body"
        };
        Some(format!(
            "request {what} contains secret: {}",
            patterns.join(", ")
        ))
    })
}

/// `host[:port]` of an absolute URL; the text itself when it has no scheme.
pub fn authority_of_url(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority)
}

/// The host of `host[:port]` (IPv6 in brackets), lowercase, without a trailing dot.
fn host_of_authority(authority: &str) -> String {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        }
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The readable table: a header, then one line per host.
pub fn render_header() -> String {
    format_row([
        "HOST",
        "ALLOWED",
        "REFUSED",
        "FIRST",
        "LAST",
        "LAST REFUSAL",
    ])
}

/// One host's line of the table.
pub fn render(host: &HostUse) -> String {
    let time = |t: &Option<String>| t.as_deref().map_or_else(|| "-".to_owned(), short_time);
    format_row([
        &host.host,
        &host.allowed.to_string(),
        &host.refused.to_string(),
        &time(&host.first_seen),
        &time(&host.last_seen),
        host.last_refusal.as_deref().unwrap_or("-"),
    ])
}

fn format_row([host, allowed, refused, first, last, why]: [&str; 6]) -> String {
    format!("{host:<32} {allowed:>7} {refused:>7}  {first:<20}  {last:<20}  {why}")
        .trim_end()
        .to_owned()
}

/// An RFC 3339 time to the second: `2026-12-02T00:25:05.344490664Z` → `2026-12-02T00:25:05Z`.
pub fn short_time(time: &str) -> String {
    match time.split_once('.') {
        Some((seconds, rest)) => {
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{seconds}{zone}")
        }
        None => time.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // As the real pipelock v2.3.0 printed them (measured on loopback, trimmed).
    const REAL: &[&str] = &[
        r#"{"level":"info","component":"pipelock","event":"startup","listen":"0.0.0.0:8888","mode":"strict","time":"2026-12-04T16:50:00Z"}"#,
        r#"{"level":"warn","component":"pipelock","event":"blocked","method":"CONNECT","target":"b.exp.test:443","request_id":"req-2","scanner":"allowlist","reason":"domain not in allowlist: b.exp.test","time":"2026-12-04T16:50:00Z"}"#,
        r#"{"level":"info","component":"pipelock","event":"config_reload","status":"success","detail":"mode=strict","time":"2026-12-04T16:50:01Z"}"#,
        r#"{"level":"warn","component":"pipelock","event":"anomaly","method":"CONNECT","target":"b.exp.test:443","request_id":"req-3","scanner":"tls_intercept","reason":"TLS MITM interception active","time":"2026-12-04T16:50:02Z"}"#,
        r#"{"level":"error","component":"pipelock","event":"error","method":"close","error":"clientConn: close","time":"2026-12-04T16:50:02Z"}"#,
        r#"{"level":"warn","component":"pipelock","event":"anomaly","method":"CONNECT","target":"b.exp.test:443","request_id":"req-4","scanner":"tls_intercept","reason":"TLS MITM interception active","time":"2026-12-04T16:50:03Z"}"#,
        r#"{"level":"warn","component":"pipelock","event":"blocked","method":"POST","url":"https://b.exp.test:443/[redacted]","request_id":"req-4","scanner":"body_dlp","reason":"request body contains secret: GitHub Token","time":"2026-12-04T16:50:03Z"}"#,
        r#"{"level":"info","component":"pipelock","event":"forward_http","method":"GET","url":"http://C.exp.test/plain","request_id":"req-5","status_code":200,"time":"2026-12-04T16:50:04Z"}"#,
        r#"{"level":"warn","component":"pipelock","event":"body_dlp","method":"POST","url":"http://c.exp.test/plain","action":"block","request_id":"req-6","patterns":["GitHub Token"],"time":"2026-12-04T16:50:05Z"}"#,
        r#"{"level":"info","component":"pipelock","event":"tunnel_open","target":"api.anthropic.com:443","request_id":"req-7","time":"2026-12-04T16:50:06Z"}"#,
        r#"{"level":"info","component":"pipelock","event":"tunnel_close","target":"api.anthropic.com:443","request_id":"req-7","total_bytes":10,"time":"2026-12-04T16:50:07Z"}"#,
    ];

    fn tally(lines: &[&str]) -> Vec<(String, u64, u64)> {
        let mut t = Tally::default();
        for line in lines {
            t.add_line(line);
        }
        t.hosts()
            .map(|h| (h.host.clone(), h.allowed, h.refused))
            .collect()
    }

    #[test]
    fn real_pipelock_events_count_connections_per_host() {
        assert_eq!(
            tally(REAL),
            [
                ("api.anthropic.com".to_owned(), 1, 0),
                ("b.exp.test".to_owned(), 1, 2),
                ("c.exp.test".to_owned(), 1, 1),
            ]
        );
        let mut t = Tally::default();
        for line in REAL {
            t.add_line(line);
        }
        let b = t.hosts().find(|h| h.host == "b.exp.test").unwrap();
        assert_eq!(b.first_seen.as_deref(), Some("2026-12-04T16:50:00Z"));
        assert_eq!(b.first_allowed.as_deref(), Some("2026-12-04T16:50:02Z"));
        assert_eq!(b.last_seen.as_deref(), Some("2026-12-04T16:50:03Z"));
        assert_eq!(
            b.last_refusal.as_deref(),
            Some("request body contains secret: GitHub Token")
        );
        let c = t.hosts().find(|h| h.host == "c.exp.test").unwrap();
        assert_eq!(
            c.last_refusal.as_deref(),
            Some("request body contains secret: GitHub Token")
        );
    }

    #[test]
    fn the_double_s_events_count_the_same() {
        // The double logs tunnel_open, the interception anomaly, the request and tunnel_close
        // for one intercepted connection, all with one request id.
        let double = [
            r#"{"event":"tunnel_open","target":"u.test:443","request_id":"req-1","time":"t1"}"#,
            r#"{"event":"anomaly","scanner":"tls_intercept","target":"u.test:443","request_id":"req-1","time":"t1"}"#,
            r#"{"event":"allowed","url":"https://u.test/hello","request_id":"req-1","time":"t1"}"#,
            r#"{"event":"tunnel_close","target":"u.test:443","request_id":"req-1","time":"t2"}"#,
            r#"{"event":"tunnel_open","target":"u.test:443","request_id":"req-2","time":"t3"}"#,
            r#"{"event":"blocked","scanner":"body_dlp","action":"block","url":"https://u.test/echo","request_id":"req-2","reason":"request body contains secret: GitHub Token","time":"t3"}"#,
            r#"{"event":"header_dlp","action":"block","url":"http://v.test/","request_id":"req-3","reason":"request header contains secret: GitHub Token","time":"t4"}"#,
            r#"{"event":"header_dlp","action":"warn","url":"http://w.test/","request_id":"req-4","time":"t5"}"#,
        ];
        assert_eq!(
            tally(&double),
            [("u.test".to_owned(), 1, 1), ("v.test".to_owned(), 0, 1)]
        );
    }

    #[test]
    fn hosts_lose_ports_brackets_and_case() {
        assert_eq!(host_of_authority("A.B:8443"), "a.b");
        assert_eq!(host_of_authority("[::1]:443"), "::1");
        assert_eq!(host_of_authority("a.b."), "a.b");
        assert_eq!(authority_of_url("http://u:p@a.b:80/x?y"), "a.b:80");
        assert_eq!(authority_of_url("https://a.b:8443/x"), "a.b:8443");
        assert_eq!(authority_of_url("a.b"), "a.b");
    }

    #[test]
    fn rows_line_up() {
        let mut t = Tally::default();
        let host = t.add_line(REAL[1]).unwrap().clone();
        assert_eq!(
            render(&host),
            format!(
                "{:<32} {:>7} {:>7}  2026-12-04T16:50:00Z  2026-12-04T16:50:00Z  domain not in allowlist: b.exp.test",
                "b.exp.test", 0, 1
            )
        );
        assert!(render_header().starts_with("HOST "));
        assert_eq!(
            short_time("2026-12-02T00:25:05.344490664Z"),
            "2026-12-02T00:25:05Z"
        );
        assert_eq!(
            short_time("2026-12-02T00:25:05.1+01:00"),
            "2026-12-02T00:25:05+01:00"
        );
        assert_eq!(short_time("2026-12-02T00:25:05Z"), "2026-12-02T00:25:05Z");
    }
}
