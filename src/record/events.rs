//! A sealed record's events, in the audit stream's one shape (`bot-bottle.logs/v1`, the shape
//! `logs` uses for a live bottle): pipelock's flight record and the git gate's push log, merged
//! in time order. `record events` prints them; the files themselves stay as the sidecars wrote
//! them, since the envelope's digests and pipelock's hash chain are over those bytes.

use camino::Utf8Path;

use super::{flight, pushes};
use crate::exit::UsageError;
use crate::policy::audit::Line;

/// Reads the events of the record at `path` (its envelope, or its directory). A record
/// without a git gate has no push log; a missing directory or flight record is a usage error.
pub fn read(path: &Utf8Path) -> anyhow::Result<Vec<Line>> {
    let envelope = super::verify::envelope_path(path);
    let dir = envelope.parent().unwrap_or(Utf8Path::new("."));
    let flight_path = dir.join(super::FLIGHT_DIR).join(flight::FILE);
    let flight_text = std::fs::read_to_string(&flight_path).map_err(|e| {
        UsageError(format!(
            "{path}: no flight record to read ({flight_path}: {e}); give a record's directory or its {}",
            super::ENVELOPE
        ))
    })?;
    let gate_text = match std::fs::read_to_string(dir.join(pushes::FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow::anyhow!("{}: {e}", dir.join(pushes::FILE))),
    };
    Ok(merge(&flight_text, &gate_text))
}

/// The lines of a flight record and a push log, in time order (each file's own order kept
/// among events of one instant).
fn merge(flight_text: &str, gate_text: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = flight_text
        .lines()
        .filter_map(Line::parse_recorded)
        .chain(gate_text.lines().filter_map(Line::parse))
        .collect();
    lines.sort_by_cached_key(|line| line.time().map(instant_key));
    lines
}

/// A key that orders RFC 3339 UTC times (`…:SSZ` and `…:SS.fffZ` alike) as instants: the
/// text compares wrongly within one second, as `.` sorts before `Z`.
pub(super) fn instant_key(time: &str) -> (String, String) {
    let (whole, rest) = time.split_at(time.len().min(19));
    let fraction: String = rest
        .strip_prefix('.')
        .unwrap_or("")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (whole.to_owned(), format!("{fraction:0<9}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIPT: &str = r#"{"v":1,"seq":0,"ts":"2026-12-02T00:20:04.5Z","session_id":"proxy","type":"action_receipt","transport":"connect","summary":"receipt: block read connect","detail":{"version":1,"action_record":{"verdict":"block","method":"CONNECT","target":"https://denied.bottle.test/","layer":"allowlist","pattern":"domain not in allowlist: denied.bottle.test"},"signature":"ed25519:00","signer_key":"00"},"prev_hash":"genesis","hash":"h0"}"#;
    const DECISION: &str = r#"{"v":1,"seq":1,"ts":"2026-12-02T00:20:06Z","session_id":"proxy","type":"decision","transport":"fetch","summary":"allow: allowlist","detail":{"verdict":"allow","layer":"allowlist","pattern":"","request_id":"r2"},"prev_hash":"h0","hash":"h1"}"#;
    const CHECKPOINT: &str = r#"{"v":1,"seq":2,"ts":"2026-12-02T00:20:07Z","session_id":"proxy","type":"checkpoint","transport":"","summary":"checkpoint: 2 entries","detail":{"entry_count":2,"first_seq":0,"last_seq":1,"signature":"00"},"prev_hash":"h1","hash":"h2"}"#;
    const PUSHED: &str = r#"{"time":"2026-12-02T00:20:04Z","source":"git-gate","event":"push","upstream":"app","ref":"refs/heads/feature","old":"a","new":"b"}"#;

    fn json(line: &Line) -> serde_json::Value {
        serde_json::to_value(line).unwrap()
    }

    #[test]
    fn flight_entries_read_in_the_live_stream_s_vocabulary() {
        let receipt = json(&Line::parse_recorded(RECEIPT).unwrap());
        assert_eq!(receipt["schema"], "bot-bottle.logs/v1");
        assert_eq!(receipt["verdict"], "blocked");
        // A tunnel's receipt names the URL pipelock's scanners saw, its host is the host.
        assert_eq!(receipt["host"], "denied.bottle.test");
        assert_eq!(receipt["method"], "CONNECT");
        assert_eq!(receipt["scanner"], "allowlist");
        assert_eq!(
            receipt["reason"],
            "domain not in allowlist: denied.bottle.test"
        );
        assert_eq!(
            receipt["event"]["hash"], "h0",
            "the entry itself is kept whole"
        );
        let decision = json(&Line::parse_recorded(DECISION).unwrap());
        assert_eq!(decision["verdict"], "allowed");
        assert_eq!(decision["reason"], serde_json::Value::Null);
        let checkpoint = json(&Line::parse_recorded(CHECKPOINT).unwrap());
        assert_eq!(checkpoint["verdict"], "checkpoint");
        assert_eq!(checkpoint["reason"], "checkpoint: 2 entries");
        assert!(Line::parse_recorded("not json").is_none());
    }

    #[test]
    fn flight_record_and_push_log_merge_in_time_order() {
        let flight = [RECEIPT, DECISION, CHECKPOINT].join("\n");
        let verdicts: Vec<String> = merge(&flight, PUSHED)
            .iter()
            .map(|l| json(l)["verdict"].as_str().unwrap().to_owned())
            .collect();
        // The push at :04 comes before the receipt at :04.5, though its text sorts after.
        assert_eq!(verdicts, ["push", "blocked", "allowed", "checkpoint"]);
    }

    #[test]
    fn a_directory_without_a_flight_record_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap();
        let err = read(path).unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some(), "{err:#}");
        std::fs::create_dir(path.join(crate::record::FLIGHT_DIR)).unwrap();
        std::fs::write(
            path.join(crate::record::FLIGHT_DIR).join(flight::FILE),
            [RECEIPT, CHECKPOINT].join("\n"),
        )
        .unwrap();
        assert_eq!(read(path).unwrap().len(), 2);
    }
}
