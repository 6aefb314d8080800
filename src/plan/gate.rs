//! The git gate in the plan: when the manifest declares `git.upstreams`, a second sidecar that
//! holds the git credentials and serves the agent each upstream over git smart HTTP, pushing
//! for it after the push policy. Its container, networks, config and every file copied into it
//! are decided here, before anything is created.

use std::collections::BTreeMap;

use bot_bottle_gate::config::{
    GateConfig, PushPolicy, Transport, Upstream, DEFAULT_MAX_PUSH_BYTES, EGRESS_PORT, PORT,
    REPO_ROOT, SSH_IDENTITY_PATH, SSH_KNOWN_HOSTS_PATH, TOKEN_DIR,
};
use serde::Serialize;

use super::hostpaths::HostPaths;
use super::{AgentFile, Destination, FileContent, FileOwner, HostSource};
use crate::hostfile;
use crate::manifest::{GitUpstream, Manifest};

/// Where the gate reads its config.
pub use bot_bottle_gate::config::CONFIG_PATH;

/// The directory of the gate's config and credentials: every file copied into it is below.
pub const ETC_DIR: &str = "/etc/bot-bottle-gate";

/// The gate sidecar.
#[derive(Debug, Clone, Serialize)]
pub struct GatePlan {
    pub container: String,
    pub image: String,
    /// `[internal]`: the agent reaches it there; it reaches its upstreams only through its
    /// egress filter ([`Self::egress`]), on the same network.
    pub networks: Vec<String>,
    /// Its address on the internal network: the only one it listens on, so that nothing on
    /// the egress network (or the host, which routes to it on rootful engines) can clone
    /// through it with the bottle's credentials.
    pub address: String,
    /// Where the agent's git finds it: `http://CONTAINER:8418`.
    pub url: String,
    pub command: Vec<String>,
    pub privileges: super::Privileges,
    pub resources: super::resources::Resources,
    /// Where it writes besides its scratch space, its root being read-only: volumes of its own
    /// that go with it. Its config and credentials (filled before it starts) and its mirrors.
    pub volumes: Vec<String>,
    pub upstreams: Vec<GateUpstream>,
    /// The hosts the gate connects to: the upstreams', through [`Self::egress`], which lets it
    /// reach nothing else.
    pub upstream_hosts: Vec<String>,
    /// Its only way out.
    pub egress: EgressFilterPlan,
    /// The exact config the gate loads.
    pub config: GateConfig,
    /// Every file copied into the gate before it starts (owner root).
    pub files: Vec<AgentFile>,
    pub labels: BTreeMap<String, String>,
}

/// The git gate's egress filter (`bot-bottle-gate egress`, from the gate's image): a container
/// of its own on the internal network, where the gate reaches it, and the egress network, the
/// only one with a route out. It opens a tunnel (HTTP `CONNECT`) for the gate's address alone,
/// and only to an upstream's `HOST:PORT`; the gate, on the internal network alone, has no other
/// way out, so a gate the agent steered reaches nothing but its upstreams.
#[derive(Debug, Clone, Serialize)]
pub struct EgressFilterPlan {
    pub container: String,
    /// `[internal, egress]`.
    pub networks: [String; 2],
    /// Its address on the internal network, the only one it listens on.
    pub address: String,
    /// `ADDRESS:PORT` it listens on: the gate config's `egress_proxy`.
    pub listen: String,
    pub command: Vec<String>,
    /// The `HOST:PORT` it may open tunnels to: each upstream's.
    pub allow: Vec<String>,
    pub privileges: super::Privileges,
    pub resources: super::resources::Resources,
    pub labels: BTreeMap<String, String>,
}

/// One upstream as the plan shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GateUpstream {
    pub name: String,
    pub url: String,
    pub host: String,
    /// The port the gate reaches it on (its URL's, else 22 or 443).
    pub port: u16,
    pub transport: Transport,
    /// What the agent's git uses instead of [`Self::url`].
    pub via: String,
    /// The credential the gate uses, described (never its content).
    pub credential: String,
}

/// A manifest error: the field path and the message.
pub type FieldError = (String, String);

/// Where the gate and its egress filter sit in their bottle: the names, addresses and labels
/// the bottle gives them.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    pub container: &'a str,
    /// An image instead of the default one.
    pub image: Option<&'a str>,
    /// `[internal, egress]`: the gate joins the first, its filter both.
    pub networks: [String; 2],
    /// The gate's address on the internal network.
    pub address: String,
    pub labels: BTreeMap<String, String>,
    pub egress_container: &'a str,
    /// The filter's address on the internal network.
    pub egress_address: String,
    pub egress_labels: BTreeMap<String, String>,
}

