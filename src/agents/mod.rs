//! The agent kinds a bottle may run, each one declarative description ([`AgentKind`]) in a
//! module of its own: the npm package it installs, its command, the hosts it needs (and which
//! of them the key holder answers for), where its state lives, the environment that points it
//! at the bottle's CA, and how its credential is held outside the agent.
//!
//! The rest of bot-bottle reads these descriptions (the allowlist and the blocklist, the key
//! holder's config, the agent's environment, the state volume, the image, `login`, `doctor`
//! and the plan), so adding a kind is a new module here and a line in [`KINDS`].

mod claude_code;
mod codex;
mod gemini;

pub use claude_code::{PACKAGE as CLAUDE_CODE_PACKAGE, VERSION as CLAUDE_CODE_VERSION};

use serde::{Serialize, Serializer};

/// Every kind, the default first.
pub static KINDS: &[&AgentKind] = &[&claude_code::KIND, &codex::KIND, &gemini::KIND];

/// The kind a manifest runs when `agent.kind` is not set.
pub static DEFAULT: &AgentKind = &claude_code::KIND;

/// One agent kind.
#[derive(Debug, PartialEq, Eq)]
pub struct AgentKind {
    /// What `agent.kind` and `--kind` say.
    pub name: &'static str,
    /// What messages call the agent.
    pub title: &'static str,
    /// The npm package the image installs, at [`AgentKind::version`].
    pub package: &'static str,
    pub version: &'static str,
    /// What the image links as [`AgentKind::command`]: a path under the install's
    /// `node_modules`.
    pub bin: &'static str,
    /// The command the agent container runs by default.
    pub command: &'static [&'static str],
    /// The hosts it needs, each with its role and why.
    pub hosts: &'static [Host],
    /// Its state directory under the agent's home: the state volume is mounted there.
    pub state_dir: &'static str,
    /// Variables set in the agent, besides the proxy's (which every kind gets).
    pub env: &'static [(&'static str, EnvValue)],
    /// The file in [`AgentKind::state_dir`] that carries the manifest's `prompt`.
    pub instructions_file: &'static str,
    /// The directory in [`AgentKind::state_dir`] the manifest's `skills` are copied to, when
    /// the agent reads skills.
    pub skills_dir: Option<&'static str>,
    /// How its credential is held.
    pub credential: CredentialSpec,
    /// System-wide settings files the launch writes for the CLI (root's, outside the state
    /// volume, so nothing of the user's there is overwritten; the CLI's own per-user settings
    /// still take precedence).
    pub settings: &'static [SettingsFile],
}

/// What kind of credential a login holds (`crate::login::Kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An API key.
    ApiKey,
    /// A Claude Code subscription login (an OAuth access token, and usually a refresh token).
    Oauth,
}

impl CredentialKind {
    /// What messages call it.
    pub fn describe(self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "an API key",
            CredentialKind::Oauth => "a Claude subscription login",
        }
    }
}

/// A settings file the launch writes into the agent, at an absolute path, owned by root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingsFile {
    pub path: &'static str,
    pub content: &'static str,
    /// Why the bottle sets it (the plan shows it).
    pub why: &'static str,
}

/// What a host is to a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Host {
    pub name: &'static str,
    pub role: Role,
    /// Why the agent needs it, and why it has this role (the plan and the README show it).
    pub why: &'static str,
}

/// How the agent reaches a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// It takes the credential: the agent reaches it through the key holder only, and
    /// pipelock refuses it (its blocklist).
    KeyHolder,
    /// Allowed through pipelock, which reads (and DLP-scans) its traffic.
    Allowed,
    /// Allowed through pipelock, which splices its TLS unread.
    Passthrough,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::KeyHolder => "key holder",
            Role::Allowed => "allowed",
            Role::Passthrough => "passthrough",
        }
    }
}

/// A value the agent gets in a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvValue {
    /// The bottle CA's certificate alone.
    CaCert,
    /// The system bundle, the bottle CA appended.
    CaBundle,
    /// The kind's state directory.
    StateDir,
    /// A fixed value.
    Fixed(&'static str),
}

impl EnvValue {
    /// The value, for an agent whose home is `home`.
    pub fn value(self, kind: &AgentKind, home: &str) -> String {
        match self {
            EnvValue::CaCert => crate::defaults::AGENT_CA_CERT_PATH.to_owned(),
            EnvValue::CaBundle => crate::defaults::AGENT_CA_BUNDLE_PATH.to_owned(),
            EnvValue::StateDir => kind.state_path(home),
            EnvValue::Fixed(value) => value.to_owned(),
        }
    }
}

/// How a kind's credential is held outside the agent.
#[derive(Debug, PartialEq, Eq)]
pub struct CredentialSpec {
    /// Whose credential it is (`Anthropic`, `OpenAI`, `Gemini`), for messages.
    pub provider: &'static str,
    /// The dry run's label for where it lives (`anthropic login`).
    pub plan_label: &'static str,
    /// Host variables a manifest may name in `agent.env` that carry the credential, with its
    /// kind: the holder takes the value, the agent gets the placeholder under the same name.
    pub variables: &'static [(&'static str, CredentialKind)],
    /// The agent's variable for the placeholder of a stored login of each kind.
    pub api_key_variable: &'static str,
    pub oauth_variable: Option<&'static str>,
    /// Other agent variables the placeholder goes in too: where another mode of the agent
    /// reads its key (`codex exec` reads `CODEX_API_KEY`).
    pub also_in: &'static [&'static str],
    /// How the holder puts the credential on a request.
    pub header: CredentialHeader,
    /// The ways `bot-bottle login` takes this kind's credential, for its refusal's message.
    pub logins: &'static str,
}

