//! A bottle's effective policy: what a launch of its plan may reach, forward and read on the
//! host, in a form that can be recorded, compared and shown as a diff. Computed from the plan,
//! not the manifest text, so whatever else feeds the plan (the current directory as the default
//! workspace, where symlinks lead, files next to the manifest) counts too: a new input only has
//! to reach the plan to be approved with it.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use bot_bottle_gate::config::PushPolicy;
use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};

use crate::manifest::resources;
use crate::plan::{Destination, Plan};

/// What an approval covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The bottle's name (its containers and its state volume follow it).
    pub name: String,
    /// The agent kind (`agent.kind`): the hosts it brings and where its credential goes. A
    /// record written before kinds reads as `claude-code`, the only kind there was.
    #[serde(default = "default_kind")]
    pub agent_kind: String,
    pub image: String,
    pub command: Vec<String>,
    /// The host directory mounted read-write in the agent, symlinks followed.
    pub workspace: Utf8PathBuf,
    pub egress: Egress,
    /// Host variables forwarded into the agent, by name.
    pub env: Vec<String>,
    /// Every host file and directory copied into the agent or the git gate.
    pub files: Vec<HostFile>,
    /// The git gate's upstreams and what may be pushed to each.
    pub git: Vec<GitUpstream>,
    /// Where the Anthropic credential the key holder puts on the agent's requests comes from
    /// (`login NAME (PATH, …)`, or a host variable); `null` for none, and in a record written
    /// before key holders, which is then asked about once.
    #[serde(default)]
    pub anthropic_login: Option<String>,
    /// What the agent may take of the host (its `[resources]`, resolved). `null` in a record
    /// written before limits existed: that launch had none, so any limit now narrows it.
    #[serde(default)]
    pub resources: Option<AgentLimits>,
}

/// The agent's limits as approved: each `null` is no limit of that kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentLimits {
    /// `enforced`, or `none` (`resources.limits = "none"`).
    pub limits: String,
    pub memory_bytes: Option<u64>,
    /// In thousandths of a CPU.
    pub cpus_milli: Option<u32>,
    /// Whether `cpus_milli` is the default (all but one of the host's CPUs), which follows the
    /// host: the same manifest on a larger host is not a change.
    pub cpus_default: bool,
    pub pids: Option<u32>,
    pub scratch_bytes: u64,
}

impl AgentLimits {
    fn of(plan: &Plan) -> Self {
        let agent = &plan.agent.resources;
        let default_cpus = crate::plan::resources::default_agent_cpus(plan.resources.host_cpus);
        AgentLimits {
            limits: plan.resources.limits.as_str().to_owned(),
            memory_bytes: agent.memory_bytes,
            cpus_milli: agent.cpus.map(|c| c.0),
            cpus_default: agent.cpus == Some(default_cpus),
            pids: agent.pids,
            scratch_bytes: agent.scratch.bytes,
        }
    }

    /// Whether the CPU limit is the default, which follows the host.
    fn follows_host(&self) -> bool {
        self.cpus_default && self.cpus_milli.is_some()
    }

    fn memory(&self) -> String {
        self.memory_bytes.map_or_else(
            || "unlimited".to_owned(),
            |b| resources::Size(b).to_string(),
        )
    }

    fn cpus(&self) -> String {
        match (self.cpus_milli, self.cpus_default) {
            (None, _) => "unlimited".to_owned(),
            (Some(_), true) => "default (all but one of the host's)".to_owned(),
            (Some(milli), false) => resources::Cpus(milli).to_string(),
        }
    }

    fn pids(&self) -> String {
        self.pids
            .map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
    }

    fn scratch(&self) -> String {
        resources::Size(self.scratch_bytes).to_string()
    }

    /// The lines `render` shows.
    fn describe(&self) -> String {
        format!(
            "limits {}, memory {}, cpus {}, pids {}, scratch {}",
            self.limits,
            self.memory(),
            self.cpus(),
            self.pids(),
            self.scratch()
        )
    }
}

