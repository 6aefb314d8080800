//! Collecting a bottle's evidence from its sidecars and sealing its record: at `stop` and at
//! the end of an attached session (the bottle stopped), on demand (`bot-bottle record save`,
//! while it runs), and from `gc` (a launch that died: incomplete).

use std::time::Duration;

use anyhow::Context as _;
use camino::Utf8Path;
use engine::Engine;

use super::pending::{self, Pending};
use super::seal::{self, Ending, Evidence, ImageIds, Sealed};
use super::statement::Completion;
use super::{flight, key, pushes};
use crate::defaults;
use crate::parallel;
use crate::timing;

/// The most bot-bottle reads of one evidence file.
const READ_LIMIT: u64 = 512 * 1024 * 1024;
/// How long pipelock gets to shut down (and write its last checkpoint) before it is killed.
const PROXY_STOP: Duration = Duration::from_secs(10);

/// How the bottle is being sealed.
#[derive(Debug, Clone, Copy)]
pub enum How {
    /// It is being stopped (`stop`, the end of an attached session): pipelock is stopped first,
    /// so that it signs a last checkpoint over everything it recorded, and each container is
    /// removed once read (see [`evidence`]).
    Stopped { agent_exit_code: Option<i32> },
    /// It keeps running (`record save`).
    Running,
    /// Its launch died (`gc`): what is left, sealed as incomplete.
    Crashed,
}

/// The flight record in the sidecar `proxy`, read from its recorder's directory (a volume of
/// the sidecar's, so it is there from the start): pipelock makes the file with its first entry,
/// and signs a checkpoint at shutdown only over entries, so a directory without it is a
/// pipelock that recorded nothing, an empty record, not a missing one.
/// `volume`: the recorder's volume, when the sidecar's inspect named it (an engine that exports
/// volumes reads it without mounting the stopped sidecar).
fn read_flight(engine: &dyn Engine, proxy: &str, volume: Option<&str>) -> Result<Vec<u8>, String> {
    let mut files = engine
        .read_dir_files(proxy, defaults::PROXY_RECORDER_DIR, volume, READ_LIMIT)
        .map_err(|e| format!("{e:#}"))?;
    Ok(files.remove(flight::FILE).unwrap_or_default())
}

/// Reads the evidence of the bottle `pending` describes: stops its sidecar first unless
/// `keep_running`. With `remove`, each container goes as soon as the record has what it needs
/// of it (a failure is left to the caller's removal by label, which follows): the agent first,
/// once its image is known, so that the gate's log, read after it is gone, holds every push it
/// could have made, and all of it while pipelock shuts down.
pub fn evidence(
    engine: &dyn Engine,
    pending: &Pending,
    keep_running: bool,
    remove: bool,
) -> Evidence {
    let containers = &pending.containers;
    let read = |name: &str, path: &str| {
        engine
            .read_file(name, path, READ_LIMIT)
            .map_err(|e| format!("{e:#}"))
    };
    let inspect = |name: &str| engine.inspect_container(name).ok().flatten();
    let image_of = |info: Option<&engine::ContainerInfo>| {
        info.map(|c| c.image.clone()).filter(|id| !id.is_empty())
    };
    let image = |name: &str| image_of(inspect(name).as_ref());
    let done_with = |name: &str| {
        if remove {
            let _ = timing::step("record: remove a container read", || {
                engine.remove_container(name)
            });
        }
    };
    // The flight record is read once pipelock has stopped (its last checkpoint written), from
    // the volume the sidecar's inspect names; the agent and the gate are read and removed
    // meanwhile, so a stop waits for pipelock's shutdown and not for it and then the rest.
    let proxy = || {
        let (info, stopped) = parallel::both(
            || inspect(&containers.proxy),
            || {
                if keep_running {
                    return Ok(());
                }
                timing::step("record: stop pipelock", || {
                    engine
                        .stop_container(&containers.proxy, PROXY_STOP)
                        .map_err(|e| format!("{e:#}"))
                })
            },
        );
        let volume = info
            .as_ref()
            .and_then(|c| c.volumes.get(defaults::PROXY_RECORDER_DIR))
            .map(String::as_str);
        let flight = timing::step("record: read the flight record", || {
            read_flight(engine, &containers.proxy, volume)
        });
        let flight = match stopped {
            Ok(()) => flight,
            // A record read from a pipelock that would not stop may lack its last checkpoint.
            Err(why) => flight.map_err(|e| format!("{e} (stopping pipelock first failed: {why})")),
        };
        done_with(&containers.proxy);
        (image_of(info.as_ref()), flight)
    };
    let agent_then_gate = || {
        let agent = image(&containers.agent);
        done_with(&containers.agent);
        let gate = containers.gate.as_ref().map(|gate| {
            let read_gate = parallel::both(|| image(gate), || read(gate, pushes::GATE_PATH));
            done_with(gate);
            read_gate
        });
        (agent, gate)
    };
    let ((agent, gate), (proxy, flight)) = parallel::both(agent_then_gate, proxy);
    let (gate, gate_log) = gate.map_or((None, None), |(image, log)| (image, Some(log)));
    Evidence {
        flight,
        gate_log,
        image_ids: ImageIds { agent, proxy, gate },
    }
}