/// The gate of a bottle whose manifest declares `git.upstreams`, or `None`.
pub fn plan(
    manifest: &Manifest,
    resources: &super::resources::Chosen<'_>,
    host: &HostPaths<'_>,
    placement: Placement<'_>,
) -> Result<Option<GatePlan>, FieldError> {
    let Placement {
        container,
        image,
        networks,
        address,
        labels,
        egress_container,
        egress_address,
        egress_labels,
    } = placement;
    let git = &manifest.git;
    if git.upstreams.is_empty() {
        return Ok(None);
    }
    let url = format!("http://{container}:{PORT}");
    let mut files = vec![dir(ETC_DIR, 0o755)];
    let mut upstreams = Vec::new();
    let mut configs = Vec::new();
    let mut hosts = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut tokens = Vec::new();
    for (i, declared) in git.upstreams.iter().enumerate() {
        let name = declared.name.as_str();
        if !seen.insert(name) {
            return Err((
                format!("git.upstreams[{i}].name"),
                format!("{name:?} names two upstreams"),
            ));
        }
        let (config, shown, token) = upstream(i, declared, host, &url)?;
        if !hosts.contains(&shown.host) {
            hosts.push(shown.host.clone());
        }
        configs.push(config);
        upstreams.push(shown);
        tokens.extend(token);
    }
    if configs.iter().any(|u| u.transport == Transport::Ssh) {
        files.extend(ssh_files(manifest, host)?);
    }
    if !tokens.is_empty() {
        files.push(dir(TOKEN_DIR, 0o700));
        files.extend(tokens);
    }
    let largest_push = configs
        .iter()
        .map(|u| u.policy.max_push_bytes)
        .max()
        .unwrap_or(DEFAULT_MAX_PUSH_BYTES);
    let egress = egress_filter(
        &upstreams,
        resources,
        (egress_container, egress_address, egress_labels),
        &address,
        networks.clone(),
    );
    let config = GateConfig {
        listen: format!("{address}:{PORT}"),
        upstreams: configs,
        egress_proxy: Some(egress.listen.clone()),
    };
    files.push(AgentFile {
        path: CONFIG_PATH.to_owned(),
        mode: 0o644,
        owner: FileOwner::Root,
        content: FileContent::Text(render(&config)),
    });
    Ok(Some(GatePlan {
        container: container.to_owned(),
        image: image.unwrap_or(crate::defaults::GATE_IMAGE).to_owned(),
        networks: vec![networks[0].clone()],
        address,
        url,
        command: vec!["serve".to_owned()],
        privileges: super::Privileges::sidecar(),
        resources: resources.gate(largest_push),
        volumes: vec![ETC_DIR.to_owned(), REPO_ROOT.to_owned()],
        upstreams,
        upstream_hosts: hosts,
        egress,
        config,
        files,
        labels,
    }))
}

/// The gate's egress filter for `upstreams`: it listens on its internal `address` and opens
/// tunnels for the gate (at `gate_address`) to their `HOST:PORT`s alone.
fn egress_filter(
    upstreams: &[GateUpstream],
    resources: &super::resources::Chosen<'_>,
    (container, address, labels): (&str, String, BTreeMap<String, String>),
    gate_address: &str,
    networks: [String; 2],
) -> EgressFilterPlan {
    let listen = format!("{address}:{EGRESS_PORT}");
    let mut allow: Vec<String> = upstreams
        .iter()
        .map(|u| format!("{}:{}", u.host, u.port))
        .collect();
    allow.sort();
    allow.dedup();
    let mut command = vec![
        "egress".to_owned(),
        "--listen".to_owned(),
        listen.clone(),
        "--client".to_owned(),
        gate_address.to_owned(),
    ];
    for target in &allow {
        command.extend(["--allow".to_owned(), target.clone()]);
    }
    EgressFilterPlan {
        container: container.to_owned(),
        networks,
        address,
        listen,
        command,
        allow,
        privileges: super::Privileges::sidecar(),
        resources: resources.sidecar(&super::resources::GATE_EGRESS),
        labels,
    }
}