fn default_kind() -> String {
    crate::agents::DEFAULT.name.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Egress {
    /// Every host the agent may reach through pipelock, built-in ones included.
    pub allowlist: Vec<String>,
    /// Hosts whose traffic pipelock does not decrypt, so no DLP sees it.
    pub passthrough: Vec<String>,
    pub dlp_action: String,
    /// Allowed hosts that may resolve to private addresses (`egress.internal_hosts`). A field a
    /// record may lack (recorded before it existed): then none were allowed.
    #[serde(default)]
    pub internal_hosts: Vec<String>,
    /// Hosts `bot-bottle allow` may add while the bottle runs (`egress.approvable`); likewise
    /// a field a record may lack.
    #[serde(default)]
    pub approvable: Vec<String>,
    /// Collectors pipelock sends its events to (`egress.events`: `otlp URL`, `syslog
    /// ADDRESS`): destinations of the sidecar's own. Likewise a field a record may lack.
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFile {
    /// The manifest field that names it.
    pub field: String,
    /// Absolute, symlinks followed.
    pub path: Utf8PathBuf,
    /// Which container it is copied into: the same `ssh.identity` is the git gate's credential
    /// with an SSH upstream and the agent's own key without one. `None` only in a record
    /// written before destinations were recorded; it never equals a destination, so such a
    /// record is shown as changed and asked about once rather than taken as covering either.
    #[serde(default)]
    pub destination: Option<Destination>,
}

impl HostFile {
    /// What a diff and the rendered policy show: field, path and where it goes.
    fn describe(&self) -> String {
        match self.destination {
            Some(to) => format!("{} {} into {to}", self.field, self.path),
            None => format!("{} {} (destination not recorded)", self.field, self.path),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitUpstream {
    pub name: String,
    pub url: String,
    pub push: PushPolicy,
}

impl Policy {
    /// The policy a launch of `plan` would run with.
    pub fn of(plan: &Plan) -> Self {
        let tls = &plan.egress.tls_interception;
        Policy {
            name: plan.bottle.name.clone(),
            agent_kind: plan.agent.kind.name.to_owned(),
            image: plan.images.agent.clone(),
            command: plan.agent.command.clone(),
            workspace: plan.agent.workspace.clone(),
            egress: Egress {
                allowlist: plan
                    .egress
                    .allowlist
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                passthrough: tls
                    .passthrough_domains
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                dlp_action: plan.egress.dlp_action.as_str().to_owned(),
                internal_hosts: plan
                    .egress
                    .internal_hosts
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                approvable: plan
                    .egress
                    .approvable
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                events: plan.egress.events.named(),
            },
            env: plan
                .agent
                .forwarded_env
                .iter()
                .map(|f| f.name.to_string())
                .collect(),
            files: plan
                .host_files
                .iter()
                .map(|f| HostFile {
                    field: f.field.clone(),
                    path: f.resolved.clone(),
                    destination: Some(f.destination),
                })
                .collect(),
            git: plan
                .gate
                .iter()
                .flat_map(|g| &g.config.upstreams)
                .map(|u| GitUpstream {
                    name: u.name.clone(),
                    url: u.url.clone(),
                    push: u.policy.clone(),
                })
                .collect(),
            anthropic_login: plan.key_holder.as_ref().map(|k| k.credential.describe()),
            resources: Some(AgentLimits::of(plan)),
        }
    }
}

impl Policy {
    /// The policy as lines, indented by two spaces.
    pub fn render(&self) -> String {
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        let mut out = String::new();
        for (key, value) in [
            ("name", self.name.clone()),
            ("agent_kind", self.agent_kind.clone()),
            ("image", self.image.clone()),
            ("command", words(&self.command)),
            ("workspace", self.workspace.to_string()),
            ("egress.allowlist", list(&self.egress.allowlist)),
            ("egress.passthrough", list(&self.egress.passthrough)),
            ("egress.dlp_action", self.egress.dlp_action.clone()),
            ("egress.internal_hosts", list(&self.egress.internal_hosts)),
            ("egress.approvable", list(&self.egress.approvable)),
            ("egress.events", list(&self.egress.events)),
            ("env", list(&self.env)),
            (
                "anthropic_login",
                self.anthropic_login
                    .clone()
                    .unwrap_or_else(|| "none".to_owned()),
            ),
        ] {
            let _ = writeln!(out, "  {key}: {value}");
        }
        if let Some(limits) = &self.resources {
            let _ = writeln!(out, "  resources: {}", limits.describe());
        }
        for file in &self.files {
            let _ = writeln!(out, "  files: {}", file.describe());
        }
        for git in &self.git {
            let p = &git.push;
            let _ = writeln!(
                out,
                "  git.{}: {}; push_refs {}, push_default_branch {}, allow_force_push {}, allow_delete {}, max_push_bytes {}",
                git.name,
                git.url,
                p.push_refs.join(", "),
                p.push_default_branch,
                p.allow_force_push,
                p.allow_delete,
                p.max_push_bytes
            );
        }
        out
    }
}

/// What a change gives the agent more of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Widens {
    /// More places to send data, or less scanning of it.
    Egress,
    /// More host variables in the agent.
    Env,
    /// More host files or directories in the agent or the gate, a host file moved from one to
    /// the other, or another agent image.
    Files,
    /// More of the host's memory, CPUs, processes or disk for the agent: a limit raised or
    /// turned off.
    Resources,
}

impl fmt::Display for Widens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Widens::Egress => "egress",
            Widens::Env => "env",
            Widens::Files => "files",
            Widens::Resources => "resources",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference between an approved policy and the one a launch would run with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The policy's field, e.g. `egress.allowlist` or `git.origin.push.allow_force_push`.
    pub field: String,
    pub kind: ChangeKind,
    /// The old value (`null` when added).
    pub before: Option<String>,
    /// The new value (`null` when removed).
    pub after: Option<String>,
    /// What the change gives the agent more of; `null` when it gives nothing more.
    pub widens: Option<Widens>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = |v: &Option<String>| v.clone().unwrap_or_default();
        match self.kind {
            ChangeKind::Added => write!(f, "+ {}: {}", self.field, value(&self.after))?,
            ChangeKind::Removed => write!(f, "- {}: {}", self.field, value(&self.before))?,
            ChangeKind::Changed => write!(
                f,
                "~ {}: {} -> {}",
                self.field,
                value(&self.before),
                value(&self.after)
            )?,
        }
        if let Some(widens) = self.widens {
            write!(f, "  (widens {widens})")?;
        }
        Ok(())
    }
}

/// The changes from `before` (nothing, for a manifest never approved) to `after`, field by
/// field, each marked with what it widens.
pub fn diff(before: Option<&Policy>, after: &Policy) -> Vec<Change> {
    let mut d = Diff(Vec::new());
    let b = before;
    d.scalar("name", b.map(|p| p.name.as_str()), &after.name, None);
    // Another kind is another agent: the hosts it brings (its API through the key holder,
    // others through pipelock) and the account its requests are made with.
    d.scalar(
        "agent_kind",
        b.map(|p| p.agent_kind.as_str()),
        &after.agent_kind,
        Some(Widens::Egress),
    );
    // Another image is other files in the agent: a local image may hold anything built into
    // it (a credential in a layer, another user's setup), and it is all the agent runs. So a
    // new image widens files, as a new host file does; a new category would add a `widens`
    // value the approval's JSON schema does not list.
    d.scalar(
        "image",
        b.map(|p| p.image.as_str()),
        &after.image,
        Some(Widens::Files),
    );
    d.scalar(
        "command",
        b.map(|p| words(&p.command)).as_deref(),
        &words(&after.command),
        None,
    );
    d.scalar(
        "workspace",
        b.map(|p| p.workspace.as_str()),
        after.workspace.as_str(),
        Some(Widens::Files),
    );
    d.set(
        "egress.allowlist",
        b.map(|p| p.egress.allowlist.as_slice()),
        &after.egress.allowlist,
        Widens::Egress,
    );
    d.set(
        "egress.passthrough",
        b.map(|p| p.egress.passthrough.as_slice()),
        &after.egress.passthrough,
        Widens::Egress,
    );
    let warns = after.egress.dlp_action != "block";
    d.scalar(
        "egress.dlp_action",
        b.map(|p| p.egress.dlp_action.as_str()),
        &after.egress.dlp_action,
        warns.then_some(Widens::Egress),
    );
    d.set(
        "egress.internal_hosts",
        b.map(|p| p.egress.internal_hosts.as_slice()),
        &after.egress.internal_hosts,
        Widens::Egress,
    );
    d.set(
        "egress.approvable",
        b.map(|p| p.egress.approvable.as_slice()),
        &after.egress.approvable,
        Widens::Egress,
    );
    // A collector is a destination of the sidecar's: the bottle's events leave through it.
    d.set(
        "egress.events",
        b.map(|p| p.egress.events.as_slice()),
        &after.egress.events,
        Widens::Egress,
    );
    d.set("env", b.map(|p| p.env.as_slice()), &after.env, Widens::Env);
    // Another credential is another account the agent's requests are made with (where its
    // conversation and uploads land): a credential given, as a forwarded variable is.
    let login = |p: &Policy| {
        p.anthropic_login
            .clone()
            .unwrap_or_else(|| "none".to_owned())
    };
    let after_login = login(after);
    d.scalar(
        "anthropic_login",
        b.map(login).as_deref(),
        &after_login,
        after.anthropic_login.is_some().then_some(Widens::Env),
    );
    d.files(b.map(|p| p.files.as_slice()), &after.files);
    d.git(b.map_or(&[][..], |p| p.git.as_slice()), &after.git);
    if let Some(limits) = &after.resources {
        d.resources(b, limits);
    }
    d.0
}

fn words(command: &[String]) -> String {
    command.join(" ")
}

struct Diff(Vec<Change>);

impl Diff {
    fn push(
        &mut self,
        field: &str,
        change: ChangeKind,
        values: [Option<String>; 2],
        widens: Option<Widens>,
    ) {
        let [before, after] = values;
        self.0.push(Change {
            field: field.to_owned(),
            kind: change,
            before,
            after,
            widens,
        });
    }

    /// A single value; `widens` says what a different new value widens.
    fn scalar(&mut self, field: &str, before: Option<&str>, after: &str, widens: Option<Widens>) {
        match before {
            None => self.push(
                field,
                ChangeKind::Added,
                [None, Some(after.to_owned())],
                widens,
            ),
            Some(old) if old != after => self.push(
                field,
                ChangeKind::Changed,
                [Some(old.to_owned()), Some(after.to_owned())],
                widens,
            ),
            Some(_) => {}
        }
    }

    /// A set of values: each added one widens, a removed one does not.
    fn set(&mut self, field: &str, before: Option<&[String]>, after: &[String], widens: Widens) {
        let old: BTreeSet<&String> = before.unwrap_or_default().iter().collect();
        let new: BTreeSet<&String> = after.iter().collect();
        for removed in old.difference(&new) {
            self.push(
                field,
                ChangeKind::Removed,
                [Some((*removed).clone()), None],
                None,
            );
        }
        for added in new.difference(&old) {
            self.push(
                field,
                ChangeKind::Added,
                [None, Some((*added).clone())],
                Some(widens),
            );
        }
    }

    /// The host files, each by field and path with where it goes. A file added widens files;
    /// one whose destination changed (the same field and path now copied elsewhere, or a
    /// destination an old record lacks) is one change that widens files too: from the git gate
    /// into the agent it hands the agent a credential, and the other way round it still gives
    /// a container a file it did not get as approved.
    fn files(&mut self, before: Option<&[HostFile]>, after: &[HostFile]) {
        let before = before.unwrap_or_default();
        let same_file = |a: &HostFile, b: &HostFile| a.field == b.field && a.path == b.path;
        for old in before {
            if after.contains(old) {
                continue;
            }
            // Shown as the change of a file now going elsewhere, when there is one.
            let moved = after
                .iter()
                .any(|new| same_file(old, new) && !before.contains(new));
            if !moved {
                self.push(
                    "files",
                    ChangeKind::Removed,
                    [Some(old.describe()), None],
                    None,
                );
            }
        }
        for new in after {
            if before.contains(new) {
                continue;
            }
            let moved_from = before
                .iter()
                .find(|old| same_file(old, new) && !after.contains(old));
            let (kind, was) = match moved_from {
                Some(old) => (ChangeKind::Changed, Some(old.describe())),
                None => (ChangeKind::Added, None),
            };
            self.push(
                "files",
                kind,
                [was, Some(new.describe())],
                Some(Widens::Files),
            );
        }
    }

    /// The git gate's upstreams, by name: a new one, a new URL, a new ref pattern, a permission
    /// turned on or a larger push limit widens egress.
    fn git(&mut self, before: &[GitUpstream], after: &[GitUpstream]) {
        for old in before {
            if !after.iter().any(|u| u.name == old.name) {
                self.push(
                    &format!("git.{}", old.name),
                    ChangeKind::Removed,
                    [Some(old.url.clone()), None],
                    None,
                );
            }
        }
        for new in after {
            let field = |f: &str| format!("git.{}.{f}", new.name);
            let old = before.iter().find(|u| u.name == new.name);
            let egress = Some(Widens::Egress);
            self.scalar(&field("url"), old.map(|u| u.url.as_str()), &new.url, egress);
            let (p, q) = (old.map(|u| &u.push), &new.push);
            self.set(
                &field("push.push_refs"),
                p.map(|p| p.push_refs.as_slice()),
                &q.push_refs,
                Widens::Egress,
            );
            for (name, was, is) in [
                (
                    "push_default_branch",
                    p.map(|p| p.push_default_branch),
                    q.push_default_branch,
                ),
                (
                    "allow_force_push",
                    p.map(|p| p.allow_force_push),
                    q.allow_force_push,
                ),
                ("allow_delete", p.map(|p| p.allow_delete), q.allow_delete),
            ] {
                self.scalar(
                    &field(&format!("push.{name}")),
                    was.map(bool_str),
                    bool_str(is),
                    is.then_some(Widens::Egress),
                );
            }
            let was = p.map(|p| p.max_push_bytes);
            self.scalar(
                &field("push.max_push_bytes"),
                was.map(|n| n.to_string()).as_deref(),
                &q.max_push_bytes.to_string(),
                was.is_none_or(|w| q.max_push_bytes > w)
                    .then_some(Widens::Egress),
            );
        }
    }
}

impl Diff {
    /// The agent's limits, kind by kind: one raised or turned off widens resources. `before`
    /// is `None` for a manifest never approved; a record written before limits existed has no
    /// `resources` (no limits then: nothing now widens it).
    fn resources(&mut self, before: Option<&Policy>, after: &AgentLimits) {
        let old = match before.map(|p| p.resources.as_ref()) {
            Some(None) => {
                self.push(
                    "resources",
                    ChangeKind::Added,
                    [None, Some(after.describe())],
                    None,
                );
                return;
            }
            Some(Some(old)) => Some(old),
            None => None,
        };
        // More of a limit, or none: `None` is unlimited, above every number.
        let raised = |was: Option<u64>, is: Option<u64>| match (was, is) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(w), Some(i)) => i > w,
        };
        let widens = |more: bool| more.then_some(Widens::Resources);
        self.scalar(
            "resources.limits",
            old.map(|o| o.limits.as_str()),
            &after.limits,
            widens(after.limits != "enforced"),
        );
        self.scalar(
            "resources.memory",
            old.map(AgentLimits::memory).as_deref(),
            &after.memory(),
            widens(old.is_none_or(|o| raised(o.memory_bytes, after.memory_bytes))),
        );
        // A default on both sides follows the host: not a change of the manifest's.
        if !old.is_some_and(|o| o.follows_host() && after.follows_host()) {
            let milli = |l: &AgentLimits| l.cpus_milli.map(u64::from);
            self.scalar(
                "resources.cpus",
                old.map(AgentLimits::cpus).as_deref(),
                &after.cpus(),
                widens(old.is_none_or(|o| raised(milli(o), milli(after)))),
            );
        }
        self.scalar(
            "resources.pids",
            old.map(AgentLimits::pids).as_deref(),
            &after.pids(),
            widens(old.is_none_or(|o| raised(o.pids.map(u64::from), after.pids.map(u64::from)))),
        );
        self.scalar(
            "resources.scratch",
            old.map(AgentLimits::scratch).as_deref(),
            &after.scratch(),
            widens(old.is_none_or(|o| after.scratch_bytes > o.scratch_bytes)),
        );
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The changes as lines, indented by two spaces.
pub fn render(changes: &[Change]) -> String {
    changes.iter().fold(String::new(), |mut out, c| {
        let _ = writeln!(out, "  {c}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            name: "app".into(),
            agent_kind: "claude-code".into(),
            image: "img".into(),
            command: vec!["claude".into()],
            workspace: "/w".into(),
            egress: Egress {
                allowlist: vec!["a.example.com".into()],
                passthrough: vec![],
                dlp_action: "block".into(),
                internal_hosts: vec![],
                approvable: vec![],
                events: vec![],
            },
            env: vec!["FOO".into()],
            files: vec![HostFile {
                field: "prompt".into(),
                path: "/w/p.md".into(),
                destination: Some(Destination::Agent),
            }],
            git: vec![GitUpstream {
                name: "origin".into(),
                url: "https://git.example.com/r.git".into(),
                push: PushPolicy::default(),
            }],
            anthropic_login: Some("login default (/s/logins/default.json, an API key)".into()),
            resources: Some(AgentLimits {
                limits: "enforced".into(),
                memory_bytes: Some(4 << 30),
                cpus_milli: Some(3000),
                cpus_default: true,
                pids: Some(4096),
                scratch_bytes: 1 << 30,
            }),
        }
    }

    fn limits_of(p: &mut Policy) -> &mut AgentLimits {
        p.resources.as_mut().unwrap()
    }

    /// An agent that edits its manifest to raise or drop a limit widens the next launch: it
    /// is asked about. A lowered limit is shown and not asked about.
    #[test]
    fn a_raised_or_dropped_limit_widens_resources_and_a_lowered_one_does_not() {
        let before = policy();
        let widened = |change: fn(&mut AgentLimits)| {
            let mut after = policy();
            change(limits_of(&mut after));
            diff(Some(&before), &after)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            widened(|l| l.pids = None),
            ["~ resources.pids: 4096 -> unlimited  (widens resources)"]
        );
        assert_eq!(
            widened(|l| l.memory_bytes = Some(8 << 30)),
            ["~ resources.memory: 4 GiB -> 8 GiB  (widens resources)"]
        );
        assert_eq!(
            widened(|l| l.scratch_bytes = 2 << 30),
            ["~ resources.scratch: 1 GiB -> 2 GiB  (widens resources)"]
        );
        assert_eq!(
            widened(|l| {
                l.cpus_milli = Some(8000);
                l.cpus_default = false;
            }),
            ["~ resources.cpus: default (all but one of the host's) -> 8  (widens resources)"]
        );
        assert_eq!(
            widened(|l| {
                l.limits = "none".into();
                l.memory_bytes = None;
                l.cpus_milli = None;
                l.pids = None;
            })
            .len(),
            4
        );
        assert_eq!(
            widened(|l| l.pids = Some(256)),
            ["~ resources.pids: 4096 -> 256"]
        );
        // The default on a host with more CPUs: the same manifest, no change.
        assert!(widened(|l| l.cpus_milli = Some(15000)).is_empty());
    }

    #[test]
    fn a_record_from_before_limits_is_narrowed_by_any_limit() {
        let mut before = policy();
        before.resources = None;
        let changes = diff(Some(&before), &policy());
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "resources");
        assert_eq!(changes[0].widens, None);
        // And the record reads without the field.
        let mut json = serde_json::to_value(&before).unwrap();
        json.as_object_mut().unwrap().remove("resources");
        let read: Policy = serde_json::from_value(json).unwrap();
        assert_eq!(read.resources, None);
    }

    #[test]
    fn another_anthropic_login_widens_env_and_a_record_without_one_is_asked_once() {
        let mut other = policy();
        other.anthropic_login = Some("login work (/s/logins/work.json, an API key)".into());
        assert_eq!(
            widening(&diff(Some(&policy()), &other)),
            ["~ anthropic_login: login default (/s/logins/default.json, an API key) -> login work (/s/logins/work.json, an API key)  (widens env)"]
        );
        let mut none = policy();
        none.anthropic_login = None;
        assert!(widening(&diff(Some(&policy()), &none)).is_empty());
        // A record from before key holders reads back with none, and the holder's login is new.
        let old: Policy = serde_json::from_value({
            let mut v = serde_json::to_value(policy()).unwrap();
            v.as_object_mut().unwrap().remove("anthropic_login");
            v
        })
        .unwrap();
        assert_eq!(widening(&diff(Some(&old), &policy())).len(), 1);
    }

    fn widening(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.widens.is_some())
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_same_policy_has_no_changes() {
        assert_eq!(diff(Some(&policy()), &policy()), vec![]);
    }

    #[test]
    fn a_new_manifest_widens_from_nothing() {
        let changes = diff(None, &policy());
        assert!(changes.iter().all(|c| c.kind == ChangeKind::Added));
        let w = widening(&changes);
        assert!(
            w.contains(&"+ egress.allowlist: a.example.com  (widens egress)".to_owned()),
            "{w:?}"
        );
        assert!(w.contains(&"+ env: FOO  (widens env)".to_owned()), "{w:?}");
        assert!(
            w.contains(&"+ files: prompt /w/p.md into the agent  (widens files)".to_owned()),
            "{w:?}"
        );
        assert!(
            w.contains(&"+ workspace: /w  (widens files)".to_owned()),
            "{w:?}"
        );
    }

    #[test]
    fn what_widens_and_what_does_not() {
        let old = policy();
        let mut new = policy();
        new.egress.allowlist = vec!["evil.example.net".into()];
        new.egress.dlp_action = "warn".into();
        new.egress.internal_hosts = vec!["a.example.com".into()];
        new.egress.approvable = vec!["later.example.com".into()];
        new.egress.events = vec!["syslog udp://logs.example.com:514".into()];
        new.env.push("AWS_SECRET_ACCESS_KEY".into());
        new.files[0].path = "/home/me/.aws/credentials".into();
        new.workspace = "/home/me".into();
        new.image = "other".into();
        new.git[0].push.allow_force_push = true;
        new.git[0].push.max_push_bytes += 1;
        new.git[0].push.push_refs = vec!["refs/heads/*".into()];
        let w = widening(&diff(Some(&old), &new));
        assert_eq!(
            w,
            [
                "~ image: img -> other  (widens files)",
                "~ workspace: /w -> /home/me  (widens files)",
                "+ egress.allowlist: evil.example.net  (widens egress)",
                "~ egress.dlp_action: block -> warn  (widens egress)",
                "+ egress.internal_hosts: a.example.com  (widens egress)",
                "+ egress.approvable: later.example.com  (widens egress)",
                "+ egress.events: syslog udp://logs.example.com:514  (widens egress)",
                "+ env: AWS_SECRET_ACCESS_KEY  (widens env)",
                "+ files: prompt /home/me/.aws/credentials into the agent  (widens files)",
                "+ git.origin.push.push_refs: refs/heads/*  (widens egress)",
                "~ git.origin.push.allow_force_push: false -> true  (widens egress)",
                "~ git.origin.push.max_push_bytes: 52428800 -> 52428801  (widens egress)",
            ]
        );
        // Taking away only narrows: nothing widens.
        let mut narrower = policy();
        narrower.egress.allowlist.clear();
        narrower.env.clear();
        narrower.files.clear();
        narrower.git[0].push.max_push_bytes -= 1;
        let changes = diff(Some(&old), &narrower);
        assert!(widening(&changes).is_empty(), "{changes:?}");
        assert_eq!(changes.len(), 4, "{changes:?}");
    }

    fn key(destination: Option<Destination>) -> HostFile {
        HostFile {
            field: "ssh.identity".into(),
            path: "/w/id_ed25519".into(),
            destination,
        }
    }

    #[test]
    fn a_host_file_moving_from_the_gate_into_the_agent_widens_files() {
        // Approved with an SSH upstream: the key is the git gate's.
        let mut old = policy();
        old.files.push(key(Some(Destination::GitGate)));
        // The agent deletes the upstream: the same field and path now land in its home.
        let mut new = policy();
        new.git.clear();
        new.files.push(key(Some(Destination::Agent)));
        let changes = diff(Some(&old), &new);
        assert_eq!(
            widening(&changes),
            ["~ files: ssh.identity /w/id_ed25519 into the git gate -> ssh.identity /w/id_ed25519 into the agent  (widens files)"]
        );
        // The policy says where each file goes.
        assert!(
            new.render()
                .contains("  files: ssh.identity /w/id_ed25519 into the agent\n"),
            "{}",
            new.render()
        );
        // Any move widens: the other way gives the gate a file it did not get as approved.
        let back = widening(&diff(Some(&new), &old));
        assert!(
            back.contains(&"~ files: ssh.identity /w/id_ed25519 into the agent -> ssh.identity /w/id_ed25519 into the git gate  (widens files)".to_owned()),
            "{back:?}"
        );
        // The same destinations: no change.
        assert_eq!(diff(Some(&old), &old), vec![]);
    }

    #[test]
    fn a_record_without_destinations_is_asked_about_once() {
        // A record written before destinations were: its files have none, and they match
        // neither the gate nor the agent, so `-y` cannot take them as approved.
        let mut recorded = policy();
        recorded.files = vec![
            HostFile {
                destination: None,
                ..recorded.files[0].clone()
            },
            key(None),
        ];
        let mut now = policy();
        now.files.push(key(Some(Destination::GitGate)));
        let w = widening(&diff(Some(&recorded), &now));
        assert_eq!(
            w,
            [
                "~ files: prompt /w/p.md (destination not recorded) -> prompt /w/p.md into the agent  (widens files)",
                "~ files: ssh.identity /w/id_ed25519 (destination not recorded) -> ssh.identity /w/id_ed25519 into the git gate  (widens files)",
            ]
        );
        // And such a record still loads.
        let json = r#"{"field":"prompt","path":"/w/p.md"}"#;
        let file: HostFile = serde_json::from_str(json).unwrap();
        assert_eq!(file.destination, None);
        let text = serde_json::to_string(&key(Some(Destination::GitGate))).unwrap();
        assert!(text.contains(r#""destination":"git_gate""#), "{text}");
    }

    #[test]
    fn another_image_widens_files() {
        let mut new = policy();
        new.image = "localhost/other:latest".into();
        assert_eq!(
            widening(&diff(Some(&policy()), &new)),
            ["~ image: img -> localhost/other:latest  (widens files)"]
        );
    }

    #[test]
    fn a_new_upstream_widens_egress() {
        let mut new = policy();
        new.git.push(GitUpstream {
            name: "other".into(),
            url: "ssh://git@evil.example.net/x.git".into(),
            push: PushPolicy::default(),
        });
        let w = widening(&diff(Some(&policy()), &new));
        assert!(
            w.contains(
                &"+ git.other.url: ssh://git@evil.example.net/x.git  (widens egress)".to_owned()
            ),
            "{w:?}"
        );
    }
}
