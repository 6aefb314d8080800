//! The command line: global flags and dispatch to one module per subcommand.

mod allow;
mod approve;
mod attach;
mod completions;
mod doctor;
mod exec;
mod export;
mod gc;
mod image;
mod list;
mod login;
mod logs;
pub mod man;
mod planning;
mod policy;
mod record;
mod start;
mod stop;

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// Run an AI coding agent in a container whose only way out is a pipelock egress proxy.
#[derive(Debug, Parser)]
#[command(name = "bot-bottle", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 ok, 1 failure, 2 usage or manifest error, 3 manifest not approved, 4 record invalid, 5 record incomplete, 130 interrupted."
)]
pub struct Cli {
    /// Container engine to use: `docker`, `podman`, or a path to either binary.
    /// Default: podman, then docker, found on PATH.
    #[arg(
        long,
        global = true,
        env = engine::ENGINE_ENV,
        value_name = "NAME|PATH"
    )]
    pub engine: Option<String>,

    /// Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Start(start::StartArgs),
    Approve(approve::ApproveArgs),
    Stop(stop::StopArgs),
    Rm(stop::RmArgs),
    Attach(attach::AttachArgs),
    Exec(exec::ExecArgs),
    List(list::ListArgs),
    Logs(logs::LogsArgs),
    Login(login::LoginArgs),
    Logout(login::LogoutArgs),
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    Allow(allow::AllowArgs),
    Deny(allow::DenyArgs),
    Gc(gc::GcArgs),
    Doctor(doctor::DoctorArgs),
    #[command(subcommand)]
    Image(image::ImageCommand),
    #[command(subcommand)]
    Export(export::ExportCommand),
    #[command(subcommand)]
    Record(record::RecordCommand),
    Verify(record::VerifyArgs),
    Completions(completions::CompletionsArgs),
    Man(man::ManArgs),
}

/// Options every subcommand may read.
#[derive(Debug, Clone)]
pub struct Global {
    pub engine: Option<String>,
    pub verbose: bool,
}

impl Cli {
    pub fn run(self) -> anyhow::Result<()> {
        let global = Global {
            engine: self.engine,
            verbose: self.verbose,
        };
        match self.command {
            Command::Start(args) => args.run(&global),
            Command::Approve(args) => args.run(),
            Command::Stop(args) => args.run(&global),
            Command::Rm(args) => args.run(&global),
            Command::Attach(args) => args.run(&global),
            Command::Exec(args) => args.run(&global),
            Command::List(args) => args.run(&global),
            Command::Logs(args) => args.run(&global),
            Command::Login(args) => args.run(&global),
            Command::Logout(args) => args.run(),
            Command::Policy(cmd) => cmd.run(&global),
            Command::Allow(args) => args.run(&global),
            Command::Deny(args) => args.run(&global),
            Command::Gc(args) => args.run(&global),
            Command::Doctor(args) => args.run(&global),
            Command::Image(cmd) => cmd.run(&global),
            Command::Export(cmd) => cmd.run(&global),
            Command::Record(cmd) => cmd.run(&global),
            Command::Verify(args) => args.run(),
            Command::Completions(args) => args.run(),
            Command::Man(args) => args.run(),
        }
    }
}

/// The user at this terminal, as the use cases ask them: questions on stderr, answers read
/// from stdin, which must be a terminal for anyone to be asked.
struct Terminal {
    /// Show what a question is about on stdout (`approve`'s text output) rather than stderr.
    shows_on_stdout: bool,
}

impl Terminal {
    /// Shows what a question is about on stderr, keeping stdout for the command's output.
    fn new() -> Self {
        Terminal {
            shows_on_stdout: false,
        }
    }
}

impl crate::usecase::Ask for Terminal {
    fn can_ask(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn confirm(&mut self, text: &str, question: &str) -> anyhow::Result<bool> {
        if self.shows_on_stdout {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        } else {
            std::io::stderr().write_all(text.as_bytes())?;
        }
        let mut err = std::io::stderr().lock();
        write!(err, "{question}")?;
        err.flush()?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("reading the answer")?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
    }

    fn tell(&mut self, line: &str) {
        eprintln!("bot-bottle: {line}");
    }
}
