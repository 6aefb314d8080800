//! `OpenAI`'s Codex CLI (`codex`), with an `OpenAI` API key. A `ChatGPT` account login (its token
//! endpoint on `auth.openai.com`, the `chatgpt.com` backend) is not supported yet.

use super::{AgentKind, CredentialHeader, CredentialSpec, EnvValue, Host, Role};
use crate::login::Kind as LoginKind;

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
};
