//! A bottle as Kubernetes objects (`bot-bottle export kube`): the Pod, its NetworkPolicy, the
//! ConfigMaps and the Secrets, built from the same [`Plan`] `start` launches, as typed
//! `k8s-openapi` objects (API v1.33) written as one multi-document YAML file.
//!
//! What holds the agent in is the pod's own packet filter ([`netfilter`]); the NetworkPolicy
//! ([`policy`]) bounds the pod as a whole. See the README's "Kubernetes" section.

mod files;
pub mod netfilter;
mod pod;
mod policy;

use std::collections::BTreeMap;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use serde::Serialize;

use crate::ca::BottleCa;
use crate::defaults;
use crate::exit::UsageError;
use crate::plan::Plan;

/// The uid and gid pipelock runs as: fixed, not root, and not the agent's, so that the pod's
/// packet filter can tell them apart.
pub const PROXY_UID: u32 = 65532;
pub const PROXY_GID: u32 = 65532;
/// The git gate runs as root (its OpenSSH client needs a passwd entry) in a group of its own.
pub const GATE_UID: u32 = 0;
pub const GATE_GID: u32 = 65533;
const _: () =
    assert!(PROXY_UID != defaults::AGENT_UID && PROXY_UID != 0 && GATE_GID != defaults::AGENT_GID);

/// The image the init containers run by default (`contrib/kube-init/Containerfile`: a Debian
/// base with iptables).
pub const DEFAULT_INIT_IMAGE: &str = "localhost/bot-bottle/kube-init:latest";
/// Overrides [`DEFAULT_INIT_IMAGE`].
pub const INIT_IMAGE_ENV: &str = "BOT_BOTTLE_KUBE_INIT_IMAGE";

/// The most a ConfigMap or Secret may hold (Kubernetes refuses more).
pub const OBJECT_MAX_BYTES: usize = 1 << 20;

/// Choices the plan does not make.
#[derive(Debug, Clone)]
pub struct Options {
    /// The image of the `netfilter` and `unpack` init containers.
    pub init_image: String,
}

/// The names of every object and volume of a bottle. podman turns each ConfigMap, Secret and
/// emptyDir into a volume of the same name on the host, shared by every pod that names it, so
/// every name carries the bottle's; each stays within a DNS label's 63 characters.
#[derive(Debug, Clone)]
pub struct Names {
    pub pod: String,
    pub config_netfilter: String,
    pub config_proxy: String,
    pub config_ca: String,
    pub secret_ca_key: String,
    pub secret_files: String,
    pub secret_gate: String,
    /// The Secret the forwarded variables come from, which the user makes.
    pub secret_env: String,
    pub volume_proxy_key: String,
    pub volume_home: String,
    pub volume_trust: String,
    pub volume_workspace: String,
    pub volume_gate_etc: String,
    pub volume_gate_state: String,
}

impl Names {
    /// The names for the bottle `slug`.
    pub fn for_slug(slug: &str) -> Self {
        let base = format!("bot-bottle-{slug}");
        let name = |suffix: &str| format!("{base}-{suffix}");
        Names {
            config_netfilter: name("netfilter"),
            config_proxy: name("proxy"),
            config_ca: name("ca"),
            secret_ca_key: name("ca-key"),
            secret_files: name("files"),
            secret_gate: name("gate-files"),
            secret_env: name("env"),
            volume_proxy_key: name("proxy-key"),
            volume_home: name("home"),
            volume_trust: name("trust"),
            volume_workspace: name("workspace"),
            volume_gate_etc: name("gate-etc"),
            volume_gate_state: name("gate-state"),
            pod: base,
        }
    }
}

/// One object of the export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object {
    NetworkPolicy(NetworkPolicy),
    ConfigMap(ConfigMap),
    Secret(Secret),
    Pod(Pod),
}

/// A bottle's objects, in the order they are applied (the Pod last, once what it mounts exists).
#[derive(Debug, Clone)]
pub struct Export {
    pub names: Names,
    pub objects: Vec<Object>,
    /// The bottle CA's fingerprint.
    pub fingerprint: String,
}

