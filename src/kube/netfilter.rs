//! The pod's own packet filter: which processes of the pod may send packets out of it, as the
//! `iptables-restore` / `ip6tables-restore` files the pod's first init container loads.
//!
//! Containers of one pod share a network namespace, and a `NetworkPolicy` selects pods, never
//! containers: it cannot let the sidecar out while keeping the agent in. These rules can,
//! because they live in that shared namespace and match the socket's owner: only the proxy's
//! uid (and the git gate's uid and gid) may send anything past loopback, and the key holder's
//! uid HTTPS and DNS. The agent's uid reaches its sidecars on loopback and nothing else: no
//! direct connection, no DNS query, no ICMP. Nothing may connect into the pod either, but
//! replies to what the sidecars opened. With a key holder, the IPv4 file also has a `nat`
//! table that sends loopback's port 443 to the holder's port, so the holder listens without
//! any privilege. The rules need the node kernel's netfilter (the `owner`, `conntrack`,
//! `REJECT` and `REDIRECT` matches), nothing from the CNI.

use std::fmt::Write as _;

/// Who may send packets out of the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// The uid pipelock runs as.
    pub proxy_uid: u32,
    /// The uid and gid the git gate runs as, when the bottle has one. The gate runs as root
    /// (its OpenSSH client needs a passwd entry, and the gate image has only root's), so it
    /// is told apart by its group.
    pub gate: Option<(u32, u32)>,
    /// The port pipelock serves `/metrics` and `/stats` on, on the pod's loopback: only the
    /// proxy's uid may connect to it (the agent shares that loopback).
    pub metrics_port: u16,
    /// The key holder, when the bottle has one.
    pub key_holder: Option<KeyHolder>,
}

/// The key holder in the pod's filter: its uid may reach HTTPS (the real Anthropic hosts) and
/// DNS (to find them), nothing else; and the agent's connections to loopback's `port` reach it
/// at `listen_port`, a port it may bind without `CAP_NET_BIND_SERVICE` or a sysctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHolder {
    pub uid: u32,
    /// Where the agent connects: 443, on `127.0.0.1` (the pod's host aliases map the hosts
    /// there).
    pub port: u16,
    /// Where the holder listens on `127.0.0.1`.
    pub listen_port: u16,
}

