//! The one chokepoint through which every engine subprocess runs: argument vectors, the `-v` echo, errors.
//!
//! Nothing here takes a shell string. Environment values handed to a child never reach the
//! echo or an error message: they travel in the child's environment, and any value that has to
//! sit inline in an `--env`/`--build-arg` argument is masked whenever the command is shown.

use std::fmt;
use std::os::unix::process::CommandExt as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};

/// Engine commands started by this process so far (see [`calls`]).
static CALLS: AtomicUsize = AtomicUsize::new(0);

/// How many child processes this process has started through here: the number of engine
/// calls, which `BOT_BOTTLE_TIMINGS` reports and the launch benchmark prints.
pub fn calls() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// How many trailing lines of a failed command's stderr an error keeps.
const STDERR_TAIL_LINES: usize = 40;

/// Flags whose following argument may carry `NAME=value`; the value is masked when shown.
const VALUE_FLAGS: &[&str] = &["--env", "-e", "--build-arg"];

/// A child process to run: program, argument vector, extra environment, optional stdin bytes
/// and optional working directory.
#[derive(Clone)]
pub struct Command {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    dir: Option<camino::Utf8PathBuf>,
    verbose: bool,
    /// Whether the child gets only `env`, none of this process's environment.
    clear_env: bool,
}

/// What a finished child left behind when its output was captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit status; a child killed by signal N reports 128 + N, as a shell would.
    pub status: i32,
    /// Everything the child wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything the child wrote to stderr.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Stdout as text (lossy), trailing whitespace kept.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text (lossy), trimmed and cut to its last lines.
    pub fn stderr_trimmed(&self) -> String {
        trim_tail(&String::from_utf8_lossy(&self.stderr))
    }
}

