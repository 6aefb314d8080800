//! The plan as text, for `start --dry-run` and the question `start` asks before launching.

use std::fmt::Write as _;

use super::{Plan, StepAction};

/// The human-readable plan. Every line is something the launch will do or use.
pub fn render_text(plan: &Plan) -> String {
    let mut out = String::new();
    let w = &mut out;
    let manifest = plan
        .bottle
        .manifest
        .as_ref()
        .map_or_else(|| "built-in default".to_owned(), ToString::to_string);
    line(
        w,
        "bottle",
        &format!(
            "{} (slug {}, manifest {manifest})",
            plan.bottle.name, plan.bottle.slug
        ),
    );
    let engine = plan.engine.as_ref().map_or_else(
        || "none found (looked for podman, then docker, on PATH)".to_owned(),
        |e| {
            let mode = match (e.reachable, e.rootless) {
                (false, _) => ", not answering",
                (true, true) => ", rootless",
                (true, false) => "",
            };
            format!("{} {} at {}{mode}", e.kind, e.version, e.program)
        },
    );
    line(w, "engine", &engine);
    line(w, "agent image", &plan.images.agent);
    line(w, "proxy image", &plan.images.proxy);
    line(
        w,
        "containers",
        &format!(
            "{} (agent), {} (pipelock sidecar)",
            plan.containers.agent, plan.containers.proxy
        ),
    );
    line(
        w,
        "networks",
        &format!(
            "{} (internal: agent + sidecar), {} (egress: sidecar only)",
            plan.networks.internal, plan.networks.egress
        ),
    );
    line(
        w,
        "proxy",
        &format!(
            "{} (the agent's /etc/hosts maps {} to the sidecar's address on the internal network)",
            plan.agent.env.get("HTTPS_PROXY").map_or("", String::as_str),
            plan.containers.proxy
        ),
    );
    let tls = &plan.egress.tls_interception;
    line(
        w,
        "egress",
        &format!(
            "{}; DLP on request bodies: {}",
            plan.egress.summary,
            plan.egress.dlp_action.as_str()
        ),
    );
    let passthrough: Vec<_> = tls.passthrough_domains.iter().map(|h| h.as_str()).collect();
    line(
        w,
        "tls interception",
        &format!(
            "on, per-bottle CA made at launch (valid {}, name-constrained to the allowlist); passthrough: {}",
            human_duration(tls.ca_validity_seconds),
            passthrough.join(", ")
        ),
    );
    let mapping = plan.agent.userns.as_ref().map_or_else(String::new, |u| {
        format!(" (--userns={u}: you are the agent user inside)")
    });
    line(
        w,
        "workspace",
        &format!(
            "{} -> {}{mapping}",
            plan.agent.workspace, plan.agent.workdir
        ),
    );
    line(w, "command", &plan.agent.command.join(" "));
    let forwarded: Vec<String> = plan
        .agent
        .forwarded_env
        .iter()
        .map(|f| {
            if f.set_on_host {
                f.name.to_string()
            } else {
                format!("{} (not set here, skipped)", f.name)
            }
        })
        .collect();
    line(
        w,
        "forwarded env",
        &if forwarded.is_empty() {
            "none".to_owned()
        } else {
            forwarded.join(", ")
        },
    );
    line(w, "stage dir", plan.stage_dir.as_str());
    let _ = writeln!(w, "provisioning:");
    for (i, step) in plan.provisioning.iter().enumerate() {
        let mark = match step.action {
            StepAction::Run => "",
            StepAction::Skip => "skip: ",
        };
        let _ = writeln!(w, "  {}. {:<7} {mark}{}", i + 1, step.step, step.detail);
    }
    out
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{:<19}{value}", format!("{key}:"));
}

fn human_duration(seconds: u64) -> String {
    const DAY: u64 = 86_400;
    const HOUR: u64 = 3_600;
    if seconds % DAY == 0 {
        format!(
            "{} day{}",
            seconds / DAY,
            if seconds / DAY == 1 { "" } else { "s" }
        )
    } else if seconds % HOUR == 0 {
        format!("{} h", seconds / HOUR)
    } else {
        format!("{seconds} s")
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(7 * 86_400), "7 days");
        assert_eq!(human_duration(7_200), "2 h");
        assert_eq!(human_duration(90), "90 s");
    }
}