/// The objects of `plan`'s bottle, with `ca` as its CA.
pub fn build(plan: &Plan, ca: &BottleCa, options: &Options) -> anyhow::Result<Export> {
    let names = Names::for_slug(&plan.bottle.slug);
    let labels = labels(plan);
    let filter = netfilter::Filter {
        proxy_uid: PROXY_UID,
        gate: plan.gate.is_some().then_some((GATE_UID, GATE_GID)),
    };
    let home = files::home_tar(plan)?;
    let mut objects = vec![
        Object::NetworkPolicy(policy::network_policy(&names.pod, &labels)),
        config_map(
            &names.config_netfilter,
            &labels,
            [
                (pod::RULES_V4_FILE, filter.rules(netfilter::Family::V4)),
                (pod::RULES_V6_FILE, filter.rules(netfilter::Family::V6)),
            ],
        ),
        config_map(
            &names.config_proxy,
            &labels,
            [(pod::CONFIG_FILE, proxy_config(plan))],
        ),
        config_map(
            &names.config_ca,
            &labels,
            [(pod::CA_CERT_FILE, ca.cert_pem().to_owned())],
        ),
        secret(
            &names.secret_ca_key,
            &labels,
            pod::CA_KEY_FILE,
            ca.key_sec1_pem().as_bytes().to_vec(),
            "the bottle CA's key",
        )?,
        secret(
            &names.secret_files,
            &labels,
            pod::HOME_TAR_FILE,
            home,
            "the agent's files (prompt, skills, ssh, git)",
        )?,
    ];
    if let Some(gate) = &plan.gate {
        objects.push(secret(
            &names.secret_gate,
            &labels,
            pod::GATE_TAR_FILE,
            files::gate_tar(gate)?,
            "the git gate's config and credentials",
        )?);
    }
    objects.push(Object::Pod(pod::pod(plan, &names, options, &labels)));
    Ok(Export {
        names,
        objects,
        fingerprint: ca.fingerprint().to_owned(),
    })
}

/// The labels every object carries; the NetworkPolicy selects the pod by them.
fn labels(plan: &Plan) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "bot-bottle".to_owned()),
        (
            "app.kubernetes.io/instance".to_owned(),
            plan.bottle.slug.clone(),
        ),
    ])
}

/// The plan's pipelock config, reading its CA from the pod's mounts and listening on loopback.
fn proxy_config(plan: &Plan) -> String {
    let mut config = plan.proxy.config.clone();
    config.fetch_proxy.listen = pod::listen_address();
    config.tls_interception.ca_cert = format!("{}/{}", pod::PROXY_CA_DIR, pod::CA_CERT_FILE);
    config.tls_interception.ca_key = format!("{}/{}", pod::PROXY_KEY_DIR, pod::CA_KEY_FILE);
    config.render()
}

fn meta(name: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}

fn config_map<const N: usize>(
    name: &str,
    labels: &BTreeMap<String, String>,
    data: [(&str, String); N],
) -> Object {
    Object::ConfigMap(ConfigMap {
        metadata: meta(name, labels),
        data: Some(
            data.into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        ),
        ..ConfigMap::default()
    })
}

fn secret(
    name: &str,
    labels: &BTreeMap<String, String>,
    key: &str,
    bytes: Vec<u8>,
    what: &str,
) -> anyhow::Result<Object> {
    if bytes.len() > OBJECT_MAX_BYTES {
        return Err(UsageError(format!(
            "{what} come to {} bytes; a Kubernetes Secret holds at most {OBJECT_MAX_BYTES}",
            bytes.len()
        ))
        .into());
    }
    Ok(Object::Secret(Secret {
        metadata: meta(name, labels),
        type_: Some("Opaque".to_owned()),
        data: Some(BTreeMap::from([(key.to_owned(), ByteString(bytes))])),
        ..Secret::default()
    }))
}

/// The export as YAML: a comment naming the bottle and warning about the key, then one document
/// per object.
pub fn render(export: &Export, plan: &Plan) -> anyhow::Result<String> {
    let mut out = format!(
        "# bot-bottle export kube: the bottle {:?} (CA fingerprint {}).\n\
         # The Secret {} holds the bottle CA's private key: keep this file private.\n",
        plan.bottle.name, export.fingerprint, export.names.secret_ca_key
    );
    for object in &export.objects {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(object).context("writing an object as YAML")?);
    }
    Ok(out)
}

/// Reads an export back into typed objects, each checked against its kind's schema (unknown
/// kinds and fields are errors).
pub fn parse(yaml: &str) -> anyhow::Result<Vec<Object>> {
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(yaml).context("reading the YAML documents")?;
    documents
        .into_iter()
        .map(|document| {
            let kind = document["kind"].as_str().unwrap_or_default().to_owned();
            let object = match kind.as_str() {
                "NetworkPolicy" => Object::NetworkPolicy(typed(document)?),
                "ConfigMap" => Object::ConfigMap(typed(document)?),
                "Secret" => Object::Secret(typed(document)?),
                "Pod" => Object::Pod(typed(document)?),
                other => anyhow::bail!("unexpected kind {other:?}"),
            };
            Ok(object)
        })
        .collect()
}

/// `document` as `T`, refusing fields `T` does not know.
fn typed<T: serde::de::DeserializeOwned>(document: serde_json::Value) -> anyhow::Result<T> {
    let kind = document["kind"].clone();
    let text = serde_json::to_string(&document)?;
    let mut unknown = Vec::new();
    let value: T =
        serde_ignored::deserialize(&mut serde_json::Deserializer::from_str(&text), |path| {
            unknown.push(path.to_string())
        })
        .with_context(|| format!("reading a {kind} against its schema"))?;
    anyhow::ensure!(unknown.is_empty(), "{kind}: unknown fields {unknown:?}");
    Ok(value)
}
