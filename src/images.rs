//! The images a bottle runs, made in one step: the agent built from `contrib/agent` with
//! Claude Code from npm on a Debian-family Node.js base; pipelock pulled by tag and pinned by
//! digest, or, when no registry is reachable, built with Go from its module or a checkout, or
//! taken as a static binary built before ([`pipelock`]); and the git gate built
//! from `contrib/gate` with a static `bot-bottle-gate` from a checkout of this workspace.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use engine::process::Command;
use engine::{BuildSpec, Engine, EnvVar};

use crate::bottle::Role;
use crate::defaults;

pub mod pipelock;

/// The agent image's recipe (built into the binary, so an installed bot-bottle can build it),
/// one for every kind: the kind's npm install, its command and its state directory are build
/// arguments.
const AGENT_CONTAINERFILE: &str = include_str!("../contrib/agent/Containerfile");
/// The git gate image's recipe.
const GATE_CONTAINERFILE: &str = include_str!("../contrib/gate/Containerfile");

/// The default base of the agent image.
pub const AGENT_BASE: &str = "node:22-slim";
/// The default base of the git gate image.
pub const GATE_BASE: &str = "debian:bookworm-slim";
/// The gate's package and binary in this workspace.
const GATE_PACKAGE: &str = "bot-bottle-gate";

/// Claude Code from npm, pinned (its kind's description holds them); the testbed installs
/// the same version.
pub use crate::agents::{CLAUDE_CODE_PACKAGE, CLAUDE_CODE_VERSION};

/// pipelock's Go module and the commit of its tag v2.3.0 (the module path has no `/v2`, so Go
/// cannot take the tag's name; the commit names the same code).
pub const PIPELOCK_PACKAGE: &str = "github.com/luckyPipewrench/pipelock/cmd/pipelock";
pub const PIPELOCK_COMMIT: &str = "7a3b7de4a5552b4e756eb930256468b7cbd616b1";
pub const PIPELOCK_VERSION: &str = "2.3.0";
/// Names the published pipelock image to pull (its location is in pipelock's README).
pub const PIPELOCK_SOURCE_ENV: &str = "BOT_BOTTLE_PIPELOCK_SOURCE";
/// Names a published agent image to pull instead of building one.
pub const AGENT_SOURCE_ENV: &str = "BOT_BOTTLE_AGENT_SOURCE";
/// Names a published git gate image to pull instead of building one.
pub const GATE_SOURCE_ENV: &str = "BOT_BOTTLE_GATE_SOURCE";

/// Which image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Agent,
    Pipelock,
    Gate,
}

impl Target {
    /// The local name the defaults point at.
    pub fn default_tag(self) -> &'static str {
        match self {
            Target::Agent => defaults::AGENT_IMAGE,
            Target::Pipelock => defaults::PROXY_IMAGE,
            Target::Gate => defaults::GATE_IMAGE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Agent => "agent",
            Target::Pipelock => "pipelock",
            Target::Gate => "gate",
        }
    }

    /// How `bot-bottle image` makes it under its default name, for a question about a missing
    /// image.
    pub fn how(self) -> &'static str {
        match self {
            Target::Agent => "bot-bottle image build agent",
            Target::Pipelock => "from source: bot-bottle image build pipelock",
            Target::Gate => "from this bot-bottle's checkout: bot-bottle image build gate",
        }
    }
}

/// The image `bot-bottle image build` makes for a launch's missing image `image` of `role`,
/// when it has the default name. The git gate's only when this bot-bottle's checkout is at
/// hand to build it from: without one, the error names the command, which takes --source.
pub fn maker_for(role: Role, image: &str) -> Option<Target> {
    match role {
        Role::Agent if crate::agents::KINDS.iter().any(|k| k.image() == image) => {
            Some(Target::Agent)
        }
        Role::Proxy if image == defaults::PROXY_IMAGE => Some(Target::Pipelock),
        Role::Gate if image == defaults::GATE_IMAGE && default_gate_source().is_some() => {
            Some(Target::Gate)
        }
        _ => None,
    }
}