/// One upstream: its config for the gate, how the plan shows it, and its token file.
fn upstream(
    i: usize,
    declared: &GitUpstream,
    paths: &HostPaths<'_>,
    gate_url: &str,
) -> Result<(Upstream, GateUpstream, Option<AgentFile>), FieldError> {
    let field = |f: &str| format!("git.upstreams[{i}].{f}");
    let name = declared.name.as_str().to_owned();
    let (transport, host, port) =
        parse_url(declared.url.as_str()).map_err(|m| (field("url"), m))?;
    let token = match (&declared.token_file, transport) {
        (Some(_), Transport::Ssh) => {
            return Err((
                field("token_file"),
                "an SSH upstream authenticates with ssh.identity, not a token".to_owned(),
            ))
        }
        (Some(path), Transport::Https) => {
            let source = paths
                .file(
                    &field("token_file"),
                    path,
                    hostfile::TOKEN,
                    Destination::GitGate,
                )
                .map_err(|m| (field("token_file"), m))?;
            Some(host_file(&format!("{TOKEN_DIR}/{name}"), 0o600, source))
        }
        (None, _) => None,
    };
    let token_file = token.as_ref().map(|t| t.path.clone());
    let credential = match (transport, &token_file) {
        (Transport::Ssh, _) => "ssh.identity, checked against ssh.known_hosts".to_owned(),
        (Transport::Https, Some(path)) => format!("the token in {path}"),
        (Transport::Https, None) => "none".to_owned(),
    };
    let policy = policy(declared).map_err(|(f, m)| (field(f), m))?;
    let config = Upstream {
        name: name.clone(),
        url: declared.url.as_str().to_owned(),
        transport,
        token_file,
        policy,
    };
    let shown = GateUpstream {
        via: format!("{gate_url}/{name}"),
        name,
        url: declared.url.as_str().to_owned(),
        host,
        port,
        transport,
        credential,
    };
    Ok((config, shown, token))
}

/// The SSH identity and `known_hosts` for the gate; both are needed for an SSH upstream.
fn ssh_files(manifest: &Manifest, host: &HostPaths<'_>) -> Result<Vec<AgentFile>, FieldError> {
    let (Some(identity), Some(known_hosts)) = (&manifest.ssh.identity, &manifest.ssh.known_hosts)
    else {
        let missing = if manifest.ssh.identity.is_none() {
            "ssh.identity"
        } else {
            "ssh.known_hosts"
        };
        return Err((
            missing.to_owned(),
            "an SSH upstream in git.upstreams needs both ssh.identity and ssh.known_hosts (the gate checks the host key strictly)".to_owned(),
        ));
    };
    let identity = host
        .file(
            "ssh.identity",
            identity,
            hostfile::SSH_IDENTITY,
            Destination::GitGate,
        )
        .map_err(|m| ("ssh.identity".to_owned(), m))?;
    let known_hosts = host
        .file(
            "ssh.known_hosts",
            known_hosts,
            hostfile::KNOWN_HOSTS,
            Destination::GitGate,
        )
        .map_err(|m| ("ssh.known_hosts".to_owned(), m))?;
    Ok(vec![
        dir("/etc/bot-bottle-gate/ssh", 0o700),
        host_file(SSH_IDENTITY_PATH, 0o600, identity),
        host_file(SSH_KNOWN_HOSTS_PATH, 0o644, known_hosts),
    ])
}

/// The config as the gate reads it.
pub fn render(config: &GateConfig) -> String {
    let mut text = serde_json::to_string_pretty(config).expect("the gate config serializes");
    text.push('\n');
    text
}

fn dir(path: &str, mode: u32) -> AgentFile {
    AgentFile {
        path: path.to_owned(),
        mode,
        owner: FileOwner::Root,
        content: FileContent::Directory,
    }
}

fn host_file(path: &str, mode: u32, source: HostSource) -> AgentFile {
    AgentFile {
        path: path.to_owned(),
        mode,
        owner: FileOwner::Root,
        content: FileContent::HostFile(source),
    }
}

fn policy(upstream: &GitUpstream) -> Result<PushPolicy, (&'static str, String)> {
    let defaults = PushPolicy::default();
    let push_refs = match &upstream.push_refs {
        Some(refs) if refs.is_empty() => {
            return Err(("push_refs", "must name at least one ref pattern".to_owned()))
        }
        Some(refs) => {
            for r in refs {
                if !r.as_str().starts_with("refs/") || r.as_str().contains(char::is_whitespace) {
                    return Err((
                        "push_refs",
                        format!("{:?} is not a ref pattern: write a full ref such as \"refs/heads/bot/*\"", r.as_str()),
                    ));
                }
            }
            refs.iter().map(|r| r.as_str().to_owned()).collect()
        }
        None => defaults.push_refs,
    };
    let max_push_bytes = match upstream.max_push_bytes {
        Some(0) => return Err(("max_push_bytes", "must be more than 0".to_owned())),
        Some(n) => n,
        None => DEFAULT_MAX_PUSH_BYTES,
    };
    Ok(PushPolicy {
        push_refs,
        push_default_branch: upstream.push_default_branch,
        allow_force_push: upstream.allow_force_push,
        allow_delete: upstream.allow_delete,
        max_push_bytes,
    })
}

