//! The key holder's start: its config and every file it names read and checked, each error
//! naming the file and the field (the `keys` command exits 2 on any), and none quoting a
//! secret.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use bot_bottle_gate::keys::{Credential, CredentialHeader, KeysConfig, Secret};
use rustls::pki_types::ServerName;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::rules::{carries_credential, CREDENTIAL_PREFIX, KEY_HEADERS};
use super::store::Store;
use super::upstream::Upstreams;
use super::{tls, Holder};

/// What the holder starts with.
pub struct Setup {
    pub listen: SocketAddr,
    pub tls: rustls::ServerConfig,
    pub holder: Holder,
}

/// Reads the config at `path` and everything it names.
pub fn load(path: &str) -> Result<Setup, String> {
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?);
    let config: KeysConfig = parse(path, &text)?;
    let at = |field: &str, why: String| format!("{path}: field {field}: {why}");
    let listen: SocketAddr = config.listen.parse().map_err(|e| {
        at(
            "listen",
            format!("{:?} is not ADDRESS:PORT: {e}", config.listen),
        )
    })?;
    check_hosts(&config.hosts).map_err(|why| at("hosts", why))?;
    check_placeholder(&config.placeholder).map_err(|why| at("placeholder", why))?;
    if let Some(refresh) = &config.placeholder_refresh {
        check_placeholder(refresh).map_err(|why| at("placeholder_refresh", why))?;
        if refresh == &config.placeholder {
            return Err(at(
                "placeholder_refresh",
                "is the same as the placeholder".to_owned(),
            ));
        }
    }
    if !config.token_path.starts_with('/') || config.token_path.contains(['?', '#']) {
        return Err(at(
            "token_path",
            format!("{:?} is not a path", config.token_path),
        ));
    }
    if config.oauth_client_id.trim().is_empty() {
        return Err(at("oauth_client_id", "is empty".to_owned()));
    }
    let mut resolve = BTreeMap::new();
    for (host, addr) in &config.resolve {
        let addr: SocketAddr = addr.parse().map_err(|e| {
            at(
                "resolve",
                format!("{host}: {addr:?} is not ADDRESS:PORT: {e}"),
            )
        })?;
        resolve.insert(host.to_ascii_lowercase(), addr);
    }
    let mut credential_headers = BTreeMap::new();
    for (host, header) in &config.credential_headers {
        check_credential_header(host, header, &config.hosts)
            .map_err(|why| at("credential_headers", why))?;
        credential_headers.insert(host.to_ascii_lowercase(), header.clone());
    }
    let in_file = |e: String| format!("{path}: {e}");
    let tls =
        tls::server_config(&config.tls_cert, &config.tls_key, &config.hosts).map_err(in_file)?;
    let client = tls::client_config(&config.upstream_roots).map_err(in_file)?;
    let credential = read_credential(&config.credential).map_err(|why| at("credential", why))?;
    for placeholder in std::iter::once(&config.placeholder).chain(&config.placeholder_refresh) {
        if credential.secrets().contains(&placeholder) {
            return Err(at(
                "placeholder",
                "is the user's credential itself".to_owned(),
            ));
        }
    }
    Ok(Setup {
        listen,
        tls,
        holder: Holder {
            hosts: config
                .hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            placeholder: config.placeholder,
            placeholder_refresh: config.placeholder_refresh,
            token_path: config.token_path,
            client_id: config.oauth_client_id,
            credential_headers,
            upstreams: Upstreams::new(client, resolve),
            store: Store::new(PathBuf::from(&config.credential), credential),
        },
    })
}

fn read_credential(path: &str) -> Result<Credential, String> {
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?);
    parse(path, &text)
}

