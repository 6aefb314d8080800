//! The two images a bottle runs, made in one step: the agent built from `contrib/agent` with
//! Claude Code from npm on a Debian-family Node.js base, and pipelock pulled by tag and pinned
//! by digest, or built from source with Go when no registry is reachable.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::DirBuilderExt as _;

use anyhow::{bail, Context as _};
use backends::process::Command;
use backends::{BuildSpec, Engine, EnvVar};
use camino::{Utf8Path, Utf8PathBuf};

use crate::defaults;

/// The agent image's recipe (built into the binary, so an installed bot-bottle can build it).
const AGENT_CONTAINERFILE: &str = include_str!("../contrib/agent/Containerfile");
/// The pipelock image's recipe.
const PIPELOCK_CONTAINERFILE: &str = include_str!("../contrib/pipelock/Containerfile");

/// The default base of the agent image.
pub const AGENT_BASE: &str = "node:22-slim";
/// Claude Code from npm, pinned; the testbed installs the same version.
pub const CLAUDE_CODE_PACKAGE: &str = "@anthropic-ai/claude-code";
pub const CLAUDE_CODE_VERSION: &str = "2.1.332";

/// pipelock's Go module and the commit of its tag v2.3.0 (the module path has no `/v2`, so Go
/// cannot take the tag's name; the commit names the same code).
pub const PIPELOCK_PACKAGE: &str = "github.com/luckyPipewrench/pipelock/cmd/pipelock";
pub const PIPELOCK_COMMIT: &str = "7a3b7de4a5552b4e756eb930256468b7cbd616b1";
pub const PIPELOCK_VERSION: &str = "2.3.0";
/// Where pipelock's release build puts its version string.
const PIPELOCK_VERSION_VARS: &[&str] = &[
    "github.com/luckyPipewrench/pipelock/internal/cliutil.Version",
    "github.com/luckyPipewrench/pipelock/internal/proxy.Version",
];

/// Names the published pipelock image to pull (its location is in pipelock's README).
pub const PIPELOCK_SOURCE_ENV: &str = "BOT_BOTTLE_PIPELOCK_SOURCE";
/// Names a published agent image to pull instead of building one.
pub const AGENT_SOURCE_ENV: &str = "BOT_BOTTLE_AGENT_SOURCE";

/// Which image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Agent,
    Pipelock,
}

impl Target {
    /// The local name the defaults point at.
    pub fn default_tag(self) -> &'static str {
        match self {
            Target::Agent => defaults::AGENT_IMAGE,
            Target::Pipelock => defaults::PROXY_IMAGE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Agent => "agent",
            Target::Pipelock => "pipelock",
        }
    }
}

/// A private build context; removed on drop.
struct Context(Utf8PathBuf);

impl Context {
    fn new(what: &str) -> anyhow::Result<Self> {
        let root = crate::launch::stage::root()?;
        crate::launch::stage::ensure_root(&root)?;
        let mut bytes = [0u8; 6];
        getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("random bytes: {e}"))?;
        let suffix = bytes.iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        let dir = root.join(format!("image-{what}-{suffix}"));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("creating the build context {dir}"))?;
        Ok(Context(dir))
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn step(what: &str) {
    eprintln!("bot-bottle: {what}");
}

fn run_visible(cmd: &Command) -> anyhow::Result<()> {
    let status = cmd.run_inherited()?;
    if status != 0 {
        bail!("`{}` exited with status {status}", cmd.display());
    }
    Ok(())
}

