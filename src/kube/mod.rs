//! A bottle as Kubernetes objects (`bot-bottle export kube`): the Pod, its `NetworkPolicy`, the
//! `ConfigMaps` and the Secrets, built from the same [`Plan`] `start` launches, as typed
//! `k8s-openapi` objects (API v1.33) written as one multi-document YAML file.
//!
//! What holds the agent in is the pod's own packet filter ([`netfilter`]); the `NetworkPolicy`
//! (`kube::policy`) bounds the pod as a whole. See the README's "Kubernetes" section.

mod files;
pub mod images;
mod keys;
pub mod netfilter;
mod pod;
mod policy;

use std::collections::BTreeMap;
use std::fmt::Write as _;

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
/// The key holder runs as a uid (and group) of its own, which the filter lets reach HTTPS and
/// DNS only.
pub const KEYS_UID: u32 = 65531;
pub const KEYS_GID: u32 = 65531;
const _: () =
    assert!(PROXY_UID != defaults::AGENT_UID && PROXY_UID != 0 && GATE_GID != defaults::AGENT_GID);
const _: () = assert!(
    KEYS_UID != defaults::AGENT_UID
        && KEYS_UID != PROXY_UID
        && KEYS_UID != 0
        && KEYS_GID != GATE_GID
        && KEYS_GID != defaults::AGENT_GID
);

/// The image the init containers run by default (`contrib/kube-init/Containerfile`: a Debian
/// base with iptables).
pub const DEFAULT_INIT_IMAGE: &str = "localhost/bot-bottle/kube-init:latest";
/// Overrides [`DEFAULT_INIT_IMAGE`].
pub const INIT_IMAGE_ENV: &str = "BOT_BOTTLE_KUBE_INIT_IMAGE";

/// The most a `ConfigMap` or Secret may hold (Kubernetes refuses more).
pub const OBJECT_MAX_BYTES: usize = 1 << 20;

/// Choices the plan does not make.
#[derive(Debug, Clone)]
pub struct Options {
    /// The image of the `netfilter` and `unpack` init containers.
    pub init_image: String,
    /// The digests the engine knows for the images (see [`images`]).
    pub pins: images::Pins,
}

impl Options {
    /// Every image reference the Pod of `plan` names, as the plan (and the user) give them:
    /// what [`images::Pins::ask`] pins.
    pub fn image_references<'a>(&'a self, plan: &'a Plan) -> Vec<&'a str> {
        let mut references = vec![
            plan.images.agent.as_str(),
            plan.images.proxy.as_str(),
            self.init_image.as_str(),
        ];
        references.extend(plan.gate.as_ref().map(|g| g.image.as_str()));
        references.extend(plan.key_holder.as_ref().map(|k| k.image.as_str()));
        references
    }
}

/// The names of every object and volume of a bottle. podman turns each `ConfigMap`, Secret and
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
    /// The key holder's config, certificate and `/etc/hosts`.
    pub config_keys: String,
    /// The key holder's credential and certificate key.
    pub secret_keys: String,
    pub volume_proxy_key: String,
    pub volume_home: String,
    pub volume_trust: String,
    pub volume_workspace: String,
    pub volume_gate_etc: String,
    pub volume_gate_state: String,
    /// The key holder's memory volume (its credential, as it may rewrite it).
    pub volume_keys: String,
    /// Each container's scratch space at `/tmp` (memory, of the plan's size).
    pub volume_agent_tmp: String,
    pub volume_proxy_tmp: String,
    pub volume_gate_tmp: String,
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
            config_keys: name("keys"),
            secret_keys: name("credential"),
            volume_proxy_key: name("proxy-key"),
            volume_home: name("home"),
            volume_trust: name("trust"),
            volume_workspace: name("workspace"),
            volume_gate_etc: name("gate-etc"),
            volume_gate_state: name("gate-state"),
            volume_keys: name("keys-state"),
            volume_agent_tmp: name("tmp"),
            volume_proxy_tmp: name("proxy-tmp"),
            volume_gate_tmp: name("gate-tmp"),
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
    Pod(Box<Pod>),
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
    let names = Names::for_slug(plan.bottle.slug());
    let labels = labels(plan);
    let filter = netfilter::Filter {
        proxy_uid: PROXY_UID,
        gate: plan.gate.is_some().then_some((GATE_UID, GATE_GID)),
        metrics_port: crate::proxy_config::METRICS_PORT,
        key_holder: plan.key_holder.as_ref().map(|_| netfilter::KeyHolder {
            uid: KEYS_UID,
            port: crate::plan::keys::PORT,
            listen_port: keys::LISTEN_PORT,
        }),
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
    ];
    let holder = plan
        .key_holder
        .as_ref()
        .map(|holder| keys::files(holder, ca))
        .transpose()?;
    if let Some(holder) = &holder {
        objects.push(config_map(
            &names.config_keys,
            &labels,
            holder.config.clone(),
        ));
    }
    objects.extend([
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
    ]);
    if let Some(gate) = &plan.gate {
        objects.push(secret(
            &names.secret_gate,
            &labels,
            pod::GATE_TAR_FILE,
            files::gate_tar(gate)?,
            "the git gate's config and credentials",
        )?);
    }
    if let Some(holder) = holder {
        objects.push(secret_of(
            &names.secret_keys,
            &labels,
            holder.secret,
            "the key holder's credential and key",
        )?);
    }
    objects.push(Object::Pod(Box::new(pod::pod(
        plan, &names, options, &labels,
    ))));
    Ok(Export {
        names,
        objects,
        fingerprint: ca.fingerprint().to_owned(),
    })
}

