//! The key holder in a pod: the plan's holder (`bot-bottle-gate keys`, in the git gate's
//! image) as a `keys` container, with its `ConfigMap` (config, certificate, its own
//! `/etc/hosts`) and its Secret (the user's credential and the certificate's key), which only
//! that container mounts.
//!
//! Three things differ from a launch, each because a pod is one network namespace:
//! - The holder listens on `127.0.0.1:`[`LISTEN_PORT`], a port it may bind without a
//!   capability; the pod's packet filter sends loopback's 443, where the agent's host aliases
//!   lead, there ([`super::netfilter::KeyHolder`]).
//! - The pod's host aliases (which map the Anthropic hosts to loopback for the agent) are in
//!   every container's `/etc/hosts`, so the holder's container mounts its own ([`HOSTS_FILE`]):
//!   it finds the real hosts in DNS, never itself.
//! - Its credential is read from the Secret at start, decoded where podman left it base64, into
//!   a memory volume of its own, where it may rewrite it after an OAuth refresh.

use anyhow::Context as _;
use bot_bottle_gate::keys::KeysConfig;

use crate::ca::BottleCa;
use crate::plan::keys::{KeyHolderPlan, CREDENTIAL_PATH};

/// Where the holder listens in the pod, on loopback only.
pub const LISTEN_PORT: u16 = 8443;
/// Where its `ConfigMap` is mounted: the config and certificate where a launch puts them.
pub const CONFIG_DIR: &str = "/etc/bot-bottle-keys";
/// The keys of its `ConfigMap`.
pub const CONFIG_FILE: &str = "config.json";
pub const CERT_FILE: &str = "cert.pem";
/// The holder's `/etc/hosts` (mounted with `subPath` over the pod's): loopback only.
pub const HOSTS_FILE: &str = "hosts";
/// Where its Secret is mounted, and its keys.
pub const SECRET_DIR: &str = "/run/bot-bottle/secret/keys";
pub const CREDENTIAL_FILE: &str = "credential.json";
pub const KEY_FILE: &str = "key.pem";
/// Its memory volume: the credential it may rewrite, and the certificate's key, as the holder
/// reads them (decoded, 0600, its own).
pub const STATE_DIR: &str = crate::plan::keys::DIR;

/// The contents of the holder's `ConfigMap` and Secret.
pub struct Files {
    /// `config.json`, `cert.pem`, `hosts`.
    pub config: [(&'static str, String); 3],
    /// `credential.json`, `key.pem`.
    pub secret: Vec<(&'static str, Vec<u8>)>,
}

/// The holder's files: its config, a certificate the bottle CA signs for its hosts, and the
/// user's credential, read now from where the plan says it comes from (the login store or the
/// host's variable), as a launch reads it.
pub fn files(holder: &KeyHolderPlan, ca: &BottleCa) -> anyhow::Result<Files> {
    let cert = ca
        .issue_server_cert(&holder.hosts)
        .context("signing the key holder's certificate")?;
    let credential = crate::launch::key_holder_credential(&holder.credential)?;
    let credential = serde_json::to_vec(&credential).context("encoding the credential")?;
    Ok(Files {
        config: [
            (CONFIG_FILE, in_pod(holder).render_config()),
            (CERT_FILE, cert.cert_pem().to_owned()),
            (HOSTS_FILE, hosts()),
        ],
        secret: vec![
            (CREDENTIAL_FILE, credential),
            (KEY_FILE, cert.key_pkcs8_pem().as_bytes().to_vec()),
        ],
    })
}

/// The plan's holder with its config as in the pod: listening on loopback, its config and
/// certificate in its `ConfigMap`, its key and credential in its memory volume; the rest (hosts,
/// placeholders, token endpoint) as planned.
pub fn in_pod(holder: &KeyHolderPlan) -> KeyHolderPlan {
    KeyHolderPlan {
        command: vec![
            "keys".to_owned(),
            "--config".to_owned(),
            format!("{CONFIG_DIR}/{CONFIG_FILE}"),
        ],
        config: KeysConfig {
            listen: format!("127.0.0.1:{LISTEN_PORT}"),
            tls_cert: format!("{CONFIG_DIR}/{CERT_FILE}"),
            tls_key: format!("{STATE_DIR}/{KEY_FILE}"),
            credential: CREDENTIAL_PATH.to_owned(),
            ..holder.config.clone()
        },
        ..holder.clone()
    }
}

/// The holder's `/etc/hosts`: loopback's names and nothing else, so that the Anthropic hosts
/// are looked up in DNS.
fn hosts() -> String {
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pod_paths_are_the_launch_s_where_they_can_be() {
        assert_eq!(CREDENTIAL_PATH, format!("{STATE_DIR}/{CREDENTIAL_FILE}"));
        assert!(!hosts().contains("anthropic") && !hosts().contains("claude"));
    }
}
