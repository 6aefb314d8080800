//! `OpenAI`'s Codex CLI (`codex`), with an `OpenAI` API key. A `ChatGPT` account login (its token
//! endpoint on `auth.openai.com`, the `chatgpt.com` backend) is not supported yet.

use super::CredentialKind as LoginKind;
use super::{AgentKind, CredentialHeader, CredentialSpec, EnvValue, Host, Role, SettingsFile};

pub static KIND: AgentKind = AgentKind {
    name: "codex",
    title: "Codex CLI",
    package: "@openai/codex",
    version: "0.171.0",
    bin: ".bin/codex",
    command: &["codex"],
    hosts: &[Host {
        name: "api.openai.com",
        role: Role::KeyHolder,
        why: "the OpenAI API; takes the API key (Authorization: Bearer)",
    }],
    state_dir: ".codex",
    // Codex is a native binary: it reads extra CAs from `CODEX_CA_CERTIFICATE` (and
    // `SSL_CERT_FILE`, which every kind gets): the system bundle with the bottle CA appended,
    // so that it trusts both pipelock's certificates and the key holder's.
    env: &[
        ("CODEX_CA_CERTIFICATE", EnvValue::CaBundle),
        ("CODEX_HOME", EnvValue::StateDir),
    ],
    instructions_file: "AGENTS.md",
    skills_dir: Some("skills"),
    credential: CredentialSpec {
        plan_label: "openai login",
        provider: "OpenAI",
        // `codex exec` reads its key from CODEX_API_KEY (the interactive codex from its login,
        // auth.json); the holder takes either from the host, and the agent gets the
        // placeholder in both.
        variables: &[
            ("OPENAI_API_KEY", LoginKind::ApiKey),
            ("CODEX_API_KEY", LoginKind::ApiKey),
        ],
        api_key_variable: "OPENAI_API_KEY",
        also_in: &["CODEX_API_KEY"],
        oauth_variable: None,
        header: CredentialHeader::Header {
            name: "authorization",
            scheme: Some("Bearer"),
        },
        logins: "--api-key-stdin (an OpenAI API key; a ChatGPT account login is not supported yet)",
    },
    settings: &[SettingsFile {
        path: "/etc/codex/config.toml",
        content: CODEX_CONFIG,
        why: "the OpenAI API over HTTPS only (Codex's built-in provider tries a WebSocket five \
              times first, about 12 s a run), the key from OPENAI_API_KEY, no update check or \
              analytics, and no sandbox of Codex's own inside the bottle",
    }],
};

/// Codex's system-wide config (`/etc/codex/config.toml`, below `$CODEX_HOME/config.toml` in
/// precedence). Its sandbox (bubblewrap) needs namespaces a bottle's agent may not create, and
/// the bottle is the sandbox; approvals stay Codex's default, for the user to choose.
const CODEX_CONFIG: &str = r#"# Written by bot-bottle at each launch: Codex in a bottle. Settings in
# $CODEX_HOME/config.toml (the state volume) take precedence.
model_provider = "bot-bottle-openai"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[analytics]
enabled = false

# Plugins and apps fetch their catalogues from github.com and chatgpt.com at start, which the
# bottle's proxy refuses unless allowed.
[features]
plugins = false
remote_plugin = false
apps = false

[model_providers.bot-bottle-openai]
name = "OpenAI, through the bottle's key holder"
base_url = "https://api.openai.com/v1"
env_key = "OPENAI_API_KEY"
wire_api = "responses"
supports_websockets = false
"#;