/// A child that ran but exited non-zero. Downcast an `anyhow::Error` to this to read the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    /// The program as it was invoked (name or path).
    pub program: String,
    /// The arguments, with environment values masked.
    pub args: Vec<String>,
    /// The exit status (128 + N for signal N).
    pub status: i32,
    /// The child's stderr, trimmed to its last lines.
    pub stderr: String,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` exited with status {}",
            shown(&self.program, &self.args),
            self.status
        )?;
        if !self.stderr.is_empty() {
            write!(f, ": {}", self.stderr)?;
        }
        Ok(())
    }
}

impl std::error::Error for CommandError {}

impl Command {
    /// A command running `program` (a name looked up on PATH, or a path).
    pub fn new(program: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            dir: None,
            verbose: false,
            clear_env: false,
        }
    }

    /// Appends arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds variables to the child's environment (never shown).
    #[must_use]
    pub fn envs<I>(mut self, env: I) -> Self
    where
        I: IntoIterator<Item = (String, String)>,
    {
        self.env.extend(env);
        self
    }

    /// Gives the child no variable of this process's environment, only those added with
    /// [`Self::envs`]: for a program bot-bottle only asks something, which has no business
    /// with the user's tokens.
    #[must_use]
    pub fn env_clear(mut self) -> Self {
        self.clear_env = true;
        self
    }

    /// Feeds these bytes to the child's stdin (otherwise stdin is inherited).
    #[must_use]
    pub fn stdin_bytes(mut self, bytes: Vec<u8>) -> Self {
        self.stdin = Some(bytes);
        self
    }

    /// Runs the child in `dir` instead of this process's current directory (a tool that reads
    /// configuration from where it runs, such as cargo or rustup, is then not steered by files
    /// in the directory the user happens to be in).
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<camino::Utf8PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The working directory the child gets, when one was set.
    pub fn dir(&self) -> Option<&camino::Utf8Path> {
        self.dir.as_deref()
    }

    /// Echoes the command to stderr as `+ program args…` before running it.
    #[must_use]
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// The program as given.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The argument vector as given (unmasked: for tests and for building the child).
    pub fn argv(&self) -> &[String] {
        &self.args
    }

    /// The command as shown in the echo and in errors, environment values masked.
    pub fn display(&self) -> String {
        shown(&self.program, &masked(&self.args))
    }

    /// Runs with stdout and stderr captured; a non-zero exit is a [`CommandError`].
    pub fn run(&self) -> Result<Output> {
        let output = self.run_unchecked()?;
        if output.status == 0 {
            Ok(output)
        } else {
            Err(self.failure(&output).into())
        }
    }

    /// Runs with stdout and stderr captured and returns whatever status the child exits with.
    /// Only failing to start the child is an error.
    ///
    /// The child runs in a process group of its own, so the terminal's Ctrl-C reaches only
    /// bot-bottle, which then finishes what it is doing (a removal during teardown, say)
    /// instead of seeing the engine call killed halfway.
    pub fn run_unchecked(&self) -> Result<Output> {
        let out = self
            .captured_in_own_group()
            .run()
            .with_context(|| format!("running `{}`", self.display()))?;
        Ok(Output {
            status: exit_code(out.status),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }

    /// Runs as [`Self::run_unchecked`] does, but kills the child once `timeout` has passed and
    /// returns `None` then.
    pub fn run_within(&self, timeout: std::time::Duration) -> Result<Option<Output>> {
        let handle = self
            .captured_in_own_group()
            .start()
            .with_context(|| format!("running `{}`", self.display()))?;
        let waited = handle
            .wait_timeout(timeout)
            .with_context(|| format!("waiting for `{}`", self.display()))?;
        let Some(out) = waited else {
            handle
                .kill()
                .with_context(|| format!("killing `{}`", self.display()))?;
            return Ok(None);
        };
        Ok(Some(Output {
            status: exit_code(out.status),
            stdout: out.stdout.clone(),
            stderr: out.stderr.clone(),
        }))
    }

    /// Runs with stdout and stderr inherited from this process (a terminal stays a terminal)
    /// and returns the exit status. Only failing to start the child is an error.
    pub fn run_inherited(&self) -> Result<i32> {
        let out = self
            .expression()
            .run()
            .with_context(|| format!("running `{}`", self.display()))?;
        Ok(exit_code(out.status))
    }

    /// Starts the child with stdout and stderr inherited, as [`Self::run_inherited`] does, and
    /// returns once it runs.
    pub fn spawn_inherited(&self) -> Result<Started> {
        let handle = self
            .expression()
            .start()
            .with_context(|| format!("running `{}`", self.display()))?;
        Ok(Started {
            handle,
            display: self.display(),
        })
    }

    /// Runs with stderr inherited and hands each line of stdout (without its line break) to
    /// `on_line` as it arrives; returns the exit status once stdout ends. Only failing to start
    /// the child, reading its output or `on_line` failing is an error.
    pub fn stream_lines(&self, on_line: &mut dyn FnMut(&str) -> Result<()>) -> Result<i32> {
        use std::io::BufRead as _;
        let reader = self
            .expression()
            .reader()
            .with_context(|| format!("running `{}`", self.display()))?;
        let mut lines = std::io::BufReader::new(&reader);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = lines
                .read_until(b'\n', &mut line)
                .with_context(|| format!("reading the output of `{}`", self.display()))?;
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            on_line(text.trim_end_matches(['\n', '\r']))?;
        }
        let status = reader
            .try_wait()
            .with_context(|| format!("waiting for `{}`", self.display()))?
            .map_or(-1, |out| exit_code(out.status));
        Ok(status)
    }

    /// The error describing this command's failed `output`.
    pub fn failure(&self, output: &Output) -> CommandError {
        CommandError {
            program: self.program.clone(),
            args: masked(&self.args),
            status: output.status,
            stderr: output.stderr_trimmed(),
        }
    }

    /// The child with stdout and stderr captured, in a process group of its own (see
    /// [`Self::run_unchecked`]).
    fn captured_in_own_group(&self) -> duct::Expression {
        self.expression()
            .before_spawn(|cmd| {
                cmd.process_group(0);
                fork_not_spawn(cmd);
                Ok(())
            })
            .stdout_capture()
            .stderr_capture()
    }

    fn expression(&self) -> duct::Expression {
        CALLS.fetch_add(1, Ordering::Relaxed);
        if self.verbose {
            eprintln!("+ {}", self.display());
        }
        let mut expr = duct::cmd(&self.program, &self.args).unchecked();
        if self.clear_env {
            expr = expr.full_env(self.env.iter().cloned());
        } else {
            for (name, value) in &self.env {
                expr = expr.env(name, value);
            }
        }
        if let Some(bytes) = &self.stdin {
            expr = expr.stdin_bytes(bytes.clone());
        }
        if let Some(dir) = &self.dir {
            expr = expr.dir(dir.as_std_path());
        }
        expr
    }
}

/// A child started by [`Command::spawn_inherited`].
pub struct Started {
    handle: duct::Handle,
    display: String,
}

impl Started {
    /// Waits for the child and returns its exit status.
    pub fn wait(self) -> Result<i32> {
        let out = self
            .handle
            .wait()
            .with_context(|| format!("waiting for `{}`", self.display))?;
        Ok(exit_code(out.status))
    }
}

/// This process's effective uid: the one its files are created with and podman decides
/// rootless by.
pub fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Makes std start `cmd` with fork and exec instead of `posix_spawn`.
///
/// The child joins its own process group only after it has started. Under `posix_spawn`,
/// glibc resets every handled signal to its default action first, so a Ctrl-C that reaches
/// bot-bottle's group in that window kills the engine call outright (exit 130, a removal
/// half done). After a fork the child keeps bot-bottle's handler until it execs, and that
/// handler only records the signal. A pre-exec hook, even an empty one, is what selects fork.
#[allow(unsafe_code)]
fn fork_not_spawn(cmd: &mut std::process::Command) {
    // SAFETY: the hook does nothing, so it is trivially async-signal-safe between fork and exec.
    unsafe {
        cmd.pre_exec(|| Ok(()));
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

/// The arguments with the value of every `--env NAME=value`-style argument replaced by `…`.
fn masked(args: &[String]) -> Vec<String> {
    let mut after_value_flag = false;
    args.iter()
        .map(|arg| {
            let shown = if after_value_flag {
                mask_value(arg)
            } else {
                // `--env=NAME=value` carries its value in the same argument.
                VALUE_FLAGS
                    .iter()
                    .find_map(|flag| {
                        let rest = arg.strip_prefix(flag)?.strip_prefix('=')?;
                        Some(format!("{flag}={}", mask_value(rest)))
                    })
                    .unwrap_or_else(|| arg.clone())
            };
            after_value_flag = VALUE_FLAGS.contains(&arg.as_str());
            shown
        })
        .collect()
}

fn mask_value(assignment: &str) -> String {
    match assignment.split_once('=') {
        Some((name, _)) => format!("{name}=…"),
        None => assignment.to_owned(),
    }
}

/// `program args…`, each word quoted only when a shell would need it (for reading, not running).
/// shlex quotes conservatively: `=`, `,` and any non-ASCII character (the mask `…` too) put a
/// word in quotes.
fn shown(program: &str, args: &[String]) -> String {
    let words = || std::iter::once(program).chain(args.iter().map(String::as_str));
    // A nul byte never reaches a child (spawning refuses it); shown as it is, not hidden.
    shlex::Quoter::new()
        .allow_nul(true)
        .join(words())
        .unwrap_or_else(|_| words().collect::<Vec<_>>().join(" "))
}

fn trim_tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    let start = lines.len().saturating_sub(STDERR_TAIL_LINES);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn masks_inline_env_values_only() {
        let args = strings(&[
            "create",
            "--env",
            "TOKEN",
            "--env",
            "HOME=/root",
            "-e",
            "A=b=c",
            "--env=PATH=/x",
            "--label",
            "k=v",
        ]);
        assert_eq!(
            masked(&args),
            strings(&[
                "create",
                "--env",
                "TOKEN",
                "--env",
                "HOME=…",
                "-e",
                "A=…",
                "--env=PATH=…",
                "--label",
                "k=v",
            ])
        );
    }

    #[test]
    fn display_quotes_only_when_needed() {
        let cmd = Command::new("podman").args(["exec", "c", "sh", "-c", "echo 'hi' there", ""]);
        assert_eq!(cmd.display(), r#"podman exec c sh -c "echo 'hi' there" ''"#);
        let cmd = Command::new("podman").args([
            "create",
            "--env",
            "TOKEN=s3cret",
            "--label",
            "io.bot-bottle.bottle=b",
            "img",
        ]);
        assert_eq!(
            cmd.display(),
            "podman create --env 'TOKEN=…' --label 'io.bot-bottle.bottle=b' img"
        );
    }

    #[test]
    fn failure_names_program_args_status_and_stderr() {
        let err = Command::new("sh")
            .args(["-c", "echo oops >&2; echo more >&2; exit 3"])
            .run()
            .unwrap_err();
        let failure = err.downcast_ref::<CommandError>().unwrap();
        assert_eq!(failure.status, 3);
        assert_eq!(failure.stderr, "oops\nmore");
        assert_eq!(
            err.to_string(),
            "`sh -c 'echo oops >&2; echo more >&2; exit 3'` exited with status 3: oops\nmore"
        );
    }

    #[test]
    fn env_reaches_child_and_stdin_is_fed() {
        let out = Command::new("sh")
            .args(["-c", "printf %s \"$SECRET\"; cat"])
            .envs([("SECRET".to_owned(), "s3cret".to_owned())])
            .stdin_bytes(b"-in".to_vec())
            .run()
            .unwrap();
        assert_eq!(out.stdout_text(), "s3cret-in");
    }

    #[test]
    fn a_cleared_environment_holds_only_what_was_added() {
        let out = Command::new("/bin/sh")
            .args(["-c", "printf '%s|%s' \"$HOME\" \"$ADDED\""])
            .envs([("ADDED".to_owned(), "yes".to_owned())])
            .env_clear()
            .run()
            .unwrap();
        assert!(std::env::var_os("HOME").is_some());
        assert_eq!(out.stdout_text(), "|yes");
    }

    #[test]
    fn a_child_past_its_time_is_killed() {
        let started = std::time::Instant::now();
        let out = Command::new("sh")
            .args(["-c", "exec sleep 30"])
            .run_within(std::time::Duration::from_millis(300))
            .unwrap();
        assert_eq!(out, None);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let out = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .run_within(std::time::Duration::from_secs(30))
            .unwrap()
            .unwrap();
        assert_eq!((out.status, out.stdout_text().as_str()), (3, "out\n"));
        assert_eq!(out.stderr_trimmed(), "err");
    }

    #[test]
    fn lines_stream_as_they_come() {
        let mut seen = Vec::new();
        let status = Command::new("sh")
            .args(["-c", "printf 'a\\nb\\r\\nc'; exit 4"])
            .stream_lines(&mut |line| {
                seen.push(line.to_owned());
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(status, 4);
    }

    #[test]
    fn the_child_runs_in_the_directory_given_else_in_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = camino::Utf8PathBuf::from_path_buf(tmp.path().canonicalize().unwrap()).unwrap();
        let pwd = |cmd: Command| cmd.args(["-c", "pwd -P"]).run().unwrap().stdout_text();
        let cmd = Command::new("sh").current_dir(&dir);
        assert_eq!(cmd.dir(), Some(dir.as_path()));
        assert_eq!(pwd(cmd), format!("{dir}\n"));
        assert_eq!(pwd(Command::new("sh").current_dir("/")), "/\n");
        let ours = std::env::current_dir().unwrap().canonicalize().unwrap();
        assert_eq!(pwd(Command::new("sh")), format!("{}\n", ours.display()));
    }

    #[test]
    fn signal_death_reports_128_plus_signal() {
        let out = Command::new("sh")
            .args(["-c", "kill -9 $$"])
            .run_unchecked()
            .unwrap();
        assert_eq!(out.status, 137);
    }

    #[test]
    fn missing_program_is_an_error_naming_it() {
        let err = Command::new("/nonexistent/bb-engine").run().unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/bb-engine"));
    }
}