/// How to build one image; each `None` takes the default.
#[derive(Debug, Default)]
pub struct BuildOptions<'a> {
    /// The name to give it (default: the name `start` uses).
    pub tag: Option<&'a str>,
    /// The base image of the agent or the gate (default: [`AGENT_BASE`], [`GATE_BASE`]).
    pub base: Option<&'a str>,
    /// The agent kind (default: claude-code): its npm package goes into the agent image, and
    /// the image's default name is the kind's.
    pub kind: Option<&'static crate::agents::AgentKind>,
    /// The kind's package, installed before (default: npm installs it now).
    pub claude_code_dir: Option<&'a Utf8Path>,
    /// The gate's binary (default: built from this bot-bottle's checkout).
    pub gate: Option<&'a GateBinary>,
    /// pipelock's binary (default: Go builds the module at [`PIPELOCK_COMMIT`]).
    pub pipelock: Option<&'a pipelock::Binary>,
}

/// Builds `target` as `options` say.
pub fn build(
    engine: &dyn Engine,
    target: Target,
    options: &BuildOptions<'_>,
    verbose: bool,
) -> anyhow::Result<()> {
    let kind = options.kind.unwrap_or(crate::agents::DEFAULT);
    let kind_tag = kind.image();
    let tag = options.tag.unwrap_or(match target {
        Target::Agent => kind_tag.as_str(),
        _ => target.default_tag(),
    });
    match target {
        Target::Agent => build_agent(
            engine,
            kind,
            tag,
            options.base.unwrap_or(AGENT_BASE),
            options.claude_code_dir,
            verbose,
        ),
        Target::Pipelock => pipelock::build(engine, tag, options.pipelock, verbose),
        Target::Gate => {
            let base = options.base.unwrap_or(GATE_BASE);
            match options.gate {
                Some(binary) => build_gate(engine, tag, base, binary, verbose),
                None => build_gate(engine, tag, base, &gate_source(None)?, verbose),
            }
        }
    }
}

/// A private build context (mode 0700, random name, in the stage root); removed on drop.
struct Context {
    path: Utf8PathBuf,
    _dir: tempfile::TempDir,
}

impl Context {
    fn new(what: &str) -> anyhow::Result<Self> {
        let root = crate::bottle::stage::root()?;
        crate::bottle::stage::ensure_root(&root)?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("image-{what}-"))
            // Created with this mode, not chmodded after: no moment when others may enter.
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(&root)
            .with_context(|| format!("creating a build context in {root}"))?;
        let path = Utf8PathBuf::try_from(dir.path().to_path_buf())
            .context("the build context's path is not UTF-8")?;
        Ok(Context { path, _dir: dir })
    }
}

/// Where every host tool an image build runs (rustc, cargo, npm, go, git, cp, and a pipelock
/// binary asked its version) runs: `/`.
///
/// These tools take configuration from the directory they run in and every directory above
/// it: cargo a `.cargo/config.toml` (a `rustc-wrapper`, say, which then runs on the host),
/// rustup a `rust-toolchain.toml` (the toolchain `rustc` and `cargo` are), npm an `.npmrc`, Go
/// a `go.work`. The user's current directory is usually the workspace, which the agent and a
/// cloned repository write. `/` is root's and holds none of these; a directory under the temp
/// dir would not do, since any local user may plant `/tmp/.cargo` above it. What the tools
/// still read is the user's own (their home's config, `CARGO_HOME`, `RUSTUP_HOME`, the
/// environment), and every path handed to them is absolute.
const HOST_TOOL_DIR: &str = "/";

/// A host tool's command for an image build: `program`, run in [`HOST_TOOL_DIR`].
fn host_tool(program: &str) -> Command {
    Command::new(program).current_dir(HOST_TOOL_DIR)
}

