//! The key holder in the plan: a sidecar that holds the user's credential for the agent's kind
//! (Anthropic's, `OpenAI`'s, Gemini's), so the agent never does.
//!
//! The agent gets a placeholder in the variable its kind reads (for Claude Code
//! `ANTHROPIC_API_KEY` for an API key, `CLAUDE_CODE_OAUTH_TOKEN` for a subscription login), and
//! its `/etc/hosts` maps the kind's key holder hosts ([`crate::agents`]) to the holder's address on the
//! internal network, past the proxy (`NO_PROXY`). The holder shows the agent a certificate the
//! bottle CA signed for them, takes each request, refuses any that carries a credential but the
//! placeholder, and sends the rest to the real host named by the TLS server name, over TLS it
//! verifies itself, with the user's credential in the placeholder's place. Pipelock refuses the
//! hosts (its blocklist), so no path from the agent skips the holder. The holder is
//! `bot-bottle-gate keys`, in the git gate's image; its config, certificate and credential are
//! copied in between create and start, like the gate's.

use std::collections::BTreeMap;

use bot_bottle_gate::keys::{KeysConfig, Secret, CLAUDE_CODE_CLIENT_ID, TOKEN_PATH};
use camino::Utf8PathBuf;
use serde::Serialize;

use super::resources::Resources;
use super::{FieldError, Privileges};
use crate::agents::{AgentKind, Role};
use crate::login::{self, Kind, LoginName};
use crate::manifest::{EnvName, Manifest};

/// The port the holder listens on: the agent reaches the hosts at their usual `https://` port.
pub const PORT: u16 = 443;
/// The holder's one writable directory (its root is read-only): a volume of its own, holding
/// its config, certificate and key, and the credential, which it rewrites after a refresh.
pub const DIR: &str = "/var/lib/bot-bottle-keys";
pub const CONFIG_PATH: &str = "/var/lib/bot-bottle-keys/config.json";
pub const CERT_PATH: &str = "/var/lib/bot-bottle-keys/cert.pem";
pub const KEY_PATH: &str = "/var/lib/bot-bottle-keys/key.pem";
pub const CREDENTIAL_PATH: &str = "/var/lib/bot-bottle-keys/credential.json";
/// The trust bundle of the gate's (Debian-family) image, which the real hosts are verified
/// against.
pub const UPSTREAM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The holder runs as root without a capability, so port [`PORT`] must be one it may bind:
/// this sysctl, in its own network namespace only (docker sets it to 0 already; podman does
/// not).
pub const UNPRIVILEGED_PORT_SYSCTL: (&str, &str) = ("net.ipv4.ip_unprivileged_port_start", "443");

/// The key holder sidecar.
#[derive(Debug, Clone, Serialize)]
pub struct KeyHolderPlan {
    pub container: String,
    /// The git gate's image, which carries `bot-bottle-gate`.
    pub image: String,
    /// `[internal, egress]`: the agent reaches it on the first; it reaches the real hosts over
    /// the second, directly (pipelock refuses them).
    pub networks: [String; 2],
    /// Its address on the internal network, the only one it listens on.
    pub address: String,
    /// The hosts it answers for, and the only ones it connects to.
    pub hosts: Vec<String>,
    pub command: Vec<String>,
    pub privileges: Privileges,
    /// What it may take of the host.
    pub resources: Resources,
    /// Where it writes besides its scratch space, its root being read-only: [`DIR`].
    pub volumes: Vec<String>,
    /// Where the credential comes from; never its value.
    pub credential: CredentialSource,
    /// The agent's variable that holds the placeholder.
    pub placeholder_variable: String,
    /// Every agent variable that holds it: [`Self::placeholder_variable`] and the kind's others
    /// (`CODEX_API_KEY` for codex).
    pub placeholder_variables: Vec<String>,
    /// The exact config the holder loads (the placeholder is worthless outside the bottle).
    pub config: KeysConfig,
    pub labels: BTreeMap<String, String>,
}

/// Where the holder's credential comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum CredentialSource {
    /// A login `bot-bottle login` keeps on the host.
    Login {
        name: LoginName,
        path: Utf8PathBuf,
        kind: Kind,
        /// A subscription login the holder refreshes itself when its access token expires.
        refreshable: bool,
    },
    /// A host variable the manifest names in `agent.env`, read at launch.
    HostVariable { name: EnvName, kind: Kind },
}

impl CredentialSource {
    pub fn kind(&self) -> Kind {
        match self {
            CredentialSource::Login { kind, .. } | CredentialSource::HostVariable { kind, .. } => {
                *kind
            }
        }
    }

    /// One line for the plan and the approval: `login NAME (PATH, an API key)`.
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::Login {
                name, path, kind, ..
            } => format!("login {name} ({path}, {})", kind.describe()),
            CredentialSource::HostVariable { name, kind } => {
                format!("the host's {name} ({})", kind.describe())
            }
        }
    }
}

/// What decides the holder, besides the manifest.
pub struct Inputs<'a> {
    pub kind: &'static AgentKind,
    pub container: &'a str,
    pub image: &'a str,
    pub networks: [String; 2],
    pub address: &'a str,
    pub launch_id: &'a str,
    pub resources: Resources,
    pub labels: BTreeMap<String, String>,
}

