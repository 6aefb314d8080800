//! Where a bottle's containers sit on its internal network, chosen with its names, before
//! anything is created.
//!
//! Pipelock and the git gate must listen only on the internal network, where the agent is:
//! listening on every interface would also serve the egress network, which the host routes to
//! on rootful engines and which another container can join, so another local user could use
//! the bottle's proxy (open to every host in a learn run) or clone the private upstreams with
//! the owner's key through its gate. A listener bound to one address needs that address before
//! its process starts, and docker gives a container a chosen address (`--ip`) only on a network
//! created with a chosen subnet, so the plan picks the subnet and every address on it.

use std::net::Ipv4Addr;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// The block internal networks are taken from: 10.192.0.0/11. Private (pipelock's SSRF guard
/// refuses to proxy to it, so an allowed name that resolves into a bottle gets nowhere), above
/// the blocks podman hands out first (10.88.0.0/16 onwards, one /24 at a time) and apart from
/// docker's (172.17.0.0/16 onwards, 192.168.0.0/16) and the tests' internet (203.0.113.0/24).
const BLOCK: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 192, 0, 0), 11);
/// Each bottle takes a /28: the network's own address, the gateway the engine keeps (`.1`),
/// the five containers, room to spare, and the broadcast address.
const PREFIX: u8 = 28;

/// Offsets in the subnet; `.1` is the engine's gateway (docker and podman keep the first host).
const PROXY_HOST: u32 = 2;
const GATE_HOST: u32 = 3;
const AGENT_HOST: u32 = 4;
const GATE_EGRESS_HOST: u32 = 5;
const KEY_HOLDER_HOST: u32 = 6;

/// The internal network's subnet and each container's address on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternalAddresses {
    /// `a.b.c.d/28`, given to `network create --subnet`.
    pub subnet: String,
    pub proxy: Ipv4Addr,
    pub gate: Ipv4Addr,
    pub agent: Ipv4Addr,
    /// The git gate's egress filter: the gate reaches its upstreams through it.
    pub gate_egress: Ipv4Addr,
    /// The key holder: the agent reaches the Anthropic hosts through it.
    pub key_holder: Ipv4Addr,
}

impl InternalAddresses {
    /// The subnet of launch `launch_id`: one of the block's /28s, picked by the launch id's
    /// SHA-256 (launch ids are random, so two launches rarely pick the same one; when they do,
    /// or another network holds it, the engine refuses the network and the launch stops,
    /// having created nothing else: a new `start` picks anew).
    pub fn for_launch(launch_id: &str) -> Self {
        let digest = Sha256::digest(launch_id.as_bytes());
        let pick = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let (base, block_prefix) = BLOCK;
        let subnets = 1u32 << (PREFIX - block_prefix);
        let size = 1u32 << (32 - PREFIX);
        let network = u32::from(base) + (pick % subnets) * size;
        InternalAddresses {
            subnet: format!("{}/{PREFIX}", Ipv4Addr::from(network)),
            proxy: Ipv4Addr::from(network + PROXY_HOST),
            gate: Ipv4Addr::from(network + GATE_HOST),
            agent: Ipv4Addr::from(network + AGENT_HOST),
            gate_egress: Ipv4Addr::from(network + GATE_EGRESS_HOST),
            key_holder: Ipv4Addr::from(network + KEY_HOLDER_HOST),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_launch_gets_a_28_of_the_block_with_fixed_hosts() {
        let a = InternalAddresses::for_launch("0123456789abcdef");
        let (net, prefix) = a.subnet.split_once('/').unwrap();
        assert_eq!(prefix, "28");
        let net: Ipv4Addr = net.parse().unwrap();
        let n = u32::from(net);
        assert_eq!(n % 16, 0, "{net} is not a /28's first address");
        assert_eq!(net.octets()[0], 10);
        assert!(
            (192..224).contains(&net.octets()[1]),
            "{net} is outside 10.192.0.0/11"
        );
        assert_eq!(u32::from(a.proxy), n + 2);
        assert_eq!(u32::from(a.gate), n + 3);
        assert_eq!(u32::from(a.key_holder), n + 6);
        assert_eq!(u32::from(a.agent), n + 4);
        // The same launch id, the same addresses; another, (almost always) others.
        assert_eq!(a, InternalAddresses::for_launch("0123456789abcdef"));
        assert_ne!(
            a.subnet,
            InternalAddresses::for_launch("fedcba9876543210").subnet
        );
    }

    #[test]
    fn the_block_spans_all_of_10_192_to_10_223() {
        let subnets: std::collections::BTreeSet<String> = (0..2000)
            .map(|i| InternalAddresses::for_launch(&format!("{i:016x}")).subnet)
            .collect();
        assert!(subnets.len() > 1900, "{} distinct of 2000", subnets.len());
        assert!(subnets.iter().all(|s| {
            let second: u8 = s.split('.').nth(1).unwrap().parse().unwrap();
            (192..224).contains(&second)
        }));
    }
}
