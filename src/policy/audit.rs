//! A bottle's audit events, one readable line each: the pipelock sidecar's and the git gate's
//! JSON events, in the shape `logs` prints (and `logs --json` writes), and the events a sealed
//! record holds (pipelock's flight record and the gate's push log), in the same shape for
//! `record events` ([`Line::parse_recorded`]). One published schema covers every line
//! (`contrib/schemas/logs-v1.schema.json`, [`schema`]).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::usage::{authority_of_url, short_time};

/// Version of each `logs --json` and `record events --json` line.
pub const JSON_SCHEMA: &str = "bot-bottle.logs/v1";

/// The published schema's `$id`.
const SCHEMA_ID: &str = "https://github.com/bot-bottle/bot-bottle/logs/v1";

/// One audit event of a bottle, as `logs --json` and `record events --json` write it (one JSON
/// object a line).
#[derive(Debug, Serialize, PartialEq, Eq, JsonSchema)]
#[schemars(title = "bot-bottle audit event (bot-bottle.logs/v1)")]
pub struct Line {
    /// Always `bot-bottle.logs/v1`.
    #[schemars(extend("const" = "bot-bottle.logs/v1"))]
    schema: &'static str,
    /// When it happened (RFC 3339), as the sidecar wrote it.
    time: Option<String>,
    /// `blocked`, `allowed`, `tunnel`, `anomaly`, `push`, `push_refused`, `checkpoint`, or the
    /// sidecar's own name for the event.
    verdict: String,
    method: Option<String>,
    /// The host (with its port when the event named one), or the git gate's upstream.
    host: Option<String>,
    /// The pipelock scanner (or layer) that decided.
    scanner: Option<String>,
    /// Why, as the sidecar said it (a refusal's reason, the ref a push named).
    reason: Option<String>,
    /// The event as the sidecar wrote it: a line of pipelock's stdout, an entry of its flight
    /// record, or a line of the git gate's log.
    event: Value,
}

/// The JSON Schema every audit line follows (published as `contrib/schemas/logs-v1.schema.json`,
/// printed by `bot-bottle record schema --events`).
pub fn schema() -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(Line)).expect("a schema serializes");
    if let Some(object) = schema.as_object_mut() {
        object.insert("$id".to_owned(), Value::String(SCHEMA_ID.to_owned()));
    }
    schema
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

    /// Reads one entry of pipelock's flight record (see [`crate::record::flight`]'s format);
    /// `None` for anything that is not one. A decision is named as pipelock's stdout names it
    /// (`blocked`, `allowed`), so one vocabulary serves both.
    pub fn parse_recorded(text: &str) -> Option<Line> {
        let entry: Value = serde_json::from_str(text.trim()).ok()?;
        let text_of = |value: &Value, name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let kind = text_of(&entry, "type")?;
        let detail = entry.get("detail").cloned().unwrap_or(Value::Null);
        // A signed action receipt carries its decision in `action_record`; a plain decision
        // entry in `detail` itself.
        let decision = detail.get("action_record").unwrap_or(&detail);
        let verdict = match (kind.as_str(), text_of(decision, "verdict").as_deref()) {
            ("action_receipt" | "decision", Some("block")) => "blocked".to_owned(),
            ("action_receipt" | "decision", Some("allow" | "forward")) => "allowed".to_owned(),
            ("action_receipt" | "decision", Some(other)) => other.to_owned(),
            _ => kind.clone(),
        };
        let host = text_of(decision, "target").map(|t| authority_of_url(&t).to_owned());
        Some(Line {
            schema: JSON_SCHEMA,
            time: text_of(&entry, "ts"),
            verdict,
            method: text_of(decision, "method").filter(|m| m != "-"),
            host,
            scanner: text_of(decision, "layer"),
            // A checkpoint or any other entry says what it is in its summary.
            reason: text_of(decision, "pattern").or_else(|| {
                if matches!(kind.as_str(), "action_receipt" | "decision") {
                    None
                } else {
                    text_of(&entry, "summary")
                }
            }),
            event: entry,
        })
    }

    /// When it happened, as written (RFC 3339), for ordering lines of several sources.
    pub fn time(&self) -> Option<&str> {
        self.time.as_deref()
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
