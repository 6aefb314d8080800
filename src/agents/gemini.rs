//! Google's Gemini CLI (`gemini`), with a Gemini API key. A Google account login (Code Assist,
//! on other hosts) and Vertex AI are not supported yet.

use super::{AgentKind, CredentialHeader, CredentialSpec, EnvValue, Host, Role};
use crate::login::Kind as LoginKind;

pub static KIND: AgentKind = AgentKind {
    name: "gemini",
    title: "Gemini CLI",
    package: "@google/gemini-cli",
    version: "0.61.0",
    bin: ".bin/gemini",
    command: &["gemini"],
    hosts: &[Host {
        name: "generativelanguage.googleapis.com",
        role: Role::KeyHolder,
        why:
            "the Gemini API; takes the API key (x-goog-api-key, or ?key= which the holder refuses \
              unless it is the placeholder)",
    }],
    state_dir: ".gemini",
    env: &[("NODE_EXTRA_CA_CERTS", EnvValue::CaCert)],
    instructions_file: "GEMINI.md",
    skills_dir: None,
    credential: CredentialSpec {
        plan_label: "gemini login",
        provider: "Gemini",
        variables: &[("GEMINI_API_KEY", LoginKind::ApiKey)],
        api_key_variable: "GEMINI_API_KEY",
        also_in: &[],
        oauth_variable: None,
        header: CredentialHeader::Header {
            name: "x-goog-api-key",
            scheme: None,
        },
        logins: "--api-key-stdin (a Gemini API key; a Google account login is not supported yet)",
    },
};
