//! `bot-bottle image build|pull [agent|pipelock|gate]`: the images a bottle runs, in one step.

use clap::{Args, Subcommand};

use super::Global;
use crate::images::{self, Target};

/// Build or pull the agent, pipelock and git gate images under the names `start` uses by
/// default.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build images here: the agent from contrib/agent (Claude Code from npm on a Debian-family
    /// Node.js base), pipelock 2.3.0 from source with Go (or a static binary of it), the git
    /// gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family
    /// base).
    Build(BuildArgs),
    /// Pull a published image, pin it by digest and name it as `start` expects.
    Pull(PullArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Which image; the agent and pipelock when left out (the git gate only when named).
    #[arg(value_enum)]
    pub target: Option<Target>,

    /// The base image: for the agent a Debian-family Node.js image (default node:22-slim), for
    /// the git gate a Debian-family image (default debian:bookworm-slim; one that has git,
    /// openssh-client and ca-certificates builds offline).
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,

    /// The name to give the image (default: the name `start` uses).
    #[arg(long, value_name = "NAME", requires = "target")]
    pub tag: Option<String>,

    /// The agent image's kind: claude-code (the default), codex or gemini. One image per kind,
    /// named after it (localhost/bot-bottle/agent-KIND:latest; claude-code keeps
    /// localhost/bot-bottle/agent:latest).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,

    /// Take the kind's CLI from DIR, where `npm install --prefix DIR PACKAGE` ran (for Claude
    /// Code @anthropic-ai/claude-code), instead of installing it with npm now (for a build
    /// without the npm registry).
    #[arg(long, value_name = "DIR")]
    pub claude_code_dir: Option<camino::Utf8PathBuf>,

    /// Build from DIR. The git gate: a checkout of bot-bottle's workspace (default: the
    /// checkout this bot-bottle was built from, while it exists). pipelock: a clean git
    /// checkout of pipelock at tag v2.3.0 (commit 7a3b7de4a555…), built with Go (default: Go
    /// fetches that commit through its module proxy).
    #[arg(long, value_name = "DIR")]
    pub source: Option<camino::Utf8PathBuf>,

    /// Take FILE, built before, instead of building: for the git gate a static
    /// bot-bottle-gate, for pipelock a static pipelock that reports version 2.3.0.
    #[arg(long, value_name = "FILE", conflicts_with = "source")]
    pub binary: Option<camino::Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Which image.
    #[arg(value_enum)]
    pub target: Target,

    /// The published image to pull (e.g. pipelock's, at tag 2.3.0). Also
    /// `BOT_BOTTLE_PIPELOCK_SOURCE`, `BOT_BOTTLE_AGENT_SOURCE` or `BOT_BOTTLE_GATE_SOURCE`.
    #[arg(long, value_name = "REF")]
    pub from: Option<String>,

    /// The name to give the image (default: the name `start` uses).
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
}

impl ImageCommand {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        // A pull needs its reference, and a build its options checked, before anything else.
        let (source, binaries) = match self {
            ImageCommand::Pull(args) => (
                Some(images::source(args.target, args.from.as_deref())?),
                Binaries::default(),
            ),
            ImageCommand::Build(args) => (None, args.check(global.verbose)?),
        };
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        match self {
            ImageCommand::Build(args) => {
                let targets = args
                    .target
                    .map_or_else(|| vec![Target::Agent, Target::Pipelock], |t| vec![t]);
                for target in targets {
                    let options = images::BuildOptions {
                        tag: args.tag.as_deref(),
                        base: args.base.as_deref(),
                        kind: binaries.kind,
                        claude_code_dir: args.claude_code_dir.as_deref(),
                        gate: binaries.gate.as_ref(),
                        pipelock: binaries.pipelock.as_ref(),
                    };
                    images::build(engine.as_ref(), target, &options, global.verbose)?;
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

/// Where the binaries of the image being built come from, checked.
#[derive(Debug, Default)]
struct Binaries {
    /// The agent kind `--kind` names.
    kind: Option<&'static crate::agents::AgentKind>,
    gate: Option<images::GateBinary>,
    pipelock: Option<images::pipelock::Binary>,
}

impl BuildArgs {
    /// Refuses options the chosen image does not take, naming the option and its value; for the
    /// git gate and pipelock, returns where their binary comes from (checked).
    fn check(&self, verbose: bool) -> anyhow::Result<Binaries> {
        let refuse = |option: &str, value: &str, why: &str| -> anyhow::Result<_> {
            let building = self.target.map_or_else(
                || "the agent and pipelock images".to_owned(),
                |t| format!("the {} image", t.name()),
            );
            Err(crate::exit::UsageError(format!(
                "{option} {value}: {why}, and this builds {building}"
            ))
            .into())
        };
        let binary_built_before = matches!(self.target, Some(Target::Gate | Target::Pipelock));
        if let Some(dir) = &self.source {
            if !binary_built_before {
                return refuse(
                    "--source",
                    dir.as_str(),
                    "only `image build gate` and `image build pipelock` take it",
                );
            }
        }
        if let Some(file) = &self.binary {
            if !binary_built_before {
                return refuse(
                    "--binary",
                    file.as_str(),
                    "only `image build gate` and `image build pipelock` take it",
                );
            }
        }
        if let Some(dir) = &self.claude_code_dir {
            if !matches!(self.target, None | Some(Target::Agent)) {
                return refuse(
                    "--claude-code-dir",
                    dir.as_str(),
                    "only the agent image takes it",
                );
            }
        }
        let mut kind = None;
        if let Some(name) = &self.kind {
            if !matches!(self.target, None | Some(Target::Agent)) {
                return refuse("--kind", name, "only the agent image takes it");
            }
            kind = Some(
                crate::agents::AgentKind::named(name)
                    .map_err(|e| crate::exit::UsageError(format!("--kind: {e}")))?,
            );
        }
        if let Some(base) = &self.base {
            if self.target == Some(Target::Pipelock) {
                return refuse(
                    "--base",
                    base,
                    "pipelock's image has no base (it is FROM scratch)",
                );
            }
        }
        let mut binaries = Binaries {
            kind,
            ..Binaries::default()
        };
        match self.target {
            Some(Target::Gate) => {
                binaries.gate = Some(match &self.binary {
                    Some(file) => images::prebuilt_gate(file)?,
                    None => images::gate_source(self.source.as_deref())?,
                });
            }
            Some(Target::Pipelock) => {
                binaries.pipelock = match (&self.source, &self.binary) {
                    (Some(dir), _) => Some(images::pipelock::source(dir, verbose)?),
                    (None, Some(file)) => Some(images::pipelock::prebuilt(file, verbose)?),
                    (None, None) => None,
                };
            }
            _ => {}
        }
        Ok(binaries)
    }
}
