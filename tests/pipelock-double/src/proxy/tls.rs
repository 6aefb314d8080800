//! TLS for interception: per-host leaves from the CA (cached), the server side that checks
//! SNI against the CONNECT host, and the client side that verifies real upstreams.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustls::client::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;

use crate::ca::LoadedCa;

/// Trust store used for upstreams, as Go reads it: `SSL_CERT_FILE`, else the image's bundle.
pub fn roots_path() -> PathBuf {
    std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || PathBuf::from("/etc/ssl/certs/ca-certificates.crt"),
            PathBuf::from,
        )
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Client config for upstream TLS (HTTP/1.1 only), trusting the roots file.
pub fn upstream_client_config() -> Result<Arc<ClientConfig>> {
    let path = roots_path();
    let mut roots = RootCertStore::empty();
    if path.exists() {
        let certs = CertificateDer::pem_file_iter(&path)
            .with_context(|| format!("reading trust store {}", path.display()))?;
        for cert in certs.flatten() {
            // A bundle may hold certificates rustls cannot use; skip those like Go does.
            let _ = roots.add(cert);
        }
    } else {
        eprintln!(
            "WARNING: trust store {} not found: upstream TLS will fail",
            path.display()
        );
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("tls versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Mints and caches leaves for intercepted hosts.
pub struct Interceptor {
    ca: Arc<LoadedCa>,
    ttl: Duration,
    cache_size: usize,
    cache: Mutex<HashMap<String, (Arc<CertifiedKey>, Instant)>>,
}

impl Interceptor {
    /// Builds an interceptor around a loaded CA.
    pub fn new(ca: Arc<LoadedCa>, ttl: Duration, cache_size: usize) -> Self {
        Self {
            ca,
            ttl,
            cache_size,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn leaf(&self, host: &str) -> Result<Arc<CertifiedKey>> {
        let mut cache = self.cache.lock().expect("leaf cache lock");
        if let Some((key, expires)) = cache.get(host) {
            if Instant::now() < *expires {
                return Ok(key.clone());
            }
        }
        let leaf = self.ca.mint(host, self.ttl)?;
        let signing = rustls::crypto::ring::sign::any_supported_type(&leaf.key)
            .context("loading leaf key")?;
        let certified = Arc::new(CertifiedKey::new(leaf.chain, signing));
        if cache.len() >= self.cache_size {
            cache.clear();
        }
        // Re-mint a little before the leaf expires.
        let fresh_for = self.ttl.saturating_sub(self.ttl / 10);
        cache.insert(
            host.to_string(),
            (certified.clone(), Instant::now() + fresh_for),
        );
        Ok(certified)
    }

    /// Server config for one intercepted CONNECT to `host`. The returned probe records the
    /// SNI the client sent.
    pub fn server_config(
        &self,
        host: &str,
        sni_verification: bool,
    ) -> Result<(Arc<ServerConfig>, Arc<SniProbe>)> {
        let probe = Arc::new(SniProbe {
            host: host.to_string(),
            verify: sni_verification,
            key: self.leaf(host)?,
            seen: Mutex::new(None),
        });
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("tls versions")?
            .with_no_client_auth()
            .with_cert_resolver(probe.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok((Arc::new(config), probe))
    }
}

/// Hands out the leaf only when the SNI names the CONNECT host; otherwise the handshake
/// fails and the connection closes, as pipelock does.
#[derive(Debug)]
pub struct SniProbe {
    host: String,
    verify: bool,
    key: Arc<CertifiedKey>,
    seen: Mutex<Option<String>>,
}

impl SniProbe {
    /// The SNI the client sent, if any, once the `ClientHello` arrived.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().expect("sni lock").clone()
    }

    /// Whether the SNI (or its absence) is acceptable for this CONNECT.
    pub fn matches(&self) -> bool {
        let seen = self.seen();
        match seen.as_deref() {
            Some(sni) => !self.verify || sni.eq_ignore_ascii_case(&self.host),
            // Clients send no SNI for IP literals.
            None => !self.verify || self.host.parse::<std::net::IpAddr>().is_ok(),
        }
    }
}

impl ResolvesServerCert for SniProbe {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        *self.seen.lock().expect("sni lock") = hello.server_name().map(str::to_string);
        self.matches().then(|| self.key.clone())
    }
}
