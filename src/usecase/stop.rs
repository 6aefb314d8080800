//! `stop`: remove a bottle exactly as the end of an attached `start` does, writing a detached
//! learn run's lock first, while its sidecar's log still exists.

use anyhow::Context as _;
use engine::Engine;

use super::Ask;
use crate::bottle::Bottle;

/// Removes `bottle` (`purge`: its state volume too), telling what was removed.
pub fn stop(
    engine: &dyn Engine,
    bottle: &Bottle,
    purge: bool,
    ask: &mut dyn Ask,
) -> anyhow::Result<()> {
    // Not while a launch of this name is still bringing it up or running it attached.
    let held = bottle.lock()?;
    // A detached learn run writes its lock now, while its sidecar's log exists.
    let learned = learn_before_removal(engine, bottle, ask);
    // The record is sealed while the sidecars still hold what they recorded.
    seal_record(engine, bottle, ask);
    let removed = held.remove(engine, purge)?;
    ask.tell(&removed.summary());
    if let Some(warning) = &removed.git_warning {
        ask.tell(warning);
    }
    learned.context("the bottle was removed, but its learn run's lock was not written")
}

/// Seals the bottle's signed record (see [`crate::record`]), saying where it is. A failure is
/// told, not fatal: the bottle is removed all the same.
fn seal_record(engine: &dyn Engine, bottle: &Bottle, ask: &mut dyn Ask) {
    let Some(launch) = bottle.record() else {
        return;
    };
    let sealed = crate::userdirs::state_dir()
        .map_err(anyhow::Error::new)
        .and_then(|state| {
            crate::record::collect::seal_bottle(
                engine,
                &state,
                bottle.slug(),
                &launch.launch_id,
                crate::record::collect::How::Stopped {
                    agent_exit_code: None,
                },
            )
        });
    match sealed {
        Ok(Some(sealed)) => ask.tell(&sealed.summary()),
        Ok(None) => {}
        Err(e) => ask.tell(&format!(
            "warning: the bottle's record was not sealed: {e:#}"
        )),
    }
}

/// For a learn run (its launch record says where its lock goes), writes the lock from the
/// sidecar's log and says so. An error is returned only after the bottle is removed: the lock
/// it would have written is printed, so nothing learned is lost.
fn learn_before_removal(
    engine: &dyn Engine,
    bottle: &Bottle,
    ask: &mut dyn Ask,
) -> anyhow::Result<()> {
    let Some(record) = bottle.record() else {
        return Ok(());
    };
    let Some(path) = &record.learn_lock else {
        return Ok(());
    };
    if engine.inspect_container(&record.proxy_container)?.is_none() {
        ask.tell(&format!(
            "the learn run's sidecar {} is gone, and with it what it saw: {path} is left as it was",
            record.proxy_container
        ));
        return Ok(());
    }
    let learned =
        crate::policy::learn::finish(engine, &record.proxy_container, &record.name, path)?;
    ask.tell(&learned.summary());
    Ok(())
}
