//! The plan as text, for `start --dry-run` and the question `start` asks before launching.

use std::fmt::Write as _;

use super::{Plan, StepAction};
use crate::manifest::Hostname;

/// The human-readable plan. Every line is something the launch will do or use.
pub fn render_text(plan: &Plan) -> String {
    let mut out = String::new();
    for (key, value) in summary(plan) {
        let _ = writeln!(out, "{:<19}{value}", format!("{key}:"));
    }
    if let Some(gate) = &plan.gate {
        let _ = writeln!(
            out,
            "{:<19}{} ({}) on {}, reached by the agent at {}; it reaches {} only, through its egress filter {} on {} (which lets nothing else through)",
            "git gate:",
            gate.container,
            gate.image,
            gate.networks.join(", "),
            gate.url,
            gate.egress.allow.join(", "),
            gate.egress.container,
            gate.egress.networks.join(" and "),
        );
        for (upstream, config) in gate.upstreams.iter().zip(&gate.config.upstreams) {
            let p = &config.policy;
            let mut rules = vec![format!("may push {}", p.push_refs.join(", "))];
            if !p.push_default_branch {
                rules.push("not the default branch".to_owned());
            }
            rules.push(
                if p.allow_force_push {
                    "force-push allowed"
                } else {
                    "no force-push"
                }
                .to_owned(),
            );
            rules.push(
                if p.allow_delete {
                    "deletion allowed"
                } else {
                    "no deletion"
                }
                .to_owned(),
            );
            rules.push(format!("at most {} bytes a push", p.max_push_bytes));
            rules.push("added lines scanned for credentials".to_owned());
            let _ = writeln!(
                out,
                "  upstream {}: {} ({}, credential: {}) via {}; {}",
                upstream.name,
                upstream.url,
                upstream.transport.as_str(),
                upstream.credential,
                upstream.via,
                rules.join(", ")
            );
        }
        for file in &gate.files {
            let _ = writeln!(out, "  gate file {} ({:04o})", file.path, file.mode);
        }
    }
    workspace_git(&mut out, plan);
    if !plan.host_files.is_empty() {
        let _ = writeln!(out, "host files:");
        for file in &plan.host_files {
            let _ = writeln!(
                out,
                "  {}: {} -> {} (allowed by {}), into {}",
                file.field, file.declared, file.resolved, file.allowed_by, file.destination
            );
        }
    }
    let _ = writeln!(out, "provisioning:");
    for (i, step) in plan.provisioning.iter().enumerate() {
        let mark = match step.action {
            StepAction::Run => "",
            StepAction::Skip => "skip: ",
        };
        let _ = writeln!(out, "  {}. {:<7} {mark}{}", i + 1, step.step, step.detail);
    }
    out
}

/// How the workspace's `.git` is kept from the agent, a line per mount, and what is not.
fn workspace_git(out: &mut String, plan: &Plan) {
    use super::gitmeta::Repository;
    let git = &plan.agent.git;
    let what = match git.repository {
        Repository::Directory => "a repository: .git mounted on its own (it cannot be moved or replaced), its config and hooks read-only",
        Repository::Gitfile => "a gitfile: mounted read-only",
        Repository::Other => "not mounted apart",
        Repository::None => "not a repository",
    };
    let _ = writeln!(
        out,
        "{:<19}{what}; git files the agent adds or changes elsewhere (commondir, modules, new repositories) are named when the bottle ends (snapshot {})",
        "workspace git:", git.snapshot
    );
    for mount in &git.mounts {
        let _ = writeln!(
            out,
            "  mount {} -> {} ({}{})",
            mount.source,
            mount.target,
            if mount.read_only {
                "read-only"
            } else {
                "read-write"
            },
            if mount.create.is_some() {
                ", missing: created empty at launch"
            } else {
                ""
            }
        );
    }
    for note in &git.unprotected {
        let _ = writeln!(out, "  unprotected: {note}");
    }
}

