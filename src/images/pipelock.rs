//! pipelock's image: a static pipelock v2.3.0 beside this host's CA bundle, `FROM scratch`.
//! The binary is built with Go from the pinned commit, fetched through the module proxy
//! (default) or taken from a checkout verified to be that commit (`--source DIR`), or it is one
//! built before that reports the pinned version (`--binary FILE`).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use engine::process::Command;
use engine::{BuildSpec, Engine};

use super::{
    absolute_dir, host_tool, is_static_elf, run_visible, step, Context, PIPELOCK_COMMIT,
    PIPELOCK_PACKAGE, PIPELOCK_VERSION,
};
use crate::defaults;
use crate::exit::UsageError;

/// The image's recipe.
const CONTAINERFILE: &str = include_str!("../../contrib/pipelock/Containerfile");

/// Where pipelock's release build puts its version string.
const VERSION_VARS: &[&str] = &[
    "github.com/luckyPipewrench/pipelock/internal/cliutil.Version",
    "github.com/luckyPipewrench/pipelock/internal/proxy.Version",
];

/// The command's package inside pipelock's module (a checkout's top directory).
const COMMAND_DIR: &str = "./cmd/pipelock";

/// How long `FILE version` may take: it only prints.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Where pipelock's binary comes from when Go does not fetch the module at the pinned commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binary {
    /// `--source DIR`: a clean checkout of pipelock at [`PIPELOCK_COMMIT`] (absolute), built
    /// with Go.
    Source(Utf8PathBuf),
    /// `--binary FILE`: a static pipelock that reports [`PIPELOCK_VERSION`].
    Prebuilt(Utf8PathBuf),
}

/// A usage error about `option value`.
fn refuse(option: &str, value: &Utf8Path, why: &str) -> anyhow::Error {
    UsageError(format!("{option} {value}: {why}")).into()
}

/// `git` asked about the checkout `dir` (absolute): in [`super::HOST_TOOL_DIR`] like every host
/// tool, looking no higher than `dir` for a repository (so a directory inside some other
/// checkout is not taken for it), without replacement objects (which could stand a different
/// tree behind the pinned commit) and without an fsmonitor hook (which the checkout's config
/// could name, and `git status` would run).
fn git(dir: &Utf8Path) -> Command {
    let ceiling = dir.parent().unwrap_or(dir);
    host_tool("git")
        .args([
            "--no-replace-objects",
            "-c",
            "core.fsmonitor=false",
            "-C",
            dir.as_str(),
        ])
        .envs([(
            "GIT_CEILING_DIRECTORIES".to_owned(),
            ceiling.as_str().to_owned(),
        )])
}

/// Checks that `dir` (given as `--source`) is the top of a git checkout whose HEAD is
/// [`PIPELOCK_COMMIT`] and whose tree is clean: nothing changed, untracked or ignored, since
/// Go would compile any of it (a `go.work`, an extra `.go` file).
pub fn source(dir: &Utf8Path, verbose: bool) -> anyhow::Result<Binary> {
    let top = absolute_dir("--source", dir)?;
    let out = git(&top)
        .args(["rev-parse", "--show-toplevel", "HEAD"])
        .verbose(verbose)
        .run_unchecked()?;
    if out.status != 0 {
        return Err(refuse(
            "--source",
            dir,
            &format!(
                "not a git checkout of pipelock (`git rev-parse HEAD` there: {}); give a clone \
                 of pipelock checked out at tag v{PIPELOCK_VERSION}",
                out.stderr_trimmed()
            ),
        ));
    }
    let text = out.stdout_text();
    let mut lines = text.lines();
    let (toplevel, head) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    if toplevel != top {
        return Err(refuse(
            "--source",
            dir,
            &format!("not the top of a git checkout (that is {toplevel})"),
        ));
    }
    let status = git(&top)
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignored",
        ])
        .verbose(verbose)
        .run()
        .with_context(|| format!("asking git whether {top} is clean"))?
        .stdout_text();
    let dirty: Vec<&str> = status.lines().collect();
    if !dirty.is_empty() {
        let shown = dirty.iter().take(5).copied().collect::<Vec<_>>().join(", ");
        let more = dirty.len().saturating_sub(5);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        return Err(refuse(
            "--source",
            dir,
            &format!(
                "the checkout is not clean ({shown}{more}: changed, untracked or ignored \
                 files, which Go would build with the commit's); stash, move or remove them"
            ),
        ));
    }
    if head != PIPELOCK_COMMIT {
        return Err(refuse(
            "--source",
            dir,
            &format!(
                "HEAD is commit {head}, not {PIPELOCK_COMMIT} (pipelock's tag \
                 v{PIPELOCK_VERSION}); check that tag out there"
            ),
        ));
    }
    Ok(Binary::Source(top))
}