/// The labels every object carries; the `NetworkPolicy` selects the pod by them.
fn labels(plan: &Plan) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "bot-bottle".to_owned()),
        (
            "app.kubernetes.io/instance".to_owned(),
            plan.bottle.slug().to_owned(),
        ),
    ])
}

/// The plan's pipelock config, reading its CA from the pod's mounts and listening on loopback.
fn proxy_config(plan: &Plan) -> String {
    let mut config = plan.proxy.config.clone();
    config.fetch_proxy.listen = pod::listen_address();
    config.tls_interception.ca_cert = format!("{}/{}", pod::PROXY_CA_DIR, pod::CA_CERT_FILE);
    config.tls_interception.ca_key = format!("{}/{}", pod::PROXY_KEY_DIR, pod::CA_KEY_FILE);
    // No signed record of an exported pod: nothing collects or seals it, and its read-only
    // root has nowhere to keep it.
    config.flight_recorder = None;
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
    secret_of(name, labels, vec![(key, bytes)], what)
}

/// A Secret holding `data` (file name, bytes).
fn secret_of(
    name: &str,
    labels: &BTreeMap<String, String>,
    data: Vec<(&str, Vec<u8>)>,
    what: &str,
) -> anyhow::Result<Object> {
    let size: usize = data.iter().map(|(_, bytes)| bytes.len()).sum();
    if size > OBJECT_MAX_BYTES {
        return Err(UsageError(format!(
            "{what} come to {size} bytes; a Kubernetes Secret holds at most {OBJECT_MAX_BYTES}"
        ))
        .into());
    }
    Ok(Object::Secret(Secret {
        metadata: meta(name, labels),
        type_: Some("Opaque".to_owned()),
        data: Some(
            data.into_iter()
                .map(|(key, bytes)| (key.to_owned(), ByteString(bytes)))
                .collect(),
        ),
        ..Secret::default()
    }))
}