/// The transport and host of an upstream URL: `ssh://[user@]host[:port]/path`,
/// `user@host:path` (scp-like) or `https://[user@]host[:port]/path`.
pub fn parse_url(url: &str) -> Result<(Transport, String, u16), String> {
    let (transport, authority) = if let Some(rest) = url.strip_prefix("ssh://") {
        (Transport::Ssh, rest.split('/').next().unwrap_or(""))
    } else if let Some(rest) = url.strip_prefix("https://") {
        (Transport::Https, rest.split('/').next().unwrap_or(""))
    } else if url.contains("://") {
        return Err(format!(
            "{url:?}: the gate speaks to upstreams over ssh:// or https:// (or user@host:path) only"
        ));
    } else if let Some((authority, path)) = url.split_once(':') {
        if path.is_empty() || authority.contains('/') {
            return Err(format!(
                "{url:?} is not a git URL such as git@host:org/repo.git"
            ));
        }
        (Transport::Ssh, authority)
    } else {
        return Err(format!(
            "{url:?} is not a git URL: write ssh://host/path, git@host:path or https://host/path"
        ));
    };
    refuse_credentials(url, transport, authority)?;
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let mut parts = host_port.splitn(2, ':');
    let host = parts.next().unwrap_or("").to_ascii_lowercase();
    // `user@host:path` has no port: what follows its colon is the path.
    let port = match (parts.next(), url.contains("://")) {
        (Some(port), true) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{url:?}: {port:?} is not a port"))?,
        _ => match transport {
            Transport::Ssh => 22,
            Transport::Https => 443,
        },
    };
    let path_given = url.len() > url.find(authority).unwrap_or(0) + authority.len() + 1;
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        || !path_given
    {
        return Err(format!("{url:?} names no host and repository path"));
    }
    Ok((transport, host, port))
}

/// A credential in an upstream's URL would be written into the agent's `~/.gitconfig` (its
/// `insteadOf`) and onto git's command lines in the gate, so none is taken: an HTTPS URL may
/// carry no user information, query or fragment (the token goes in `token_file`), an SSH URL
/// a user name (`git@`, no secret) but no password.
fn refuse_credentials(url: &str, transport: Transport, authority: &str) -> Result<(), String> {
    let userinfo = authority.rsplit_once('@').map(|(info, _)| info);
    match transport {
        Transport::Https if userinfo.is_some() => Err(format!(
            "{url:?} carries a user name or password, which would be written into the agent's git config: \
             write the URL without it and put the token in a file named by token_file"
        )),
        Transport::Https if url.contains(['?', '#']) => Err(format!(
            "{url:?} has a query or fragment, which could carry a credential into the agent's git config: \
             write the URL without it (a token goes in a file named by token_file)"
        )),
        Transport::Ssh if userinfo.is_some_and(|info| info.contains(':')) => Err(format!(
            "{url:?} carries a password, which would be written into the agent's git config: \
             the gate authenticates SSH upstreams with ssh.identity (and HTTPS ones with token_file)"
        )),
        _ => Ok(()),
    }
}

/// The URL prefix the agent's git rewrites to the gate: the upstream's URL without a trailing
/// `.git`, so that the URL with and without it both reach the gate.
pub fn rewrite_prefix(url: &str) -> &str {
    url.strip_suffix(".git").unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("git@git.example.com:org/repo.git").unwrap(),
            (Transport::Ssh, "git.example.com".to_owned(), 22)
        );
        assert_eq!(
            parse_url("ssh://git@Git.Example.com:2222/org/repo.git").unwrap(),
            (Transport::Ssh, "git.example.com".to_owned(), 2222)
        );
        assert_eq!(
            parse_url("https://git.example.com/org/repo.git").unwrap(),
            (Transport::Https, "git.example.com".to_owned(), 443)
        );
        assert_eq!(
            parse_url("https://git.example.com:8443/org/repo.git").unwrap(),
            (Transport::Https, "git.example.com".to_owned(), 8443)
        );
        for bad in [
            "http://git.example.com/repo.git",
            "file:///srv/repo.git",
            "/srv/repo.git",
            "git@host:",
            "https://",
            "https://host",
            "ssh://ho st/x",
            "https://u:p@host/r.git",
            "https://u@host/r.git",
            "https://host/r.git?t=1",
            "ssh://git:pw@host/r.git",
            "https://host:0/r.git",
            "https://host:https/r.git",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(rewrite_prefix("git@h:o/r.git"), "git@h:o/r");
        assert_eq!(rewrite_prefix("https://h/o/r"), "https://h/o/r");
    }
}