/// Checks that `file` (given as `--binary`) is a static executable that reports pipelock
/// [`PIPELOCK_VERSION`] when run as `FILE version` (in [`super::HOST_TOOL_DIR`], with an empty
/// environment, killed after [`VERSION_TIMEOUT`]).
pub fn prebuilt(file: &Utf8Path, verbose: bool) -> anyhow::Result<Binary> {
    let no = |why: &str| refuse("--binary", file, why);
    let elf = fs::read(file).map_err(|e| no(&e.to_string()))?;
    match is_static_elf(&elf) {
        Ok(true) => {}
        Ok(false) => {
            return Err(no(
                "linked dynamically; give a static pipelock (built with CGO_ENABLED=0, as \
                 `image build pipelock --source` builds it)",
            ))
        }
        Err(why) => return Err(no(&why)),
    }
    // Absolute: it runs in HOST_TOOL_DIR, not here.
    let path = absolute_dir("--binary", file)?;
    let version = host_tool(path.as_str())
        .args(["version"])
        .env_clear()
        .verbose(verbose);
    let out = version
        .run_within(VERSION_TIMEOUT)
        .map_err(|e| no(&format!("could not run it: {e:#}")))?
        .ok_or_else(|| {
            no(&format!(
                "`{path} version` did not finish within {} s",
                VERSION_TIMEOUT.as_secs()
            ))
        })?;
    // pipelock (cobra) prints its version on stderr.
    let printed = format!(
        "{}{}",
        out.stdout_text(),
        String::from_utf8_lossy(&out.stderr)
    );
    match reported_version(&printed) {
        Some(PIPELOCK_VERSION) if out.status == 0 => Ok(Binary::Prebuilt(path)),
        Some(other) if out.status == 0 => Err(no(&format!(
            "it reports pipelock version {other}, not {PIPELOCK_VERSION}"
        ))),
        _ => Err(no(&format!(
            "`{path} version` exited with status {} and printed no `pipelock version \
             {PIPELOCK_VERSION}` line: {:?}",
            out.status,
            shorten(printed.trim())
        ))),
    }
}

/// The version in pipelock's `version` output (`pipelock version 2.3.0`, then build lines).
fn reported_version(output: &str) -> Option<&str> {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("pipelock version "))
        .map(str::trim)
}

