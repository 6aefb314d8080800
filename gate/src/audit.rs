//! Audit events: one JSON object a line. The server prints them on stdout (the container log
//! `bot-bottle logs` shows); a push hook, whose output goes to the agent, appends them to the
//! file the server names in `BOT_BOTTLE_GATE_AUDIT` and the server prints them when the push
//! is over.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The variable naming the file a hook appends its events to.
pub const AUDIT_FILE_ENV: &str = "BOT_BOTTLE_GATE_AUDIT";

/// An event: `event` plus `fields`, stamped with the time.
pub fn event(event: &str, fields: Value) -> String {
    let mut object = Map::new();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    object.insert("time".to_owned(), json!(now));
    object.insert("source".to_owned(), json!("git-gate"));
    object.insert("event".to_owned(), json!(event));
    if let Value::Object(more) = fields {
        object.extend(more);
    }
    Value::Object(object).to_string()
}

/// Prints an event on stdout.
pub fn emit(name: &str, fields: Value) {
    let line = event(name, fields);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
