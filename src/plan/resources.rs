//! What each container of a bottle may take of the host: memory, CPUs, processes (cgroup
//! limits the engine applies) and the size of its writable scratch space (a tmpfs at `/tmp`).
//!
//! The agent's limits are the manifest's `[resources]`, or [`AGENT`]'s defaults; each sidecar
//! has defaults of its own ([`PROXY`], [`GATE`]): a new sidecar gets a [`Defaults`] and
//! [`Chosen::sidecar`]. `"unlimited"` turns a kind of limit off for every container, and
//! `limits = "none"` all three: the user's explicit choice where the engine cannot apply them.
//!
//! Why a tmpfs for scratch: the root filesystem of a container is an overlay on the engine's
//! storage, which has no size limit unless that storage sits on xfs with project quotas
//! (`--storage-opt size=` works nowhere else). A tmpfs has a size the kernel enforces on every
//! engine, rootless too, and its pages count as the container's memory, so the memory limit
//! holds it as well.

use serde::Serialize;

use super::FieldError;
use crate::manifest::resources::{Cpus, Limit, LimitsMode, Resources as Written, Size};

/// Where each container's scratch space is mounted.
pub const SCRATCH_PATH: &str = "/tmp";

/// A container's limits when the manifest does not set them.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub memory: Size,
    /// `None`: all but one of the host's CPUs, at least one (the agent's).
    pub cpus: Option<Cpus>,
    pub pids: u32,
    pub scratch: Size,
    /// Whether programs may run from its scratch space: the agent's tools do (build scripts,
    /// installers); a sidecar runs only its image's binaries.
    pub scratch_exec: bool,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The agent: room for Claude Code and a build (a cargo or npm build of a mid-sized project
/// fits in 4 GiB); 4096 processes and threads, far more than a build starts and far fewer than
/// a fork bomb wants; a 1 GiB `/tmp`.
pub const AGENT: Defaults = Defaults {
    memory: Size(4 * GIB),
    cpus: None,
    pids: 4096,
    scratch: Size(GIB),
    scratch_exec: true,
};

/// The pipelock sidecar: a Go proxy that buffers at most a few 5 MiB bodies at once; its
/// runtime's threads count as processes.
pub const PROXY: Defaults = Defaults {
    memory: Size(512 * MIB),
    cpus: Some(Cpus(1000)),
    pids: 512,
    scratch: Size(64 * MIB),
    scratch_exec: false,
};

/// The git gate: git's pack and index work on the upstreams' mirrors. Its scratch holds a push
/// while the gate reads it, so it grows with the largest `max_push_bytes`, and its memory with
/// its scratch ([`Chosen::gate`]).
pub const GATE: Defaults = Defaults {
    memory: Size(GIB),
    cpus: Some(Cpus(1000)),
    pids: 512,
    scratch: Size(64 * MIB),
    scratch_exec: false,
};

/// The git gate's egress filter: one small process relaying the gate's few connections.
pub const GATE_EGRESS: Defaults = Defaults {
    memory: Size(64 * MIB),
    cpus: Some(Cpus(1000)),
    pids: 64,
    scratch: Size(MIB),
    scratch_exec: false,
};

/// The key holder: one process relaying the agent's API calls (their answers stream through,
/// never held whole).
pub const KEY_HOLDER: Defaults = Defaults {
    memory: Size(128 * MIB),
    cpus: Some(Cpus(1000)),
    pids: 64,
    scratch: Size(MIB),
    scratch_exec: false,
};

/// The agent's CPU limit when the manifest sets none: all but one of the host's CPUs, at
/// least one (see [`AGENT`]).
pub fn default_agent_cpus(host_cpus: u32) -> Cpus {
    Cpus((host_cpus.max(1) - 1).max(1) * 1000)
}

/// The least memory the agent may be given: Claude Code alone takes a few hundred MiB, and
/// less would fail its start, not bound it.
pub const MIN_AGENT_MEMORY: Size = Size(64 * MIB);
/// The fewest processes the agent may be given: the container's own, the launch's finishing
/// step and the agent's session need a few dozen.
pub const MIN_AGENT_PIDS: u32 = 64;
/// The smallest scratch space.
pub const MIN_SCRATCH: Size = Size(MIB);

/// The bottle's choice of limits, as the plan shows it (`resources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// `enforced`, or `none` (the manifest's `limits = "none"`).
    pub limits: LimitsMode,
    /// The host's CPUs: the most `cpus` may be, and what the agent's default comes from.
    pub host_cpus: u32,
}

/// What one container may take of the host (`agent.resources`, `proxy.resources`,
/// `gate.resources`): `null` is no limit of that kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resources {
    pub memory_bytes: Option<u64>,
    pub cpus: Option<Cpus>,
    pub pids: Option<u32>,
    pub scratch: Scratch,
}

