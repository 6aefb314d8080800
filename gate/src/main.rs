//! `bot-bottle-gate`: the per-bottle git gate. `serve` answers the agent's git smart HTTP
//! (through `git http-backend`) from mirrors it refreshes from the real upstreams; the mirrors'
//! `pre-receive` hook (`bot-bottle-gate pre-receive`) checks every push against the policy and
//! forwards it upstream before the gate accepts it. `egress`, in a container of its own, is the
//! gate's only way out, to its upstreams alone; `connect` is ssh's way through it. `keys` is the
//! key holder (see `holder`): it puts the user's Anthropic credential on the agent's requests
//! outside the agent. Audit events are JSON lines on stdout.

mod audit;
mod body;
mod cgi;
mod connect;
mod dlp;
mod egress;
mod git;
mod holder;
mod hook;
mod http;
mod server;
mod smart;

use std::process::ExitCode;

use bot_bottle_gate::config::{GateConfig, CONFIG_PATH};
use bot_bottle_gate::keys::CONFIG_PATH as KEYS_CONFIG_PATH;
use clap::{Parser, Subcommand};

/// The per-bottle git gate and key holder of bot-bottle.
///
/// `serve` and `pre-receive` read their config from `/etc/bot-bottle-gate/config.json`, or the
/// file that `BOT_BOTTLE_GATE_CONFIG` names; `keys` reads its own (`--config`).
#[derive(Parser)]
#[command(name = "bot-bottle-gate", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the agent's git smart HTTP from mirrors of the upstreams; audit events on stdout.
    Serve,
    /// The mirrors' pre-receive hook: check a push against the policy and push it upstream.
    PreReceive,
    /// Hold the user's Anthropic credential and put it on the agent's requests in place of the
    /// placeholder it holds; audit events on stdout.
    Keys {
        /// The key holder's config file.
        #[arg(long, default_value = KEYS_CONFIG_PATH)]
        config: String,
    },
    /// The gate's egress filter: open a tunnel (HTTP CONNECT) for the gate's address to the
    /// upstreams' hosts and ports only; audit events on stdout. Needs no config.
    Egress {
        /// `ADDRESS:PORT` to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// The only address a tunnel may be asked for from: the gate's.
        #[arg(long)]
        client: std::net::IpAddr,
        /// `HOST:PORT` a tunnel may lead to; repeated, one per upstream.
        #[arg(long = "allow", value_name = "HOST:PORT")]
        allow: Vec<String>,
    },
    /// OpenSSH's `ProxyCommand` to an upstream through the egress filter at PROXY: relays stdin
    /// and stdout through a tunnel to HOST:PORT. Needs no config.
    Connect {
        /// The egress filter's `ADDRESS:PORT`.
        proxy: String,
        host: String,
        port: u16,
    },
}

fn main() -> ExitCode {
    // Bad arguments exit 2; --version and --help are answered before the config is read, so
    // that an image build can check the binary runs.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Egress {
            listen,
            client,
            allow,
        } => egress::Policy::new(client, &allow).and_then(|policy| egress::serve(listen, policy)),
        Command::Connect { proxy, host, port } => connect::run(&proxy, &host, port),
        // The key holder needs none of the git gate's config.
        Command::Keys { config } => return holder::main(&config),
        Command::Serve | Command::PreReceive => {
            let config_path =
                std::env::var("BOT_BOTTLE_GATE_CONFIG").unwrap_or(CONFIG_PATH.to_owned());
            let config = match load(&config_path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("bot-bottle-gate: {e}");
                    return ExitCode::from(2);
                }
            };
            git::route_through(config.egress_proxy.as_deref()).and_then(|()| {
                if matches!(cli.command, Command::Serve) {
                    server::serve(&config)
                } else {
                    hook::pre_receive(&config)
                }
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bot-bottle-gate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &str) -> Result<GateConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}