/// `dir` (a command-line path) made absolute and its symlinks resolved, for a host tool that
/// runs elsewhere ([`HOST_TOOL_DIR`]); `option` names it in the error.
fn absolute_dir(option: &str, dir: &Utf8Path) -> anyhow::Result<Utf8PathBuf> {
    dir.canonicalize_utf8()
        .map_err(|e| crate::exit::UsageError(format!("{option} {dir}: {e}")).into())
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

/// Builds the agent image of `kind` as `tag` on `base`: the kind's npm package (with the
/// host's npm and its registry settings) into the context, or copied from `installed` (a
/// directory where `npm install --prefix DIR PACKAGE` ran), then the Containerfile.
pub fn build_agent(
    engine: &dyn Engine,
    kind: &crate::agents::AgentKind,
    tag: &str,
    base: &str,
    installed: Option<&Utf8Path>,
    verbose: bool,
) -> anyhow::Result<()> {
    let ctx = Context::new("agent")?;
    fs::write(ctx.path.join("Containerfile"), AGENT_CONTAINERFILE)
        .context("writing the agent Containerfile")?;
    let (package, version, title) = (kind.package, kind.version, kind.title);
    let prefix = ctx.path.join(kind.name);
    if let Some(dir) = installed {
        let dir = &absolute_dir("--claude-code-dir", dir)?;
        let bin = dir.join("node_modules").join(kind.bin);
        if !bin.exists() {
            return Err(crate::exit::UsageError(format!(
                "--claude-code-dir {dir}: no {bin}; give a directory where `npm install --prefix DIR {package}` ran"
            ))
            .into());
        }
        step(&format!(
            "copying {title} from {dir} into the build context"
        ));
        let cp = host_tool("cp")
            .args(["-a", dir.as_str(), prefix.as_str()])
            .verbose(verbose);
        cp.run()
            .with_context(|| format!("copying {title} from {dir}"))?;
        return build_agent_image(engine, kind, tag, base, &ctx.path);
    }
    step(&format!(
        "installing {package}@{version} with npm into the build context"
    ));
    // The package's install script links the native binary of this platform (an optional
    // dependency) into place; spelled out so that an npmrc cannot skip either.
    let npm = host_tool("npm")
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
            &format!("{package}@{version}"),
        ])
        .verbose(verbose);
    run_visible(&npm).with_context(|| {
        format!("installing {title} with npm (is npm installed, and its registry reachable?)")
    })?;
    build_agent_image(engine, kind, tag, base, &ctx.path)
}

fn build_agent_image(
    engine: &dyn Engine,
    kind: &crate::agents::AgentKind,
    tag: &str,
    base: &str,
    ctx: &Utf8Path,
) -> anyhow::Result<()> {
    let label = format!("io.bot-bottle.{}", kind.name);
    let args = [
        ("PACKAGE_DIR", kind.name),
        ("BIN", kind.bin),
        ("COMMAND", kind.command[0]),
        ("STATE_DIR", kind.state_dir),
    ];
    build_on_base(
        engine,
        &OnBase {
            tag,
            base,
            ctx,
            label: (&label, kind.version),
            offline_base: "a local Debian-family Node.js image",
            args: &args,
        },
    )
}

/// An image built from the Containerfile in `ctx` with `base` as its `BASE` argument.
struct OnBase<'a> {
    tag: &'a str,
    base: &'a str,
    ctx: &'a Utf8Path,
    /// The label that says what the image holds.
    label: (&'a str, &'a str),
    /// What to pass as `--base` where no registry is reachable.
    offline_base: &'a str,
    /// Build arguments besides `BASE`.
    args: &'a [(&'a str, &'a str)],
}

fn build_on_base(engine: &dyn Engine, image: &OnBase<'_>) -> anyhow::Result<()> {
    let (tag, base) = (image.tag, image.base);
    step(&format!(
        "building {tag} on {base} with {}",
        engine.program()
    ));
    let spec = BuildSpec {
        tag: tag.to_owned(),
        context: image.ctx.to_owned(),
        file: Some(image.ctx.join("Containerfile")),
        build_args: std::iter::once(EnvVar::new("BASE", base))
            .chain(
                image
                    .args
                    .iter()
                    .map(|(name, value)| EnvVar::new(*name, *value)),
            )
            .collect(),
        labels: [(image.label.0.to_owned(), image.label.1.to_owned())].into(),
        progress: true,
    };
    engine.build_image(&spec).with_context(|| {
        format!(
            "building on {base}; where no registry is reachable, pass --base with {}",
            image.offline_base
        )
    })?;
    step(&format!("{tag} is ready"));
    Ok(())
}