/// Seals the record of `slug`'s launch `launch_id`, begun in `state_dir`, collecting from the
/// engine as `how` says. `None` when that launch began no record (it never came up, or an
/// earlier bot-bottle launched it).
pub fn seal_bottle(
    engine: &dyn Engine,
    state_dir: &Utf8Path,
    slug: &str,
    launch_id: &str,
    how: How,
) -> anyhow::Result<Option<Sealed>> {
    let dir = super::dir_of(state_dir, slug, launch_id);
    let Some(pending) = pending::read(&dir) else {
        return Ok(None);
    };
    seal_dir(engine, state_dir, &dir, &pending, how).map(Some)
}

/// Seals the pending record in `dir`.
pub fn seal_dir(
    engine: &dyn Engine,
    state_dir: &Utf8Path,
    dir: &Utf8Path,
    pending: &Pending,
    how: How,
) -> anyhow::Result<Sealed> {
    let key = key::load_or_create(state_dir)?;
    let evidence = timing::step("record: evidence", || {
        evidence(
            engine,
            pending,
            matches!(how, How::Running),
            matches!(how, How::Stopped { .. }),
        )
    });
    let ending = match how {
        How::Stopped { agent_exit_code } => Ending {
            completion: Completion::Stopped,
            reason: None,
            stopped_at: Some(super::now_rfc3339()),
            agent_exit_code,
        },
        How::Running => Ending {
            completion: Completion::Running,
            reason: None,
            stopped_at: None,
            agent_exit_code: None,
        },
        How::Crashed => Ending {
            completion: Completion::Incomplete,
            reason: Some(
                "the launch ended without `stop` (bot-bottle was killed, or the host restarted); `gc` sealed what was left"
                    .to_owned(),
            ),
            stopped_at: None,
            agent_exit_code: None,
        },
    };
    timing::step("record: seal", || {
        seal::seal(dir, pending, &evidence, &ending, &key)
    })
    .with_context(|| format!("sealing the record in {dir}"))
}

/// Seals, as incomplete, every record of `slug` still pending (for `gc`, before it removes
/// what the bottle left). Errors are returned per record, not fatal.
pub fn seal_crashed(
    engine: &dyn Engine,
    state_dir: &Utf8Path,
    slug: &str,
) -> Vec<anyhow::Result<Sealed>> {
    pending::of_bottle(state_dir, slug)
        .into_iter()
        .filter_map(|dir| pending::read(&dir).map(|p| (dir, p)))
        .map(|(dir, pending)| seal_dir(engine, state_dir, &dir, &pending, How::Crashed))
        .collect()
}