/// The workspace, where it is mounted, how ids map on rootless podman, and what allowed it.
fn workspace(plan: &Plan) -> String {
    let mapping = plan.agent.userns.as_ref().map_or_else(String::new, |u| {
        format!(" (--userns={u}: you are the agent user inside)")
    });
    format!(
        "{} -> {}{mapping} (allowed by {})",
        plan.agent.workspace, plan.agent.workdir, plan.agent.workspace_allowed_by
    )
}

/// What each container may do beyond its files' permissions, as the engine is told.
fn privileges(plan: &Plan) -> String {
    let of = |p: &super::Privileges| {
        p.cap_drop
            .iter()
            .map(|c| format!("--cap-drop {c}"))
            .chain(
                p.security_opts
                    .iter()
                    .map(|o| format!("--security-opt {o}")),
            )
            .collect::<Vec<_>>()
            .join(" ")
    };
    let with_root = |p: &super::Privileges| {
        if p.read_only_root {
            format!("{} --read-only", of(p))
        } else {
            of(p)
        }
    };
    let mut each = vec![
        format!("agent {}", with_root(&plan.agent.privileges)),
        format!("sidecar {}", with_root(&plan.proxy.privileges)),
    ];
    if let Some(gate) = &plan.gate {
        each.push(format!("git gate {}", with_root(&gate.privileges)));
    }
    if let Some(holder) = &plan.key_holder {
        each.push(format!("key holder {}", of(&holder.privileges)));
    }
    format!("{}; the engine's default seccomp profile", each.join("; "))
}

/// The containers of the bottle, but the git gate's (which has a line of its own).
fn containers(plan: &Plan) -> String {
    let holder = plan
        .containers
        .key_holder
        .as_ref()
        .map_or_else(String::new, |k| format!(", {k} (key holder)"));
    format!(
        "{} (agent), {} (pipelock sidecar){holder}",
        plan.containers.agent, plan.containers.proxy
    )
}

/// The state volume, where it is mounted and the variable that points the agent at it.
fn state_volume(plan: &Plan) -> String {
    let volume = &plan.state_volume;
    let mut pointed = String::new();
    for (name, value) in plan.agent.kind.env {
        if *value == crate::agents::EnvValue::StateDir {
            let _ = write!(pointed, "; {name}={}", volume.target);
        }
    }
    format!(
        "{} -> {} ({}'s state, for this bottle name in the workspace {}{pointed}; created if missing, kept by stop, removed by stop --purge)",
        volume.name,
        volume.target,
        plan.agent.kind.title,
        volume.workspace,
    )
}

/// The agent kind: its package, command and state directory.
fn agent_kind(plan: &Plan) -> String {
    let kind = plan.agent.kind;
    format!(
        "{} ({}, npm {}@{}; its credential goes on as {})",
        kind.name,
        kind.title,
        kind.package,
        kind.version,
        kind.credential.header.describe()
    )
}

/// The hosts the kind brings, each with its role and why.
fn agent_hosts(plan: &Plan) -> String {
    plan.agent
        .kind
        .hosts
        .iter()
        .map(|h| format!("{} [{}: {}]", h.name, h.role.as_str(), h.why))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The credential line's label: `anthropic login`, `openai login`, `gemini login`.
fn login_label(plan: &Plan) -> &'static str {
    plan.agent.kind.credential.plan_label
}

