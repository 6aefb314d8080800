//! A bottle as Kubernetes objects (`bot-bottle export kube`): the Pod, its `NetworkPolicy`, the
//! `ConfigMaps` and the Secrets, built from the same [`Plan`] `start` launches, as typed
//! `k8s-openapi` objects (API v1.33) written as one multi-document YAML file.
//!
//! What holds the agent in is the pod's own packet filter ([`netfilter`]); the `NetworkPolicy`
//! (`kube::policy`) bounds the pod as a whole. See the README's "Kubernetes" section.

mod files;
pub mod images;
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
const _: () =
    assert!(PROXY_UID != defaults::AGENT_UID && PROXY_UID != 0 && GATE_GID != defaults::AGENT_GID);

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
    pub volume_proxy_key: String,
    pub volume_home: String,
    pub volume_trust: String,
    pub volume_workspace: String,
    pub volume_gate_etc: String,
    pub volume_gate_state: String,
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
            volume_proxy_key: name("proxy-key"),
            volume_home: name("home"),
            volume_trust: name("trust"),
            volume_workspace: name("workspace"),
            volume_gate_etc: name("gate-etc"),
            volume_gate_state: name("gate-state"),
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
