//! A bottle's audit events, one readable line each: the pipelock sidecar's and the git gate's
//! JSON events, in the shape `logs` prints (and `logs --json` writes).

use serde::Serialize;
use serde_json::Value;

use super::usage::{authority_of_url, short_time};

/// Version of each `logs --json` line.
pub const JSON_SCHEMA: &str = "bot-bottle.logs/v1";

/// One audit event, in the shape both outputs share.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Line {
    schema: &'static str,
    time: Option<String>,
    /// `blocked`, `allowed`, `tunnel`, `anomaly`, or pipelock's event name.
    verdict: String,
    method: Option<String>,
    host: Option<String>,
    scanner: Option<String>,
    reason: Option<String>,
    /// The event as pipelock printed it.
    event: Value,
}

impl Line {
    /// Reads one line of pipelock's stdout; `None` for anything that is not a JSON event.
    pub fn parse(text: &str) -> Option<Line> {
        let event: Value = serde_json::from_str(text.trim()).ok()?;
        let field = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
        let name = field("event")?;
        let verdict = match name.as_str() {
            "tunnel_open" | "tunnel_close" => "tunnel".to_owned(),
            other => other.to_owned(),
        };
        let host = field("url")
            .map(|url| authority_of_url(&url).to_owned())
            .or_else(|| field("target"))
            .or_else(|| field("host"))
            // The git gate's events name the upstream and the ref.
            .or_else(|| field("upstream"));
        Some(Line {
            schema: JSON_SCHEMA,
            time: field("time"),
            verdict,
            method: field("method"),
            host,
            scanner: field("scanner"),
            reason: field("reason").or_else(|| field("ref")).or_else(|| {
                // Events without a reason still say what happened.
                (name != "allowed").then(|| field("message")).flatten()
            }),
            event,
        })
    }

    /// Whether the line is a refusal.
    pub fn blocked(&self) -> bool {
        self.verdict == "blocked"
            || self.verdict.ends_with("_dlp")
            || self.verdict.ends_with("_refused")
    }

    /// The readable form, highlighted (bold red) when `color` and the line is a refusal.
    pub fn render(&self, color: bool) -> String {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        let text = format!(
            "{:<20} {:<8} {:<7} {:<32} {:<14} {}",
            self.time
                .as_deref()
                .map_or_else(|| "-".to_owned(), short_time),
            self.verdict,
            show(&self.method),
            show(&self.host),
            show(&self.scanner),
            show(&self.reason)
        );
        let text = text.trim_end().to_owned();
        if color && self.blocked() {
            format!("\x1b[1;31m{text}\x1b[0m")
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Events as the pipelock double prints them, with pipelock v2.3.0's field names.
    const BLOCKED: &str = r#"{"level":"warn","time":"2026-12-02T00:20:01Z","component":"pipelock","event":"blocked","message":"request blocked","method":"CONNECT","target":"denied.bottle.test:443","client_ip":"10.89.0.3","request_id":"r1","scanner":"allowlist","reason":"domain not in allowlist: denied.bottle.test","agent":""}"#;
    const ALLOWED: &str = r#"{"level":"info","time":"2026-12-02T00:20:02Z","component":"pipelock","event":"allowed","message":"request allowed","method":"GET","url":"http://upstream.bottle.test:80/hello?x=1","status":200}"#;
    const TUNNEL: &str = r#"{"level":"info","time":"2026-12-02T00:20:03Z","component":"pipelock","event":"tunnel_close","message":"tunnel closed","target":"passthrough.bottle.test:443","total_bytes":10,"duration_ms":3}"#;

    #[test]
    fn blocked_events_read_and_highlight() {
        let line = Line::parse(BLOCKED).unwrap();
        assert!(line.blocked());
        assert_eq!(line.host.as_deref(), Some("denied.bottle.test:443"));
        let plain = line.render(false);
        assert!(plain.starts_with("2026-12-02T00:20:01Z"), "{plain}");
        for part in [
            "blocked",
            "CONNECT",
            "allowlist",
            "domain not in allowlist: denied.bottle.test",
        ] {
            assert!(plain.contains(part), "{plain}");
        }
        assert!(!plain.contains('\x1b'));
        let colored = line.render(true);
        assert!(colored.starts_with("\x1b[1;31m") && colored.ends_with("\x1b[0m"));
    }

    #[test]
    fn allowed_and_tunnel_events_are_plain() {
        let allowed = Line::parse(ALLOWED).unwrap();
        assert_eq!(allowed.host.as_deref(), Some("upstream.bottle.test:80"));
        assert_eq!(allowed.reason, None);
        assert!(!allowed.blocked());
        assert!(!allowed.render(true).contains('\x1b'));
        let tunnel = Line::parse(TUNNEL).unwrap();
        assert_eq!(tunnel.verdict, "tunnel");
        assert_eq!(tunnel.host.as_deref(), Some("passthrough.bottle.test:443"));
    }

    #[test]
    fn git_gate_events_read_as_refusals_and_pushes() {
        const REFUSED: &str = r#"{"time":"2026-12-02T00:20:04Z","source":"git-gate","event":"push_refused","upstream":"app","ref":"refs/heads/main","old":"a","new":"b","reason":"refs/heads/main is the upstream's default branch"}"#;
        const PUSHED: &str = r#"{"time":"2026-12-02T00:20:05Z","source":"git-gate","event":"push","upstream":"app","ref":"refs/heads/feature","old":"a","new":"b"}"#;
        let refused = Line::parse(REFUSED).unwrap();
        assert!(refused.blocked());
        assert_eq!(refused.host.as_deref(), Some("app"));
        assert!(refused.render(false).contains("default branch"));
        let pushed = Line::parse(PUSHED).unwrap();
        assert!(!pushed.blocked());
        assert_eq!(pushed.reason.as_deref(), Some("refs/heads/feature"));
    }

    #[test]
    fn other_lines_are_not_events() {
        assert_eq!(Line::parse("pipelock v2.3.0 starting"), None);
        assert_eq!(Line::parse(r#"{"no_event":1}"#), None);
        assert_eq!(Line::parse(""), None);
    }

    #[test]
    fn json_lines_carry_the_schema_and_the_event() {
        let json = serde_json::to_value(Line::parse(BLOCKED).unwrap()).unwrap();
        assert_eq!(json["schema"], JSON_SCHEMA);
        assert_eq!(json["verdict"], "blocked");
        assert_eq!(json["event"]["request_id"], "r1");
    }
}
