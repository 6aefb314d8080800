//! Audit events: JSON lines on stdout with pipelock's field names, flushed per line.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::Logging;

/// Where and what to log, from the `logging` section.
#[derive(Clone, Debug)]
pub struct Events {
    json: bool,
    include_allowed: bool,
    include_blocked: bool,
    /// What `/stats` reports, counted from the events whether or not they are logged.
    pub counts: Arc<Counts>,
    /// The flight recorder, when the config turns it on: every decision is recorded.
    pub recorder: Option<Arc<crate::recorder::Recorder>>,
}

/// Request and tunnel counts since start (a reload keeps them, as pipelock's metrics do).
#[derive(Debug)]
pub struct Counts {
    started: Instant,
    allowed: AtomicU64,
    blocked: AtomicU64,
    tunnels: AtomicU64,
}

impl Counts {
    fn new() -> Self {
        Counts {
            started: Instant::now(),
            allowed: AtomicU64::new(0),
            blocked: AtomicU64::new(0),
            tunnels: AtomicU64::new(0),
        }
    }

    fn count(&self, event: &str) {
        let counter = match event {
            "allowed" | "forward_http" => &self.allowed,
            "blocked" => &self.blocked,
            "tunnel_open" => &self.tunnels,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `/stats`: the fields of pipelock's, with what the double counts.
    pub fn stats(&self) -> Value {
        let allowed = self.allowed.load(Ordering::Relaxed);
        let blocked = self.blocked.load(Ordering::Relaxed);
        let total = allowed + blocked;
        #[allow(clippy::cast_precision_loss)] // a ratio of counts shown to a person
        let block_rate = if total > 0 {
            blocked as f64 / total as f64
        } else {
            0.0
        };
        serde_json::json!({
            "uptime_seconds": self.started.elapsed().as_secs_f64(),
            "requests": {"total": total, "allowed": allowed, "blocked": blocked, "block_rate": block_rate},
            "tunnels": self.tunnels.load(Ordering::Relaxed),
            "websockets": 0,
            "top_blocked_domains": [],
            "top_scanners": [],
            "sessions": {"active": 0, "anomalies": 0, "escalations": 0, "top_anomalies": []},
        })
    }

    /// `/metrics`: a few of pipelock's Prometheus counters.
    pub fn prometheus(&self) -> String {
        format!(
            "# TYPE pipelock_requests_total counter\npipelock_requests_total{{result=\"allowed\"}} {}\npipelock_requests_total{{result=\"blocked\"}} {}\n# TYPE pipelock_tunnels_total counter\npipelock_tunnels_total {}\n",
            self.allowed.load(Ordering::Relaxed),
            self.blocked.load(Ordering::Relaxed),
            self.tunnels.load(Ordering::Relaxed)
        )
    }
}

impl Events {
    /// Builds the logger from the `logging` section.
    pub fn new(logging: &Logging) -> Self {
        Self {
            json: logging.json,
            include_allowed: logging.include_allowed,
            include_blocked: logging.include_blocked,
            counts: Arc::new(Counts::new()),
            recorder: None,
        }
    }

    /// Emits one event. `fields` must be a JSON object (or null for none).
    pub fn emit(&self, level: &str, event: &str, message: &str, fields: Value) {
        self.counts.count(event);
        if let Some(recorder) = &self.recorder {
            if matches!(
                event,
                "allowed" | "blocked" | "tunnel_open" | "forward_http"
            ) {
                recorder.decision(event, &fields);
            }
        }
        if (event == "allowed" && !self.include_allowed)
            || (event == "blocked" && !self.include_blocked)
        {
            return;
        }
        let time = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut map = Map::new();
        map.insert("level".into(), level.into());
        map.insert("time".into(), time.clone().into());
        map.insert("component".into(), "pipelock".into());
        map.insert("event".into(), event.into());
        if let Value::Object(extra) = fields {
            map.extend(extra);
        }
        map.insert("message".into(), message.into());
        let line = if self.json {
            Value::Object(map).to_string()
        } else {
            let extras: Vec<String> = map
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "level" | "time" | "message"))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{time} {level} {message} {}", extras.join(" "))
        };
        // One locked write per line, then flush: container logs must see each event at once.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
