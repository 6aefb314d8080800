//! The SSRF guard: after the allowlist, a destination is resolved and refused when any of its
//! addresses falls in `internal` (pipelock's default list), unless the name is in
//! `trusted_domains` or the address in `ssrf.ip_allowlist`. Pipelock adds its core ranges to
//! whatever `internal` says, so the private ranges cannot be configured away; an empty
//! `internal` turns the resolving check off and leaves only the check of IP literals against
//! the core ranges. The checked addresses are the ones dialled, so a second lookup cannot
//! answer differently.

use std::net::IpAddr;

use ipnet::IpNet;

use super::policy::{self, Dialer};

/// The ranges pipelock always refuses (`coreInternalCIDRDefs`).
pub const CORE: &[&str] = &[
    "0.0.0.0/8",
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

/// What `internal` adds to the core ranges when the config does not set it: multicast.
const DEFAULT_EXTRA: &[&str] = &["224.0.0.0/4", "ff00::/8"];

/// The guard's settings, from the config.
#[derive(Clone, Debug)]
pub struct Guard {
    /// `internal`; empty turns the resolving check off.
    pub internal: Vec<IpNet>,
    pub core: Vec<IpNet>,
    /// `trusted_domains`: names (never IP literals) that may resolve to internal addresses.
    pub trusted_domains: Vec<String>,
    /// `ssrf.ip_allowlist`: addresses that are never refused.
    pub ip_allowlist: Vec<IpNet>,
}

/// Why a destination was refused: the scanner name pipelock logs, and its reason.
pub struct Refusal {
    pub scanner: &'static str,
    pub reason: String,
}

impl Guard {
    pub fn parse_all(cidrs: &[&str]) -> Vec<IpNet> {
        cidrs
            .iter()
            .map(|c| c.parse().expect("a valid CIDR"))
            .collect()
    }

    /// `internal` when the config does not set it: the core ranges plus multicast.
    pub fn default_internal() -> Vec<IpNet> {
        Self::parse_all(CORE)
            .into_iter()
            .chain(Self::parse_all(DEFAULT_EXTRA))
            .collect()
    }

    fn allowlisted(&self, ip: IpAddr) -> bool {
        self.ip_allowlist.iter().any(|net| net.contains(&ip))
    }

    fn trusted(&self, host: &str) -> bool {
        host.parse::<IpAddr>().is_err()
            && self.trusted_domains.iter().any(|pattern| {
                let pattern = policy::normalize(pattern);
                match pattern.strip_prefix("*.") {
                    Some(base) => host == base || host.ends_with(&format!(".{base}")),
                    None => host == pattern,
                }
            })
    }

    /// Resolves `host` and decides: the addresses to dial, or the refusal.
    pub fn check(&self, dialer: &Dialer, host: &str) -> Result<Vec<IpAddr>, Refusal> {
        let literal = host.parse::<IpAddr>().ok().map(canonical);
        if self.internal.is_empty() {
            // Only the safety net for IP literals remains.
            if let Some(ip) = literal {
                if !self.allowlisted(ip) && self.core.iter().any(|net| net.contains(&ip)) {
                    return Err(Refusal {
                        scanner: "core_ssrf",
                        reason: format!("core SSRF: {host} is a private/internal IP address"),
                    });
                }
            }
            return dialer.resolve(host).map_err(|err| Refusal {
                scanner: "ssrf",
                reason: format!("SSRF check failed: DNS resolution error for {host}: {err:#}"),
            });
        }
        let ips = dialer.resolve(host).map_err(|err| Refusal {
            scanner: "ssrf",
            reason: format!("SSRF check failed: DNS resolution error for {host}: {err:#}"),
        })?;
        if self.trusted(host) {
            return Ok(ips);
        }
        let merged = self.internal.iter().chain(&self.core);
        for ip in &ips {
            let ip = canonical(*ip);
            if merged.clone().any(|net| net.contains(&ip)) && !self.allowlisted(ip) {
                return Err(Refusal {
                    scanner: "ssrf",
                    reason: format!("SSRF blocked: {host} resolves to internal IP {ip}"),
                });
            }
        }
        Ok(ips)
    }
}

/// IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry, as Go's `To4` does.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(internal: &[&str], trusted: &[&str], allow: &[&str]) -> Guard {
        Guard {
            internal: Guard::parse_all(internal),
            core: Guard::parse_all(CORE),
            trusted_domains: trusted.iter().map(ToString::to_string).collect(),
            ip_allowlist: Guard::parse_all(allow),
        }
    }

    fn guard_default(trusted: &[&str], allow: &[&str]) -> Guard {
        Guard {
            internal: Guard::default_internal(),
            ..guard(&[], trusted, allow)
        }
    }

    fn dialer() -> Dialer {
        Dialer::with_hosts(&[
            ("private.test", "10.1.2.3"),
            ("public.test", "203.0.113.9"),
            ("mapped.test", "::ffff:127.0.0.1"),
        ])
    }

    fn refused(g: &Guard, host: &str) -> Option<String> {
        g.check(&dialer(), host)
            .err()
            .map(|r| format!("{}: {}", r.scanner, r.reason))
    }

    #[test]
    fn private_destinations_are_refused_after_resolution() {
        let g = guard_default(&[], &[]);
        assert_eq!(
            refused(&g, "private.test").as_deref(),
            Some("ssrf: SSRF blocked: private.test resolves to internal IP 10.1.2.3")
        );
        assert_eq!(
            refused(&g, "mapped.test").as_deref(),
            Some("ssrf: SSRF blocked: mapped.test resolves to internal IP 127.0.0.1")
        );
        assert_eq!(
            refused(&g, "10.9.9.9").as_deref(),
            Some("ssrf: SSRF blocked: 10.9.9.9 resolves to internal IP 10.9.9.9")
        );
        assert_eq!(refused(&g, "public.test"), None);
    }

    #[test]
    fn core_ranges_stay_whatever_internal_says() {
        let g = guard(&["198.18.0.0/15"], &[], &[]);
        assert!(refused(&g, "private.test").is_some());
        let g = guard(&[], &[], &[]);
        assert_eq!(refused(&g, "private.test"), None, "no resolving check");
        assert_eq!(
            refused(&g, "127.0.0.1").as_deref(),
            Some("core_ssrf: core SSRF: 127.0.0.1 is a private/internal IP address")
        );
    }

    #[test]
    fn trusted_names_and_allowlisted_addresses_pass() {
        let g = guard_default(&["*.test"], &[]);
        assert_eq!(refused(&g, "private.test"), None);
        assert!(
            refused(&g, "10.9.9.9").is_some(),
            "an IP literal is never trusted"
        );
        let g = guard_default(&[], &["10.1.2.0/24"]);
        assert_eq!(refused(&g, "private.test"), None);
        assert!(refused(&g, "10.9.9.9").is_some());
    }
}
