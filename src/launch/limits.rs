//! Whether the engine can apply the plan's resource limits, asked before anything is created.
//!
//! A limit the engine cannot apply is refused, never dropped: podman creates a container
//! without the limits it was given when it runs rootless on cgroup v1 ("Resource limits are
//! not supported and ignored on cgroups V1 rootless systems"), and docker and podman drop a
//! limit whose cgroup controller is missing ("… discarded"), each with a warning only. The
//! engine says what it can apply in its `info` ([`engine::LimitSupport`]); the launch asks it
//! where a limit may be missing (a rootless engine, or any docker daemon, whose `info` is cheap)
//! and refuses here. Rootful podman has every controller the kernel has, so it is not asked
//! (the question costs podman a fifth of a second); should one be missing after all, the
//! create's warning is an error ([`engine::LimitDropped`]).

use engine::{EngineInfo, EngineKind, LimitSupport};

use crate::exit::UsageError;
use crate::plan::Plan;

/// Whether the launch asks the engine what it can apply: the plan has a limit, and the engine
/// is docker or a podman that runs rootless (or may: the plan does not know).
pub fn worth_asking(kind: EngineKind, plan: &Plan) -> bool {
    let rootless = plan.engine.as_ref().and_then(|e| e.rootless);
    wanted(plan).any() && (kind == EngineKind::Docker || rootless != Some(false))
}

/// The kinds of limit any container of `plan` has.
fn wanted(plan: &Plan) -> engine::Limits {
    let mut any = engine::Limits::default();
    for resources in plan.container_resources() {
        let limits = resources.limits();
        any.memory_bytes = any.memory_bytes.or(limits.memory_bytes);
        any.cpus_milli = any.cpus_milli.or(limits.cpus_milli);
        any.pids = any.pids.or(limits.pids);
    }
    any
}

/// Refuses `plan` when `info`'s engine cannot apply one of its limits: a [`UsageError`] (exit
/// 2, nothing created) naming the manifest, each kind, what the engine needs, and how to launch
/// without them.
pub fn check(info: &EngineInfo, plan: &Plan) -> Result<(), UsageError> {
    match problem(info, plan) {
        None => Ok(()),
        Some(Problem { what, fix }) => {
            let manifest = plan
                .bottle
                .manifest
                .as_ref()
                .map_or_else(|| "<built-in default>".to_owned(), ToString::to_string);
            Err(UsageError(format!(
                "{manifest}: resources: {what}. {fix}. `bot-bottle doctor` checks this"
            )))
        }
    }
}

/// Why `plan`'s limits cannot be applied, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

/// What is wrong, when `info`'s engine cannot apply one of `plan`'s limits.
pub fn problem(info: &EngineInfo, plan: &Plan) -> Option<Problem> {
    let missing = info.limits.missing_for(&wanted(plan));
    if missing.is_empty() {
        return None;
    }
    Some(unsupported(info, &missing))
}

/// The manifest's word for each kind of [`engine::Limits::KINDS`].
fn field(kind: &str) -> &'static str {
    match kind {
        "memory" => "memory",
        "cpu" => "cpus",
        _ => "pids",
    }
}

/// The problem of `missing` kinds.
fn unsupported(info: &EngineInfo, missing: &[&str]) -> Problem {
    let engine = if info.rootless {
        format!("rootless {}", info.kind)
    } else {
        info.kind.to_string()
    };
    let cgroup = info
        .cgroup_version
        .map_or_else(|| "cgroups".to_owned(), |v| format!("cgroup v{v}"));
    let kinds = missing.join(", ");
    let why = if info.rootless && info.cgroup_version == Some(1) {
        format!(
            "it runs containers under {cgroup}, where a user gets no cgroup controller, and would create them without any limit"
        )
    } else if info.rootless {
        format!(
            "the {kinds} cgroup controller(s) are not delegated to the user it runs as, and it would create the containers without those limits"
        )
    } else {
        format!("this kernel has no {kinds} cgroup controller ({cgroup}), and it would create the containers without those limits")
    };
    let need = if info.rootless {
        "cgroup v2 (the kernel's `systemd.unified_cgroup_hierarchy=1`) with the memory, pids and cpu controllers delegated to your user (a drop-in for `user@.service` with `Delegate=memory pids cpu`)"
    } else {
        "a kernel with the memory, pids and cpu cgroup controllers"
    };
    let off = missing
        .iter()
        .map(|kind| format!("{} = \"unlimited\"", field(kind)))
        .collect::<Vec<_>>()
        .join(", ");
    Problem {
        what: format!("{engine} cannot apply this bottle's {kinds} limits here: {why}"),
        fix: format!(
            "Limits need {need}; or launch without them, explicitly, with `limits = \"none\"` under [resources] in the manifest \
             (or only the missing kinds: {off})"
        ),
    }
}