/// Where the kind's credential lives: in the key holder (never the agent), or nowhere.
fn anthropic(plan: &Plan) -> String {
    let kind = plan.agent.kind;
    let hosts = kind
        .hosts_of(crate::agents::Role::KeyHolder)
        .collect::<Vec<_>>()
        .join(", ");
    match &plan.key_holder {
        Some(holder) => format!(
            "{} held by the key holder {} ({}, at {} on the internal network, which the agent's /etc/hosts maps {hosts} to); \
             the agent holds a placeholder in {}, and the holder refuses any other credential",
            holder.credential.describe(),
            holder.container,
            holder.image,
            holder.address,
            holder.placeholder_variable,
        ),
        None => format!(
            "none (no credential variable forwarded, no `default` login{}): the agent reaches none of {hosts}; `bot-bottle login{}` makes one",
            if std::ptr::eq(kind, crate::agents::DEFAULT) { String::new() } else { format!(" of the kind {kind}") },
            if std::ptr::eq(kind, crate::agents::DEFAULT) { String::new() } else { format!(" --kind {kind} --api-key-stdin") }
        ),
    }
}

/// What each container may take of the host, and whether limits are on at all.
fn resources(plan: &Plan) -> String {
    use crate::manifest::resources::{LimitsMode, Size};
    let of = |r: &super::resources::Resources| {
        let mut parts = Vec::new();
        parts.push(r.memory_bytes.map_or_else(
            || "memory unlimited".to_owned(),
            |m| format!("memory {}", Size(m)),
        ));
        parts.push(r.cpus.map_or_else(
            || "CPUs unlimited".to_owned(),
            |c| format!("{c} CPU{}", if c.0 == 1000 { "" } else { "s" }),
        ));
        parts.push(r.pids.map_or_else(
            || "processes unlimited".to_owned(),
            |p| format!("{p} processes"),
        ));
        parts.push(format!(
            "{} {}{}",
            r.scratch.path,
            Size(r.scratch.bytes),
            if r.scratch.exec { "" } else { " noexec" }
        ));
        parts.join(", ")
    };
    let mut each = vec![
        format!("agent {}", of(&plan.agent.resources)),
        format!("sidecar {}", of(&plan.proxy.resources)),
    ];
    if let Some(gate) = &plan.gate {
        each.push(format!("git gate {}", of(&gate.resources)));
    }
    if let Some(holder) = &plan.key_holder {
        each.push(format!("key holder {}", of(&holder.resources)));
    }
    let head = match plan.resources.limits {
        LimitsMode::Enforced => String::new(),
        LimitsMode::None => {
            "NO memory, CPU or process limit (resources.limits = \"none\"); ".to_owned()
        }
    };
    format!("{head}{}", each.join("; "))
}

