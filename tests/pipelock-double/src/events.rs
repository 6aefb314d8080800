//! Audit events: JSON lines on stdout with pipelock's field names, flushed per line.

use std::io::Write;

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
}

impl Events {
    /// Builds the logger from the `logging` section.
    pub fn new(logging: &Logging) -> Self {
        Self {
            json: logging.json,
            include_allowed: logging.include_allowed,
            include_blocked: logging.include_blocked,
        }
    }

    /// Emits one event. `fields` must be a JSON object (or null for none).
    pub fn emit(&self, level: &str, event: &str, message: &str, fields: Value) {
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
