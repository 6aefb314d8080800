//! `logs` and `policy log`: what a bottle's sidecars logged, read from the engine: the audit
//! events one by one (the pipelock sidecar's, then the git gate's when the bottle has one), or
//! a tally per host of what the proxy allowed and refused.

use engine::Engine;

use crate::bottle::Bottle;
use crate::policy::audit::Line;
use crate::policy::usage::{HostUse, Tally};

/// One line of a sidecar's log.
#[derive(Debug)]
pub enum Logged<'a> {
    /// An audit event.
    Event(Line),
    /// Anything else the sidecar printed (a banner, a warning).
    Other(&'a str),
}

/// Shows each line of `bottle`'s audit logs with `show`: the sidecar's, then the gate's; with
/// `follow`, both as they come, side by side, until the sidecars stop. `show` writes one line
/// whole before the next.
pub fn audit(
    engine: &dyn Engine,
    bottle: &Bottle,
    follow: bool,
    show: &(dyn Fn(Logged<'_>) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<()> {
    // A stopped sidecar's log is still there to read.
    let (proxy, _) = bottle.proxy_on(engine)?;
    let gate = bottle.gate();
    let has_gate = engine.inspect_container(&gate)?.is_some();
    let stream = |name: &str| {
        engine.stream_logs(name, follow, &mut |text| {
            show(Line::parse(text).map_or(Logged::Other(text), Logged::Event))
        })
    };
    match (has_gate, follow) {
        (false, _) => stream(&proxy),
        (true, false) => stream(&proxy).and_then(|()| stream(&gate)),
        (true, true) => {
            let (a, b) = crate::parallel::both(|| stream(&proxy), || stream(&gate));
            a.and(b)
        }
    }
}

/// What `policy log` shows, in order.
#[derive(Debug)]
pub enum Tallied<'a> {
    /// Once, before the first host: where a table's header goes.
    Start,
    /// A host's counts: each host once, then, with `follow`, again each time they change.
    Host(&'a HostUse),
}

/// Shows what `bottle`'s proxy allowed and refused, one host at a time, from pipelock's audit
/// events; with `follow`, then each change as it comes, until the sidecar stops.
pub fn tally(
    engine: &dyn Engine,
    bottle: &Bottle,
    follow: bool,
    show: &mut dyn FnMut(Tallied<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // A stopped sidecar's log is still there to read.
    let (proxy, _) = bottle.proxy_on(engine)?;
    let mut tally = Tally::default();
    // What the log holds so far, one line per host; with -f, then each change as it comes.
    let log = engine.logs(&proxy)?;
    for line in log.stdout.lines() {
        tally.add_line(line);
    }
    show(Tallied::Start)?;
    for host in tally.hosts() {
        show(Tallied::Host(host))?;
    }
    if !follow {
        return Ok(());
    }
    // Follow from the start again and show only what is new: the lines read above count once
    // more first, and are skipped until the stream passes them.
    let mut skip = log.stdout.lines().count();
    let mut fresh = Tally::default();
    engine.stream_logs(&proxy, true, &mut |line| {
        let changed = fresh.add_line(line);
        if skip > 0 {
            skip -= 1;
            return Ok(());
        }
        changed.map_or(Ok(()), |host| show(Tallied::Host(host)))
    })
}
