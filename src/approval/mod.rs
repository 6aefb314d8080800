//! Manifest approval. A manifest may come from a cloned repository, and the agent can rewrite
//! the one in its workspace; what it asks for (egress, forwarded env, host files, git pushes)
//! takes effect only once the user approved it. The approval records the manifest's digest and
//! its effective policy ([`Policy`]) in the user's state directory, keyed by the manifest's
//! path; a later launch compares against it and shows the difference. A change that widens
//! egress, env, files or resources needs a yes on a terminal or `bot-bottle approve`; `-y` takes only
//! changes that do not widen. The built-in default needs none, unless an egress lock (a learn
//! run's `bottle.lock`, in a directory the agent may write) sits beside it.

mod policy;
mod store;

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::exit::UsageError;
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
    /// Whether a change widens egress, env, files or resources.
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
                "changed since approved{}, widening egress, env, files or resources: a launch needs a yes on a terminal, or `bot-bottle approve` first{record}",
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

/// The digests of what the user reviewed (`approve --expect-sha256`, `--expect-lock-sha256`),
/// each `sha256:<hex>`, to hold against the files the plan was made from before approving it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    pub manifest: Option<String>,
    pub lock: Option<String>,
}

impl Expected {
    /// Whether any digest was given.
    pub fn any(&self) -> bool {
        self.manifest.is_some() || self.lock.is_some()
    }
}

/// A SHA-256 as `flag` took it: `sha256:<hex>` as the plan prints it, or the bare hex
/// `sha256sum` prints; either case. Returned as `sha256:<lower hex>`.
pub fn parse_sha256(flag: &str, value: &str) -> Result<String, UsageError> {
    let hex = value.strip_prefix("sha256:").unwrap_or(value);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
    } else {
        Err(UsageError(format!(
            "{flag} {value:?}: not a SHA-256 (64 hex digits, with or without sha256: before them, as `bot-bottle start --dry-run` prints it)"
        )))
    }
}

impl Reviewed {
    /// Fails unless the files the plan was made from are the ones the user reviewed: the
    /// manifest's digest is `expected.manifest`, and, when an egress lock sits beside it (an
    /// approval input too: its hosts are allowed), the lock's is `expected.lock`. Given a
    /// digest for either, both must be given, so that a lock planted after the review is not
    /// approved along with the manifest reviewed. Nothing is checked when neither is given.
    pub fn check_expected(&self, expected: &Expected) -> Result<(), UsageError> {
        if !expected.any() {
            return Ok(());
        }
        let bottle = &self.plan.bottle;
        let mismatch = |path: &dyn std::fmt::Display, actual: &str, wanted: &str, flag: &str| {
            UsageError(format!(
                "{path}: its SHA-256 is {actual}, not {wanted} ({flag}): it is not the file you reviewed;                  nothing was approved. Read it again (`bot-bottle start --dry-run` shows its digest)"
            ))
        };
        match (
            &expected.manifest,
            &bottle.manifest,
            &bottle.manifest_sha256,
        ) {
            (Some(wanted), Some(path), Some(actual)) if wanted != actual => {
                return Err(mismatch(path, actual, wanted, "--expect-sha256"));
            }
            (Some(_), None, _) | (Some(_), _, None) => {
                return Err(UsageError(
                    "--expect-sha256: there is no manifest file to check: the plan is of the built-in default (check its egress lock with --expect-lock-sha256)".to_owned(),
                ));
            }
            (None, Some(path), Some(_)) => {
                return Err(UsageError(format!(
                    "{path}: the manifest is an approval input too; pass its digest with --expect-sha256 as well (`bot-bottle start --dry-run` shows it); nothing was approved"
                )));
            }
            _ => {}
        }
        match (&expected.lock, &self.plan.egress.lock) {
            (Some(wanted), Some(lock)) if *wanted != lock.sha256 => {
                Err(mismatch(&lock.path, &lock.sha256, wanted, "--expect-lock-sha256"))
            }
            (Some(wanted), None) => Err(UsageError(format!(
                "--expect-lock-sha256 {wanted}: there is no egress lock (bottle.lock) beside the manifest; nothing was approved"
            ))),
            (None, Some(lock)) => Err(UsageError(format!(
                "{}: an egress lock beside the manifest is an approval input too (its hosts are allowed); read it and pass its digest with --expect-lock-sha256 as well (`bot-bottle start --dry-run` shows it); nothing was approved",
                lock.path
            ))),
            _ => Ok(()),
        }
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

#[cfg(test)]
mod tests {
    use super::parse_sha256;

    #[test]
    fn a_digest_is_taken_as_the_plan_or_sha256sum_prints_it() {
        let hex = "0123456789abcdef".repeat(4);
        let want = format!("sha256:{hex}");
        assert_eq!(parse_sha256("--x", &want).unwrap(), want);
        assert_eq!(parse_sha256("--x", &hex).unwrap(), want);
        assert_eq!(parse_sha256("--x", &hex.to_uppercase()).unwrap(), want);
        for bad in [
            "",
            "sha256:",
            &hex[1..],
            &format!("{hex}0"),
            &format!("md5:{hex}"),
        ] {
            let err = parse_sha256("--x", bad).unwrap_err();
            assert!(
                err.0.starts_with(&format!("--x {bad:?}: not a SHA-256")),
                "{err}"
            );
        }
    }
}
