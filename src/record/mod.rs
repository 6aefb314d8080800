//! The signed record of a bottle: what ran, under which policy, what left through the proxy,
//! and which commits the git gate pushed, as an in-toto v1 Statement in a DSSE envelope signed
//! with the user's own key ([`key`]).
//!
//! A launch begins a record ([`pending`]): in bot-bottle's state directory, outside every
//! workspace, `records/<slug>/<launch id>/` gets the plan, the CA's certificate and what the
//! launch knows (approved inputs, images, the public half of the recorder key it made for the
//! bottle's pipelock). The sidecars record while the bottle runs: pipelock's flight recorder
//! ([`flight`], hash-chained, checkpoints signed with the per-bottle key only the sidecar
//! holds) and the git gate's push log ([`pushes`]). `stop`, the end of an attached session,
//! `bot-bottle record save` and `gc` (for a launch that died) collect both and seal the record
//! ([`seal`]): the files beside `record.dsse.json`, the envelope, whose predicate names each
//! file's digest. `bot-bottle verify` ([`verify`]) checks all of it.

pub mod collect;
pub mod dsse;
pub mod events;
pub mod flight;
pub mod key;
pub mod newest;
pub mod pending;
pub mod pushes;
pub mod seal;
pub mod statement;
pub mod verify;

use camino::{Utf8Path, Utf8PathBuf};

/// The envelope's file name in a record's directory.
pub const ENVELOPE: &str = "record.dsse.json";
/// The plan's file name in a record's directory.
pub const PLAN: &str = "plan.json";
/// The CA certificate's file name in a record's directory.
pub const CA_CERT: &str = "ca.pem";
/// The flight recorder's directory in a record's directory.
pub const FLIGHT_DIR: &str = "flight-recorder";

/// Where the records of bottles are kept: `<state>/records`.
pub fn root(state_dir: &Utf8Path) -> Utf8PathBuf {
    state_dir.join("records")
}

/// The directory of one launch's record.
pub fn dir_of(state_dir: &Utf8Path, slug: &str, launch_id: &str) -> Utf8PathBuf {
    root(state_dir).join(slug).join(launch_id)
}

/// Time now as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// Seconds since the epoch as RFC 3339 UTC.
pub fn rfc3339_of_unix(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map_or_else(now_rfc3339, rfc3339)
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
