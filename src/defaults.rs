//! Built-in values: images, the hosts every bottle may reach, and the names of in-container paths.

/// The agent image `contrib/agent/Containerfile` builds for the default kind (Claude Code on
/// `node:22-slim`); the other kinds' are named after them ([`crate::agents::AgentKind::image`]).
pub const AGENT_IMAGE: &str = "localhost/bot-bottle/agent:latest";
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
