//! `bot-bottle logs NAME`: a bottle's audit events as readable lines (time, verdict, method,
//! host, scanner, reason; refusals highlighted) or as JSON: the pipelock sidecar's, then the git
//! gate's (pushes and refused pushes, `"source": "git-gate"`) when the bottle has one.

use std::io::{IsTerminal as _, Write as _};

use anyhow::{bail, Context as _};
use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::Global;
use crate::plan::build::ResourceNames;
use crate::policy::usage::{authority_of_url, short_time};

/// Version of each `logs --json` line.
pub const JSON_SCHEMA: &str = "bot-bottle.logs/v1";

/// Print a bottle's audit log: what pipelock allowed and blocked, and what the git gate pushed
/// and refused, one event a line.
///
/// Refusals are highlighted on a terminal (not when `NO_COLOR` is set). Lines the sidecars
/// print that are not events (banners, warnings) go to stderr.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Keep printing new events until the sidecar stops (Ctrl-C to quit).
    #[arg(short, long)]
    pub follow: bool,

    /// One JSON object per event (`"schema": "bot-bottle.logs/v1"`), with pipelock's own event
    /// under `event`.
    #[arg(long)]
    pub json: bool,
}

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

/// Whether to highlight: a terminal, and `NO_COLOR` unset or empty (<https://no-color.org>).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl LogsArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let slug = crate::slug::slugify(&self.name)?;
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        let proxy = ResourceNames::proxy(&slug);
        if engine.inspect_container(&proxy)?.is_none() {
            bail!(
                "no bottle named {slug:?} is running in {} ({})",
                engine.kind(),
                engine.program()
            );
        }
        let gate = ResourceNames::gate(&slug);
        let has_gate = engine.inspect_container(&gate)?.is_some();
        let color = !self.json && use_color();
        let json = self.json;
        let follow = self.follow;
        // Shared by the two streams of `-f`: one line is written whole before the next.
        let print = |text: &str| -> anyhow::Result<()> {
            let Some(line) = Line::parse(text) else {
                // Not an event: a banner or a warning.
                eprintln!("{text}");
                return Ok(());
            };
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer(&mut out, &line).context("writing the log")?;
                writeln!(out).context("writing the log")?;
            } else {
                writeln!(out, "{}", line.render(color)).context("writing the log")?;
            }
            if follow {
                out.flush().context("writing the log")?;
            }
            Ok(())
        };
        let stream = |name: &str| engine.stream_logs(name, follow, &mut |text| print(text));
        match (has_gate, follow) {
            (false, _) => stream(&proxy),
            (true, false) => stream(&proxy).and_then(|()| stream(&gate)),
            (true, true) => {
                let (a, b) = crate::launch::parallel::both(|| stream(&proxy), || stream(&gate));
                a.and(b)
            }
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
