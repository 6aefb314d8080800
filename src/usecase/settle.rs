//! The rules for a manifest's approval when a command makes a bottle from it (`start`,
//! `export kube`): an approved manifest (or the built-in default) goes; a change that widens
//! nothing goes with `-y` (and always for `export kube`), recorded then; anything else needs a
//! yes on a terminal, or fails with [`NeedsApproval`] (exit 3) showing what would change. A
//! refusal records nothing; an approval is recorded before the launch, and a launch that fails
//! afterwards does not undo it.

use crate::approval::{self, Approval, Reviewed};
use crate::exit::{NeedsApproval, UsageError};

use super::Ask;

/// Which command makes the bottle: the refusal names the way out it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maker {
    /// `start`, which could ask on a terminal.
    Start,
    /// `export kube`, which never asks.
    Export,
}

/// Settles the approval for a command that makes a bottle without asking (`start -y`, `export
/// kube`): see the module's rules.
pub fn unasked(reviewed: &Reviewed, ask: &mut dyn Ask, maker: Maker) -> anyhow::Result<()> {
    let Some(approval) = reviewed.pending() else {
        return Ok(());
    };
    if approval.yes_suffices() {
        approval::record(approval)?;
        ask.tell(&format!(
            "{} changed since approved, widening nothing; approved it",
            manifest_of(approval)
        ));
        return Ok(());
    }
    Err(needs_approval(approval, maker).into())
}

/// Settles the approval for `start` (`yes`: `-y` was given), and says whether the user was
/// asked (and said yes) on the way, so that they are not asked again to launch.
pub fn for_start(reviewed: &Reviewed, yes: bool, ask: &mut dyn Ask) -> anyhow::Result<bool> {
    let Some(approval) = reviewed.pending() else {
        return Ok(false);
    };
    if yes && approval.yes_suffices() {
        unasked(reviewed, ask, Maker::Start)?;
        return Ok(false);
    }
    if !ask.can_ask() {
        if approval.yes_suffices() {
            // Not -y: the question to launch, which needs a terminal, says so.
            return Ok(false);
        }
        return Err(needs_approval(approval, Maker::Start).into());
    }
    question(
        reviewed,
        ask,
        "Approve this manifest and launch this bottle? [y/N] ",
    )?;
    approval::record(approval)?;
    Ok(true)
}

/// `start` without `-y`, the approval settled without asking: the user confirms the launch on
/// a terminal; without one, it is a usage error (exit 2).
pub fn confirm_launch(reviewed: &Reviewed, ask: &mut dyn Ask) -> anyhow::Result<()> {
    if !ask.can_ask() {
        return Err(UsageError(
            "refusing to launch without confirmation: stdin is not a terminal; pass --yes (or -y) to launch, or --dry-run to see the plan".to_owned(),
        )
        .into());
    }
    question(reviewed, ask, "Launch this bottle? [y/N] ")
}

/// Shows the plan and asks `question`; anything but yes is an error.
fn question(reviewed: &Reviewed, ask: &mut dyn Ask, question: &str) -> anyhow::Result<()> {
    if ask.confirm(&reviewed.render_text(), question)? {
        Ok(())
    } else {
        anyhow::bail!("not launched: the answer was not yes; nothing was created")
    }
}

fn manifest_of(approval: &Approval) -> String {
    approval
        .manifest
        .as_ref()
        .map_or_else(String::new, ToString::to_string)
}

