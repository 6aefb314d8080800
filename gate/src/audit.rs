//! Audit events: one JSON object a line. The server prints them on stdout (the container log
//! `bot-bottle logs` shows); a push hook, whose output goes to the agent, appends them to the
//! file the server names in `BOT_BOTTLE_GATE_AUDIT` and the server prints them when the push
//! is over.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The variable naming the file a hook appends its events to.
pub const AUDIT_FILE_ENV: &str = "BOT_BOTTLE_GATE_AUDIT";

/// An event: `event` plus `fields`, stamped with the time in RFC 3339 (UTC, to the second), as
/// pipelock stamps its own, so that `bot-bottle logs` reads both alike.
pub fn event(event: &str, fields: Value) -> String {
    let mut object = Map::new();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    object.insert("time".to_owned(), json!(rfc3339(now)));
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

/// `seconds` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01, counted in 400-year eras of 146,097
/// days from 0000-03-01 (so that the leap day ends a year).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_999_999), "2026-11-30T00:53:19Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
