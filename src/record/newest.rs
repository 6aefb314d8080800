//! Which record of a bottle is its newest: the one whose launch started last, as the record
//! itself says (`pending.json` while it is not final, else the statement in its envelope).
//! `bot-bottle record path NAME` prints it, so that a script need not copy a launch id by hand.
//!
//! A launch id is random, so the directory names say nothing of the order; nor do the
//! directories' times, which a copy or a restore changes. The start time is read without
//! checking the envelope's signature: it only picks a directory, and `verify` checks that one.

use camino::{Utf8Path, Utf8PathBuf};

use super::events::instant_key;
use super::{pending, ENVELOPE};

/// The directory of the newest record of bottle `slug` under `state_dir`, or `None` when it
/// has none that says when its launch started. Two launches of one second are told apart by
/// their directory names, so that the answer is the same each time.
pub fn of_bottle(state_dir: &Utf8Path, slug: &str) -> Option<Utf8PathBuf> {
    let entries = super::root(state_dir).join(slug).read_dir_utf8().ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path().to_owned())
        .filter_map(|dir| Some((started_at(&dir)?, dir)))
        .max_by(|(a, a_dir), (b, b_dir)| {
            instant_key(a)
                .cmp(&instant_key(b))
                .then_with(|| a_dir.cmp(b_dir))
        })
        .map(|(_, dir)| dir)
}

/// When the launch of the record in `dir` started (RFC 3339 UTC), as its `pending.json` or,
/// once it is final, its statement says.
fn started_at(dir: &Utf8Path) -> Option<String> {
    if let Some(pending) = pending::read(dir) {
        return Some(pending.started_at);
    }
    let envelope: super::dsse::Envelope =
        serde_json::from_slice(&std::fs::read(dir.join(ENVELOPE)).ok()?).ok()?;
    let payload = envelope.unverified_payload().ok()?;
    let statement: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    statement["predicate"]["started_at"]
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::dsse;

    fn state() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        (tmp, path)
    }

    /// A record directory of `slug` whose `pending.json` says `started`.
    fn pending_record(state: &Utf8Path, slug: &str, launch: &str, started: &str) -> Utf8PathBuf {
        let dir = crate::record::dir_of(state, slug, launch);
        std::fs::create_dir_all(&dir).unwrap();
        let text = serde_json::json!({
            "schema": pending::SCHEMA,
            "bottle": {"name": slug, "slug": slug, "launch_id": launch},
            "started_at": started,
            "detached": true,
            "manifest": null,
            "lock": null,
            "images": {"agent": "a", "proxy": "p", "gate": null},
            "containers": {"agent": "a", "proxy": "p", "gate": null},
            "ca_fingerprint": "sha256:00",
            "recorder_public_key": "00",
        });
        std::fs::write(dir.join(pending::FILE), text.to_string()).unwrap();
        assert!(
            pending::read(&dir).is_some(),
            "the test's pending.json reads"
        );
        dir
    }

    /// A sealed record directory of `slug` whose statement says `started` (unsigned: the
    /// choice does not check signatures).
    fn sealed_record(state: &Utf8Path, slug: &str, launch: &str, started: &str) -> Utf8PathBuf {
        let dir = crate::record::dir_of(state, slug, launch);
        std::fs::create_dir_all(&dir).unwrap();
        let statement = serde_json::json!({"predicate": {"started_at": started}});
        let key = crate::record::key::generate().unwrap();
        let envelope = dsse::sign(
            dsse::INTOTO_PAYLOAD_TYPE,
            statement.to_string().as_bytes(),
            &key,
        );
        std::fs::write(dir.join(ENVELOPE), serde_json::to_vec(&envelope).unwrap()).unwrap();
        dir
    }

    #[test]
    fn the_newest_is_the_launch_that_started_last_whatever_its_id() {
        let (_tmp, state) = state();
        sealed_record(&state, "proj", "ffff000000000000", "2026-12-07T05:00:00Z");
        let newest = pending_record(&state, "proj", "0000000000000000", "2026-12-07T06:00:00Z");
        sealed_record(&state, "proj", "8888000000000000", "2026-12-07T05:59:59Z");
        // Another bottle's record, newer, is not this one's.
        sealed_record(&state, "other", "1111000000000000", "2026-12-08T00:00:00Z");
        assert_eq!(of_bottle(&state, "proj"), Some(newest));
    }

    #[test]
    fn a_sealed_record_counts_by_its_statement() {
        let (_tmp, state) = state();
        pending_record(&state, "proj", "0000000000000000", "2026-12-07T05:00:00Z");
        let newest = sealed_record(&state, "proj", "1111000000000000", "2026-12-07T05:00:01Z");
        assert_eq!(of_bottle(&state, "proj"), Some(newest));
    }

    #[test]
    fn no_record_or_none_that_reads_is_none() {
        let (_tmp, state) = state();
        assert_eq!(of_bottle(&state, "proj"), None);
        let dir = crate::record::dir_of(&state, "proj", "0000000000000000");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(ENVELOPE), "not json").unwrap();
        assert_eq!(of_bottle(&state, "proj"), None);
    }
}
