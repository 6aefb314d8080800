//! `approve`: record a manifest's approval deliberately. What is recorded is what is on disk
//! when `approve` runs, which need not be what the user read: the agent can rewrite the
//! manifest (and plant an egress lock) between the review and the approval. Expected digests
//! tie the approval to the files reviewed; on a terminal without them, the digests and the
//! policy are shown and the user asked before recording. Without a terminal and without them
//! it records, for scripts that approve what they just wrote.

use std::fmt::Write as _;

use super::Ask;
use crate::approval::{self, Approval, Expected, Reviewed, State};

/// What `approve` did.
#[derive(Debug)]
pub struct Approved {
    pub approval: Approval,
    /// `approved` (recorded now), `unchanged` (already approved as it is) or `not_needed`.
    pub outcome: &'static str,
    /// When the approval now recorded was given.
    pub approved_at: Option<String>,
    /// The inputs with their digests, the policy and what changed: what was approved.
    pub preview: String,
    /// Whether the preview was shown already, with the question.
    pub shown: bool,
}

/// Approves `reviewed`'s manifest when its inputs are the `expected` ones (exit 2 otherwise,
/// recording nothing); asks first on a terminal when nothing was expected.
pub fn approve(
    reviewed: Reviewed,
    expected: &Expected,
    ask: &mut dyn Ask,
) -> anyhow::Result<Approved> {
    // The digests are of the bytes the plan (and so the policy recorded) was made from.
    reviewed.check_expected(expected)?;
    let builtin = reviewed.plan.bottle.manifest.is_none();
    let approval = reviewed.approval;
    let preview = preview(&approval, builtin);
    let shown = approval.pending() && !expected.any() && ask.can_ask();
    if shown && !ask.confirm(&preview, "Approve this manifest as it is now? [y/N] ")? {
        anyhow::bail!("not approved: the answer was not yes; nothing was recorded");
    }
    let (outcome, approved_at) = match approval.state {
        State::NotNeeded => ("not_needed", None),
        State::Approved => ("unchanged", approval.approved_at.clone()),
        State::New | State::Changed => ("approved", Some(approval::record(&approval)?)),
    };
    Ok(Approved {
        approval,
        outcome,
        approved_at,
        preview,
        shown,
    })
}

/// The inputs with their digests, the effective policy, and what changed: what is approved.
/// `builtin`: the plan is of the built-in default, whose only input is the egress lock.
fn preview(approval: &Approval, builtin: bool) -> String {
    if approval.manifest.is_none() {
        return format!(
            "nothing to approve: the built-in default, with no egress lock beside it, needs no approval; its policy:\n{}\n",
            approval.policy.render()
        );
    }
    let mut text = String::new();
    for (i, input) in approval.inputs.iter().enumerate() {
        let what = if i == 0 && !builtin {
            "manifest"
        } else {
            "egress lock"
        };
        let _ = writeln!(text, "{what}: {} ({})", input.path, input.sha256);
    }
    let _ = writeln!(text, "effective policy:\n{}", approval.policy.render());
    if let (State::Changed, Some(at)) = (&approval.state, &approval.approved_at) {
        let _ = write!(
            text,
            "changes since the approval at {at}:\n{}",
            if approval.changes.is_empty() {
                "  none to the policy (the manifest's text changed)\n".to_owned()
            } else {
                approval::render_changes(&approval.changes)
            }
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::UsageError;
    use crate::usecase::scripted::Scripted;
    use crate::usecase::settle::tests::{Project, NARROW, WIDE};

    #[test]
    fn on_a_terminal_it_shows_the_digest_and_asks_and_a_no_records_nothing() {
        let p = Project::new();
        let reviewed = p.review(NARROW);
        let digest = reviewed.plan.bottle.manifest_sha256.clone().unwrap();
        let mut ask = Scripted::answering(&[false]);
        let err = approve(reviewed.clone(), &Expected::default(), &mut ask).unwrap_err();
        assert!(err.to_string().starts_with("not approved"), "{err}");
        assert_eq!(ask.asked, ["Approve this manifest as it is now? [y/N] "]);
        assert!(!p.recorded());

        let done = approve(
            reviewed,
            &Expected::default(),
            &mut Scripted::answering(&[true]),
        )
        .unwrap();
        assert_eq!((done.outcome, done.shown), ("approved", true));
        assert!(
            done.preview.contains(&format!("bottle.toml ({digest})")),
            "{}",
            done.preview
        );
        assert_eq!(p.review(NARROW).approval.state, State::Approved);
    }

    #[test]
    fn with_the_digest_reviewed_it_records_without_asking_and_with_another_nothing() {
        let p = Project::new();
        let reviewed = p.review(WIDE);
        let mut ask = Scripted::answering(&[]);
        let other = Expected {
            manifest: Some(format!("sha256:{}", "0".repeat(64))),
            lock: None,
        };
        let err = approve(reviewed.clone(), &other, &mut ask).unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some(), "{err}");
        assert!(!p.recorded());

        let reviewed_digest = Expected {
            manifest: reviewed.plan.bottle.manifest_sha256.clone(),
            lock: None,
        };
        let done = approve(reviewed, &reviewed_digest, &mut ask).unwrap();
        assert_eq!((done.outcome, done.shown), ("approved", false));
        assert!(ask.asked.is_empty());
        // Again: already approved as it is.
        let again = approve(p.review(WIDE), &Expected::default(), &mut ask).unwrap();
        assert_eq!(again.outcome, "unchanged");
        assert!(ask.asked.is_empty());
    }

    #[test]
    fn without_a_terminal_or_digests_it_records_what_is_there() {
        let p = Project::new();
        let done = approve(
            p.review(NARROW),
            &Expected::default(),
            &mut Scripted::no_terminal(),
        )
        .unwrap();
        assert_eq!((done.outcome, done.shown), ("approved", false));
        assert!(done.approved_at.is_some());
        assert_eq!(p.review(NARROW).approval.state, State::Approved);
    }
}
