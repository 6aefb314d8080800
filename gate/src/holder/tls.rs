//! The key holder's TLS, both sides, with rustls and its ring provider: the server the agent
//! connects to (HTTP/1.1 only, TLS 1.2 and 1.3, the certificate shown only to a client naming
//! one of the holder's hosts), and the client config the real hosts are verified with (against
//! the configured roots only).

use std::sync::Arc;

use rustls::client::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;

/// The one application protocol the holder speaks, on both sides.
const HTTP_1_1: &[u8] = b"http/1.1";

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server config: the chain in `cert_path` and the key in `key_path` (PKCS#8 or SEC1 PEM),
/// shown only to a client whose server name is one of `hosts`; any other name, or none, fails
/// the handshake. Errors name the config field and the file.
pub fn server_config(
    cert_path: &str,
    key_path: &str,
    hosts: &[String],
) -> Result<ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert_path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("field tls_cert: reading {cert_path}: {e}"))?;
    if chain.is_empty() {
        return Err(format!(
            "field tls_cert: {cert_path} holds no PEM certificate"
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| format!("field tls_key: reading {key_path}: {e}"))?;
    let provider = provider();
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("field tls_key: {key_path}: {e}"))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified
        .keys_match()
        .map_err(|e| format!("field tls_key: {key_path} is not the key of {cert_path}: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("setting up TLS: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(ByName {
            hosts: hosts.to_vec(),
            certified: Arc::new(certified),
        }));
    config.alpn_protocols = vec![HTTP_1_1.to_vec()];
    Ok(config)
}

/// Shows the certificate to a client that names one of `hosts`, and none to any other.
#[derive(Debug)]
struct ByName {
    hosts: Vec<String>,
    certified: Arc<CertifiedKey>,
}

impl ResolvesServerCert for ByName {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name()?;
        self.hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
            .then(|| Arc::clone(&self.certified))
    }
}

/// The client config the real hosts are verified with: the roots in `roots_path` only.
pub fn client_config(roots_path: &str) -> Result<ClientConfig, String> {
    let certs = CertificateDer::pem_file_iter(roots_path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("field upstream_roots: reading {roots_path}: {e}"))?;
    let mut roots = RootCertStore::empty();
    // A system bundle may hold a certificate webpki cannot use; the others still verify.
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "field upstream_roots: {roots_path} holds no usable PEM certificate"
        ));
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("setting up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![HTTP_1_1.to_vec()];
    Ok(config)
}