/// At most a few hundred characters of `text`, for an error.
fn shorten(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// `-ldflags` of pipelock's release build: stripped, with the version string set.
fn ldflags() -> String {
    std::iter::once("-s -w".to_owned())
        .chain(
            VERSION_VARS
                .iter()
                .map(|var| format!("-X {var}={PIPELOCK_VERSION}")),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Go command that builds pipelock static into `ctx` (as `pipelock`), from `checkout`, or
/// from the module at the pinned commit when there is none.
fn go_build(ctx: &Utf8Path, checkout: Option<&Utf8Path>) -> Command {
    let static_build = [
        ("CGO_ENABLED".to_owned(), "0".to_owned()),
        // Only the checkout's own go.mod: no workspace file from it or above it.
        ("GOWORK".to_owned(), "off".to_owned()),
    ];
    let ldflags = format!("-ldflags={}", ldflags());
    match checkout {
        // `-C` (Go 1.20+) makes the checkout Go's working directory, so its go.mod is the
        // main module; the tool itself still starts in HOST_TOOL_DIR. No VCS stamp: Go would
        // run git in the checkout, and the module build has none either.
        Some(dir) => host_tool("go")
            .args([
                "build",
                "-C",
                dir.as_str(),
                "-trimpath",
                "-buildvcs=false",
                &ldflags,
                "-o",
                ctx.join("pipelock").as_str(),
                COMMAND_DIR,
            ])
            .envs(static_build),
        None => host_tool("go")
            .args([
                "install",
                "-trimpath",
                &ldflags,
                &format!("{PIPELOCK_PACKAGE}@{PIPELOCK_COMMIT}"),
            ])
            .envs(static_build)
            .envs([("GOBIN".to_owned(), ctx.to_string())]),
    }
}

/// Builds pipelock's image `tag`: the binary as `from` says (default: Go fetches the module at
/// [`PIPELOCK_COMMIT`]) into a context with the host's CA bundle, then the Containerfile.
pub fn build(
    engine: &dyn Engine,
    tag: &str,
    from: Option<&Binary>,
    verbose: bool,
) -> anyhow::Result<()> {
    let ctx = Context::new("pipelock")?;
    fs::write(ctx.path.join("Containerfile"), CONTAINERFILE)
        .context("writing the pipelock Containerfile")?;
    let bundle = Utf8Path::new(defaults::AGENT_CA_BUNDLE_PATH);
    fs::copy(bundle, ctx.path.join("ca-certificates.crt"))
        .with_context(|| format!("copying this host's CA bundle {bundle}"))?;
    let built_from = match from {
        None => {
            step(&format!(
                "building pipelock {PIPELOCK_VERSION} ({PIPELOCK_PACKAGE} at {PIPELOCK_COMMIT}) \
                 with Go"
            ));
            run_visible(&go_build(&ctx.path, None).verbose(verbose)).context(
                "building pipelock with Go failed: it needs Go 1.24+ and a module proxy that \
                 serves pipelock's module; without one, pass --source DIR with a checkout of \
                 pipelock at its tag, or --binary FILE with a static pipelock built elsewhere",
            )?;
            PIPELOCK_COMMIT
        }
        Some(Binary::Source(dir)) => {
            step(&format!(
                "building pipelock {PIPELOCK_VERSION} from {dir} (at {PIPELOCK_COMMIT}) with Go"
            ));
            run_visible(&go_build(&ctx.path, Some(dir)).verbose(verbose)).with_context(|| {
                format!(
                    "building pipelock from --source {dir} with Go failed: it needs Go 1.24+ \
                     and pipelock's dependencies (in Go's module cache, or from a module proxy)"
                )
            })?;
            PIPELOCK_COMMIT
        }
        Some(Binary::Prebuilt(file)) => {
            step(&format!("using {file}"));
            let binary = ctx.path.join("pipelock");
            fs::copy(file, &binary)
                .with_context(|| format!("copying {file} into the build context"))?;
            // Whatever mode the user's copy has, the image's runs.
            fs::set_permissions(&binary, fs::Permissions::from_mode(0o755))
                .with_context(|| format!("making {binary} executable"))?;
            "binary"
        }
    };
    step(&format!("building {tag} with {}", engine.program()));
    engine.build_image(&BuildSpec {
        tag: tag.to_owned(),
        context: ctx.path.clone(),
        file: Some(ctx.path.join("Containerfile")),
        build_args: Vec::new(),
        labels: [(
            "io.bot-bottle.pipelock".to_owned(),
            format!("{PIPELOCK_VERSION} {built_from}"),
        )]
        .into(),
        progress: true,
    })?;
    step(&format!("{tag} is ready"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{go_build, reported_version, shorten, COMMAND_DIR};

    #[test]
    fn the_version_is_read_from_pipelock_s_version_output() {
        let real = "pipelock version 2.3.0\n  build date: unknown\n  git commit: unknown\n  go version: unknown\n";
        assert_eq!(reported_version(real), Some("2.3.0"));
        assert_eq!(reported_version("pipelock version 2.4.1\n"), Some("2.4.1"));
        assert_eq!(
            reported_version("warning: x\npipelock version dev\r\n"),
            Some("dev")
        );
        assert_eq!(reported_version("Usage: pipelock [command]\n"), None);
        assert_eq!(reported_version("other version 2.3.0\n"), None);
        assert_eq!(reported_version(""), None);
    }

    #[test]
    fn errors_show_a_bounded_part_of_what_a_binary_printed() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(1000);
        assert_eq!(shorten(&long).chars().count(), 301);
    }

    #[test]
    fn a_checkout_is_built_static_by_go_in_its_own_module_with_no_workspace() {
        let ctx = camino::Utf8Path::new("/ctx");
        let go = go_build(ctx, Some(camino::Utf8Path::new("/src/pipelock")));
        assert_eq!(go.dir(), Some(camino::Utf8Path::new("/")));
        let argv = go.argv();
        assert_eq!(argv[..3], ["build", "-C", "/src/pipelock"]);
        assert!(argv.iter().any(|a| a == "-trimpath"));
        assert!(argv
            .iter()
            .any(|a| a.starts_with("-ldflags=-s -w -X ")
                && a.ends_with("internal/proxy.Version=2.3.0")));
        assert_eq!(argv[argv.len() - 3..], ["-o", "/ctx/pipelock", COMMAND_DIR]);
        let module = go_build(ctx, None);
        assert_eq!(module.argv()[0], "install");
        assert!(module
            .argv()
            .last()
            .unwrap()
            .ends_with("/cmd/pipelock@7a3b7de4a5552b4e756eb930256468b7cbd616b1"));
    }
}
