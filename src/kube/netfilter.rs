//! The pod's own packet filter: which processes of the pod may send packets out of it, as the
//! `iptables-restore` / `ip6tables-restore` files the pod's first init container loads.
//!
//! Containers of one pod share a network namespace, and a `NetworkPolicy` selects pods, never
//! containers: it cannot let the sidecar out while keeping the agent in. These rules can,
//! because they live in that shared namespace and match the socket's owner: only the proxy's
//! uid (and the git gate's uid and gid) may send anything past loopback. The agent's uid
//! reaches its sidecars on loopback and nothing else: no direct connection, no DNS query, no
//! ICMP. Nothing may connect into the pod either, but replies to what the sidecars opened.
//! The rules need the node kernel's netfilter (the `owner`, `conntrack` and `REJECT` matches),
//! nothing from the CNI.

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
        // Refused at once rather than dropped: a blocked agent fails fast instead of hanging.
        let unreachable = match family {
            Family::V4 => "icmp-port-unreachable",
            Family::V6 => "icmp6-port-unreachable",
        };
        out.push_str("-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\n");
        let _ = writeln!(out, "-A OUTPUT -j REJECT --reject-with {unreachable}");
        out.push_str("COMMIT\n");
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
        }
        .rules(Family::V6);
        assert!(!v6.contains("--gid-owner"));
        assert!(v6.contains("--icmpv6-type neighbour-solicitation"));
        assert!(!v6.contains("echo-request"));
        assert!(v6.ends_with("-A OUTPUT -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n"));
    }
}
