//! Google's Gemini CLI (`gemini`), with a Gemini API key. A Google account login (Code Assist,
//! on other hosts) and Vertex AI are not supported yet.

use super::CredentialKind as LoginKind;
use super::{AgentKind, CredentialHeader, CredentialSpec, EnvValue, Host, Role, SettingsFile};

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
    // Gemini CLI refuses a headless run (exit 55) in a folder the user has not marked trusted;
    // its trust guards the user's machine against a repository's own settings (hooks, tool
    // servers). In a bottle the workspace is what the user approved and whatever those settings
    // run stays in the bottle, so the folder is trusted.
    env: &[
        ("NODE_EXTRA_CA_CERTS", EnvValue::CaCert),
        ("GEMINI_CLI_TRUST_WORKSPACE", EnvValue::Fixed("true")),
    ],
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
    settings: &[SettingsFile {
        path: "/etc/gemini-cli/settings.json",
        content: GEMINI_SETTINGS,
        why: "no usage statistics (to play.googleapis.com, which the proxy refuses) and no \
              update check",
    }],
};

/// Gemini CLI's system-wide settings (`/etc/gemini-cli/settings.json`).
const GEMINI_SETTINGS: &str = r#"{
  "privacy": { "usageStatisticsEnabled": false },
  "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false }
}
"#;