/// What `doctor` says of the engine's limits for `plan`: `Ok(detail)`, or the problem.
pub fn doctor(info: &EngineInfo, plan: &Plan) -> Result<String, Problem> {
    if let Some(problem) = problem(info, plan) {
        return Err(problem);
    }
    let LimitSupport { memory, cpu, pids } = info.limits;
    let can: Vec<&str> = [("memory", memory), ("cpu", cpu), ("pids", pids)]
        .into_iter()
        .filter_map(|(kind, yes)| yes.then_some(kind))
        .collect();
    let can = if can.is_empty() {
        "none".to_owned()
    } else {
        can.join(", ")
    };
    let chosen = match plan.resources.limits {
        crate::manifest::resources::LimitsMode::None => {
            "the manifest sets no memory, CPU or process limit (limits = \"none\")".to_owned()
        }
        crate::manifest::resources::LimitsMode::Enforced => {
            "the bottle's limits can be applied".to_owned()
        }
    };
    Ok(format!("{} applies {can} limits; {chosen}", info.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(rootless: bool, cgroup: u8, limits: LimitSupport) -> EngineInfo {
        EngineInfo {
            kind: EngineKind::Podman,
            version: "4.3.1".into(),
            rootless,
            cgroup_version: Some(cgroup),
            limits,
        }
    }

    #[test]
    fn rootless_podman_on_cgroup_v1_is_refused_with_what_it_needs_and_the_way_out() {
        let project = crate::plan::tests::Project::new("p");
        let plan = project.plan("");
        let err = check(&info(true, 1, LimitSupport::default()), &plan).unwrap_err();
        assert_eq!(
            crate::exit::code_for(&anyhow::Error::new(UsageError(err.0.clone()))),
            crate::exit::USAGE
        );
        for says in [
            "bottle.toml: resources: rootless podman cannot apply this bottle's memory, cpu, pids limits here",
            "cgroup v1",
            "cgroup v2",
            "Delegate=memory pids cpu",
            "limits = \"none\"",
        ] {
            assert!(err.0.contains(says), "{says}: {}", err.0);
        }
        // Explicitly without limits, it goes.
        let none = project.plan("[resources]\nlimits = \"none\"\n");
        assert!(!worth_asking(EngineKind::Docker, &none));
        check(&info(true, 1, LimitSupport::default()), &none).unwrap();
    }

    #[test]
    fn a_missing_controller_names_that_kind_alone() {
        let project = crate::plan::tests::Project::new("p");
        let plan = project.plan("");
        let no_cpu = LimitSupport {
            cpu: false,
            ..LimitSupport::ALL
        };
        let err = check(&info(true, 2, no_cpu), &plan).unwrap_err().0;
        assert!(
            err.contains("cpu limits here") && err.contains("cpus = \"unlimited\""),
            "{err}"
        );
        assert!(!err.contains("memory = \"unlimited\""), "{err}");
        check(&info(false, 1, LimitSupport::ALL), &plan).unwrap();
        let cpus_off = project.plan("[resources]\ncpus = \"unlimited\"\n");
        check(&info(true, 2, no_cpu), &cpus_off).unwrap();
    }
}
