//! Audit events: one JSON object a line. The server prints them on stdout (the container log
//! `bot-bottle logs` shows); a push hook, whose output goes to the agent, appends them to the
//! file the server names in `BOT_BOTTLE_GATE_AUDIT` and the server prints them when the push
//! is over.
//!
//! The server also keeps every push it judged in the push log, `pushes.jsonl` beside the
//! mirrors (`/var/lib/bot-bottle-gate/pushes.jsonl`): append-only, one event a line, for the
//! bottle's signed record, which bot-bottle collects from it when the bottle stops.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The variable naming the file a hook appends its events to.
pub const AUDIT_FILE_ENV: &str = "BOT_BOTTLE_GATE_AUDIT";

/// The `source` of the git gate's events.
pub const GIT_GATE: &str = "git-gate";
/// The `source` of the key holder's events.
pub const KEYS: &str = "key-holder";

/// A git gate event: `event` plus `fields`, stamped with the time in RFC 3339 (UTC, to the
/// second), as pipelock stamps its own, so that `bot-bottle logs` reads both alike.
pub fn event(event: &str, fields: Value) -> String {
    event_from(GIT_GATE, event, fields)
}

/// An event of `source`, stamped as [`event`] stamps it.
pub fn event_from(source: &str, event: &str, fields: Value) -> String {
    let mut object = Map::new();
    object.insert("time".to_owned(), json!(rfc3339(OffsetDateTime::now_utc())));
    object.insert("source".to_owned(), json!(source));
    object.insert("event".to_owned(), json!(event));
    if let Value::Object(more) = fields {
        object.extend(more);
    }
    Value::Object(object).to_string()
}

/// Prints a git gate event on stdout.
pub fn emit(name: &str, fields: Value) {
    emit_from(GIT_GATE, name, fields);
}

/// Prints an event of `source` on stdout.
pub fn emit_from(source: &str, name: &str, fields: Value) {
    let line = event_from(source, name, fields);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The push log's file name, beside the mirrors (which are `<name>.git`).
pub const PUSH_LOG: &str = "pushes.jsonl";

/// Where the push log is.
pub fn push_log_path() -> PathBuf {
    crate::git::repo_root().join(PUSH_LOG)
}

/// Creates the push log (0600) if it is not there, so that a bottle that pushed nothing has
/// an empty log rather than none.
pub fn open_push_log() -> Result<(), String> {
    append_to_push_log("")
}

/// Appends `lines` (whole events, each ending in a newline) to the push log, one writer at a
/// time: pushes to two upstreams may end together.
pub fn append_to_push_log(lines: &str) -> Result<(), String> {
    static ONE_WRITER: Mutex<()> = Mutex::new(());
    let _held = ONE_WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = push_log_path();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("opening the push log {}: {e}", path.display()))?;
    file.write_all(lines.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("writing the push log {}: {e}", path.display()))
}

/// Prints an event on stdout and keeps it in the push log.
pub fn emit_push(name: &str, fields: Value) {
    let line = event(name, fields);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    if let Err(e) = append_to_push_log(&format!("{line}\n")) {
        eprintln!("bot-bottle-gate: {e}");
    }
}

/// A UTC `time` as `YYYY-MM-DDTHH:MM:SSZ` (to the second).
fn rfc3339(time: OffsetDateTime) -> String {
    let to_the_second = time.replace_nanosecond(0).unwrap_or(time);
    // Only a year past 9999 cannot be written in RFC 3339.
    to_the_second
        .format(&Rfc3339)
        .unwrap_or_else(|_| to_the_second.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_rfc3339() {
        let at = |seconds: i64| rfc3339(OffsetDateTime::from_unix_timestamp(seconds).unwrap());
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_999_999), "2026-11-30T00:53:19Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
        let fraction = OffsetDateTime::from_unix_timestamp_nanos(1_795_999_999_900_000_000);
        assert_eq!(rfc3339(fraction.unwrap()), "2026-11-30T00:53:19Z");
    }
}