/// `text` as a `T`, an error naming `path`, the field and what is wrong, never the value (a
/// wrong-typed one might be a secret).
fn parse<T: DeserializeOwned>(path: &str, text: &str) -> Result<T, String> {
    let mut json = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.inner();
        let message = inner.to_string();
        let message = if message.starts_with("invalid type") || message.starts_with("invalid value")
        {
            let expected = message
                .split_once(", expected ")
                .map_or("", |(_, expected)| expected);
            // serde_json ends its message with where; keep that and what was expected.
            format!("a value of the wrong type or form, expected {expected}")
        } else {
            message
        };
        if field == "." {
            format!("{path}: {message}")
        } else {
            format!("{path}: field {field}: {message}")
        }
    })
}

fn check_hosts(hosts: &[String]) -> Result<(), String> {
    if hosts.is_empty() {
        return Err("names no host".to_owned());
    }
    for (i, host) in hosts.iter().enumerate() {
        let is_dns_name = matches!(
            ServerName::try_from(host.as_str()),
            Ok(ServerName::DnsName(_))
        );
        if !is_dns_name || host.contains(':') {
            return Err(format!("{host:?} is not a host name"));
        }
        if hosts[..i].iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err(format!("{host:?} is named twice"));
        }
    }
    Ok(())
}

/// A host's credential header: for one of the holder's hosts, and one the rules judge (a
/// credential in a header they do not know would go out unjudged).
fn check_credential_header(
    host: &str,
    header: &CredentialHeader,
    hosts: &[String],
) -> Result<(), String> {
    if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return Err(format!("{host:?} is not one of the hosts"));
    }
    let judged = header.name == "authorization" || KEY_HEADERS.contains(&header.name.as_str());
    if !judged {
        return Err(format!(
            "{host}: {:?} is not a header the holder judges (authorization, {})",
            header.name,
            KEY_HEADERS.join(", ")
        ));
    }
    match (&header.scheme, header.name == "authorization") {
        (Some(scheme), true) if scheme.eq_ignore_ascii_case("bearer") => Ok(()),
        (None, false) => Ok(()),
        _ => Err(format!(
            "{host}: authorization takes the scheme Bearer, and only it takes one"
        )),
    }
}

/// A placeholder goes in a header as it is, and must not look like a real credential.
fn check_placeholder(placeholder: &Secret) -> Result<(), String> {
    let value = placeholder.expose();
    if value.is_empty() {
        return Err("is empty".to_owned());
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("holds a character other than visible ASCII".to_owned());
    }
    if carries_credential(value.as_bytes(), &[]) {
        return Err(format!(
            "holds {CREDENTIAL_PREFIX}, the prefix of real credentials"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_never_the_value() {
        let wrong_type = r#"{"version":1,"kind":"oauth","access_token":"sk-ant-oat01-a","expires_at":"sk-ant-ort01-secret"}"#;
        let error = parse::<Credential>("/c.json", wrong_type).unwrap_err();
        assert!(
            error.starts_with("/c.json: field expires_at: a value of the wrong type"),
            "{error}"
        );
        assert!(error.contains("expected u64"), "{error}");
        assert!(!error.contains("sk-ant-"), "{error}");
        let missing = parse::<Credential>("/c.json", r#"{"version":1,"kind":"api_key"}"#);
        assert!(missing.unwrap_err().contains("needs the field api_key"));
        let config = parse::<KeysConfig>("/k.json", r#"{"listen":1}"#).unwrap_err();
        assert!(
            config.starts_with("/k.json: field listen: a value of the wrong type"),
            "{config}"
        );
    }

    #[test]
    fn hosts_and_placeholders_are_checked() {
        let hosts =
            |h: &[&str]| check_hosts(&h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert!(hosts(&["api.anthropic.com", "claude.ai"]).is_ok());
        assert!(hosts(&[]).is_err());
        assert!(hosts(&["10.0.0.1"]).is_err());
        assert!(hosts(&["a.example:443"]).is_err());
        assert!(hosts(&["claude.ai", "Claude.AI"]).is_err());
        assert!(check_placeholder(&Secret::new("bbph-123")).is_ok());
        for bad in ["", "bbph 1", "bbph-\n", "bbph-Sk-Ant-x"] {
            assert!(check_placeholder(&Secret::new(bad)).is_err(), "{bad:?}");
        }
    }
}
