//! Host decisions: the strict-mode allowlist, passthrough domains, and how the double
//! resolves upstream names (including the test-only host map).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::config::{Config, Mode};

/// Hidden, test-only: `name=ip[,name=ip…]` maps upstream host names to addresses, so tests
/// can use real-looking names that all lead to loopback.
pub const HOSTS_ENV: &str = "PIPELOCK_DOUBLE_HOSTS";

/// Lower-case, without a trailing dot or IPv6 brackets.
pub fn normalize(host: &str) -> String {
    host.trim_end_matches('.')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// Whether the allowlist lets `host` through; it only applies in strict mode.
/// `*.x.com` matches `x.com` and its subdomains.
pub fn allowlisted(cfg: &Config, host: &str) -> bool {
    if cfg.mode != Mode::Strict {
        return true;
    }
    cfg.api_allowlist
        .iter()
        .any(|entry| matches_domain(host, entry))
}

/// Pipelock's `MatchDomain`, shared by the allowlist and the blocklist: `*.x.com` matches
/// `x.com` and its subdomains, any other entry only itself (case and a trailing dot aside).
fn matches_domain(host: &str, entry: &str) -> bool {
    let (host, entry) = (normalize(host), normalize(entry));
    match entry.strip_prefix("*.") {
        Some(base) => host == base || host.ends_with(&format!(".{base}")),
        None => host == entry,
    }
}

/// The blocklist entry that refuses `host`, in any mode (pipelock checks it after the
/// allowlist, with the allowlist's matching: `*.x.com` matches `x.com` and its subdomains).
pub fn blocklisted<'c>(cfg: &'c Config, host: &str) -> Option<&'c str> {
    cfg.blocklist
        .iter()
        .find(|entry| matches_domain(host, entry))
        .map(String::as_str)
}

/// Whether `host` is spliced instead of intercepted. `*.x.com` matches subdomains only.
pub fn passthrough(cfg: &Config, host: &str) -> bool {
    let host = normalize(host);
    cfg.tls.passthrough_domains.iter().any(|entry| {
        let entry = normalize(entry);
        match entry.strip_prefix("*.") {
            Some(base) => host.ends_with(&format!(".{base}")),
            None => host == entry,
        }
    })
}

/// Splits `host:port` (IPv6 in brackets), with a default port.
pub fn split_host_port(authority: &str, default_port: u16) -> Result<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').context("unterminated IPv6 address")?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().context("bad port")?,
            None => default_port,
        };
        return Ok((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Ok((host.to_string(), port.parse().context("bad port")?))
        }
        _ => Ok((authority.to_string(), default_port)),
    }
}

/// Upstream dialing, honouring the test-only host map.
#[derive(Default)]
pub struct Dialer {
    hosts: HashMap<String, IpAddr>,
}

impl Dialer {
    /// Reads the host map from the environment.
    pub fn from_env() -> Result<Self> {
        let mut hosts = HashMap::new();
        if let Ok(spec) = std::env::var(HOSTS_ENV) {
            for pair in spec.split(',').filter(|p| !p.trim().is_empty()) {
                let (name, ip) = pair
                    .split_once('=')
                    .with_context(|| format!("{HOSTS_ENV}: expected name=ip, got {pair:?}"))?;
                let ip: IpAddr = ip
                    .trim()
                    .parse()
                    .with_context(|| format!("{HOSTS_ENV}: bad address in {pair:?}"))?;
                hosts.insert(normalize(name.trim()), ip);
            }
        }
        Ok(Self { hosts })
    }

    /// A dialer with a fixed host map, for unit tests.
    #[cfg(test)]
    pub fn with_hosts(pairs: &[(&str, &str)]) -> Self {
        let hosts = pairs
            .iter()
            .map(|(name, ip)| (normalize(name), ip.parse().expect("an address")))
            .collect();
        Self { hosts }
    }

    /// The addresses `host` stands for: itself when it is an IP literal, else the host map's
    /// entry, else the system resolver's answer.
    pub fn resolve(&self, host: &str) -> Result<Vec<IpAddr>> {
        let host = normalize(host);
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        if let Some(ip) = self.hosts.get(&host) {
            return Ok(vec![*ip]);
        }
        let ips: Vec<IpAddr> = (host.as_str(), 0)
            .to_socket_addrs()
            .with_context(|| format!("lookup {host}"))?
            .map(|a| a.ip())
            .collect();
        if ips.is_empty() {
            bail!("lookup {host}: no such host");
        }
        Ok(ips)
    }
}

/// Connects to `port` on the first of `ips` that answers (the addresses the SSRF guard checked,
/// so nothing is resolved a second time).
pub fn dial(host: &str, ips: &[IpAddr], port: u16) -> Result<TcpStream> {
    let mut last = None;
    for ip in ips {
        match TcpStream::connect_timeout(&SocketAddr::new(*ip, port), Duration::from_secs(10)) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = Some(err),
        }
    }
    match last {
        Some(err) => Err(err).with_context(|| format!("connecting to {host}:{port}")),
        None => bail!("{host} resolved to no address"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(list: &[&str], passthrough: &[&str]) -> Config {
        let mut cfg = Config::defaults();
        cfg.mode = Mode::Strict;
        cfg.api_allowlist = list.iter().map(ToString::to_string).collect();
        cfg.tls.passthrough_domains = passthrough.iter().map(ToString::to_string).collect();
        cfg
    }

    #[test]
    fn the_blocklist_refuses_in_every_mode_with_the_allowlist_s_matching() {
        let mut cfg = strict(&["*.x.com"], &[]);
        cfg.blocklist = vec!["api.x.com".to_owned(), "*.y.org".to_owned()];
        assert_eq!(blocklisted(&cfg, "API.x.com."), Some("api.x.com"));
        assert_eq!(blocklisted(&cfg, "b.x.com"), None);
        assert_eq!(blocklisted(&cfg, "y.org"), Some("*.y.org"));
        cfg.mode = Mode::Audit;
        assert_eq!(blocklisted(&cfg, "a.y.org"), Some("*.y.org"));
    }

    #[test]
    fn wildcard_allowlist_includes_the_apex() {
        let cfg = strict(&["*.x.com", "api.y.com"], &[]);
        assert!(allowlisted(&cfg, "x.com"));
        assert!(allowlisted(&cfg, "a.b.x.com"));
        assert!(allowlisted(&cfg, "API.Y.COM."));
        assert!(!allowlisted(&cfg, "y.com"));
        assert!(!allowlisted(&cfg, "evilx.com"));
    }

    #[test]
    fn balanced_mode_ignores_the_allowlist() {
        let mut cfg = strict(&["x.com"], &[]);
        cfg.mode = Mode::Balanced;
        assert!(allowlisted(&cfg, "anything.test"));
    }

    #[test]
    fn wildcard_passthrough_is_subdomains_only() {
        let cfg = strict(&["x"], &["*.anthropic.com", "exact.test"]);
        assert!(passthrough(&cfg, "api.anthropic.com"));
        assert!(!passthrough(&cfg, "anthropic.com"));
        assert!(passthrough(&cfg, "exact.test"));
        assert!(!passthrough(&cfg, "sub.exact.test"));
    }

    #[test]
    fn host_port_split() {
        assert_eq!(
            split_host_port("a.test:8443", 443).unwrap(),
            ("a.test".into(), 8443)
        );
        assert_eq!(
            split_host_port("a.test", 443).unwrap(),
            ("a.test".into(), 443)
        );
        assert_eq!(split_host_port("[::1]:9", 443).unwrap(), ("::1".into(), 9));
    }
}