/// Builds the agent image `tag` on `base`: Claude Code from npm (with the host's npm and its
/// registry settings) into the context, or copied from `installed` (a directory where
/// `npm install --prefix DIR @anthropic-ai/claude-code` ran), then the Containerfile.
pub fn build_agent(
    engine: &dyn Engine,
    tag: &str,
    base: &str,
    installed: Option<&Utf8Path>,
    verbose: bool,
) -> anyhow::Result<()> {
    let ctx = Context::new("agent")?;
    fs::write(ctx.0.join("Containerfile"), AGENT_CONTAINERFILE)
        .context("writing the agent Containerfile")?;
    let prefix = ctx.0.join("claude-code");
    if let Some(dir) = installed {
        let bin = dir
            .join("node_modules")
            .join(CLAUDE_CODE_PACKAGE)
            .join("bin");
        if !bin.is_dir() {
            return Err(crate::exit::UsageError(format!(
                "--claude-code-dir {dir}: no {bin}; give a directory where `npm install --prefix DIR {CLAUDE_CODE_PACKAGE}` ran"
            ))
            .into());
        }
        step(&format!(
            "copying Claude Code from {dir} into the build context"
        ));
        let cp = Command::new("cp")
            .args(["-a", dir.as_str(), prefix.as_str()])
            .verbose(verbose);
        cp.run()
            .with_context(|| format!("copying Claude Code from {dir}"))?;
        return build_agent_image(engine, tag, base, &ctx.0);
    }
    step(&format!(
        "installing {CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION} with npm into the build context"
    ));
    // The package's install script links the native binary of this platform (an optional
    // dependency) into place; spelled out so that an npmrc cannot skip either.
    let npm = Command::new("npm")
        .args([
            "install",
            "--prefix",
            prefix.as_str(),
            "--no-save",
            "--no-package-lock",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--engine-strict=false",
            "--include=optional",
            "--ignore-scripts=false",
            &format!("{CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION}"),
        ])
        .verbose(verbose);
    run_visible(&npm).context(
        "installing Claude Code with npm (is npm installed, and its registry reachable?)",
    )?;
    build_agent_image(engine, tag, base, &ctx.0)
}

fn build_agent_image(
    engine: &dyn Engine,
    tag: &str,
    base: &str,
    ctx: &Utf8Path,
) -> anyhow::Result<()> {
    step(&format!(
        "building {tag} on {base} with {}",
        engine.program()
    ));
    let spec = BuildSpec {
        tag: tag.to_owned(),
        context: ctx.to_owned(),
        file: Some(ctx.join("Containerfile")),
        build_args: vec![EnvVar::new("BASE", base)],
        labels: [(
            "io.bot-bottle.claude-code".to_owned(),
            CLAUDE_CODE_VERSION.to_owned(),
        )]
        .into(),
        progress: true,
    };
    engine.build_image(&spec).with_context(|| {
        format!(
            "building on {base}; where no registry is reachable, pass --base with a local \
             Debian-family Node.js image"
        )
    })?;
    step(&format!("{tag} is ready"));
    Ok(())
}

/// Builds pipelock v2.3.0 from source (static, with Go on this host) into the image `tag`.
pub fn build_pipelock(engine: &dyn Engine, tag: &str, verbose: bool) -> anyhow::Result<()> {
    let ctx = Context::new("pipelock")?;
    fs::write(ctx.0.join("Containerfile"), PIPELOCK_CONTAINERFILE)
        .context("writing the pipelock Containerfile")?;
    let bundle = Utf8Path::new(defaults::AGENT_CA_BUNDLE_PATH);
    fs::copy(bundle, ctx.0.join("ca-certificates.crt"))
        .with_context(|| format!("copying this host's CA bundle {bundle}"))?;
    let ldflags = std::iter::once("-s -w".to_owned())
        .chain(
            PIPELOCK_VERSION_VARS
                .iter()
                .map(|var| format!("-X {var}={PIPELOCK_VERSION}")),
        )
        .collect::<Vec<_>>()
        .join(" ");
    step(&format!(
        "building pipelock {PIPELOCK_VERSION} ({PIPELOCK_PACKAGE} at {PIPELOCK_COMMIT}) with Go"
    ));
    let go = Command::new("go")
        .args([
            "install",
            "-trimpath",
            &format!("-ldflags={ldflags}"),
            &format!("{PIPELOCK_PACKAGE}@{PIPELOCK_COMMIT}"),
        ])
        .envs([
            ("CGO_ENABLED".to_owned(), "0".to_owned()),
            ("GOBIN".to_owned(), ctx.0.to_string()),
        ])
        .verbose(verbose);
    run_visible(&go).context(
        "building pipelock with Go failed: it needs Go 1.24+ and a module proxy that serves pipelock's module; \
         where neither a registry nor such a proxy is reachable, `docker save` / `podman save` the image on a machine \
         that has it, load it here and tag it (or point BOT_BOTTLE_PIPELOCK_IMAGE at it)",
    )?;
    step(&format!("building {tag} with {}", engine.program()));
    engine.build_image(&BuildSpec {
        tag: tag.to_owned(),
        context: ctx.0.clone(),
        file: Some(ctx.0.join("Containerfile")),
        build_args: Vec::new(),
        labels: [(
            "io.bot-bottle.pipelock".to_owned(),
            format!("{PIPELOCK_VERSION} {PIPELOCK_COMMIT}"),
        )]
        .into(),
        progress: true,
    })?;
    step(&format!("{tag} is ready"));
    Ok(())
}

