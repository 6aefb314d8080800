//! Command line of the double: the pipelock v2.3.0 subcommands bot-bottle uses.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use crate::{ca, config, events, proxy, recorder};

/// Version line printed by `version` and `--version`.
pub const VERSION_LINE: &str = "pipelock 2.3.0 (bot-bottle test double)";

#[derive(Parser)]
#[command(name = "pipelock", disable_version_flag = true)]
struct Cli {
    /// Print the version and exit.
    #[arg(long)]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the proxy.
    Run {
        /// Config file (JSON, which is valid YAML).
        #[arg(short = 'c', long)]
        config: Option<PathBuf>,
        /// Listen address; overrides `fetch_proxy.listen`.
        #[arg(short = 'l', long)]
        listen: Option<String>,
    },
    /// Manage the interception CA.
    Tls {
        #[command(subcommand)]
        command: TlsCommand,
    },
    /// Load and validate a config file.
    Check {
        #[arg(short = 'c', long)]
        config: PathBuf,
    },
    /// Probe GET /health on a running proxy.
    Healthcheck {
        #[arg(long, default_value = "127.0.0.1:8888")]
        addr: String,
    },
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum TlsCommand {
    /// Write ca.pem and ca-key.pem.
    Init {
        #[arg(long)]
        out: Option<PathBuf>,
        /// Organization of the CA subject.
        #[arg(long)]
        org: Option<String>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Print the CA certificate PEM.
    ShowCa {
        #[arg(long)]
        cert: Option<PathBuf>,
    },
}

/// Parses the command line and runs the chosen subcommand.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    if cli.version {
        println!("{VERSION_LINE}");
        return Ok(ExitCode::SUCCESS);
    }
    match cli.command {
        None => {
            eprintln!("usage: pipelock <run|tls|check|healthcheck|version>");
            Ok(ExitCode::from(2))
        }
        Some(Command::Version) => {
            println!("{VERSION_LINE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Run { config, listen }) => run_proxy(config.as_deref(), listen),
        Some(Command::Check { config }) => {
            config::load(&config)?;
            println!("config OK: {}", config.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Healthcheck { addr }) => Ok(healthcheck(&addr)),
        Some(Command::Tls { command }) => match command {
            TlsCommand::Init { out, org, force } => {
                let dir = match out {
                    Some(dir) => dir,
                    None => default_home()?,
                };
                ca::init(&dir, org.as_deref(), force)?;
                println!("wrote {}", dir.join("ca.pem").display());
                Ok(ExitCode::SUCCESS)
            }
            TlsCommand::ShowCa { cert } => {
                let path = match cert {
                    Some(path) => path,
                    None => default_home()?.join("ca.pem"),
                };
                let pem = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                print!("{pem}");
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}

fn run_proxy(config_path: Option<&Path>, listen: Option<String>) -> Result<ExitCode> {
    let mut cfg = match config_path {
        Some(path) => match config::load(path) {
            Ok(cfg) => cfg,
            Err(err) => {
                eprintln!("Error: loading config: {err:#}");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => config::Config::defaults(),
    };
    if let Some(listen) = listen {
        cfg.listen = listen;
    }
    let mut events = events::Events::new(&cfg.logging);
    if let Some(settings) = cfg.flight_recorder.clone() {
        match recorder::Recorder::open(settings) {
            Ok(rec) => events.recorder = Some(Arc::new(rec)),
            Err(err) => {
                eprintln!("Error: creating flight recorder: {err:#}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    // pipelock shuts down on SIGTERM and SIGINT, closing its recorder (a last checkpoint);
    // as a container's first process, without a handler, the double would ignore SIGTERM.
    let closing = events.recorder.clone();
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ])
    .context("installing the shutdown handler")?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            if let Some(rec) = closing {
                rec.close();
            }
            std::process::exit(0);
        }
    });
    proxy::serve(cfg, &events, config_path.map(Path::to_path_buf))?;
    Ok(ExitCode::SUCCESS)
}

/// `$PIPELOCK_HOME`, else `$HOME/.pipelock`, like pipelock's `--home` fallback.
fn default_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("PIPELOCK_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".pipelock")),
        None => bail!("neither PIPELOCK_HOME nor HOME is set: pass --out"),
    }
}

fn healthcheck(addr: &str) -> ExitCode {
    match probe_health(addr) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("healthcheck: {addr} did not answer 200");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("healthcheck: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn probe_health(addr: &str) -> Result<bool> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    // "HTTP/1.1 200" is 12 bytes; a short or failed read means unhealthy.
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(&head[9..12] == b"200")
}
