//! `logs` and `policy log`: what a bottle's sidecars logged, read from the engine: the audit
//! events one by one (the pipelock sidecar's, then the git gate's and its egress filter's when
//! the bottle has them), or a tally per host of what the proxy allowed and refused.

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

/// Shows each line of `bottle`'s audit logs with `show`: the sidecar's, then the gate's and its
/// egress filter's; with `follow`, all as they come, side by side, until the sidecars stop.
/// `show` writes one line whole before the next.
pub fn audit(
    engine: &dyn Engine,
    bottle: &Bottle,
    follow: bool,
    show: &(dyn Fn(Logged<'_>) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<()> {
    // A stopped sidecar's log is still there to read.
    let (proxy, _) = bottle.proxy_on(engine)?;
    let mut sidecars = vec![proxy];
    // The gate and its egress filter (whose tunnels and refusals are the gate's reach), when
    // the bottle has them (one an earlier bot-bottle launched has no filter).
    for name in [bottle.gate(), bottle.gate_egress()] {
        if engine.inspect_container(&name)?.is_some() {
            sidecars.push(name);
        }
    }
    let stream = |name: &str| {
        engine.stream_logs(name, follow, &mut |text| {
            show(Line::parse(text).map_or(Logged::Other(text), Logged::Event))
        })
    };
    if !follow {
        return sidecars.iter().try_for_each(|name| stream(name));
    }
    let jobs: Vec<crate::parallel::Job<'_, anyhow::Result<()>>> = sidecars
        .iter()
        .map(|name| Box::new(move || stream(name)) as crate::parallel::Job<'_, _>)
        .collect();
    crate::parallel::all(jobs).into_iter().collect()
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