/// A container's writable scratch space: a tmpfs of a fixed size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scratch {
    pub path: String,
    pub bytes: u64,
    /// Whether programs may run from it.
    pub exec: bool,
}

impl Resources {
    /// The cgroup limits, as the engine takes them.
    pub fn limits(&self) -> engine::Limits {
        engine::Limits {
            memory_bytes: self.memory_bytes,
            cpus_milli: self.cpus.map(|c| c.0),
            pids: self.pids,
        }
    }

    /// The scratch space, as the engine mounts it.
    pub fn scratch_mount(&self) -> engine::Mount {
        engine::Mount::Tmpfs {
            target: self.scratch.path.clone().into(),
            size_bytes: self.scratch.bytes,
            mode: 0o1777,
            exec: self.scratch.exec,
        }
    }
}

/// The manifest's `[resources]`, checked, and the host's CPUs: what each container gets.
#[derive(Debug, Clone, Copy)]
pub struct Chosen<'a> {
    written: &'a Written,
    host_cpus: u32,
}

impl<'a> Chosen<'a> {
    /// Checks `written` against itself and the host (`host_cpus`).
    pub fn new(written: &'a Written, host_cpus: u32) -> Result<Self, FieldError> {
        let chosen = Chosen {
            written,
            host_cpus: host_cpus.max(1),
        };
        if written.limits == LimitsMode::None {
            for (field, set) in [
                (
                    "resources.memory",
                    matches!(written.memory, Some(Limit::At(_))),
                ),
                ("resources.cpus", matches!(written.cpus, Some(Limit::At(_)))),
                ("resources.pids", matches!(written.pids, Some(Limit::At(_)))),
            ] {
                if set {
                    return Err((
                        field,
                        "is set, but resources.limits = \"none\" sets no memory, CPU or process limit: remove one of them".to_owned(),
                    ));
                }
            }
        }
        if let Some(Limit::At(memory)) = written.memory {
            if memory < MIN_AGENT_MEMORY {
                return Err((
                    "resources.memory",
                    format!("{memory} is less than the agent needs to start ({MIN_AGENT_MEMORY} at least)"),
                ));
            }
        }
        if let Some(Limit::At(cpus)) = written.cpus {
            if cpus.0 > chosen.host_cpus * 1000 {
                return Err((
                    "resources.cpus",
                    format!(
                        "{cpus} is more than this host's {} CPUs (the engines refuse more)",
                        chosen.host_cpus
                    ),
                ));
            }
        }
        if let Some(Limit::At(pids)) = written.pids {
            if pids < MIN_AGENT_PIDS {
                return Err((
                    "resources.pids",
                    format!("{pids} is fewer than the agent's own processes need ({MIN_AGENT_PIDS} at least)"),
                ));
            }
        }
        let agent = chosen.agent();
        let scratch = Size(agent.scratch.bytes);
        if scratch < MIN_SCRATCH {
            return Err((
                "resources.scratch",
                format!("{scratch} is less than {MIN_SCRATCH}"),
            ));
        }
        if let Some(memory) = agent.memory_bytes {
            if scratch.0 >= memory {
                return Err((
                    "resources.scratch",
                    format!(
                        "{scratch} is not less than the agent's memory ({}): /tmp is a tmpfs, whose pages are the agent's memory",
                        Size(memory)
                    ),
                ));
            }
        }
        Ok(chosen)
    }

    /// How the plan shows the choice.
    pub fn policy(&self) -> Policy {
        Policy {
            limits: self.written.limits,
            host_cpus: self.host_cpus,
        }
    }

    /// Whether limits of a kind are on: not `limits = "none"`, and not `"unlimited"`.
    fn on<T>(&self, kind: Option<&Limit<T>>) -> bool {
        self.written.limits == LimitsMode::Enforced && !matches!(kind, Some(Limit::Unlimited))
    }

    /// The agent's: the manifest's values, else [`AGENT`]'s.
    pub fn agent(&self) -> Resources {
        let written = self.written;
        let memory = match written.memory {
            Some(Limit::At(size)) => size.0,
            _ => AGENT.memory.0,
        };
        let cpus = match written.cpus {
            Some(Limit::At(cpus)) => cpus,
            _ => default_agent_cpus(self.host_cpus),
        };
        let pids = match written.pids {
            Some(Limit::At(pids)) => pids,
            _ => AGENT.pids,
        };
        Resources {
            memory_bytes: self.on(written.memory.as_ref()).then_some(memory),
            cpus: self.on(written.cpus.as_ref()).then_some(cpus),
            pids: self.on(written.pids.as_ref()).then_some(pids),
            scratch: Scratch {
                path: SCRATCH_PATH.to_owned(),
                bytes: written.scratch.unwrap_or(AGENT.scratch).0,
                exec: AGENT.scratch_exec,
            },
        }
    }

