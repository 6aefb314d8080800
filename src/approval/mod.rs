//! Manifest approval. A manifest may come from a cloned repository, and the agent can rewrite
//! the one in its workspace; what it asks for (egress, forwarded env, host files, git pushes)
//! takes effect only once the user approved it. The approval records the manifest's digest and
//! its effective policy ([`Policy`]) in the user's state directory, keyed by the manifest's
//! path; a later launch compares against it and shows the difference. A change that widens
//! egress, env or files needs a yes on a terminal or `bot-bottle approve`; `-y` takes only
//! changes that do not widen. The built-in default needs none, unless an egress lock (a learn
//! run's `bottle.lock`, in a directory the agent may write) sits beside it.

mod policy;
mod store;

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::plan::Plan;
pub use policy::{render as render_changes, Change, Policy};
pub use store::Input;

/// Version of `approve --json`.
pub const JSON_SCHEMA: &str = "bot-bottle.approval/v1";

/// Where a manifest stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The built-in default with no egress lock beside it: nobody else wrote it.
    NotNeeded,
    /// The manifest and its effective policy are as approved.
    Approved,
    /// Never approved (at this path).
    New,
    /// Approved before; its content or its effective policy differs now.
    Changed,
}

/// A manifest's approval as it stands, worked out before anything is created; reading it
/// writes nothing.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub state: State,
    /// The manifest, symlinks followed (what approvals are keyed by): for the built-in default,
    /// the egress lock beside it; `null` when there is neither.
    pub manifest: Option<Utf8PathBuf>,
    /// The approval record's file, whether it exists or not.
    pub record: Option<Utf8PathBuf>,
    /// When the recorded approval was given, if there is one.
    pub approved_at: Option<String>,
    /// The files the plan was made from, with their digests now.
    pub inputs: Vec<Input>,
    /// What differs from the recorded approval: everything, for a new manifest.
    pub changes: Vec<Change>,
    /// Whether a change widens egress, env or files.
    pub widens: bool,
    /// The policy a launch would run with.
    #[serde(skip)]
    pub policy: Policy,
}

impl Approval {
    /// Whether `-y` may launch: approved, not needed, or changed without widening anything.
    pub fn yes_suffices(&self) -> bool {
        match self.state {
            State::NotNeeded | State::Approved => true,
            State::Changed => !self.widens,
            State::New => false,
        }
    }

    /// Whether a launch would record this approval (it is not one yet).
    pub fn pending(&self) -> bool {
        matches!(self.state, State::New | State::Changed)
    }

    /// One line on where the manifest stands, for the plan.
    pub fn summary(&self) -> String {
        let record = self
            .record
            .as_ref()
            .map_or_else(String::new, |r| format!("; record {r}"));
        match self.state {
            State::NotNeeded => "not needed (the built-in default)".to_owned(),
            State::Approved => format!(
                "approved{}{record}",
                self.approved_at
                    .as_ref()
                    .map_or_else(String::new, |t| format!(" at {t}"))
            ),
            State::New => format!(
                "new: never approved; a launch needs a yes on a terminal, or `bot-bottle approve` first{record}"
            ),
            State::Changed if self.widens => format!(
                "changed since approved{}, widening egress, env or files: a launch needs a yes on a terminal, or `bot-bottle approve` first{record}",
                self.approved_at.as_ref().map_or_else(String::new, |t| format!(" at {t}"))
            ),
            State::Changed => format!(
                "changed since approved{}, widening nothing: -y accepts it{record}",
                self.approved_at.as_ref().map_or_else(String::new, |t| format!(" at {t}"))
            ),
        }
    }
}

/// A plan with where its manifest stands: what `start --dry-run` prints and what `start`
/// asks about. In JSON the approval is the plan document's last field, `approval`; in text,
/// its last line.
#[derive(Debug, Clone, Serialize)]
pub struct Reviewed {
    #[serde(flatten)]
    pub plan: Plan,
    pub approval: Approval,
}

impl Reviewed {
    /// Reviews `plan` against the approvals in `state_dir`; writes nothing.
    pub fn of(plan: Plan, state_dir: &Utf8Path) -> anyhow::Result<Self> {
        let approval = check(&plan, state_dir)?;
        Ok(Reviewed { plan, approval })
    }

    /// The plan as text, then the approval (and, while it is pending, what it would approve).
    pub fn render_text(&self) -> String {
        let mut out = crate::plan::render_text(&self.plan);
        let _ = writeln!(out, "{:<19}{}", "approval:", self.approval.summary());
        if self.approval.pending() {
            out.push_str(&render_changes(&self.approval.changes));
        }
        out
    }

    /// The approval still to be given, if any.
    pub fn pending(&self) -> Option<&Approval> {
        Some(&self.approval).filter(|a| a.pending())
    }
}

/// Where `plan`'s manifest stands with its approval in `state_dir`.
pub fn check(plan: &Plan, state_dir: &Utf8Path) -> anyhow::Result<Approval> {
    let policy = Policy::of(plan);
    // Every file the plan was made from besides the user's own: the manifest, and the egress
    // lock beside it (a learn run's hosts, which widen the allowlist, in a file the agent can
    // write). An input added later goes here too, besides reaching the plan.
    let mut inputs = Vec::new();
    if let (Some(path), Some(sha256)) = (&plan.bottle.manifest, &plan.bottle.manifest_sha256) {
        inputs.push(Input {
            path: canonical(path)?,
            sha256: sha256.clone(),
        });
    }
    if let Some(lock) = &plan.egress.lock {
        inputs.push(Input {
            path: canonical(&lock.path)?,
            sha256: lock.sha256.clone(),
        });
    }
    // Approvals are keyed by the first: the manifest, or, for the built-in default, its lock.
    let Some(key) = inputs.first().map(|i| i.path.clone()) else {
        return Ok(Approval {
            state: State::NotNeeded,
            manifest: None,
            record: None,
            approved_at: None,
            inputs: Vec::new(),
            changes: Vec::new(),
            widens: false,
            policy,
        });
    };
    let record_path = store::path(state_dir, &key);
    let recorded = store::load(&record_path)?;
    let changes = policy::diff(recorded.as_ref().map(|r| &r.policy), &policy);
    let state = match &recorded {
        None => State::New,
        Some(r) if r.inputs == inputs && changes.is_empty() => State::Approved,
        Some(_) => State::Changed,
    };
    Ok(Approval {
        state,
        widens: changes.iter().any(|c| c.widens.is_some()),
        manifest: Some(key),
        record: Some(record_path),
        approved_at: recorded.map(|r| r.approved_at),
        inputs,
        changes,
        policy,
    })
}

fn canonical(path: &Utf8Path) -> anyhow::Result<Utf8PathBuf> {
    path.canonicalize_utf8()
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))
}

/// Records `approval` as given now; returns when.
pub fn record(approval: &Approval) -> anyhow::Result<String> {
    let (Some(manifest), Some(path)) = (&approval.manifest, &approval.record) else {
        return Ok(String::new());
    };
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| anyhow::anyhow!("formatting the time: {e}"))?;
    store::save(
        path,
        &store::Record {
            schema: store::RECORD_SCHEMA.to_owned(),
            manifest: manifest.clone(),
            approved_at: now.clone(),
            inputs: approval.inputs.clone(),
            policy: approval.policy.clone(),
        },
    )?;
    Ok(now)
}