/// The credential a launch of `manifest` gives its holder: a credential variable `agent.env`
/// forwards that the host has set, else the login `agent.login` names (or the default login),
/// else none. A login the manifest names that does not exist is an error; a missing default
/// is not (the bottle then reaches none of the hosts). A login of another agent kind, or
/// another kind's credential variable in `agent.env`, is an error naming both kinds.
pub fn credential(
    manifest: &Manifest,
    logins: &login::Store,
    env_is_set: fn(&str) -> bool,
) -> Result<Option<CredentialSource>, FieldError> {
    let agent = manifest.agent.kind.0;
    for name in &manifest.agent.env {
        if let Some(other) = crate::agents::kind_of_credential_variable(name.as_str()) {
            if !std::ptr::eq(other, agent) {
                return Err((
                    "agent.env",
                    format!(
                        "{name} carries a credential of the agent kind {other}, and this bottle's agent.kind is {agent}; \
                         its holder does not take it, and forwarding it would put the key in the agent"
                    ),
                ));
            }
        }
        if let Some(kind) = agent.credential_variable(name.as_str()) {
            if env_is_set(name.as_str()) {
                return Ok(Some(CredentialSource::HostVariable {
                    name: name.clone(),
                    kind,
                }));
            }
        }
    }
    let (name, named) = match &manifest.agent.login {
        Some(name) => (name.clone(), true),
        None => (LoginName::default_name(), false),
    };
    match logins.summary(&name) {
        Ok(Some(summary)) if summary.agent != agent.name => {
            let message = format!(
                "login {name} ({}) is for the agent kind {}, and this bottle's agent.kind is {agent}; \
                 `bot-bottle login NAME --kind {agent}` makes one for it",
                summary.path, summary.agent
            );
            if named {
                Err(("agent.login", message))
            } else {
                // The default login of another kind is not this bottle's: no holder.
                Ok(None)
            }
        }
        Ok(Some(summary)) => Ok(Some(CredentialSource::Login {
            name,
            path: summary.path,
            kind: summary.kind,
            refreshable: summary.refreshable,
        })),
        Ok(None) if named => Err((
            "agent.login",
            format!(
                "no login \"{name}\" in {}; `bot-bottle login {name}` makes it",
                logins.dir()
            ),
        )),
        Ok(None) => Ok(None),
        Err(e) => Err(("agent.login", format!("{e:#}"))),
    }
}

/// The holder of a bottle whose credential comes from `source`.
pub fn plan(source: CredentialSource, inputs: Inputs<'_>) -> KeyHolderPlan {
    let agent = inputs.kind;
    let hosts: Vec<String> = agent.hosts_of(Role::KeyHolder).map(str::to_owned).collect();
    let spec = &agent.credential;
    let placeholder_variable = match &source {
        CredentialSource::HostVariable { name, .. } => name.as_str().to_owned(),
        CredentialSource::Login { kind, .. } => match kind {
            Kind::Oauth => spec.oauth_variable.unwrap_or(spec.api_key_variable),
            Kind::ApiKey => spec.api_key_variable,
        }
        .to_owned(),
    };
    let credential_headers = match spec.header.for_holder() {
        Some(header) => hosts.iter().map(|h| (h.clone(), header.clone())).collect(),
        None => BTreeMap::new(),
    };
    let oauth = source.kind() == Kind::Oauth;
    let config = KeysConfig {
        listen: format!("{}:{PORT}", inputs.address),
        hosts: hosts.clone(),
        tls_cert: CERT_PATH.to_owned(),
        tls_key: KEY_PATH.to_owned(),
        upstream_roots: UPSTREAM_ROOTS.to_owned(),
        credential: CREDENTIAL_PATH.to_owned(),
        placeholder: Secret::new(placeholder(inputs.launch_id)),
        placeholder_refresh: oauth.then(|| Secret::new(placeholder_refresh(inputs.launch_id))),
        token_path: TOKEN_PATH.to_owned(),
        oauth_client_id: CLAUDE_CODE_CLIENT_ID.to_owned(),
        resolve: BTreeMap::new(),
        credential_headers,
    };
    KeyHolderPlan {
        container: inputs.container.to_owned(),
        image: inputs.image.to_owned(),
        networks: inputs.networks,
        address: inputs.address.to_owned(),
        hosts,
        command: vec![
            "keys".to_owned(),
            "--config".to_owned(),
            CONFIG_PATH.to_owned(),
        ],
        privileges: Privileges::sidecar(),
        resources: inputs.resources,
        volumes: vec![DIR.to_owned()],
        credential: source,
        placeholder_variables: std::iter::once(placeholder_variable.clone())
            .chain(spec.also_in.iter().map(|v| (*v).to_owned()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        placeholder_variable,
        config,
        labels: inputs.labels,
    }
}

/// What the agent holds in the credential's place: named after this launch, worthless
/// anywhere but at this bottle's holder (which is reachable from this bottle's agent only).
/// Not shaped like an Anthropic key, so nothing mistakes it for one.
pub fn placeholder(launch_id: &str) -> String {
    format!("bot-bottle-placeholder-{launch_id}")
}

/// The refresh token the agent may present to the holder's token endpoint.
pub fn placeholder_refresh(launch_id: &str) -> String {
    format!("bot-bottle-placeholder-refresh-{launch_id}")
}

impl KeyHolderPlan {
    /// The config file's text.
    pub fn render_config(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.config).expect("the config serialises");
        text.push('\n');
        text
    }
}