/// The checkout bot-bottle was built from, when it is still there: where `image build gate`
/// takes the gate's source by default.
pub fn default_gate_source() -> Option<Utf8PathBuf> {
    let dir = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    is_workspace(&dir).then_some(dir)
}

/// Whether `dir` is a checkout of this workspace (it has the gate crate).
fn is_workspace(dir: &Utf8Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("gate").join("Cargo.toml").is_file()
}

/// The checkout to build the gate from: `given` (checked), else [`default_gate_source`].
pub fn gate_source(given: Option<&Utf8Path>) -> anyhow::Result<GateBinary> {
    match given {
        // Absolute: cargo runs in HOST_TOOL_DIR, not here.
        Some(dir) if is_workspace(dir) => Ok(GateBinary::Source(absolute_dir("--source", dir)?)),
        Some(dir) => Err(crate::exit::UsageError(format!(
            "--source {dir}: no {} there; give a checkout of bot-bottle's workspace (the \
             directory holding Cargo.toml and gate/)",
            dir.join("gate").join("Cargo.toml")
        ))
        .into()),
        None => default_gate_source()
            .map(GateBinary::Source)
            .ok_or_else(|| {
                crate::exit::UsageError(format!(
                "the checkout bot-bottle was built from ({}) is gone; pass --source DIR with a \
                 checkout of bot-bottle's workspace to build the git gate from (or --binary \
                 FILE with a static bot-bottle-gate)",
                env!("CARGO_MANIFEST_DIR")
            ))
                .into()
            }),
    }
}

/// How cargo builds a binary that runs on any base, whatever its libc.
#[derive(Debug, PartialEq, Eq)]
struct StaticBuild {
    target: String,
    /// `RUSTFLAGS` for the build, when the target is not static by default.
    rustflags: Option<&'static str>,
}

/// The static build for `host` (rustc's host triple): the host's musl twin when its standard
/// library is installed (`musl_installed`), else the host's glibc target with `crt-static`, as
/// `contrib/testbed/build-images.sh` builds it (so a build the testbed made is reused).
fn static_build(host: &str, musl_installed: impl Fn(&str) -> bool) -> anyhow::Result<StaticBuild> {
    if host.ends_with("-linux-musl") {
        return Ok(StaticBuild {
            target: host.to_owned(),
            rustflags: None,
        });
    }
    let Some(arch) = host.strip_suffix("-linux-gnu") else {
        bail!(
            "rustc's host is {host}: the git gate runs in a Linux container, so build it on \
             Linux, or install a Linux musl target and build there"
        );
    };
    let musl = format!("{arch}-linux-musl");
    if musl_installed(&musl) {
        return Ok(StaticBuild {
            target: musl,
            rustflags: None,
        });
    }
    Ok(StaticBuild {
        target: host.to_owned(),
        rustflags: Some("-C target-feature=+crt-static"),
    })
}

/// The `host:` line of `rustc -vV`.
fn rustc_host(version: &str) -> Option<&str> {
    version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::trim)
}

/// The binary a line of cargo's `--message-format=json` names, when it is the gate's.
fn gate_executable(line: &str) -> Option<Utf8PathBuf> {
    // One line is one message; a line that is not one (cargo prints none on stdout, but a
    // wrapper might) is a `TextLine`, and an unreadable one is skipped like a foreign line.
    match cargo_metadata::Message::parse_stream(line.as_bytes())
        .next()?
        .ok()?
    {
        cargo_metadata::Message::CompilerArtifact(artifact)
            if artifact.target.name == GATE_PACKAGE && artifact.target.is_bin() =>
        {
            artifact.executable
        }
        _ => None,
    }
}