/// Pulls `source`, pins it by the digest the engine recorded, and names it `tag`. Returns the
/// pinned reference.
pub fn pull(
    engine: &dyn Engine,
    target: Target,
    source: &str,
    tag: &str,
) -> anyhow::Result<String> {
    step(&format!("pulling {source} with {}", engine.program()));
    engine.pull_image(source).with_context(|| {
        let instead = match target {
            Target::Pipelock => "`bot-bottle image build pipelock` builds it from source instead",
            Target::Agent => "`bot-bottle image build agent` builds it instead",
        };
        format!("no registry reachable, or no such image? {instead}")
    })?;
    let pinned = pinned_reference(source, &engine.image_digests(source)?);
    engine.tag_image(&pinned, tag)?;
    step(&format!("{tag} is {pinned}"));
    Ok(pinned)
}

/// `source` pinned by the digest the engine recorded for its repository (`repo@sha256:…`);
/// `source` itself when the engine recorded none.
fn pinned_reference(source: &str, digests: &[String]) -> String {
    let repo = source.rsplit_once('@').map_or(source, |(r, _)| r);
    // A tag follows the last colon, unless that colon is a registry's port (a slash follows).
    let repo = match repo.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => r,
        _ => repo,
    };
    digests
        .iter()
        .find(|d| d.split_once('@').is_some_and(|(r, _)| r == repo))
        .or_else(|| digests.first())
        .cloned()
        .unwrap_or_else(|| source.to_owned())
}

/// The reference to pull for `target`: `from`, else its environment variable.
pub fn source(target: Target, from: Option<&str>) -> anyhow::Result<String> {
    let env = match target {
        Target::Agent => AGENT_SOURCE_ENV,
        Target::Pipelock => PIPELOCK_SOURCE_ENV,
    };
    from.map(str::to_owned)
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            let what = match target {
                Target::Pipelock => "the published pipelock image at tag 2.3.0 (see pipelock's README for where it is published)",
                Target::Agent => "a published agent image",
            };
            crate::exit::UsageError(format!(
                "name {what} with --from REF or {env}; or build it here: `bot-bottle image build {}`",
                target.name()
            ))
            .into()
        })
}

#[cfg(test)]
mod tests {
    use super::pinned_reference;

    #[test]
    fn a_pull_is_pinned_by_its_repository_s_digest() {
        let digests = vec![
            "other.example:5000/x@sha256:aaa".to_owned(),
            "reg.example:5000/team/pipelock@sha256:bbb".to_owned(),
        ];
        assert_eq!(
            pinned_reference("reg.example:5000/team/pipelock:2.3.0", &digests),
            "reg.example:5000/team/pipelock@sha256:bbb"
        );
        assert_eq!(
            pinned_reference("reg.example:5000/team/pipelock", &digests),
            "reg.example:5000/team/pipelock@sha256:bbb"
        );
        assert_eq!(
            pinned_reference("reg.example:5000/team/pipelock@sha256:bbb", &digests),
            "reg.example:5000/team/pipelock@sha256:bbb"
        );
        assert_eq!(pinned_reference("local/x:1", &[]), "local/x:1");
    }
}