/// The export as YAML: a comment naming the bottle and warning about the key, then one document
/// per object.
pub fn render(export: &Export, plan: &Plan) -> anyhow::Result<String> {
    let named = |kind: fn(&Object) -> Option<&ObjectMeta>| -> Vec<String> {
        export
            .objects
            .iter()
            .filter_map(kind)
            .filter_map(|meta| meta.name.clone())
            .collect()
    };
    let secrets = named(|o| match o {
        Object::Secret(s) => Some(&s.metadata),
        _ => None,
    });
    let mut volumes = named(|o| match o {
        Object::ConfigMap(c) => Some(&c.metadata),
        _ => None,
    });
    volumes.extend(secrets.iter().cloned());
    let mut never_pulled: Vec<&str> = export
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::Pod(pod) => pod.spec.as_ref(),
            _ => None,
        })
        .flat_map(|spec| {
            spec.init_containers
                .iter()
                .flatten()
                .chain(&spec.containers)
        })
        .filter(|c| c.image_pull_policy.as_deref() == Some("Never"))
        .filter_map(|c| c.image.as_deref())
        .collect();
    never_pulled.sort_unstable();
    never_pulled.dedup();
    let mut out = format!(
        "# bot-bottle export kube: the bottle {:?} (CA fingerprint {}).\n\
         # The Secret {} holds the bottle CA's private key: keep this file private.\n\
         # podman: after `podman kube down`, which leaves what it made of the ConfigMaps and\n\
         # Secrets (the CA key among them), also run:\n\
         #   podman secret rm {}\n\
         #   podman volume rm {}\n",
        plan.bottle.name,
        export.fingerprint,
        export.names.secret_ca_key,
        secrets.join(" "),
        volumes.join(" "),
    );
    if let Some(holder) = &plan.key_holder {
        let _ = writeln!(
            out,
            "# The Secret {} holds your {} credential, from {}, for the key holder alone.",
            export.names.secret_keys,
            plan.agent.kind.credential.provider,
            holder.credential.describe()
        );
    }
    if !never_pulled.is_empty() {
        // Why some images are named by tag: no digest was known for them at export.
        let _ = writeln!(
            out,
            "# Images by digest where the engine knew one; no digest was known for these (a local\n\
             # build has none), so the pod names them as they are with imagePullPolicy: Never: {}\n\
             # (the node runs its own copy, never one pulled by that name later; load them onto\n\
             # each node, or name an image by its digest in the manifest or the environment).",
            never_pulled.join(", ")
        );
    }
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
                "NetworkPolicy" => Object::NetworkPolicy(typed(&document)?),
                "ConfigMap" => Object::ConfigMap(typed(&document)?),
                "Secret" => Object::Secret(typed(&document)?),
                "Pod" => Object::Pod(Box::new(typed(&document)?)),
                other => anyhow::bail!("unexpected kind {other:?}"),
            };
            Ok(object)
        })
        .collect()
}