/// Whether `elf` (a 64-bit ELF file) needs no program interpreter, i.e. no dynamic loader and
/// so no libc of the image's: a static or static-pie executable (which has a dynamic section
/// for its own relocations, but no `PT_INTERP`).
fn is_static_elf(elf: &[u8]) -> Result<bool, String> {
    use object::read::elf::{FileHeader as _, ProgramHeader as _};
    let header = object::elf::FileHeader64::<object::Endianness>::parse(elf)
        .map_err(|e| format!("not a 64-bit ELF file ({e})"))?;
    let endian = header.endian().map_err(|e| e.to_string())?;
    let segments = header
        .program_headers(endian, elf)
        .map_err(|e| format!("unreadable ELF program headers ({e})"))?;
    Ok(!segments
        .iter()
        .any(|segment| segment.p_type(endian) == object::elf::PT_INTERP))
}

/// Builds `bot-bottle-gate` static with cargo from the checkout `source` and returns it.
fn build_gate_binary(source: &Utf8Path, verbose: bool) -> anyhow::Result<Utf8PathBuf> {
    let version = host_tool("rustc")
        .args(["-vV"])
        .verbose(verbose)
        .run()
        .context("asking rustc for its host (is a Rust toolchain installed?)")?
        .stdout_text();
    let host = rustc_host(&version)
        .with_context(|| format!("no host in `rustc -vV`: {version}"))?
        .to_owned();
    let sysroot = host_tool("rustc")
        .args(["--print", "sysroot"])
        .verbose(verbose)
        .run()
        .context("asking rustc for its sysroot")?
        .stdout_text();
    let sysroot = Utf8PathBuf::from(sysroot.trim());
    let how = static_build(&host, |target| {
        sysroot
            .join("lib/rustlib")
            .join(target)
            .join("lib")
            .is_dir()
    })?;
    let musl = format!(
        "{}-linux-musl",
        host.split("-linux").next().unwrap_or(&host)
    );
    let install = format!(
        "for a static build, install the musl target (`rustup target add {musl}`) or glibc's \
         static library (Debian: libc6-dev)"
    );
    step(&format!(
        "building {GATE_PACKAGE} (release, static, {}) with cargo in {source}",
        how.target
    ));
    let manifest = source.join("Cargo.toml");
    let mut cargo = host_tool("cargo")
        .args([
            "build",
            "--release",
            "--package",
            GATE_PACKAGE,
            "--target",
            how.target.as_str(),
            "--manifest-path",
            manifest.as_str(),
            "--message-format=json-render-diagnostics",
        ])
        .verbose(verbose);
    if let Some(flags) = how.rustflags {
        cargo = cargo.envs([("RUSTFLAGS".to_owned(), flags.to_owned())]);
    }
    let mut executable = None;
    let status = cargo.stream_lines(&mut |line| {
        if let Some(path) = gate_executable(line) {
            executable = Some(path);
        }
        Ok(())
    })?;
    if status != 0 {
        bail!(
            "`{}` exited with status {status}: {install}; cargo also needs the workspace's \
             dependencies (fetched once, or vendored)",
            cargo.display()
        );
    }
    let built = executable.with_context(|| format!("cargo named no {GATE_PACKAGE} binary"))?;
    let elf = fs::read(&built).with_context(|| format!("reading {built}"))?;
    match is_static_elf(&elf) {
        Ok(true) => Ok(built),
        Ok(false) => {
            bail!("{built} is linked dynamically, so it would need the image's libc: {install}")
        }
        Err(why) => bail!("{built}: {why}"),
    }
}

/// Where the git gate's binary comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateBinary {
    /// Built static with cargo from this checkout of the workspace.
    Source(Utf8PathBuf),
    /// A static `bot-bottle-gate` built before (`--binary FILE`).
    Prebuilt(Utf8PathBuf),
}

/// Checks that `file` (given as `--binary`) is a static executable.
pub fn prebuilt_gate(file: &Utf8Path) -> anyhow::Result<GateBinary> {
    let refuse = |why: String| -> anyhow::Result<GateBinary> {
        Err(crate::exit::UsageError(format!("--binary {file}: {why}")).into())
    };
    match fs::read(file) {
        Err(e) => refuse(e.to_string()),
        Ok(elf) => match is_static_elf(&elf) {
            Ok(true) => Ok(GateBinary::Prebuilt(file.to_owned())),
            Ok(false) => refuse(
                "linked dynamically; give a static bot-bottle-gate (what `image build gate` \
                 builds from --source)"
                    .to_owned(),
            ),
            Err(why) => refuse(why),
        },
    }
}

