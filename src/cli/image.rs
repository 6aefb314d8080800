//! `bot-bottle image build|pull [agent|pipelock]`: the images a bottle runs, in one step.

use clap::{Args, Subcommand};

use super::Global;
use crate::images::{self, Target};

/// Build or pull the agent and pipelock images under the names `start` uses by default.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build images here: the agent from contrib/agent (Claude Code from npm on a Debian-family
    /// Node.js base), pipelock 2.3.0 from source with Go.
    Build(BuildArgs),
    /// Pull a published image, pin it by digest and name it as `start` expects.
    Pull(PullArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Which image; both when left out.
    #[arg(value_enum)]
    pub target: Option<Target>,

    /// The agent image's base: a Debian-family Node.js image.
    #[arg(long, value_name = "IMAGE", default_value = images::AGENT_BASE)]
    pub base: String,

    /// The name to give the image (default: the name `start` uses).
    #[arg(long, value_name = "NAME", requires = "target")]
    pub tag: Option<String>,

    /// Take Claude Code from DIR, where `npm install --prefix DIR @anthropic-ai/claude-code`
    /// ran, instead of installing it with npm now (for a build without the npm registry).
    #[arg(long, value_name = "DIR")]
    pub claude_code_dir: Option<camino::Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Which image.
    #[arg(value_enum)]
    pub target: Target,

    /// The published image to pull (e.g. pipelock's, at tag 2.3.0). Also
    /// `BOT_BOTTLE_PIPELOCK_SOURCE` or `BOT_BOTTLE_AGENT_SOURCE`.
    #[arg(long, value_name = "REF")]
    pub from: Option<String>,

    /// The name to give the image (default: the name `start` uses).
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
}

impl ImageCommand {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        // A pull needs its reference before anything else.
        let source = match self {
            ImageCommand::Pull(args) => Some(images::source(args.target, args.from.as_deref())?),
            ImageCommand::Build(_) => None,
        };
        let engine = crate::engine::select(global.engine.as_deref(), global.verbose)?;
        match self {
            ImageCommand::Build(args) => {
                let targets = args
                    .target
                    .map_or_else(|| vec![Target::Agent, Target::Pipelock], |t| vec![t]);
                for target in targets {
                    let tag = args
                        .tag
                        .clone()
                        .unwrap_or_else(|| target.default_tag().to_owned());
                    match target {
                        Target::Agent => {
                            images::build_agent(
                                engine.as_ref(),
                                &tag,
                                &args.base,
                                args.claude_code_dir.as_deref(),
                                global.verbose,
                            )?;
                        }
                        Target::Pipelock => {
                            images::build_pipelock(engine.as_ref(), &tag, global.verbose)?;
                        }
                    }
                }
                Ok(())
            }
            ImageCommand::Pull(args) => {
                let source = source.unwrap_or_default();
                let tag = args
                    .tag
                    .clone()
                    .unwrap_or_else(|| args.target.default_tag().to_owned());
                let pinned = images::pull(engine.as_ref(), args.target, &source, &tag)?;
                println!("{pinned}");
                Ok(())
            }
        }
    }
}
