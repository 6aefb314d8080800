//! Anthropic's Claude Code, the default kind: the kind every bottle ran before kinds existed.

use super::CredentialKind as LoginKind;
use super::{AgentKind, CredentialHeader, CredentialSpec, EnvValue, Host, Role};

/// Claude Code from npm, pinned; the testbed installs the same version.
pub const PACKAGE: &str = "@anthropic-ai/claude-code";
pub const VERSION: &str = "2.1.332";

pub static KIND: AgentKind = AgentKind {
    name: "claude-code",
    title: "Claude Code",
    package: PACKAGE,
    version: VERSION,
    bin: "@anthropic-ai/claude-code/bin/claude.exe",
    command: &["claude"],
    hosts: &[
        Host {
            name: "api.anthropic.com",
            role: Role::KeyHolder,
            why: "the Claude API; takes the API key (x-api-key) or the subscription login's token",
        },
        Host {
            name: "platform.claude.com",
            role: Role::KeyHolder,
            why: "the subscription login's token endpoint; the holder answers the agent's refreshes itself",
        },
        Host {
            name: "claude.ai",
            role: Role::KeyHolder,
            why: "takes the subscription login's token",
        },
        Host {
            name: "statsig.anthropic.com",
            role: Role::Allowed,
            why: "Claude Code's feature flags",
        },
        Host {
            name: "sentry.io",
            role: Role::Allowed,
            why: "Claude Code's error reports",
        },
        Host {
            name: "downloads.claude.ai",
            role: Role::Passthrough,
            why: "Claude Code's own updates, a native binary of about 400 MB that pipelock would \
                  buffer whole to scan; the host only serves files",
        },
        Host {
            name: "raw.githubusercontent.com",
            role: Role::Allowed,
            why: "files Claude Code fetches from GitHub",
        },
    ],
    state_dir: crate::defaults::CLAUDE_STATE_DIR,
    env: &[
        ("NODE_EXTRA_CA_CERTS", EnvValue::CaCert),
        (crate::defaults::CLAUDE_CONFIG_ENV, EnvValue::StateDir),
    ],
    instructions_file: "CLAUDE.md",
    skills_dir: Some("skills"),
    credential: CredentialSpec {
        plan_label: "anthropic login",
        provider: "Anthropic",
        variables: &[
            ("ANTHROPIC_API_KEY", LoginKind::ApiKey),
            ("CLAUDE_CODE_OAUTH_TOKEN", LoginKind::Oauth),
            ("ANTHROPIC_AUTH_TOKEN", LoginKind::Oauth),
        ],
        api_key_variable: "ANTHROPIC_API_KEY",
        also_in: &[],
        oauth_variable: Some("CLAUDE_CODE_OAUTH_TOKEN"),
        header: CredentialHeader::Anthropic,
        logins: "Claude Code's login flow, --api-key-stdin, --token-stdin or --from-claude-credentials",
    },
    settings: &[],
};