/// Builds the git gate image `tag` on `base`: `bot-bottle-gate` built static with cargo from a
/// checkout, or one built before, then `contrib/gate/Containerfile`.
pub fn build_gate(
    engine: &dyn Engine,
    tag: &str,
    base: &str,
    binary: &GateBinary,
    verbose: bool,
) -> anyhow::Result<()> {
    let binary = match binary {
        GateBinary::Source(source) => build_gate_binary(source, verbose)?,
        GateBinary::Prebuilt(file) => {
            step(&format!("using {file}"));
            file.clone()
        }
    };
    let ctx = Context::new("gate")?;
    fs::write(ctx.path.join("Containerfile"), GATE_CONTAINERFILE)
        .context("writing the git gate Containerfile")?;
    fs::copy(&binary, ctx.path.join(GATE_PACKAGE))
        .with_context(|| format!("copying {binary} into the build context"))?;
    build_on_base(
        engine,
        &OnBase {
            tag,
            base,
            ctx: &ctx.path,
            label: ("io.bot-bottle.gate", env!("CARGO_PKG_VERSION")),
            args: &[],
            offline_base: "a local Debian-family image that has git, openssh-client and \
                           ca-certificates",
        },
    )
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
            Target::Gate => "`bot-bottle image build gate` builds it instead",
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
pub(crate) fn pinned_reference(source: &str, digests: &[String]) -> String {
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
        Target::Gate => GATE_SOURCE_ENV,
    };
    from.map(str::to_owned)
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            let what = match target {
                Target::Pipelock => "the published pipelock image at tag 2.3.0 (see pipelock's README for where it is published)",
                Target::Agent => "a published agent image",
                Target::Gate => "a published git gate image",
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
    use super::{
        gate_executable, gate_source, host_tool, is_static_elf, pinned_reference, prebuilt_gate,
        rustc_host, static_build, GateBinary, StaticBuild,
    };

    #[test]
    fn host_tools_run_in_the_root_directory_not_the_user_s() {
        for tool in ["rustc", "cargo", "npm", "go", "cp"] {
            assert_eq!(host_tool(tool).dir(), Some(camino::Utf8Path::new("/")));
        }
    }

    #[test]
    fn the_gate_is_built_static_with_musl_when_it_is_installed_else_with_crt_static() {
        let musl = static_build("x86_64-unknown-linux-gnu", |t| {
            t == "x86_64-unknown-linux-musl"
        })
        .unwrap();
        assert_eq!(
            musl,
            StaticBuild {
                target: "x86_64-unknown-linux-musl".to_owned(),
                rustflags: None
            }
        );
        let glibc = static_build("aarch64-unknown-linux-gnu", |_| false).unwrap();
        assert_eq!(glibc.target, "aarch64-unknown-linux-gnu");
        assert_eq!(glibc.rustflags, Some("-C target-feature=+crt-static"));
        let native = static_build("x86_64-unknown-linux-musl", |_| false).unwrap();
        assert_eq!(native.rustflags, None);
        let err = static_build("aarch64-apple-darwin", |_| true).unwrap_err();
        assert!(format!("{err}").contains("aarch64-apple-darwin"), "{err}");
    }

    #[test]
    fn rustc_s_host_and_cargo_s_gate_binary_are_read_from_their_output() {
        let version = "rustc 1.89.0 (29483883e 2025-08-04)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: 1.89.0\n";
        assert_eq!(rustc_host(version), Some("x86_64-unknown-linux-gnu"));
        assert_eq!(rustc_host("rustc 1.89.0\n"), None);
        // Lines as cargo 1.95 prints them for `--message-format=json-render-diagnostics`.
        let gate = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/gate#bot-bottle-gate@0.1.0","manifest_path":"/w/gate/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"bot-bottle-gate","src_path":"/w/gate/src/main.rs","edition":"2021","doc":true,"doctest":false,"test":true},"profile":{"opt_level":"3","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":false},"features":[],"filenames":["/w/target/x86_64-unknown-linux-gnu/release/bot-bottle-gate"],"executable":"/w/target/x86_64-unknown-linux-gnu/release/bot-bottle-gate","fresh":true}"#;
        assert_eq!(
            gate_executable(gate).unwrap(),
            "/w/target/x86_64-unknown-linux-gnu/release/bot-bottle-gate"
        );
        let lib = gate
            .replace(
                r#""kind":["bin"],"crate_types":["bin"]"#,
                r#""kind":["lib"],"crate_types":["lib"]"#,
            )
            .replace(
                r#""executable":"/w/target/x86_64-unknown-linux-gnu/release/bot-bottle-gate""#,
                r#""executable":null"#,
            );
        assert_eq!(gate_executable(&lib), None);
        let other = gate.replace(r#""name":"bot-bottle-gate""#, r#""name":"x""#);
        assert_eq!(gate_executable(&other), None);
        assert_eq!(
            gate_executable(r#"{"reason":"build-finished","success":true}"#),
            None
        );
        assert_eq!(
            gate_executable(r#"{"reason":"compiler-artifact","executable":"/x"}"#),
            None
        );
        assert_eq!(gate_executable("Compiling x"), None);
    }

    /// A 64-bit little-endian ELF header (version 1, as every ELF file has) with program
    /// headers of these types.
    fn elf(types: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0u8; 64];
        bytes[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        bytes[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&u16::try_from(types.len()).unwrap().to_le_bytes());
        for t in types {
            let mut header = vec![0u8; 56];
            header[..4].copy_from_slice(&t.to_le_bytes());
            bytes.extend(header);
        }
        bytes
    }

    #[test]
    fn a_binary_with_a_program_interpreter_is_not_static() {
        // PT_PHDR, PT_LOAD, PT_DYNAMIC: a static-pie; with PT_INTERP (3) a dynamic executable.
        assert_eq!(is_static_elf(&elf(&[6, 1, 1, 2])), Ok(true));
        assert_eq!(is_static_elf(&elf(&[6, 3, 1, 2])), Ok(false));
        assert!(is_static_elf(b"#!/bin/sh\n").is_err());
        let mut truncated = elf(&[1, 3]);
        truncated.truncate(100);
        assert!(is_static_elf(&truncated).is_err());
        // This test binary, as the linker made it: static only where the target links the C
        // runtime statically (musl), else it names glibc's loader.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(is_static_elf(&me), Ok(cfg!(target_feature = "crt-static")));
        // At an odd offset in memory, as a read may leave it.
        let mut shifted = vec![0u8];
        shifted.extend(elf(&[6, 3]));
        assert_eq!(is_static_elf(&shifted[1..]), Ok(false));
    }

    #[test]
    fn a_prebuilt_gate_must_be_a_static_executable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = camino::Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
        let file = dir.join("bot-bottle-gate");
        std::fs::write(&file, elf(&[1])).unwrap();
        assert_eq!(
            prebuilt_gate(&file).unwrap(),
            GateBinary::Prebuilt(file.clone())
        );
        std::fs::write(&file, elf(&[3, 1])).unwrap();
        let err = prebuilt_gate(&file).unwrap_err();
        assert!(err.downcast_ref::<crate::exit::UsageError>().is_some());
        assert!(
            format!("{err}").starts_with(&format!("--binary {file}: linked dynamically")),
            "{err}"
        );
        let missing = dir.join("missing");
        let err = prebuilt_gate(&missing).unwrap_err();
        assert!(
            format!("{err}").starts_with(&format!("--binary {missing}: ")),
            "{err}"
        );
    }

    #[test]
    fn a_gate_source_must_be_a_checkout_of_this_workspace() {
        let here = camino::Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            gate_source(Some(here)).unwrap(),
            GateBinary::Source(here.to_owned())
        );
        assert_eq!(
            gate_source(None).unwrap(),
            GateBinary::Source(here.to_owned())
        );
        let err = gate_source(Some(&here.join("gate"))).unwrap_err();
        assert!(err.downcast_ref::<crate::exit::UsageError>().is_some());
        assert!(
            format!("{err}").contains("--source ")
                && format!("{err}").contains("/gate/gate/Cargo.toml"),
            "{err}"
        );
    }

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