/// `document` as `T`, refusing fields `T` does not know.
fn typed<T: serde::de::DeserializeOwned>(document: &serde_json::Value) -> anyhow::Result<T> {
    let kind = document["kind"].clone();
    let text = serde_json::to_string(document)?;
    let mut unknown = Vec::new();
    let value: T =
        serde_ignored::deserialize(&mut serde_json::Deserializer::from_str(&text), |path| {
            unknown.push(path.to_string());
        })
        .with_context(|| format!("reading a {kind} against its schema"))?;
    anyhow::ensure!(unknown.is_empty(), "{kind}: unknown fields {unknown:?}");
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use k8s_openapi::api::core::v1::Container;

    use super::*;

    /// A project (the plan's tests' fixture) with a prompt file.
    struct Dir(crate::plan::tests::Project);

    impl Dir {
        fn new(name: &str) -> Self {
            let project = crate::plan::tests::Project::new(name);
            project.write("prompt.md", "Be brief.\n");
            Dir(project)
        }
    }

    fn plan_of(dir: &Dir, toml: &str) -> Plan {
        dir.0.plan(toml)
    }

    fn export_of(plan: &Plan) -> Export {
        let ca = crate::ca::generate(
            plan.bottle.slug(),
            plan.egress.tls_interception.ca_scope(),
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
        let options = Options {
            init_image: DEFAULT_INIT_IMAGE.to_owned(),
            pins: images::Pins::default(),
        };
        build(plan, &ca, &options).unwrap()
    }

    const WITH_GATE: &str =
        "name = \"g\"\nprompt = \"prompt.md\"\n\n[agent]\nenv = [\"API_KEY\"]\n\n\
        [egress]\nallowlist = [\"example.com\"]\n\n[git]\nuser_name = \"Bot\"\n\n\
        [[git.upstreams]]\nname = \"web\"\nurl = \"https://git.example.com/web.git\"\n";

    fn pod(export: &Export) -> &Pod {
        export
            .objects
            .iter()
            .find_map(|o| match o {
                Object::Pod(pod) => Some(pod),
                _ => None,
            })
            .unwrap()
    }

    fn containers(pod: &Pod) -> Vec<&Container> {
        let spec = pod.spec.as_ref().unwrap();
        spec.init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
            .collect()
    }

    fn mounts(container: &Container) -> Vec<&str> {
        container
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| m.name.as_str())
            .collect()
    }

    #[test]
    fn the_export_reads_back_as_the_same_typed_objects() {
        let dir = Dir::new("roundtrip");
        let plan = plan_of(&dir, WITH_GATE);
        let export = export_of(&plan);
        let yaml = render(&export, &plan).unwrap();
        assert_eq!(parse(&yaml).unwrap(), export.objects);
        let kinds: Vec<&str> = export
            .objects
            .iter()
            .map(|o| match o {
                Object::NetworkPolicy(_) => "NetworkPolicy",
                Object::ConfigMap(_) => "ConfigMap",
                Object::Secret(_) => "Secret",
                Object::Pod(_) => "Pod",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "NetworkPolicy",
                "ConfigMap",
                "ConfigMap",
                "ConfigMap",
                "Secret",
                "Secret",
                "Secret",
                "Pod"
            ]
        );
        // A field the schema does not know is refused.
        let typo = yaml.replacen(
            "restartPolicy: Never",
            "restartPolicy: Never\n  restartPolcy: Never",
            1,
        );
        assert!(parse(&typo)
            .unwrap_err()
            .to_string()
            .contains("unknown fields"));
    }

    #[test]
    fn names_fit_a_dns_label_for_the_longest_slug() {
        let names = Names::for_slug(&"x".repeat(40));
        for name in [
            &names.pod,
            &names.config_netfilter,
            &names.config_proxy,
            &names.config_ca,
            &names.secret_ca_key,
            &names.secret_files,
            &names.secret_gate,
            &names.secret_env,
            &names.volume_proxy_key,
            &names.volume_home,
            &names.volume_trust,
            &names.volume_workspace,
            &names.volume_gate_etc,
            &names.volume_gate_state,
            &names.config_keys,
            &names.secret_keys,
            &names.volume_keys,
            &names.volume_agent_tmp,
            &names.volume_proxy_tmp,
            &names.volume_gate_tmp,
        ] {
            assert!(name.len() <= 63, "{name}");
        }
    }

    #[test]
    fn only_unpack_reads_the_key_and_only_the_proxy_mounts_it() {
        let dir = Dir::new("key");
        let plan = plan_of(&dir, WITH_GATE);
        let export = export_of(&plan);
        let names = &export.names;
        let pod = pod(&export);
        let all = containers(pod);
        let order: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            order,
            ["netfilter", "unpack", "prepare", "proxy", "gate", "agent"]
        );
        for container in &all {
            let mounted = mounts(container);
            let reads_key = mounted.contains(&names.secret_ca_key.as_str());
            let has_key = mounted.contains(&names.volume_proxy_key.as_str());
            assert_eq!(reads_key, container.name == "unpack", "{}", container.name);
            assert_eq!(
                has_key,
                ["unpack", "proxy"].contains(&container.name.as_str()),
                "{}",
                container.name
            );
            let gate_files = mounted.contains(&names.volume_gate_etc.as_str())
                || mounted.contains(&names.secret_gate.as_str());
            assert_eq!(
                gate_files,
                ["unpack", "gate"].contains(&container.name.as_str()),
                "{}",
                container.name
            );
        }
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.automount_service_account_token, Some(false));
        assert_eq!(spec.share_process_namespace, Some(false));
    }

    #[test]
    fn the_agent_gets_no_privilege_and_the_proxy_the_uid_the_filter_lets_out() {
        let dir = Dir::new("agent");
        let plan = plan_of(&dir, WITH_GATE);
        let export = export_of(&plan);
        let pod = pod(&export);
        let all = containers(pod);
        let by_name = |name: &str| *all.iter().find(|c| c.name == name).unwrap();
        let agent = by_name("agent").security_context.clone().unwrap();
        assert_eq!(agent.run_as_user, Some(1000));
        assert_eq!(agent.run_as_non_root, Some(true));
        assert_eq!(agent.allow_privilege_escalation, Some(false));
        let caps = agent.capabilities.unwrap();
        assert_eq!((caps.drop, caps.add), (Some(vec!["ALL".to_owned()]), None));
        let proxy = by_name("proxy").security_context.clone().unwrap();
        assert_eq!(proxy.run_as_user, Some(PROXY_UID.into()));
        let rules = export
            .objects
            .iter()
            .find_map(|o| match o {
                Object::ConfigMap(cm)
                    if cm.metadata.name == Some(export.names.config_netfilter.clone()) =>
                {
                    cm.data.clone()
                }
                _ => None,
            })
            .unwrap();
        for rules in rules.values() {
            assert!(rules.contains(&format!("--uid-owner {PROXY_UID} -j ACCEPT")));
            assert!(rules.contains(&format!(
                "--uid-owner {GATE_UID} --gid-owner {GATE_GID} -j ACCEPT"
            )));
        }
        let gate = by_name("gate").security_context.clone().unwrap();
        assert_eq!(
            (gate.run_as_user, gate.run_as_group),
            (Some(0), Some(GATE_GID.into()))
        );
        // Only the netfilter init container may change the pod's network.
        for container in &all {
            let add = container
                .security_context
                .as_ref()
                .and_then(|s| s.capabilities.as_ref())
                .and_then(|c| c.add.clone())
                .unwrap_or_default();
            assert_eq!(
                add.contains(&"NET_ADMIN".to_owned()),
                container.name == "netfilter",
                "{}",
                container.name
            );
        }
        // The plan's variables, with the CA cert where the trust store puts it, and the
        // forwarded one from the user's Secret.
        let env = by_name("agent").env.clone().unwrap();
        let value = |name: &str| env.iter().find(|e| e.name == name).unwrap().clone();
        assert_eq!(
            value("HTTPS_PROXY").value.unwrap(),
            format!("http://{}:8888", plan.containers.proxy)
        );
        assert_eq!(
            value("NODE_EXTRA_CA_CERTS").value.unwrap(),
            "/etc/ssl/certs/bot-bottle-mitm.crt"
        );
        let key = value("API_KEY").value_from.unwrap().secret_key_ref.unwrap();
        assert_eq!(
            (key.name.as_str(), key.optional),
            ("bot-bottle-g-env", Some(true))
        );
        let aliases = pod.spec.as_ref().unwrap().host_aliases.clone().unwrap();
        assert_eq!(aliases[0].ip, "127.0.0.1");
        assert_eq!(
            aliases[0].hostnames,
            Some(vec![
                plan.containers.proxy.clone(),
                plan.containers.gate.clone().unwrap()
            ])
        );
    }

    /// The API key of the login `default` in [`with_login`]'s store.
    const STORED_KEY: &str = "sk-ant-api03-kubeUnitStoredKey-0000";

    /// `dir` with the login `default` (an API key) in its state directory's store: a bottle
    /// without `agent.login` gets a key holder for it.
    fn with_login(dir: &Dir) {
        use bot_bottle_gate::keys::{Credential, Secret};
        let store = crate::login::Store::in_state_dir(&dir.0.dir.join(".state"));
        store
            .write(
                &crate::login::LoginName::default_name(),
                &Credential::ApiKey(Secret::new(STORED_KEY)),
                false,
            )
            .unwrap();
    }

    fn config_data(export: &Export, name: &str) -> BTreeMap<String, String> {
        export
            .objects
            .iter()
            .find_map(|o| match o {
                Object::ConfigMap(cm) if cm.metadata.name.as_deref() == Some(name) => {
                    cm.data.clone()
                }
                _ => None,
            })
            .unwrap()
    }

    /// A bottle with a key holder (the login `default`), and its export.
    fn holder_export(name: &str) -> (Dir, Plan, Export) {
        let dir = Dir::new(name);
        with_login(&dir);
        let plan = plan_of(&dir, WITH_GATE);
        assert!(plan.key_holder.is_some(), "a key holder");
        let export = export_of(&plan);
        (dir, plan, export)
    }

    #[test]
    fn only_the_key_holder_mounts_its_secret_the_one_object_with_the_credential() {
        let (_dir, plan, export) = holder_export("keys");
        let names = &export.names;
        let pod = pod(&export);
        let all = containers(pod);
        let order: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "netfilter",
                "unpack",
                "prepare",
                "proxy",
                "gate",
                "keys",
                "agent"
            ]
        );

        // The credential and the certificate's key are in one Secret, which only the holder's
        // container mounts; the unpack step hands it its empty memory volume, nothing more.
        let secret = export
            .objects
            .iter()
            .find_map(|o| match o {
                Object::Secret(s) if s.metadata.name.as_ref() == Some(&names.secret_keys) => {
                    s.data.clone()
                }
                _ => None,
            })
            .expect("the key holder's Secret");
        let credential: bot_bottle_gate::keys::Credential =
            serde_json::from_slice(&secret["credential.json"].0).unwrap();
        assert!(
            matches!(&credential, bot_bottle_gate::keys::Credential::ApiKey(k) if k.expose() == STORED_KEY)
        );
        assert!(String::from_utf8_lossy(&secret["key.pem"].0)
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        for container in &all {
            let mounted = mounts(container);
            assert_eq!(
                mounted.contains(&names.secret_keys.as_str()),
                container.name == "keys",
                "{}",
                container.name
            );
            assert_eq!(
                mounted.contains(&names.volume_keys.as_str()),
                ["unpack", "keys"].contains(&container.name.as_str()),
                "{}",
                container.name
            );
        }
        // The key is in no other object: not the Pod, not a ConfigMap.
        for object in &export.objects {
            if let Object::Secret(s) = object {
                if s.metadata.name.as_ref() == Some(&names.secret_keys) {
                    continue;
                }
            }
            let text = serde_json::to_string(object).unwrap();
            assert!(!text.contains(STORED_KEY), "{text}");
        }
        let yaml = render(&export, &plan).unwrap();
        assert_eq!(parse(&yaml).unwrap(), export.objects);
        assert!(
            !yaml.contains(STORED_KEY),
            "the key is base64 in its Secret only"
        );
        assert!(yaml.contains(&format!(
            "# The Secret {} holds your Anthropic credential, from login default (",
            names.secret_keys
        )));
    }

    #[test]
    fn the_key_holder_runs_unprivileged_with_its_own_hosts_file_and_the_plan_s_config() {
        let (_dir, plan, export) = holder_export("holder");
        let holder = plan.key_holder.as_ref().unwrap();
        let names = &export.names;
        let all = containers(pod(&export));
        // Its own uid, no capability, read-only root, its own /etc/hosts.
        let keys = *all.iter().find(|c| c.name == "keys").unwrap();
        let security = keys.security_context.clone().unwrap();
        assert_eq!(
            (
                security.run_as_user,
                security.run_as_group,
                security.run_as_non_root
            ),
            (Some(KEYS_UID.into()), Some(KEYS_GID.into()), Some(true))
        );
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(security.read_only_root_filesystem, Some(true));
        let caps = security.capabilities.unwrap();
        assert_eq!((caps.drop, caps.add), (Some(vec!["ALL".to_owned()]), None));
        let hosts = keys
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.mount_path == "/etc/hosts")
            .expect("the holder's own /etc/hosts");
        assert_eq!(
            (hosts.name.as_str(), hosts.sub_path.as_deref()),
            (names.config_keys.as_str(), Some("hosts"))
        );
        let command = keys.command.clone().unwrap();
        assert_eq!(
            command[3..],
            [
                "keys",
                "/usr/local/bin/bot-bottle-gate",
                "keys",
                "--config",
                "/etc/bot-bottle-keys/config.json"
            ]
        );
        assert_eq!(keys.image.as_deref(), Some(holder.image.as_str()));

        // Its config: the plan's, listening on loopback, its key and credential in its volume.
        let data = config_data(&export, &names.config_keys);
        let config: bot_bottle_gate::keys::KeysConfig =
            serde_json::from_str(&data["config.json"]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8443");
        assert_eq!(config.tls_key, "/var/lib/bot-bottle-keys/key.pem");
        assert_eq!(
            config.credential,
            "/var/lib/bot-bottle-keys/credential.json"
        );
        assert_eq!(config.placeholder, holder.config.placeholder);
        assert_eq!(config.hosts, holder.hosts);
        assert!(!data["hosts"].contains("anthropic"));

        // Its image is pinned as the others are.
        let options = Options {
            init_image: DEFAULT_INIT_IMAGE.to_owned(),
            pins: images::Pins::default(),
        };
        assert!(options
            .image_references(&plan)
            .contains(&holder.image.as_str()));
    }

    #[test]
    fn the_agent_reaches_the_key_holder_on_loopback_with_the_placeholder() {
        let (_dir, plan, export) = holder_export("reach");
        let holder = plan.key_holder.as_ref().unwrap();
        let names = &export.names;
        let pod = pod(&export);
        let all = containers(pod);
        // The placeholder, the hosts past the proxy and on loopback.
        let agent = *all.iter().find(|c| c.name == "agent").unwrap();
        let env = agent.env.clone().unwrap();
        let value = |name: &str| {
            env.iter()
                .find(|e| e.name == name)
                .and_then(|e| e.value.clone())
                .unwrap()
        };
        assert_eq!(
            value(&holder.placeholder_variable),
            holder.config.placeholder.expose()
        );
        assert!(value(&holder.placeholder_variable).starts_with("bot-bottle-placeholder-"));
        let no_proxy = value("NO_PROXY");
        for host in &holder.hosts {
            assert!(no_proxy.split(',').any(|h| h == host), "{no_proxy}");
        }
        assert_eq!(
            env.iter()
                .filter(|e| e.name == holder.placeholder_variable)
                .count(),
            1,
            "the placeholder only, never the credential from the user's Secret"
        );
        let aliases = pod.spec.as_ref().unwrap().host_aliases.clone().unwrap();
        assert_eq!(aliases.len(), 1);
        assert_eq!(aliases[0].ip, "127.0.0.1");
        let hostnames = aliases[0].hostnames.clone().unwrap();
        for host in &holder.hosts {
            assert!(hostnames.contains(host), "{hostnames:?}");
        }

        // The pod's filter lets the holder's uid out to HTTPS and DNS, and sends loopback's
        // 443 to it.
        let rules = config_data(&export, &names.config_netfilter);
        for rules in rules.values() {
            assert!(rules.contains(&format!(
                "-A OUTPUT -p tcp --dport 443 -m owner --uid-owner {KEYS_UID} -j ACCEPT"
            )));
        }
        assert!(rules["rules.v4"].contains(
            "-A OUTPUT -o lo -d 127.0.0.1/32 -p tcp --dport 443 -j REDIRECT --to-ports 8443"
        ));
    }

    #[test]
    fn each_container_has_the_plan_s_limits_and_privileges() {
        let dir = Dir::new("limits");
        let plan = plan_of(&dir, WITH_GATE);
        let export = export_of(&plan);
        let pod = pod(&export);
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(
            spec.security_context
                .as_ref()
                .and_then(|s| s.seccomp_profile.as_ref())
                .map(|p| p.type_.as_str()),
            Some("RuntimeDefault")
        );
        let all = containers(pod);
        let by_name = |name: &str| *all.iter().find(|c| c.name == name).unwrap();
        let quantity = |c: &Container, which: &str, kind: &str| {
            let r = c.resources.as_ref().unwrap();
            let map = if which == "limits" {
                &r.limits
            } else {
                &r.requests
            };
            map.as_ref().unwrap()[kind].0.clone()
        };
        // The plan's defaults (gate: scratch for twice its 50 MiB push, memory for that on top).
        for (name, resources, read_only, memory, scratch) in [
            ("agent", &plan.agent.resources, false, "4Gi", "1Gi"),
            ("proxy", &plan.proxy.resources, true, "512Mi", "64Mi"),
            (
                "gate",
                &plan.gate.as_ref().unwrap().resources,
                true,
                "1124Mi",
                "100Mi",
            ),
        ] {
            let c = by_name(name);
            assert_eq!(quantity(c, "limits", "memory"), memory, "{name}");
            assert_eq!(
                quantity(c, "requests", "memory"),
                quantity(c, "limits", "memory")
            );
            assert_eq!(
                quantity(c, "limits", "cpu"),
                format!("{}m", resources.cpus.unwrap().0),
                "{name}"
            );
            assert_eq!(quantity(c, "requests", "cpu"), "100m", "{name}");
            let security = c.security_context.as_ref().unwrap();
            assert_eq!(security.allow_privilege_escalation, Some(false), "{name}");
            assert_eq!(security.privileged, Some(false), "{name}");
            assert_eq!(
                security.read_only_root_filesystem,
                Some(read_only),
                "{name}"
            );
            let caps = security.capabilities.as_ref().unwrap();
            assert_eq!(caps.drop, Some(vec!["ALL".to_owned()]), "{name}");
            assert_eq!(caps.add, None, "{name}");
            // Its scratch: a memory emptyDir of the plan's size at /tmp.
            let tmp = c
                .volume_mounts
                .iter()
                .flatten()
                .find(|m| m.mount_path == "/tmp")
                .unwrap_or_else(|| panic!("{name} has no /tmp"));
            let volume = spec
                .volumes
                .iter()
                .flatten()
                .find(|v| v.name == tmp.name)
                .unwrap();
            let empty = volume.empty_dir.as_ref().unwrap();
            assert_eq!(empty.medium.as_deref(), Some("Memory"));
            assert_eq!(empty.size_limit.as_ref().unwrap().0, scratch, "{name}");
        }
        // Explicitly without limits: none in the pod either.
        let none = plan_of(&dir, "[resources]\nlimits = \"none\"\n");
        let unlimited = export_of(&none);
        for c in containers(self::tests::pod(&unlimited)) {
            assert_eq!(c.resources, None, "{}", c.name);
        }
    }

    fn entries(tar: &[u8]) -> Vec<(String, u32, String)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                let mode = e.header().mode().unwrap();
                let mut text = String::new();
                e.read_to_string(&mut text).unwrap();
                (path, mode, text)
            })
            .collect()
    }

    #[test]
    fn the_home_and_gate_archives_hold_what_the_plan_lists() {
        let dir = Dir::new("files");
        let plan = plan_of(&dir, WITH_GATE);
        let home = entries(&files::home_tar(&plan).unwrap());
        let paths: Vec<&str> = home.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(paths[0], ".claude", "the state directory first");
        assert_eq!(home[0].1, 0o700);
        assert!(paths.contains(&".claude/CLAUDE.md"));
        assert!(paths.contains(&".gitconfig"));
        assert!(
            !paths.iter().any(|p| p.contains("ca-certificates")),
            "{paths:?}"
        );
        let gate = entries(&files::gate_tar(plan.gate.as_ref().unwrap()).unwrap());
        let config = gate.iter().find(|(p, _, _)| p == "config.json").unwrap();
        assert!(
            config.2.contains("\"listen\": \"127.0.0.1:8418\"")
                && !config.2.contains("egress_proxy"),
            "{}",
            config.2
        );
    }

    #[test]
    fn the_pod_names_images_by_digest_where_known_and_never_pulls_a_tag() {
        let dir = Dir::new("images");
        let plan = plan_of(&dir, WITH_GATE);
        let ca = crate::ca::generate(
            plan.bottle.slug(),
            plan.egress.tls_interception.ca_scope(),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let pinned = format!("registry.test/agent@sha256:{}", "0f".repeat(32));
        let options = Options {
            init_image: DEFAULT_INIT_IMAGE.to_owned(),
            pins: images::Pins::from_pairs([(plan.images.agent.as_str(), pinned.as_str())]),
        };
        assert_eq!(
            options.image_references(&plan),
            [
                plan.images.agent.as_str(),
                plan.images.proxy.as_str(),
                DEFAULT_INIT_IMAGE,
                plan.gate.as_ref().unwrap().image.as_str()
            ]
        );
        let export = build(&plan, &ca, &options).unwrap();
        let named: Vec<(&str, &str, &str)> = containers(pod(&export))
            .into_iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.image.as_deref().unwrap(),
                    c.image_pull_policy.as_deref().unwrap(),
                )
            })
            .collect();
        let gate = plan.gate.as_ref().unwrap().image.as_str();
        assert_eq!(
            named,
            [
                ("netfilter", DEFAULT_INIT_IMAGE, "Never"),
                ("unpack", DEFAULT_INIT_IMAGE, "Never"),
                // The agent image as approved, by the digest the engine knew for it: the same
                // bytes wherever a node pulls it.
                ("prepare", pinned.as_str(), "IfNotPresent"),
                ("proxy", plan.images.proxy.as_str(), "Never"),
                ("gate", gate, "Never"),
                ("agent", pinned.as_str(), "IfNotPresent"),
            ]
        );
        let yaml = render(&export, &plan).unwrap();
        let why = yaml
            .lines()
            .find(|l| l.contains("with imagePullPolicy: Never: "))
            .expect("the header says which images are named by tag, and why");
        for image in [DEFAULT_INIT_IMAGE, plan.images.proxy.as_str(), gate] {
            assert!(why.contains(image), "{why}");
        }
        assert!(!why.contains("registry.test"), "{why}");
    }

    #[test]
    fn a_secret_over_the_limit_is_bad_input() {
        let dir = Dir::new("big");
        std::fs::create_dir_all(dir.0.dir.join("skills/huge")).unwrap();
        std::fs::write(
            dir.0.dir.join("skills/huge/SKILL.md"),
            vec![b'x'; OBJECT_MAX_BYTES],
        )
        .unwrap();
        let plan = plan_of(&dir, "skills = [\"skills/huge\"]\n");
        let ca = crate::ca::generate(
            "x",
            crate::ca::DnsScope::Only(&["example.com".to_owned()]),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let options = Options {
            init_image: DEFAULT_INIT_IMAGE.to_owned(),
            pins: images::Pins::default(),
        };
        let err = build(&plan, &ca, &options).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        assert!(
            err.to_string()
                .contains("a Kubernetes Secret holds at most"),
            "{err}"
        );
    }
}