/// How the holder puts the credential on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialHeader {
    /// Anthropic's: an API key as `x-api-key`, a subscription login's token as
    /// `Authorization: Bearer` (the holder's built-in way).
    Anthropic,
    /// A header `name`, the key behind `scheme` when there is one (`Authorization: Bearer`).
    Header {
        name: &'static str,
        scheme: Option<&'static str>,
    },
}

impl CredentialHeader {
    /// `x-api-key` / `Authorization: Bearer` / …, for the plan.
    pub fn describe(self) -> String {
        match self {
            CredentialHeader::Anthropic => {
                "x-api-key (a subscription login: Authorization: Bearer)".to_owned()
            }
            CredentialHeader::Header { name, scheme } => match scheme {
                Some(scheme) => format!("{name}: {scheme}"),
                None => name.to_owned(),
            },
        }
    }

    /// The gate's form, `None` for Anthropic's built-in way.
    pub fn for_holder(self) -> Option<bot_bottle_gate::keys::CredentialHeader> {
        match self {
            CredentialHeader::Anthropic => None,
            CredentialHeader::Header { name, scheme } => {
                Some(bot_bottle_gate::keys::CredentialHeader {
                    name: name.to_owned(),
                    scheme: scheme.map(str::to_owned),
                })
            }
        }
    }
}

impl AgentKind {
    /// The kind named `name`, or an error naming the known kinds.
    pub fn named(name: &str) -> Result<&'static AgentKind, String> {
        KINDS
            .iter()
            .copied()
            .find(|k| k.name == name)
            .ok_or_else(|| {
                format!(
                    "unknown agent kind {name:?}; the kinds are {}",
                    names().join(", ")
                )
            })
    }

    /// Its hosts of `role`.
    pub fn hosts_of(&self, role: Role) -> impl Iterator<Item = &'static str> + '_ {
        self.hosts
            .iter()
            .filter(move |h| h.role == role)
            .map(|h| h.name)
    }

    /// The hosts pipelock lets it reach: the allowed and the passthrough ones.
    pub fn allowlist(&self) -> Vec<&'static str> {
        self.hosts
            .iter()
            .filter(|h| h.role != Role::KeyHolder)
            .map(|h| h.name)
            .collect()
    }

    /// Its state directory in an agent whose home is `home`.
    pub fn state_path(&self, home: &str) -> String {
        format!("{home}/{}", self.state_dir)
    }

    /// The kind whose credential a host variable carries, with the credential's kind.
    pub fn credential_variable(&self, name: &str) -> Option<CredentialKind> {
        self.credential
            .variables
            .iter()
            .find(|(var, _)| *var == name)
            .map(|(_, kind)| *kind)
    }

    /// The local image tag `image build agent --kind` gives it.
    pub fn image(&self) -> String {
        if std::ptr::eq(self, DEFAULT) {
            crate::defaults::AGENT_IMAGE.to_owned()
        } else {
            format!("localhost/bot-bottle/agent-{}:latest", self.name)
        }
    }
}

/// The kinds' names, the default first.
pub fn names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// The hosts that take a credential, of every kind: pipelock refuses each of them in every
/// bottle, and `allow` refuses them.
pub fn key_holder_hosts() -> Vec<&'static str> {
    let mut hosts: Vec<&'static str> = KINDS
        .iter()
        .flat_map(|k| k.hosts_of(Role::KeyHolder))
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    hosts
}

/// Whether a kind points its agent at the bottle CA with variable `name` (which a manifest then
/// may not forward: a host value would undo the CA trust).
pub fn is_ca_variable(name: &str) -> bool {
    KINDS.iter().any(|k| {
        k.env.iter().any(|(var, value)| {
            *var == name && matches!(value, EnvValue::CaCert | EnvValue::CaBundle)
        })
    })
}

/// The kind whose credential host variable `name` is, if any.
pub fn kind_of_credential_variable(name: &str) -> Option<&'static AgentKind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.credential_variable(name).is_some())
}

/// `agent.kind` in a manifest: a kind's name, checked when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindName(pub &'static AgentKind);

impl Default for KindName {
    fn default() -> Self {
        KindName(DEFAULT)
    }
}

impl Serialize for KindName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name)
    }
}

impl<'de> serde::Deserialize<'de> for KindName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        AgentKind::named(&name)
            .map(KindName)
            .map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for AgentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The plan's `agent.kind`: the description as the user reads it.
impl Serialize for AgentKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        #[derive(Serialize)]
        struct Credential {
            provider: &'static str,
            variables: Vec<&'static str>,
            header: String,
        }
        let mut s = serializer.serialize_struct("AgentKind", 6)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("package", self.package)?;
        s.serialize_field("version", self.version)?;
        s.serialize_field("state_dir", self.state_dir)?;
        s.serialize_field("hosts", self.hosts)?;
        s.serialize_field(
            "credential",
            &Credential {
                provider: self.credential.provider,
                variables: self.credential.variables.iter().map(|(v, _)| *v).collect(),
                header: self.credential.header.describe(),
            },
        )?;
        s.end()
    }
}

#[cfg(test)]
mod tests;