/// The refusal of a manifest no one approved: what it asks for, or what changed.
fn needs_approval(approval: &Approval, maker: Maker) -> NeedsApproval {
    let manifest = manifest_of(approval);
    let what = match approval.state {
        approval::State::New => "is new to bot-bottle (never approved); what it asks for",
        _ => {
            "changed since you approved it, widening egress, env, files or resources; what changed"
        }
    };
    let or_answer = match maker {
        Maker::Start => ", or run `bot-bottle start` on a terminal to answer",
        Maker::Export => "",
    };
    NeedsApproval(format!(
        "{manifest} {what}:\n{}nothing was created. Read it, then approve it with \
         `bot-bottle approve {manifest}`{or_answer}",
        approval::render_changes(&approval.changes)
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::approval::State;
    use crate::exit::{self, NeedsApproval, UsageError};
    use crate::usecase::scripted::Scripted;

    /// A project directory with a manifest (the plan's tests' fixture) and a state directory
    /// for approvals beside it, removed on drop.
    pub struct Project {
        pub dir: Utf8PathBuf,
        project: crate::plan::tests::Project,
    }

    pub const NARROW: &str = "name = \"p\"\n\n[egress]\nallowlist = [\"a.example.com\"]\n";
    pub const WIDE: &str =
        "name = \"p\"\n\n[egress]\nallowlist = [\"a.example.com\", \"b.example.com\"]\n";

    impl Project {
        pub fn new() -> Self {
            let project = crate::plan::tests::Project::new("p");
            // Beside the project, as a user's state directory is: a workspace may not hold it.
            let dir = project.dir.parent().unwrap().to_owned();
            std::fs::create_dir(dir.join("state")).unwrap();
            Project { dir, project }
        }

        /// Writes `toml` as the manifest and reviews its plan against the approvals here.
        pub fn review(&self, toml: &str) -> Reviewed {
            let plan = self.project.plan(toml);
            Reviewed::of(plan, &self.dir.join("state")).unwrap()
        }

        /// The manifest approved as `toml` says.
        pub fn approved(&self, toml: &str) {
            approval::record(&self.review(toml).approval).unwrap();
        }

        /// Whether any approval is recorded.
        pub fn recorded(&self) -> bool {
            walk(&self.dir.join("state"))
        }
    }

    fn walk(dir: &camino::Utf8Path) -> bool {
        dir.read_dir_utf8().unwrap().any(|e| {
            let e = e.unwrap();
            e.file_type().unwrap().is_file() || (e.file_type().unwrap().is_dir() && walk(e.path()))
        })
    }

    fn code(err: &anyhow::Error) -> u8 {
        if err.downcast_ref::<NeedsApproval>().is_some() {
            exit::NEEDS_APPROVAL
        } else if err.downcast_ref::<UsageError>().is_some() {
            exit::USAGE
        } else {
            exit::FAILURE
        }
    }

    #[test]
    fn a_new_manifest_without_a_terminal_exits_3_with_or_without_yes_and_records_nothing() {
        let p = Project::new();
        let reviewed = p.review(NARROW);
        assert_eq!(reviewed.approval.state, State::New);
        for yes in [true, false] {
            let err = for_start(&reviewed, yes, &mut Scripted::no_terminal()).unwrap_err();
            assert_eq!(code(&err), exit::NEEDS_APPROVAL, "{err}");
            let text = err.to_string();
            assert!(
                text.contains("is new to bot-bottle (never approved)"),
                "{text}"
            );
            assert!(
                text.contains("or run `bot-bottle start` on a terminal"),
                "{text}"
            );
        }
        let err = unasked(&reviewed, &mut Scripted::no_terminal(), Maker::Export).unwrap_err();
        assert_eq!(code(&err), exit::NEEDS_APPROVAL);
        assert!(!err.to_string().contains("on a terminal"), "{err}");
        assert!(!p.recorded());
    }

    #[test]
    fn yes_approves_a_narrowing_change_but_not_a_widening_one() {
        let p = Project::new();
        p.approved(WIDE);
        let narrowed = p.review(NARROW);
        assert_eq!(narrowed.approval.state, State::Changed);
        let mut ask = Scripted::no_terminal();
        assert!(!for_start(&narrowed, true, &mut ask).unwrap());
        assert_eq!(ask.told.len(), 1, "{:?}", ask.told);
        assert!(ask.told[0].ends_with("changed since approved, widening nothing; approved it"));
        assert_eq!(p.review(NARROW).approval.state, State::Approved);

        let widened = p.review(WIDE);
        let err = for_start(&widened, true, &mut Scripted::no_terminal()).unwrap_err();
        assert_eq!(code(&err), exit::NEEDS_APPROVAL);
        assert!(err.to_string().contains("b.example.com"), "{err}");
        assert_eq!(p.review(WIDE).approval.state, State::Changed);
    }

    #[test]
    fn without_yes_and_a_terminal_a_launch_is_a_usage_error() {
        let p = Project::new();
        p.approved(WIDE);
        // A narrowing change: no approval question, but the launch's needs a terminal.
        let reviewed = p.review(NARROW);
        let mut ask = Scripted::no_terminal();
        assert!(!for_start(&reviewed, false, &mut ask).unwrap());
        let err = confirm_launch(&reviewed, &mut ask).unwrap_err();
        assert_eq!(code(&err), exit::USAGE);
        assert!(err
            .to_string()
            .starts_with("refusing to launch without confirmation"));
        assert_eq!(p.review(NARROW).approval.state, State::Changed, "recorded");
    }

    #[test]
    fn on_a_terminal_a_yes_approves_even_with_yes_and_a_no_records_nothing() {
        let p = Project::new();
        let reviewed = p.review(NARROW);
        let mut ask = Scripted::answering(&[false]);
        let err = for_start(&reviewed, true, &mut ask).unwrap_err();
        assert_eq!(code(&err), exit::FAILURE);
        assert!(err.to_string().contains("nothing was created"), "{err}");
        assert_eq!(
            ask.asked,
            ["Approve this manifest and launch this bottle? [y/N] "]
        );
        assert!(!p.recorded());

        let mut ask = Scripted::answering(&[true]);
        assert!(for_start(&reviewed, true, &mut ask).unwrap(), "asked");
        assert_eq!(p.review(NARROW).approval.state, State::Approved);
    }

    #[test]
    fn an_approved_manifest_asks_only_to_launch() {
        let p = Project::new();
        p.approved(NARROW);
        let reviewed = p.review(NARROW);
        let mut ask = Scripted::answering(&[false]);
        assert!(!for_start(&reviewed, false, &mut ask).unwrap());
        assert!(ask.asked.is_empty());
        let err = confirm_launch(&reviewed, &mut ask).unwrap_err();
        assert!(err.to_string().contains("not launched"), "{err}");
        assert_eq!(ask.asked, ["Launch this bottle? [y/N] "]);
        unasked(&reviewed, &mut ask, Maker::Export).unwrap();
        assert!(ask.told.is_empty());
    }
}
