//! The bottle manifest (`bottle.toml`, or the same schema as JSON): what the user asks for.
//!
//! This module only parses and checks values in isolation. Turning paths into files that
//! exist, and everything else that needs the outside world, happens when the plan is built.

mod hostname;
mod load;
mod names;
pub mod resources;

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};

pub use hostname::Hostname;
pub use load::{load_with_digest, parse_toml_as, ManifestSource};
pub use names::{EnvName, GitRemoteName, ImageRef, OtlpEndpoint, SafeText, SyslogAddress};

/// The whole manifest. Every table is optional; unknown fields are errors.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Source of the bottle's slug. Defaults to the workspace directory's name.
    pub name: Option<String>,
    /// A file whose contents become the agent's instructions (relative to the manifest).
    pub prompt: Option<Utf8PathBuf>,
    /// Directories copied into the agent as skills (relative to the manifest).
    #[serde(default)]
    pub skills: Vec<Utf8PathBuf>,
    #[serde(default)]
    pub agent: Agent,
    #[serde(default)]
    pub egress: Egress,
    #[serde(default)]
    pub ssh: Ssh,
    #[serde(default)]
    pub git: Git,
    #[serde(default)]
    pub resources: resources::Resources,
}

/// `[agent]`: the agent container.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// The agent kind (`claude-code`, `codex`, `gemini`: [`crate::agents::KINDS`]). Defaults to
    /// `claude-code`.
    #[serde(default)]
    pub kind: crate::agents::KindName,
    /// Image to run. Defaults to the kind's ([`crate::agents::AgentKind::image`]).
    pub image: Option<ImageRef>,
    /// Command the agent runs. Defaults to the kind's.
    pub command: Option<Vec<SafeText>>,
    /// Names of host environment variables forwarded into the agent (values are never printed).
    #[serde(default)]
    pub env: Vec<EnvName>,
    /// Host directory mounted as the agent's workspace. Defaults to the current directory.
    pub workspace: Option<Utf8PathBuf>,
    /// The login (`bot-bottle login NAME`, of the bottle's kind) the bottle's key holder uses. Defaults to
    /// the login named `default`, when there is one.
    pub login: Option<crate::login::LoginName>,
}

/// `[egress]`: what the pipelock sidecar lets out.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Egress {
    /// Hosts allowed on top of the built-in ones.
    #[serde(default)]
    pub allowlist: Vec<Hostname>,
    /// What a credential found in a request body does.
    #[serde(default)]
    pub dlp_action: DlpAction,
    /// Hosts whose TLS is passed through unread, on top of the built-in ones.
    #[serde(default)]
    pub tls_passthrough_domains: Vec<Hostname>,
    /// Hosts `bot-bottle allow` may allow while the bottle runs. They are not allowed until
    /// then; the bottle CA's name constraints cover them from the start, so that pipelock can
    /// intercept them (and DLP scan them) once they are.
    #[serde(default)]
    pub approvable: Vec<Hostname>,
    /// Allowed hosts that may resolve to private addresses (a company's own servers).
    /// Pipelock refuses every other destination in a private range (its SSRF guard).
    #[serde(default)]
    pub internal_hosts: Vec<Hostname>,
    /// Where pipelock also sends its audit events (its `emit`); nowhere unless named.
    #[serde(default)]
    pub events: EventSinks,
}

/// `[egress.events]`: collectors pipelock sends its audit events to, from the sidecar (which
/// widens the bottle's egress: a new destination, so it needs approval).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventSinks {
    /// An OpenTelemetry collector's OTLP/HTTP base URL.
    pub otlp: Option<OtlpEndpoint>,
    /// A syslog server, `udp://HOST:PORT` or `tcp://HOST:PORT`.
    pub syslog: Option<SyslogAddress>,
}

impl EventSinks {
    /// Each collector named, as `otlp URL` / `syslog ADDRESS` (for the plan and approvals).
    pub fn named(&self) -> Vec<String> {
        let mut named = Vec::new();
        if let Some(otlp) = &self.otlp {
            named.push(format!("otlp {otlp}"));
        }
        if let Some(syslog) = &self.syslog {
            named.push(format!("syslog {syslog}"));
        }
        named
    }
}

/// `egress.dlp_action`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DlpAction {
    /// Refuse the request with a 403 (the default).
    #[default]
    Block,
    /// Let the request through and log the finding.
    Warn,
}

impl DlpAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DlpAction::Block => "block",
            DlpAction::Warn => "warn",
        }
    }
}

/// `[ssh]`: files for the agent's `~/.ssh`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ssh {
    /// A private key file copied in as the agent's identity (mode 0600).
    pub identity: Option<Utf8PathBuf>,
    /// A `known_hosts` file copied in as the agent's.
    pub known_hosts: Option<Utf8PathBuf>,
}

/// `[git]`: the agent's git identity and the upstreams it may push to through the git gate.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Git {
    pub user_name: Option<SafeText>,
    pub user_email: Option<SafeText>,
    /// Repositories the agent reaches through the bottle's git gate (their URLs are rewritten
    /// to the gate's in the agent's git config), not through pipelock, so they do not widen
    /// the egress allowlist.
    #[serde(default)]
    pub upstreams: Vec<GitUpstream>,
}

/// One `[[git.upstreams]]` entry: a repository the agent reaches through the git gate, and
/// what it may push there.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GitUpstream {
    /// Names the upstream at the gate (`http://GATE:8418/NAME`).
    pub name: GitRemoteName,
    /// `ssh://[user@]host[:port]/path`, `user@host:path` or `https://host/path`.
    pub url: SafeText,
    /// For an HTTPS upstream: a file holding the token the gate authenticates with.
    pub token_file: Option<Utf8PathBuf>,
    /// Ref patterns the bottle may push (`*` matches anything). Default: the branches under
    /// `bot/` (`refs/heads/bot/*`).
    pub push_refs: Option<Vec<SafeText>>,
    /// Whether the upstream's default branch may be pushed to. Default: no.
    #[serde(default)]
    pub push_default_branch: bool,
    /// Whether a push may rewrite history (a non-fast-forward). Default: no.
    #[serde(default)]
    pub allow_force_push: bool,
    /// Whether a push may delete a ref. Default: no.
    #[serde(default)]
    pub allow_delete: bool,
    /// The largest push, in bytes. Default: 50 MiB.
    pub max_push_bytes: Option<u64>,
}
