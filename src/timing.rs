//! Per-step timings of one run, printed on stderr when `BOT_BOTTLE_TIMINGS=1`: when each step
//! started (from the process's first timed step), how long it took, and how many engine calls
//! the whole run made. The launch benchmark reads these lines; steps that ran concurrently show
//! overlapping intervals.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Turns the report on.
pub const TIMINGS_ENV: &str = "BOT_BOTTLE_TIMINGS";

struct Recorder {
    origin: Instant,
    steps: Mutex<Vec<(String, Duration, Duration)>>,
}

fn recorder() -> Option<&'static Recorder> {
    static RECORDER: OnceLock<Option<Recorder>> = OnceLock::new();
    RECORDER
        .get_or_init(|| {
            (std::env::var(TIMINGS_ENV).as_deref() == Ok("1")).then(|| Recorder {
                origin: Instant::now(),
                steps: Mutex::new(Vec::new()),
            })
        })
        .as_ref()
}

/// Starts the clock that step start times are measured from.
pub fn start() {
    let _ = recorder();
}

/// Runs `f` as the step `name`, recording its interval when timings are on.
pub fn step<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let Some(rec) = recorder() else {
        return f();
    };
    let start = Instant::now();
    let out = f();
    let end = Instant::now();
    rec.steps
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((
            name.to_owned(),
            start - rec.origin,
            end.saturating_duration_since(start),
        ));
    out
}

/// Prints the recorded steps in start order and the engine call count, when timings are on.
pub fn report() {
    let Some(rec) = recorder() else {
        return;
    };
    let mut steps = rec
        .steps
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    steps.sort_by_key(|(_, start, _)| *start);
    for (name, start, took) in steps {
        eprintln!(
            "bot-bottle: timing: +{:.3} s {:.3} s {name}",
            start.as_secs_f64(),
            took.as_secs_f64()
        );
    }
    eprintln!(
        "bot-bottle: timing: total {:.3} s, engine calls {}",
        rec.origin.elapsed().as_secs_f64(),
        engine::process::calls()
    );
}
