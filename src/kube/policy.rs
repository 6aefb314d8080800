//! The bottle's `NetworkPolicy`: the second layer around the pod as a whole. Nothing may connect
//! into it; it may send DNS to the cluster's resolver and anything to public addresses, never
//! to cluster-internal, private or link-local ones (the cloud metadata address among them).
//!
//! A `NetworkPolicy` selects pods, not containers, and loopback inside a pod is outside its
//! reach: it cannot tell the agent from its sidecar. What keeps the agent in is the pod's own
//! packet filter ([`super::netfilter`]); this policy bounds what the sidecars may reach, on a
//! CNI that enforces policies (egress rules included).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Destinations the sidecars never need: what pipelock's own SSRF guard refuses (v2.3.0's
/// default `internal` list), and multicast.
pub const PRIVATE_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
];
pub const PRIVATE_V6: &[&str] = &["::1/128", "fc00::/7", "fe80::/10", "ff00::/8"];

/// The policy named `name` for the pods matching `labels`.
pub fn network_policy(name: &str, labels: &BTreeMap<String, String>) -> NetworkPolicy {
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    let public = |cidr: &str, except: &[&str]| NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_owned(),
            except: Some(strings(except)),
        }),
        ..NetworkPolicyPeer::default()
    };
    let dns_port = |protocol: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(53)),
        protocol: Some(protocol.to_owned()),
        ..NetworkPolicyPort::default()
    };
    // The cluster resolver as kubeadm, kind and most distributions label it.
    let cluster_dns = NetworkPolicyPeer {
        namespace_selector: Some(selector([("kubernetes.io/metadata.name", "kube-system")])),
        pod_selector: Some(selector([("k8s-app", "kube-dns")])),
        ..NetworkPolicyPeer::default()
    };
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(labels.clone()),
                ..LabelSelector::default()
            }),
            policy_types: Some(strings(&["Ingress", "Egress"])),
            ingress: Some(Vec::new()),
            egress: Some(vec![
                NetworkPolicyEgressRule {
                    to: Some(vec![cluster_dns]),
                    ports: Some(vec![dns_port("UDP"), dns_port("TCP")]),
                },
                NetworkPolicyEgressRule {
                    to: Some(vec![
                        public("0.0.0.0/0", PRIVATE_V4),
                        public("::/0", PRIVATE_V6),
                    ]),
                    ports: None,
                },
            ]),
        }),
    }
}

fn selector<const N: usize>(labels: [(&str, &str); N]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        ..LabelSelector::default()
    }
}
