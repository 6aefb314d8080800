//! `start`: settle the manifest's approval, confirm the launch, make the images the preflight
//! finds missing (when `bot-bottle image build` makes them and the user agrees), and launch
//! once. Nothing is created until all of that is settled.

use camino::Utf8PathBuf;
use engine::Engine;

use super::settle;
use super::Ask;
use crate::approval::Reviewed;
use crate::bottle::Role;
use crate::images::{self, Target};
use crate::launch::{self, MissingImage};

/// What `start` was asked to do besides launching the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request {
    /// `-y`: launch without asking, approving a change that widens nothing.
    pub yes: bool,
    /// `--detach`: leave the bottle running.
    pub detach: bool,
    /// `--verbose`: echo the engine commands of an image build.
    pub verbose: bool,
}

/// What a launch came to.
#[derive(Debug)]
pub struct Started {
    pub outcome: launch::Outcome,
    /// For a learn run: where its lock is written when the bottle ends.
    pub learn_lock: Option<Utf8PathBuf>,
}

impl Started {
    /// The agent's exit status as the command's result: a failure when it was not 0.
    pub fn agent_result(&self) -> anyhow::Result<()> {
        match self.outcome.agent_exit_code {
            Some(code) if code != 0 => {
                anyhow::bail!("the agent exited with status {code}; the bottle was removed")
            }
            _ => Ok(()),
        }
    }
}

/// Launches `reviewed`'s plan on `engine` (which may have been found missing: that is said
/// once the approval is settled, so that a refusal comes first).
pub fn start(
    reviewed: Reviewed,
    engine: Result<Box<dyn Engine>, engine::NoEngineFound>,
    request: Request,
    ask: &mut dyn Ask,
) -> anyhow::Result<Started> {
    let asked = settle::for_start(&reviewed, request.yes, ask)?;
    if !request.yes && !asked {
        settle::confirm_launch(&reviewed, ask)?;
    }
    let engine = engine?;
    let plan = reviewed.plan;
    let options = launch::Options {
        detach: request.detach,
    };
    let outcome = launch::launch(engine.as_ref(), &plan, options, &mut |missing| {
        make_images(
            missing,
            request.yes,
            ask,
            images::maker_for,
            &mut |target| {
                images::build(
                    engine.as_ref(),
                    target,
                    &images::BuildOptions {
                        kind: Some(plan.agent.kind),
                        ..images::BuildOptions::default()
                    },
                    request.verbose,
                )
            },
        )
    })?;
    Ok(Started {
        outcome,
        learn_lock: plan.egress.learn.map(|l| l.lock_path),
    })
}

/// Makes each missing image that `bot-bottle image build` makes (`maker`: which, for an image
/// of the default name) and the user agrees to (`yes`: `-y` agrees; otherwise a yes on a
/// terminal), with `build`. The first it does not make is the error: the launch cannot go.
fn make_images(
    missing: &[MissingImage],
    yes: bool,
    ask: &mut dyn Ask,
    maker: fn(Role, &str) -> Option<Target>,
    build: &mut dyn FnMut(Target) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for image in missing {
        let Some(target) = maker(image.role, &image.image) else {
            return Err(image.clone().into());
        };
        let how = format!("build it now ({})", target.how());
        if yes {
            ask.tell(&format!("{image}; -y: going to {how}"));
        } else if !ask.can_ask()
            || !ask.confirm("", &format!("bot-bottle: {image}.\n{how}? [y/N] "))?
        {
            return Err(image.clone().into());
        }
        build(target)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecase::scripted::Scripted;

    fn missing(role: Role, image: &str) -> MissingImage {
        MissingImage {
            role,
            image: image.to_owned(),
            engine: "podman (/usr/bin/podman)".to_owned(),
        }
    }

    /// The agent's and pipelock's default images have makers; anything else none.
    fn maker(role: Role, image: &str) -> Option<Target> {
        match (role, image) {
            (Role::Agent, "default-agent") => Some(Target::Agent),
            (Role::Proxy, "default-proxy") => Some(Target::Pipelock),
            _ => None,
        }
    }

    fn run(
        missing: &[MissingImage],
        yes: bool,
        ask: &mut Scripted,
    ) -> (anyhow::Result<()>, Vec<Target>) {
        let mut built = Vec::new();
        let result = make_images(missing, yes, ask, maker, &mut |t| {
            built.push(t);
            Ok(())
        });
        (result, built)
    }

    #[test]
    fn yes_builds_every_missing_default_image_before_the_launch_and_says_so() {
        let mut ask = Scripted::no_terminal();
        let both = [
            missing(Role::Agent, "default-agent"),
            missing(Role::Proxy, "default-proxy"),
        ];
        let (result, built) = run(&both, true, &mut ask);
        result.unwrap();
        assert_eq!(built, [Target::Agent, Target::Pipelock]);
        assert!(ask.asked.is_empty());
        assert_eq!(ask.told.len(), 2);
        assert!(
            ask.told[0].starts_with("the agent image default-agent is not present")
                && ask.told[0]
                    .ends_with("; -y: going to build it now (bot-bottle image build agent)"),
            "{:?}",
            ask.told
        );
    }

    #[test]
    fn on_a_terminal_each_image_is_asked_for_and_a_no_stops_the_launch() {
        let both = [
            missing(Role::Agent, "default-agent"),
            missing(Role::Proxy, "default-proxy"),
        ];
        let mut ask = Scripted::answering(&[true, false]);
        let (result, built) = run(&both, false, &mut ask);
        let err = result.unwrap_err();
        assert_eq!(err.downcast_ref::<MissingImage>(), Some(&both[1]));
        assert_eq!(built, [Target::Agent]);
        assert_eq!(ask.asked.len(), 2);
        assert!(ask.asked[0].starts_with("bot-bottle: the agent image default-agent"));
        assert!(ask.asked[0].ends_with(".\nbuild it now (bot-bottle image build agent)? [y/N] "));
    }

    #[test]
    fn without_a_terminal_or_a_maker_nothing_is_built() {
        let agent = [missing(Role::Agent, "default-agent")];
        let (result, built) = run(&agent, false, &mut Scripted::no_terminal());
        assert_eq!(
            result.unwrap_err().downcast_ref::<MissingImage>(),
            Some(&agent[0])
        );
        assert!(built.is_empty());

        // An image of another name (an override) is the user's to make, -y or not.
        let other = [missing(Role::Agent, "localhost/mine:1")];
        let mut ask = Scripted::answering(&[true]);
        let (result, built) = run(&other, true, &mut ask);
        let err = result.unwrap_err();
        assert!(
            err.to_string().contains("`bot-bottle image build agent`"),
            "{err}"
        );
        assert!(built.is_empty() && ask.asked.is_empty() && ask.told.is_empty());
    }
}