/// An address family's rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Filter {
    /// The rules for `family`, in `iptables-restore` syntax: every chain of the filter table
    /// drops by default; loopback is free; only the sidecars' sockets go out.
    pub fn rules(&self, family: Family) -> String {
        let mut out =
            String::from("# Written by bot-bottle: see `bot-bottle export kube`.\n*filter\n");
        out.push_str(":INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n");
        // Loopback is the pod's inside: the agent reaches its sidecars there.
        out.push_str("-A INPUT -i lo -j ACCEPT\n");
        // Replies to what the sidecars opened; nothing else may connect into the pod.
        out.push_str("-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
        // IPv6 needs neighbour discovery, which the kernel sends with no socket, so no owner;
        // raw ICMPv6 needs CAP_NET_RAW, which no container of the pod has.
        if family == Family::V6 {
            for kind in [
                "neighbour-solicitation",
                "neighbour-advertisement",
                "router-advertisement",
            ] {
                let _ = writeln!(out, "-A INPUT -p ipv6-icmp --icmpv6-type {kind} -j ACCEPT");
            }
        }
        if family == Family::V4 {
            let _ = writeln!(
                out,
                "-A OUTPUT -o lo -p tcp --dport {} -m owner ! --uid-owner {} -j REJECT --reject-with tcp-reset",
                self.metrics_port, self.proxy_uid
            );
        }
        out.push_str("-A OUTPUT -o lo -j ACCEPT\n");
        if family == Family::V6 {
            for kind in [
                "neighbour-solicitation",
                "neighbour-advertisement",
                "router-solicitation",
            ] {
                let _ = writeln!(out, "-A OUTPUT -p ipv6-icmp --icmpv6-type {kind} -j ACCEPT");
            }
        }
        let _ = writeln!(
            out,
            "-A OUTPUT -m owner --uid-owner {} -j ACCEPT",
            self.proxy_uid
        );
        if let Some((uid, gid)) = self.gate {
            let _ = writeln!(
                out,
                "-A OUTPUT -m owner --uid-owner {uid} --gid-owner {gid} -j ACCEPT"
            );
        }
        if let Some(holder) = self.key_holder {
            // The real hosts, on their one port, and the resolver that finds them.
            for (proto, port) in [("tcp", 443), ("udp", 53), ("tcp", 53)] {
                let _ = writeln!(
                    out,
                    "-A OUTPUT -p {proto} --dport {port} -m owner --uid-owner {} -j ACCEPT",
                    holder.uid
                );
            }
        }
        // Refused at once rather than dropped: a blocked agent fails fast instead of hanging.
        let unreachable = match family {
            Family::V4 => "icmp-port-unreachable",
            Family::V6 => "icmp6-port-unreachable",
        };
        out.push_str("-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\n");
        let _ = writeln!(out, "-A OUTPUT -j REJECT --reject-with {unreachable}");
        out.push_str("COMMIT\n");
        if let (Family::V4, Some(holder)) = (family, self.key_holder) {
            // The agent reaches the holder's hosts at 127.0.0.1:443 (the host aliases), where
            // an unprivileged process cannot listen: loopback's 443 goes to the holder's port.
            // A rewrite of a local connection only, before the filter above sees it (as one to
            // the holder's port on loopback); the hosts have no IPv6 alias.
            out.push_str(
                "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n",
            );
            let _ = writeln!(
                out,
                "-A OUTPUT -o lo -d 127.0.0.1/32 -p tcp --dport {} -j REDIRECT --to-ports {}",
                holder.port, holder.listen_port
            );
            out.push_str("COMMIT\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_proxy_and_the_gate_go_out() {
        let filter = Filter {
            proxy_uid: 65532,
            gate: Some((0, 65533)),
            metrics_port: 8889,
            key_holder: None,
        };
        let v4 = filter.rules(Family::V4);
        let accepts: Vec<&str> = v4
            .lines()
            .filter(|l| l.starts_with("-A OUTPUT") && l.ends_with("-j ACCEPT"))
            .collect();
        assert_eq!(
            accepts,
            [
                "-A OUTPUT -o lo -j ACCEPT",
                "-A OUTPUT -m owner --uid-owner 65532 -j ACCEPT",
                "-A OUTPUT -m owner --uid-owner 0 --gid-owner 65533 -j ACCEPT",
            ]
        );
        // Pipelock's metrics on loopback are the proxy's alone, and refused before loopback is
        // let through.
        let metrics = "-A OUTPUT -o lo -p tcp --dport 8889 -m owner ! --uid-owner 65532 -j REJECT --reject-with tcp-reset\n-A OUTPUT -o lo -j ACCEPT\n";
        assert!(v4.contains(metrics), "{v4}");
        assert!(v4.contains(":OUTPUT DROP [0:0]\n"));
        assert!(v4.contains(":INPUT DROP [0:0]\n"));
        assert!(v4.ends_with("-A OUTPUT -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n"));
        assert!(!v4.contains("icmpv6"));
    }

    #[test]
    fn without_a_gate_only_the_proxy_goes_out() {
        let v6 = Filter {
            proxy_uid: 65532,
            gate: None,
            metrics_port: 8889,
            key_holder: None,
        }
        .rules(Family::V6);
        assert!(!v6.contains("--gid-owner"));
        assert!(v6.contains("--icmpv6-type neighbour-solicitation"));
        assert!(!v6.contains("echo-request"));
        assert!(v6.ends_with("-A OUTPUT -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n"));
    }

    #[test]
    fn the_key_holder_reaches_https_and_dns_only_and_loopback_443_leads_to_it() {
        let filter = Filter {
            proxy_uid: 65532,
            gate: None,
            metrics_port: 8889,
            key_holder: Some(KeyHolder {
                uid: 65531,
                port: 443,
                listen_port: 8443,
            }),
        };
        for family in [Family::V4, Family::V6] {
            let rules = filter.rules(family);
            let holder: Vec<&str> = rules
                .lines()
                .filter(|l| l.contains("--uid-owner 65531"))
                .collect();
            assert_eq!(
                holder,
                [
                    "-A OUTPUT -p tcp --dport 443 -m owner --uid-owner 65531 -j ACCEPT",
                    "-A OUTPUT -p udp --dport 53 -m owner --uid-owner 65531 -j ACCEPT",
                    "-A OUTPUT -p tcp --dport 53 -m owner --uid-owner 65531 -j ACCEPT",
                ],
                "{rules}"
            );
            // Before the final refusals, which catch the rest of what it (or the agent) sends.
            let accepted = rules.find("--uid-owner 65531").unwrap();
            let refused = rules.find("-A OUTPUT -p tcp -j REJECT").unwrap();
            assert!(accepted < refused, "{rules}");
        }
        let v4 = filter.rules(Family::V4);
        assert!(
            v4.ends_with(
                "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
                 :POSTROUTING ACCEPT [0:0]\n\
                 -A OUTPUT -o lo -d 127.0.0.1/32 -p tcp --dport 443 -j REDIRECT --to-ports 8443\n\
                 COMMIT\n"
            ),
            "{v4}"
        );
        assert!(!filter.rules(Family::V6).contains("*nat"));
        // Without a holder, no rule for it and no nat table.
        let without = Filter {
            key_holder: None,
            ..filter
        };
        assert!(!without.rules(Family::V4).contains("*nat"));
        assert!(!without.rules(Family::V4).contains("65531"));
    }
}