    /// A sidecar's: its own `defaults`, but for the kinds the manifest turned off.
    pub fn sidecar(&self, defaults: &Defaults) -> Resources {
        let written = self.written;
        let cpus = defaults
            .cpus
            .unwrap_or(Cpus(1000))
            .min(Cpus(self.host_cpus * 1000));
        Resources {
            memory_bytes: self
                .on(written.memory.as_ref())
                .then_some(defaults.memory.0),
            cpus: self.on(written.cpus.as_ref()).then_some(cpus),
            pids: self.on(written.pids.as_ref()).then_some(defaults.pids),
            scratch: Scratch {
                path: SCRATCH_PATH.to_owned(),
                bytes: defaults.scratch.0,
                exec: defaults.scratch_exec,
            },
        }
    }

    /// The git gate's: [`GATE`]'s, with scratch for twice the largest push it takes (a push is
    /// read into a file there) and memory for its scratch on top.
    pub fn gate(&self, largest_push: u64) -> Resources {
        let scratch = GATE
            .scratch
            .0
            .max(largest_push.saturating_mul(2).div_ceil(MIB) * MIB);
        self.sidecar(&Defaults {
            memory: Size(GATE.memory.0.saturating_add(scratch)),
            scratch: Size(scratch),
            ..GATE
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(toml: &str) -> Written {
        crate::manifest::parse_toml_as::<Written>(toml, "bottle.toml").unwrap()
    }

    #[test]
    fn defaults_bound_every_container_and_the_agent_leaves_the_host_a_cpu() {
        let none = written("");
        let chosen = Chosen::new(&none, 4).unwrap();
        let agent = chosen.agent();
        assert_eq!(agent.memory_bytes, Some(4 << 30));
        assert_eq!(agent.cpus, Some(Cpus(3000)));
        assert_eq!(agent.pids, Some(4096));
        assert_eq!(
            agent.scratch,
            Scratch {
                path: "/tmp".into(),
                bytes: 1 << 30,
                exec: true
            }
        );
        let proxy = chosen.sidecar(&PROXY);
        assert_eq!(
            (proxy.memory_bytes, proxy.cpus, proxy.pids),
            (Some(512 << 20), Some(Cpus(1000)), Some(512))
        );
        assert!(!proxy.scratch.exec);
        // One CPU host: the agent still gets one.
        assert_eq!(
            Chosen::new(&none, 1).unwrap().agent().cpus,
            Some(Cpus(1000))
        );
        // The gate's scratch holds twice its largest push, and its memory that on top.
        let gate = chosen.gate(300 << 20);
        assert_eq!(gate.scratch.bytes, 600 << 20);
        assert_eq!(gate.memory_bytes, Some((1 << 30) + (600 << 20)));
        assert_eq!(chosen.gate(1).scratch.bytes, 64 << 20);
    }

    #[test]
    fn unlimited_turns_a_kind_off_everywhere_and_none_turns_all_off() {
        let cpus_off = written("cpus = \"unlimited\"\nmemory = \"2g\"\n");
        let chosen = Chosen::new(&cpus_off, 2).unwrap();
        assert_eq!(chosen.agent().cpus, None);
        assert_eq!(chosen.agent().memory_bytes, Some(2 << 30));
        assert_eq!(chosen.sidecar(&PROXY).cpus, None);
        assert_eq!(chosen.sidecar(&PROXY).pids, Some(512));

        let none = written("limits = \"none\"\nscratch = \"64m\"\n");
        let chosen = Chosen::new(&none, 2).unwrap();
        assert_eq!(chosen.policy().limits, LimitsMode::None);
        for r in [chosen.agent(), chosen.sidecar(&PROXY), chosen.gate(1)] {
            assert_eq!((r.memory_bytes, r.cpus, r.pids), (None, None, None));
        }
        // Scratch needs no cgroup: it keeps its size.
        assert_eq!(chosen.agent().scratch.bytes, 64 << 20);
    }

    #[test]
    fn values_that_cannot_work_name_their_field() {
        for (toml, field, says) in [
            ("cpus = 3", "resources.cpus", "more than this host's 2 CPUs"),
            (
                "memory = \"32m\"",
                "resources.memory",
                "less than the agent needs",
            ),
            ("pids = 10", "resources.pids", "fewer than"),
            (
                "scratch = \"4g\"",
                "resources.scratch",
                "not less than the agent's memory",
            ),
            ("scratch = \"1k\"", "resources.scratch", "less than 1 MiB"),
            (
                "limits = \"none\"\npids = 100",
                "resources.pids",
                "limits = \"none\"",
            ),
        ] {
            let written = written(toml);
            let (got, message) = Chosen::new(&written, 2).unwrap_err();
            assert_eq!(got, field, "{toml}");
            assert!(message.contains(says), "{toml}: {message}");
        }
        // Unlimited memory allows any scratch.
        let big = written("memory = \"unlimited\"\nscratch = \"8g\"\n");
        assert!(Chosen::new(&big, 2).is_ok());
    }
}