/// The key/value lines above the provisioning steps.
fn summary(plan: &Plan) -> Vec<(&'static str, String)> {
    let tls = &plan.egress.tls_interception;
    let passthrough: Vec<_> = tls
        .passthrough_domains
        .iter()
        .map(Hostname::as_str)
        .collect();
    // With its digest, which `approve --expect-sha256` takes to approve the file reviewed.
    let manifest = match (&plan.bottle.manifest, &plan.bottle.manifest_sha256) {
        (Some(path), Some(sha256)) => format!("{path}, {sha256}"),
        (Some(path), None) => path.to_string(),
        (None, _) => "built-in default".to_owned(),
    };
    vec![
        ("bottle", format!("{} (slug {}, manifest {manifest})", plan.bottle.name, plan.bottle.slug())),
        ("engine", engine(plan)),
        ("agent kind", agent_kind(plan)),
        ("agent hosts", agent_hosts(plan)),
        ("agent image", plan.images.agent.clone()),
        ("proxy image", plan.images.proxy.clone()),
        ("containers", containers(plan)),
        ("privileges", privileges(plan)),
        ("resources", resources(plan)),
        (
            "networks",
            format!(
                "{} (internal: agent + sidecar), {} (egress: sidecar only)",
                plan.networks.internal, plan.networks.egress
            ),
        ),
        (
            "proxy",
            format!(
                "{} (the agent's /etc/hosts maps {} to the sidecar's address on the internal network)",
                plan.agent.env.get("HTTPS_PROXY").map_or("", String::as_str),
                plan.containers.proxy
            ),
        ),
        (
            "egress",
            if plan.egress.learn.is_some() {
                format!(
                    "learn run: every host is reachable (trusted work only); DLP on request bodies: {}",
                    plan.egress.dlp_action.as_str()
                )
            } else {
                format!("{}; DLP on request bodies: {}", plan.egress.summary, plan.egress.dlp_action.as_str())
            },
        ),
        ("egress lock", egress_lock(plan)),
        (
            "private addresses",
            if plan.egress.internal_hosts.is_empty() {
                "refused (pipelock's SSRF guard)".to_owned()
            } else {
                let hosts: Vec<_> = plan.egress.internal_hosts.iter().map(Hostname::as_str).collect();
                format!("refused, except for {} (egress.internal_hosts)", hosts.join(", "))
            },
        ),
        (
            "tls interception",
            format!(
                "on, per-bottle CA made at launch (valid {}, {}); passthrough: {}",
                human_duration(tls.ca_validity_seconds),
                match (&tls.ca_permitted_domains, plan.egress.approvable.is_empty()) {
                    (None, _) => "not name-constrained to any domain in a learn run, never to an IP address",
                    (Some(_), true) => "name-constrained to the allowlist",
                    (Some(_), false) => "name-constrained to the allowlist and the approvable hosts",
                },
                if passthrough.is_empty() {
                    "none".to_owned()
                } else {
                    passthrough.join(", ")
                }
            ),
        ),
        ("state volume", state_volume(plan)),
        (login_label(plan), anthropic(plan)),
        ("workspace", workspace(plan)),
        ("command", plan.agent.command.join(" ")),
        ("forwarded env", forwarded(plan)),
        ("stage dir", plan.bottle.stage_dir().to_string()),
    ]
    .into_iter()
    .chain((!plan.egress.approvable.is_empty()).then(|| {
        (
            "approvable",
            format!(
                "{} (not allowed; `bot-bottle allow {} HOST` allows one while the bottle runs)",
                names(&plan.egress.approvable),
                plan.bottle.slug()
            ),
        )
    }))
    .collect()
}

/// The egress lock line: the lock the allowlist includes, or what a learn run writes.
fn egress_lock(plan: &Plan) -> String {
    if let Some(learn) = &plan.egress.learn {
        let replaces = learn.replaces.as_ref().map_or_else(String::new, |hash| {
            format!(", replacing the one there ({hash})")
        });
        return format!(
            "the hosts the agent uses are written to {} when the bottle ends{replaces}",
            learn.lock_path
        );
    }
    match &plan.egress.lock {
        Some(lock) => format!(
            "{} ({}; {} host{} allowed on top of the manifest's: {})",
            lock.path,
            lock.sha256,
            lock.hosts.len(),
            if lock.hosts.len() == 1 { "" } else { "s" },
            names(&lock.hosts)
        ),
        None => "none".to_owned(),
    }
}

fn names(hosts: &[Hostname]) -> String {
    if hosts.is_empty() {
        return "none".to_owned();
    }
    hosts
        .iter()
        .map(Hostname::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn engine(plan: &Plan) -> String {
    let Some(e) = &plan.engine else {
        return "none found (looked for podman, then docker, on PATH)".to_owned();
    };
    let version = e
        .version
        .as_ref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let mode = match (e.reachable, e.rootless) {
        (Some(false), _) => ", not answering",
        (_, Some(true)) => ", rootless",
        _ => "",
    };
    format!("{}{version} at {}{mode}", e.kind, e.program)
}

fn forwarded(plan: &Plan) -> String {
    let names: Vec<String> = plan
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
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn human_duration(seconds: u64) -> String {
    const DAY: u64 = 86_400;
    const HOUR: u64 = 3_600;
    if seconds.is_multiple_of(DAY) {
        format!(
            "{} day{}",
            seconds / DAY,
            if seconds / DAY == 1 { "" } else { "s" }
        )
    } else if seconds.is_multiple_of(HOUR) {
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
