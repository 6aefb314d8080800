//! Built-in values: images, the hosts every bottle may reach, and the names of in-container paths.

/// The agent image `contrib/agent/Containerfile` builds (Claude Code on `node:22-slim`).
pub const AGENT_IMAGE: &str = "localhost/bot-bottle/agent:latest";
/// What the agent container runs by default.
pub const AGENT_COMMAND: &[&str] = &["claude"];
/// The user the agent runs as; `node:22-slim` ships it with uid and gid 1000.
pub const AGENT_USER: &str = "node";
/// The agent user's ids, which rootless podman maps the invoking user to so that the agent can
/// write the workspace and what it writes belongs to the user on the host.
pub const AGENT_UID: u32 = 1000;
pub const AGENT_GID: u32 = 1000;

/// The pipelock image, pinned to v2.3.0 under a local name: tag the published pipelock 2.3.0
/// image with this name once (see the README). A local name keeps launches offline and lets the
/// user pin a digest they verified. Later pipelock versions changed block headers and health codes.
pub const PROXY_IMAGE: &str = "localhost/bot-bottle/pipelock:2.3.0";
/// Overrides [`PROXY_IMAGE`] (the end-to-end tests use it to pick the double or a real image).
pub const PROXY_IMAGE_ENV: &str = "BOT_BOTTLE_PIPELOCK_IMAGE";

/// Hosts Claude Code itself needs that pipelock serves; every bottle may reach them. The hosts
/// that take the user's Anthropic credential are not among them: see [`KEY_HOLDER_HOSTS`].
pub const ALLOWLIST: &[&str] = &[
    "statsig.anthropic.com",
    "sentry.io",
    "downloads.claude.ai",
    "raw.githubusercontent.com",
];

/// The hosts that take the user's Anthropic credential: the API (`x-api-key`, or the login's
/// bearer token), the login's token endpoint on `platform.claude.com` (`POST /v1/oauth/token`,
/// the refresh token in the body) and `claude.ai` (the same bearer token). The agent reaches
/// them only through the bottle's key holder (`crate::plan::keys`), which puts the user's
/// credential on what the agent sends with its placeholder and refuses any other credential.
/// Pipelock refuses them whatever the allowlist says (its `blocklist`, checked in every mode),
/// so that no path from the agent skips the holder: not a wildcard in `egress.allowlist`, not
/// a learn run, not `bot-bottle allow`.
pub const KEY_HOLDER_HOSTS: &[&str] = &bot_bottle_gate::keys::HOSTS;

/// Hosts whose TLS pipelock splices instead of decrypting (it still applies the allowlist to
/// the CONNECT).
///
/// `downloads.claude.ai` serves Claude Code's own updates, a native binary of about 400 MB:
/// pipelock buffers every intercepted response whole to scan it, so interception would either
/// refuse the update or hold it all in the sidecar's memory. The host only serves files (it has
/// no API that stores what a request carries), so nothing is lost by not reading its traffic.
///
/// The Claude API, `platform.claude.com` and `claude.ai` were spliced here before the key
/// holder took them over: their traffic carries `sk-ant-…` credentials, which pipelock's body
/// and header DLP name "Anthropic API Key" and block (its per-pattern `exempt_domains` applies
/// to URLs only, measured with v2.3.0), and conversation text that trips the BIP-39 detector.
pub const TLS_PASSTHROUGH: &[&str] = &["downloads.claude.ai"];

/// The git gate image `bot-bottle image build gate` builds from `contrib/gate` (Debian, git,
/// OpenSSH's client and `bot-bottle-gate`), under a local name.
pub const GATE_IMAGE: &str = "localhost/bot-bottle/gitgate:latest";
/// Overrides [`GATE_IMAGE`].
pub const GATE_IMAGE_ENV: &str = "BOT_BOTTLE_GATE_IMAGE";

/// Port pipelock listens on inside the sidecar.
pub const PROXY_PORT: u16 = 8888;
/// Where the sidecar reads its config and CA (copied in between create and start): a volume
/// of its own, its root filesystem being read-only.
pub const PROXY_CONFIG_DIR: &str = "/etc/pipelock";
pub const PROXY_CONFIG_PATH: &str = "/etc/pipelock/pipelock.yaml";
pub const PROXY_CA_CERT_PATH: &str = "/etc/pipelock/ca.pem";
pub const PROXY_CA_KEY_PATH: &str = "/etc/pipelock/ca-key.pem";
/// The bottle's flight recorder key in the sidecar (pipelock's key format, 0600): it signs the
/// record's checkpoints, and never leaves the sidecar (see `src/record`).
pub const PROXY_RECORDER_KEY_PATH: &str = "/etc/pipelock/recorder-key";
/// Where pipelock keeps the bottle's flight record (it makes the directory).
pub const PROXY_RECORDER_DIR: &str = "/var/lib/pipelock/flight-recorder";

/// Where the bottle CA's public cert lands in the agent: where `update-ca-certificates` keeps it.
pub const AGENT_CA_CERT_PATH: &str = "/usr/local/share/ca-certificates/bot-bottle-mitm.crt";
/// The system bundle on Debian-family images; the launch appends the bottle CA to the image's copy.
pub const AGENT_CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";
/// Where the workspace is mounted in the agent.
pub const AGENT_WORKDIR: &str = "/workspace";

/// Claude Code's state directory under the agent's home: the state volume is mounted there and
/// `CLAUDE_CONFIG_DIR` points at it, so `.claude.json` lives in it too.
pub const CLAUDE_STATE_DIR: &str = ".claude";
/// The variable that tells Claude Code where its state lives.
pub const CLAUDE_CONFIG_ENV: &str = "CLAUDE_CONFIG_DIR";
