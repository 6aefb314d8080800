//! The gate's config (`/etc/bot-bottle-gate/config.json`): the upstreams it serves, their
//! credentials' paths and their push policies. bot-bottle renders it into the plan; the gate
//! reads it at start and in every push hook.

use serde::{Deserialize, Serialize};

/// The port the gate serves git smart HTTP on, inside the bottle's internal network.
pub const PORT: u16 = 8418;
/// The port the gate's egress filter (`bot-bottle-gate egress`) listens on, inside the
/// bottle's internal network: the gate's only way to its upstreams.
pub const EGRESS_PORT: u16 = 8419;
/// Where the gate reads its config.
pub const CONFIG_PATH: &str = "/etc/bot-bottle-gate/config.json";
/// The SSH identity the gate pushes and fetches with (0600, never in the agent).
pub const SSH_IDENTITY_PATH: &str = "/etc/bot-bottle-gate/ssh/identity";
/// The `known_hosts` the gate checks SSH upstreams against.
pub const SSH_KNOWN_HOSTS_PATH: &str = "/etc/bot-bottle-gate/ssh/known_hosts";
/// Directory of the HTTPS tokens, one file per upstream, named after it.
pub const TOKEN_DIR: &str = "/etc/bot-bottle-gate/tokens";
/// Where the gate keeps its mirrors (one bare repository per upstream).
pub const REPO_ROOT: &str = "/var/lib/bot-bottle-gate";
/// The default size limit of one push: the pack the agent sends.
pub const DEFAULT_MAX_PUSH_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// `ADDRESS:PORT` the server binds.
    pub listen: String,
    pub upstreams: Vec<Upstream>,
    /// `ADDRESS:PORT` of the egress filter the gate reaches its upstreams through (an HTTP
    /// `CONNECT` proxy that lets it reach those upstreams' hosts and ports only), when the gate
    /// has no other way out; `None`: it connects directly (tests on a host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_proxy: Option<String>,
}

/// How the gate reaches an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// `ssh://` or `user@host:path`, with [`SSH_IDENTITY_PATH`] and [`SSH_KNOWN_HOSTS_PATH`].
    Ssh,
    /// `https://`, with the token in [`TOKEN_DIR`] when there is one.
    Https,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Ssh => "ssh",
            Transport::Https => "https",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// The path the agent reaches it at (`http://GATE:8418/NAME`) and the mirror's name.
    pub name: String,
    /// The real upstream's URL, as the agent's git config names it.
    pub url: String,
    pub transport: Transport,
    /// The token file in the gate, for HTTPS upstreams that have one.
    pub token_file: Option<String>,
    pub policy: PushPolicy,
}

/// What a bottle may push to one upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushPolicy {
    /// Ref patterns a push may update (`*` matches any run of characters, `/` included).
    pub push_refs: Vec<String>,
    /// Whether the upstream's default branch (its `HEAD`) may be pushed to.
    pub push_default_branch: bool,
    /// Whether a ref may be moved to a commit that does not contain its old one.
    pub allow_force_push: bool,
    /// Whether a ref may be deleted.
    pub allow_delete: bool,
    /// The largest pack one push may send, in bytes.
    pub max_push_bytes: u64,
}

/// The refs a bottle may push when its manifest names none: branches under `bot/`, a
/// namespace of their own, so that the agent cannot move a branch people work on (a release
/// branch, someone's topic) however the upstream names its default branch.
pub const DEFAULT_PUSH_REFS: &str = "refs/heads/bot/*";

impl Default for PushPolicy {
    fn default() -> Self {
        PushPolicy {
            push_refs: vec![DEFAULT_PUSH_REFS.to_owned()],
            push_default_branch: false,
            allow_force_push: false,
            allow_delete: false,
            max_push_bytes: DEFAULT_MAX_PUSH_BYTES,
        }
    }
}

impl PushPolicy {
    /// Whether `git_ref` matches one of [`Self::push_refs`].
    pub fn ref_allowed(&self, git_ref: &str) -> bool {
        self.push_refs.iter().any(|p| glob_match(p, git_ref))
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    if !text.ends_with(last) {
        return false;
    }
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("refs/heads/*", "refs/heads/feature/x"));
        assert!(glob_match("refs/heads/bot/*", "refs/heads/bot/a"));
        assert!(!glob_match("refs/heads/bot/*", "refs/heads/main"));
        assert!(glob_match("refs/heads/main", "refs/heads/main"));
        assert!(!glob_match("refs/heads/main", "refs/heads/main2"));
        assert!(glob_match("refs/*/x*y", "refs/a/b/xzzy"));
        assert!(!glob_match("a*a", "a"));
        assert!(!glob_match("refs/heads/*", "refs/tags/v1"));
    }

    #[test]
    fn default_policy_allows_the_bot_branches_only() {
        let p = PushPolicy::default();
        assert!(p.ref_allowed("refs/heads/bot/topic"));
        assert!(p.ref_allowed("refs/heads/bot/a/b"));
        assert!(!p.ref_allowed("refs/heads/topic"));
        assert!(!p.ref_allowed("refs/heads/main"));
        assert!(!p.ref_allowed("refs/heads/bot"));
        assert!(!p.ref_allowed("refs/tags/v1"));
    }
}
