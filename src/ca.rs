//! The per-bottle egress CA: a short-lived, name-constrained signing key for pipelock's TLS
//! interception, generated in-process at launch.
//!
//! The agent trusts this CA so that pipelock can read (and DLP-scan) its HTTPS traffic. A CA in
//! a trust store is a key that can impersonate any host to that store, so this one is shaped to
//! be worth as little as possible outside its bottle:
//!
//! - **Name constraints** (critical): the permitted DNS subtrees are exactly the bottle's
//!   allowlisted domains (`*.x.com` and `x.com` both become the subtree `x.com`), and every IPv4
//!   and IPv6 address is excluded. With only DNS subtrees permitted, RFC 5280 leaves IP SANs
//!   unconstrained, hence the explicit `0.0.0.0/0` and `::/0` exclusions. A leaf this key signs
//!   for any other name is rejected by OpenSSL (curl, Node) and Go's crypto/x509.
//!   A DNS subtree also admits every subdomain of its base; the allowlist itself is enforced by
//!   pipelock, the constraint only bounds what a leaked key could be used for.
//! - **Path length 0** and keyUsage keyCertSign|cRLSign: it signs leaves, never another CA.
//! - **Short lifetime**: valid for the bottle's expected life ([`DEFAULT_VALIDITY`] unless the
//!   caller knows better), backdated by a few minutes for clock skew.
//! - **SEC1 key file**: pipelock loads the key with Go's `x509.ParseECPrivateKey`, which rejects
//!   PKCS#8 (rcgen's native output) and needs the named-curve parameters inside the SEC1
//!   structure. The key is held in memory only in a zeroize-on-drop buffer whose `Debug` is
//!   redacted.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{anyhow, ensure, Context, Result};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey as _;
use p256::pkcs8::{AssociatedOid, DecodePrivateKey};
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use sec1::der::{pem::LineEnding, Encode};
use sec1::pkcs8::der::pem::PemLabel;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Lifetime of a bottle CA when the caller has no better bound: a week covers a long-running
/// session, and a leaked key is worthless soon after.
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How far `not_before` is backdated, so a container whose clock lags the host's still accepts
/// the CA (and the leaves pipelock signs with it) right after launch.
const CLOCK_SKEW_ALLOWANCE: time::Duration = time::Duration::minutes(5);

/// Serial length in bytes: 128 random bits, as pipelock's own `tls init` uses.
const SERIAL_LEN: usize = 16;

/// A private key in PEM form: redacted in `Debug`, wiped from memory on drop.
pub struct SecretKeyPem(Zeroizing<String>);

impl SecretKeyPem {
    /// The PEM text. Write it to a 0600 file; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKeyPem(<redacted>)")
    }
}

/// A freshly generated bottle CA: the public certificate, its SEC1 private key and the
/// certificate's fingerprint.
#[derive(Debug)]
pub struct BottleCa {
    cert_pem: String,
    key: SecretKeyPem,
    fingerprint: String,
    /// The end of its validity: no certificate it signs outlives it.
    not_after: time::OffsetDateTime,
}

/// A server certificate the bottle CA signed, with its own key: what the key holder shows the
/// agent for the hosts it answers (see [`BottleCa::issue_server_cert`]).
#[derive(Debug)]
pub struct ServerCert {
    cert_pem: String,
    key: SecretKeyPem,
}

impl ServerCert {
    /// The certificate as PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Its private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), for a 0600 file.
    pub fn key_pkcs8_pem(&self) -> &str {
        self.key.expose()
    }
}

impl BottleCa {
    /// The CA certificate as PEM (`-----BEGIN CERTIFICATE-----`): for the agent's trust store
    /// and pipelock's `tls_interception.ca_cert`.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The private key as SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`, with the prime256v1
    /// parameters): for pipelock's `tls_interception.ca_key`, in a file of mode 0600.
    pub fn key_sec1_pem(&self) -> &str {
        self.key.expose()
    }

    /// `sha256:<lowercase hex>` of the DER certificate.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A server certificate for the DNS names `hosts`, signed by this CA and valid until it
    /// expires, with a fresh P-256 key: the agent trusts it as it trusts pipelock's leaves.
    /// The CA's name constraints apply: a host outside them gets a certificate no client
    /// accepts, so the caller keeps `hosts` within the CA's scope.
    pub fn issue_server_cert(&self, hosts: &[String]) -> Result<ServerCert> {
        ensure!(!hosts.is_empty(), "a server certificate needs a host name");
        let sans = hosts
            .iter()
            .map(|host| {
                let name = host
                    .as_str()
                    .try_into()
                    .map_err(|e| anyhow!("{host:?} is not a dns name: {e}"))?;
                Ok(SanType::DnsName(name))
            })
            .collect::<Result<Vec<_>>>()?;
        self.sign_server_cert(sans)
    }

    /// Signs a server certificate for `sans` (the first names its subject), loading the CA key
    /// back from its SEC1 PEM.
    fn sign_server_cert(&self, sans: Vec<SanType>) -> Result<ServerCert> {
        let secret = p256::SecretKey::from_sec1_pem(self.key_sec1_pem())
            .map_err(|e| anyhow!("reading the ca key: {e}"))?;
        let ca_pkcs8 = secret
            .to_pkcs8_der()
            .map_err(|e| anyhow!("encoding the ca key: {e}"))?;
        let ca_key =
            KeyPair::try_from(ca_pkcs8.as_bytes()).context("loading the ca key for signing")?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, ca_key)
            .context("reading the ca certificate for signing")?;

        let mut params = CertificateParams::default();
        params.not_before = time::OffsetDateTime::now_utc() - CLOCK_SKEW_ALLOWANCE;
        params.not_after = self.not_after;
        params.serial_number = Some(random_serial()?);
        params.distinguished_name = DistinguishedName::new();
        if let Some(SanType::DnsName(name)) = sans.first() {
            params
                .distinguished_name
                .push(DnType::CommonName, name.as_str());
        }
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let mut leaf_key =
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generating the leaf key")?;
        let cert = params
            .signed_by(&leaf_key, &issuer)
            .context("signing the server certificate")?;
        let key = SecretKeyPem(Zeroizing::new(leaf_key.serialize_pem()));
        leaf_key.zeroize();
        Ok(ServerCert {
            cert_pem: cert.pem(),
            key,
        })
    }
}

/// Which DNS names a bottle CA may issue for.
#[derive(Debug, Clone, Copy)]
pub enum DnsScope<'a> {
    /// The subtrees of these names: hostnames, optionally with a leading `*.` (the resolved
    /// allowlist, and the hosts that may be allowed while the bottle runs).
    Only(&'a [String]),
    /// Any DNS name: for a learn run, whose agent may reach any host. IP addresses stay
    /// excluded.
    Any,
}

/// Generates the egress CA for bottle `slug`, constrained to `scope`, valid for `validity` from
/// now (plus a few minutes of backdating).
///
/// Fails if `scope` lists no name, a name cannot be a DNS name constraint (an IP address, a
/// wildcard other than a leading `*.`, a non-ASCII or malformed label), or `validity` is zero.
pub fn generate(slug: &str, scope: DnsScope<'_>, validity: Duration) -> Result<BottleCa> {
    ensure!(!slug.trim().is_empty(), "bottle slug is empty");
    ensure!(
        !slug.chars().any(char::is_control),
        "bottle slug {slug:?} contains control characters"
    );
    let bases = match scope {
        DnsScope::Only(permitted) => {
            ensure!(
                !permitted.is_empty(),
                "no allowlisted domains to permit in the ca name constraints"
            );
            let mut bases = permitted
                .iter()
                .map(|name| dns_constraint_base(name))
                .collect::<Result<Vec<_>>>()?;
            bases.sort();
            bases.dedup();
            bases
        }
        DnsScope::Any => Vec::new(),
    };

    let validity = time::Duration::try_from(validity).context("ca validity is out of range")?;
    ensure!(validity.is_positive(), "ca validity must be positive");
    let now = time::OffsetDateTime::now_utc();

    let mut params = CertificateParams::default();
    params.not_before = now - CLOCK_SKEW_ALLOWANCE;
    params.not_after = now
        .checked_add(validity)
        .context("ca validity is out of range")?;
    params.serial_number = Some(random_serial()?);
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("bot-bottle {slug} egress CA"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "bot-bottle");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: bases.into_iter().map(GeneralSubtree::DnsName).collect(),
        excluded_subtrees: vec![
            GeneralSubtree::IpAddress(CidrSubnet::V4([0; 4], [0; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6([0; 16], [0; 16])),
        ],
    });

    let mut key_pair =
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generating the ca key")?;
    let cert = params
        .self_signed(&key_pair)
        .context("self-signing the ca certificate")?;
    let key_pem = sec1_pem_from_pkcs8(key_pair.serialized_der());
    // rcgen keeps a PKCS#8 copy of the key; wipe it whether or not the conversion worked.
    key_pair.zeroize();
    let key = SecretKeyPem(key_pem?);

    let cert_pem = cert.pem();
    let fingerprint = fingerprint_of_pem(&cert_pem)?;
    Ok(BottleCa {
        cert_pem,
        key,
        fingerprint,
        not_after: params.not_after,
    })
}

/// The DNS subtrees the CA certificate in `pem` may issue for (its permitted name
/// constraints), or `None` when it may issue for any DNS name.
pub fn permitted_dns_subtrees(pem: &str) -> Result<Option<Vec<String>>> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| anyhow!("reading certificate pem: {e}"))?;
    let cert = block
        .parse_x509()
        .map_err(|e| anyhow!("parsing certificate: {e}"))?;
    let constraints = cert
        .name_constraints()
        .map_err(|e| anyhow!("reading the name constraints: {e}"))?;
    let Some(permitted) = constraints.and_then(|c| c.value.permitted_subtrees.clone()) else {
        return Ok(None);
    };
    Ok(Some(
        permitted
            .iter()
            .filter_map(|subtree| match subtree.base {
                x509_parser::extensions::GeneralName::DNSName(name) => {
                    Some(name.to_ascii_lowercase())
                }
                _ => None,
            })
            .collect(),
    ))
}

/// Whether a CA constrained to the DNS `subtrees` may issue for hostname `host` (`*.x.com`
/// needs the subtree of `x.com` or above).
pub fn subtrees_permit(subtrees: &[String], host: &str) -> bool {
    let host = host.strip_prefix("*.").unwrap_or(host).to_ascii_lowercase();
    subtrees
        .iter()
        .any(|base| host == *base || host.ends_with(&format!(".{base}")))
}

/// `sha256:<lowercase hex>` of `bytes`.
pub fn sha256_of(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        base16ct::lower::encode_string(&Sha256::digest(bytes))
    )
}

/// `sha256:<lowercase hex>` of the DER certificate in `pem` (one `CERTIFICATE` block, which
/// must parse as an X.509 certificate).
pub fn fingerprint_of_pem(pem: &str) -> Result<String> {
    let (rest, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| anyhow!("reading certificate pem: {e}"))?;
    ensure!(
        block.label == "CERTIFICATE",
        "expected a CERTIFICATE pem block, found {:?}",
        block.label
    );
    ensure!(
        !String::from_utf8_lossy(rest).contains("-----BEGIN"),
        "expected one certificate, found more pem blocks"
    );
    block
        .parse_x509()
        .map_err(|e| anyhow!("parsing certificate: {e}"))?;
    Ok(sha256_of(&block.contents))
}

/// The permitted DNS subtree for one allowlist entry: `*.x.com` and `x.com` both give `x.com`
/// (a DNS subtree covers its base and every name below it), lowercased.
fn dns_constraint_base(name: &str) -> Result<String> {
    let host = name.strip_prefix("*.").unwrap_or(name).to_ascii_lowercase();
    ensure!(
        host.parse::<IpAddr>().is_err(),
        "allowlist entry {name:?} is an ip address, not a dns name"
    );
    ensure!(
        !host.is_empty() && host.len() <= 253,
        "allowlist entry {name:?} is not a valid dns name"
    );
    for label in host.split('.') {
        ensure!(
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-'),
            "allowlist entry {name:?} is not a valid dns name (label {label:?})"
        );
    }
    Ok(host)
}

/// A random positive serial from the OS CSPRNG.
fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; SERIAL_LEN];
    getrandom::getrandom(&mut bytes).map_err(|e| anyhow!("reading random serial: {e}"))?;
    // Clear the sign bit so the DER INTEGER is positive without a padding byte, and set the
    // next one so the serial keeps its full length (RFC 5280 wants it non-zero, at most 20 bytes).
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

/// Re-encodes a P-256 PKCS#8 key as SEC1 PEM with the named-curve parameters.
///
/// The `p256` crate's own `SecretKey::to_sec1_pem` leaves the optional `[0] parameters` out,
/// and Go's `x509.ParseECPrivateKey` then fails with "unknown elliptic curve"; so the SEC1
/// structure is built here from the parsed key, with the curve OID set.
fn sec1_pem_from_pkcs8(pkcs8_der: &[u8]) -> Result<Zeroizing<String>> {
    let secret = p256::SecretKey::from_pkcs8_der(pkcs8_der)
        .map_err(|e| anyhow!("reading the generated key as p-256 pkcs#8: {e}"))?;
    let scalar = Zeroizing::new(secret.to_bytes());
    let public = secret.public_key().to_encoded_point(false);
    let der = Zeroizing::new(
        sec1::EcPrivateKey {
            private_key: &scalar,
            parameters: Some(sec1::EcParameters::NamedCurve(p256::NistP256::OID)),
            public_key: Some(public.as_bytes()),
        }
        .to_der()
        .map_err(|e| anyhow!("encoding the ca key as sec1: {e}"))?,
    );
    let pem = sec1::der::pem::encode_string(sec1::EcPrivateKey::PEM_LABEL, LineEnding::LF, &der)
        .map_err(|e| anyhow!("encoding the ca key as pem: {e}"))?;
    Ok(Zeroizing::new(pem))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use sec1::der::Decode;
    use x509_parser::certificate::X509Certificate;
    use x509_parser::extensions::GeneralName;
    use x509_parser::oid_registry::{OID_EC_P256, OID_SIG_ECDSA_WITH_SHA256};
    use x509_parser::prelude::FromDer;

    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    /// A CA constrained to `permitted`.
    fn constrained(slug: &str, permitted: &[String], validity: Duration) -> Result<BottleCa> {
        generate(slug, DnsScope::Only(permitted), validity)
    }

    fn sample() -> BottleCa {
        constrained(
            "demo-1",
            &names(&["api.anthropic.com", "*.GitHub.com", "github.com"]),
            DEFAULT_VALIDITY,
        )
        .expect("generating a ca")
    }

    fn der_of(pem: &str) -> Vec<u8> {
        let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("pem");
        block.contents
    }

    #[test]
    fn ca_is_a_constrained_p256_ca_for_the_bottle() {
        let ca = sample();
        let der = der_of(ca.cert_pem());
        let (_, cert) = X509Certificate::from_der(&der).expect("parsing the ca");

        assert_eq!(
            cert.signature_algorithm.algorithm,
            OID_SIG_ECDSA_WITH_SHA256
        );
        let spki_alg = &cert.public_key().algorithm;
        let curve = spki_alg
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .expect("curve oid");
        assert_eq!(curve, OID_EC_P256);

        let subject = cert.subject().to_string();
        assert!(
            subject.contains("CN=bot-bottle demo-1 egress CA"),
            "{subject}"
        );
        assert!(subject.contains("O=bot-bottle"), "{subject}");
        assert_eq!(cert.subject(), cert.issuer());
        assert_eq!(cert.raw_serial().len(), SERIAL_LEN);

        let bc = cert
            .basic_constraints()
            .unwrap()
            .expect("basic constraints");
        assert!(bc.critical);
        assert!(bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(0));

        let ku = cert.key_usage().unwrap().expect("key usage");
        assert!(ku.critical);
        assert!(ku.value.key_cert_sign() && ku.value.crl_sign());
        assert!(!ku.value.digital_signature() && !ku.value.key_encipherment());

        let nc = cert.name_constraints().unwrap().expect("name constraints");
        assert!(nc.critical);
        let permitted: Vec<String> = nc
            .value
            .permitted_subtrees
            .as_ref()
            .expect("permitted subtrees")
            .iter()
            .map(|s| match s.base {
                GeneralName::DNSName(name) => name.to_string(),
                ref other => panic!("unexpected permitted subtree {other:?}"),
            })
            .collect();
        assert_eq!(permitted, ["api.anthropic.com", "github.com"]);
        let excluded: Vec<Vec<u8>> = nc
            .value
            .excluded_subtrees
            .as_ref()
            .expect("excluded subtrees")
            .iter()
            .map(|s| match s.base {
                GeneralName::IPAddress(bytes) => bytes.to_vec(),
                ref other => panic!("unexpected excluded subtree {other:?}"),
            })
            .collect();
        assert_eq!(excluded, [vec![0u8; 8], vec![0u8; 32]]);

        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let not_before = cert.validity().not_before.timestamp();
        let not_after = cert.validity().not_after.timestamp();
        let skew = CLOCK_SKEW_ALLOWANCE.whole_seconds();
        let week = i64::try_from(DEFAULT_VALIDITY.as_secs()).unwrap();
        assert!(
            (now - skew - 60..=now - skew).contains(&not_before),
            "{not_before}"
        );
        assert!(
            (now + week - 60..=now + week).contains(&not_after),
            "{not_after}"
        );
        assert!(cert.validity().is_valid());
    }

    #[test]
    fn validity_follows_the_parameter() {
        let ca = constrained("v", &names(&["x.com"]), Duration::from_secs(3600)).unwrap();
        let der = der_of(ca.cert_pem());
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let span = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
        assert_eq!(span, 3600 + CLOCK_SKEW_ALLOWANCE.whole_seconds());
    }

    #[test]
    fn allowlist_entries_become_dns_subtree_bases() {
        assert_eq!(dns_constraint_base("*.x.com").unwrap(), "x.com");
        assert_eq!(dns_constraint_base("x.com").unwrap(), "x.com");
        assert_eq!(dns_constraint_base("API.X-1.com").unwrap(), "api.x-1.com");
        assert_eq!(dns_constraint_base("localhost").unwrap(), "localhost");
        for bad in [
            "",
            "*.",
            "*",
            "a..b",
            "x.com.",
            ".x.com",
            "a.*.x.com",
            "*x.com",
            "-x.com",
            "x-.com",
            "under_score.com",
            "bücher.de",
            "127.0.0.1",
            "::1",
            "*.10.0.0.1",
        ] {
            assert!(dns_constraint_base(bad).is_err(), "accepted {bad:?}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(dns_constraint_base(&long_label).is_err());
    }

    #[test]
    fn generate_rejects_bad_input() {
        let ok = names(&["x.com"]);
        assert!(constrained("s", &[], DEFAULT_VALIDITY).is_err());
        assert!(constrained("s", &names(&["x.com", "10.0.0.1"]), DEFAULT_VALIDITY).is_err());
        assert!(constrained("s", &ok, Duration::ZERO).is_err());
        assert!(constrained("s", &ok, Duration::MAX).is_err());
        assert!(constrained(" ", &ok, DEFAULT_VALIDITY).is_err());
        assert!(constrained("a\nb", &ok, DEFAULT_VALIDITY).is_err());
    }

    #[test]
    fn key_is_sec1_with_the_named_curve_and_matches_the_cert() {
        let ca = sample();
        let pem = ca.key_sec1_pem();
        assert!(
            pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"),
            "{}",
            &pem[..30]
        );
        assert!(pem.trim_end().ends_with("-----END EC PRIVATE KEY-----"));

        let (label, der) = sec1::der::pem::decode_vec(pem.as_bytes()).expect("pem");
        assert_eq!(label, "EC PRIVATE KEY");
        let parsed = sec1::EcPrivateKey::from_der(&der).expect("sec1 der");
        let curve = parsed
            .parameters
            .and_then(sec1::EcParameters::named_curve)
            .expect("named-curve parameters");
        assert_eq!(curve, p256::NistP256::OID);

        let secret = p256::SecretKey::from_sec1_pem(pem).expect("round trip");
        let public = secret.public_key().to_encoded_point(false);
        assert_eq!(parsed.public_key, Some(public.as_bytes()));

        let cert_der = der_of(ca.cert_pem());
        let (_, cert) = X509Certificate::from_der(&cert_der).unwrap();
        assert_eq!(
            cert.public_key().subject_public_key.data.as_ref(),
            public.as_bytes()
        );
    }

    #[test]
    fn fingerprint_is_sha256_of_the_der() {
        let ca = sample();
        let fp = ca.fingerprint();
        let hex = fp.strip_prefix("sha256:").expect("sha256: prefix");
        assert_eq!(hex.len(), 64);
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));

        assert_eq!(fingerprint_of_pem(ca.cert_pem()).unwrap(), fp);
        assert_eq!(fingerprint_of_pem(ca.cert_pem()).unwrap(), fp);
        let digest = Sha256::digest(der_of(ca.cert_pem()));
        assert_eq!(hex, base16ct::lower::encode_string(&digest));

        let other = sample();
        assert_ne!(other.fingerprint(), fp);
        assert_ne!(other.cert_pem(), ca.cert_pem());

        assert!(fingerprint_of_pem(ca.key_sec1_pem()).is_err());
        assert!(fingerprint_of_pem("not a pem").is_err());
        let two = format!("{}{}", ca.cert_pem(), other.cert_pem());
        assert!(fingerprint_of_pem(&two).is_err());
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(fingerprint_of_pem(garbage).is_err());
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let ca = sample();
        for shown in [
            format!("{ca:?}"),
            format!("{ca:#?}"),
            format!("{:?}", ca.key),
        ] {
            assert!(shown.contains("<redacted>"), "{shown}");
            assert!(!shown.contains("PRIVATE KEY"), "{shown}");
            for line in ca
                .key_sec1_pem()
                .lines()
                .filter(|l| !l.starts_with("-----"))
            {
                assert!(!shown.contains(line), "debug output leaks key line {line}");
            }
        }
    }

    /// A temporary directory removed on drop, even when an assertion fails.
    struct TempDir(tempfile::TempDir);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = tempfile::Builder::new()
                .prefix(&format!("bot-bottle-{tag}-"))
                .tempdir()
                .expect("creating a temp dir");
            Self(dir)
        }

        fn write(&self, name: &str, contents: &str) -> PathBuf {
            let path = self.0.path().join(name);
            std::fs::write(&path, contents).expect("writing temp file");
            path
        }
    }

    fn openssl_present() -> bool {
        let found = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!(
                "!!! openssl not found on PATH: skipping the openssl checks of the bottle ca"
            );
        }
        found
    }

    /// Runs openssl on `paths`; `show` echoes its output (off where it would print a key).
    fn openssl(args: &[&str], paths: &[&Path], show: bool) -> (bool, String) {
        let Output {
            status,
            stdout,
            stderr,
        } = Command::new("openssl")
            .args(args)
            .args(paths)
            .output()
            .expect("running openssl");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
        if show {
            eprintln!("openssl {args:?} {paths:?}: {status}\n{text}");
        }
        (status.success(), text)
    }

    /// Signs a server leaf for `san` with the CA, loading the CA key back from its SEC1 PEM the
    /// way pipelock would.
    fn mint_leaf(ca: &BottleCa, san: SanType) -> String {
        ca.sign_server_cert(vec![san])
            .unwrap()
            .cert_pem()
            .to_owned()
    }

    /// `openssl verify` of a leaf for `san` that `ca` signed (files named `name` in `dir`).
    fn verify_leaf(ca: &BottleCa, dir: &TempDir, name: &str, san: SanType) -> (bool, String) {
        let ca_pem = dir.write("ca.pem", ca.cert_pem());
        let leaf = dir.write(name, &mint_leaf(ca, san));
        openssl(
            &["verify", "-x509_strict", "-CAfile"],
            &[&ca_pem, &leaf],
            true,
        )
    }

    #[test]
    fn openssl_accepts_the_key() {
        if !openssl_present() {
            return;
        }
        let ca = sample();
        let dir = TempDir::new("ca-key");
        let key = dir.write("key.pem", ca.key_sec1_pem());
        let (ok, out) = openssl(&["ec", "-noout", "-check", "-in"], &[&key], true);
        assert!(ok, "{out}");
        assert!(out.contains("EC Key valid"), "{out}");
        let (ok, out) = openssl(&["ec", "-noout", "-text", "-in"], &[&key], false);
        // The text dump holds the private key: report only whether the curve was named.
        assert!(ok, "openssl ec -text failed");
        assert!(
            out.contains("ASN1 OID: prime256v1"),
            "key has no named curve"
        );
    }

    #[test]
    fn openssl_enforces_the_name_constraints() {
        if !openssl_present() {
            return;
        }
        let ca = sample();
        let dir = TempDir::new("ca-verify");
        let ca_pem = dir.write("ca.pem", ca.cert_pem());
        let (ok, out) = openssl(
            &["x509", "-noout", "-fingerprint", "-sha256", "-in"],
            &[&ca_pem],
            true,
        );
        assert!(ok, "{out}");
        let theirs = out
            .trim()
            .rsplit('=')
            .next()
            .unwrap()
            .replace(':', "")
            .to_ascii_lowercase();
        assert_eq!(format!("sha256:{theirs}"), ca.fingerprint());

        let verify = |name: &str, san: SanType| verify_leaf(&ca, &dir, name, san);

        for (file, host) in [
            ("exact.pem", "api.anthropic.com"),
            ("wildcard.pem", "objects.github.com"),
            ("base.pem", "github.com"),
        ] {
            let (ok, out) = verify(file, SanType::DnsName(host.try_into().unwrap()));
            assert!(ok, "{host} should verify: {out}");
            assert!(out.contains(": OK"), "{out}");
        }

        for (file, host) in [
            ("other.pem", "evil.example.com"),
            ("suffix.pem", "notgithub.com"),
            ("sibling.pem", "anthropic.com"),
        ] {
            let (ok, out) = verify(file, SanType::DnsName(host.try_into().unwrap()));
            assert!(!ok, "{host} must not verify: {out}");
            assert!(out.contains("permitted subtree violation"), "{out}");
        }

        for (file, ip) in [("ip4.pem", "127.0.0.1"), ("ip6.pem", "::1")] {
            let (ok, out) = verify(file, SanType::IpAddress(ip.parse().unwrap()));
            assert!(!ok, "{ip} must not verify: {out}");
            assert!(out.contains("excluded subtree violation"), "{out}");
        }
    }

    #[test]
    fn permitted_subtrees_are_read_back_from_the_cert() {
        let ca = sample();
        let subtrees = permitted_dns_subtrees(ca.cert_pem()).unwrap().unwrap();
        assert_eq!(subtrees, ["api.anthropic.com", "github.com"]);
        assert!(subtrees_permit(&subtrees, "github.com"));
        assert!(subtrees_permit(&subtrees, "objects.github.com"));
        assert!(subtrees_permit(&subtrees, "*.github.com"));
        assert!(!subtrees_permit(&subtrees, "notgithub.com"));
        assert!(!subtrees_permit(&subtrees, "anthropic.com"));
        assert!(!subtrees_permit(&subtrees, "*.anthropic.com"));

        let any = generate("learn", DnsScope::Any, DEFAULT_VALIDITY).unwrap();
        assert_eq!(permitted_dns_subtrees(any.cert_pem()).unwrap(), None);
    }

    #[test]
    fn a_server_cert_names_every_host_lives_no_longer_than_the_ca_and_openssl_verifies_it() {
        let ca = sample();
        let cert = ca
            .issue_server_cert(&names(&["api.anthropic.com", "github.com"]))
            .unwrap();
        assert!(cert
            .key_pkcs8_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{cert:?}").contains("PRIVATE KEY"), "{cert:?}");
        let der = der_of(cert.cert_pem());
        let (_, leaf) = X509Certificate::from_der(&der).unwrap();
        let sans: Vec<String> = leaf
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => (*d).to_owned(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(sans, ["api.anthropic.com", "github.com"]);
        let ca_der = der_of(ca.cert_pem());
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
        assert!(leaf.validity().not_after <= ca_cert.validity().not_after);
        assert!(!leaf.is_ca());
        assert!(ca.issue_server_cert(&[]).is_err());
        if !openssl_present() {
            return;
        }
        let dir = TempDir::new("server-cert");
        let ca_pem = dir.write("ca.pem", ca.cert_pem());
        let leaf_pem = dir.write("leaf.pem", cert.cert_pem());
        let (ok, out) = openssl(
            &["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile"],
            &[&ca_pem, &leaf_pem],
            true,
        );
        assert!(ok && out.contains(": OK"), "{out}");
    }

    #[test]
    fn openssl_lets_an_any_scope_ca_issue_for_names_but_not_addresses() {
        if !openssl_present() {
            return;
        }
        let ca = generate("learn", DnsScope::Any, DEFAULT_VALIDITY).unwrap();
        let dir = TempDir::new("ca-any");
        let verify = |name: &str, san: SanType| verify_leaf(&ca, &dir, name, san);
        let (ok, out) = verify(
            "name.pem",
            SanType::DnsName("any.example.org".try_into().unwrap()),
        );
        assert!(ok && out.contains(": OK"), "{out}");
        let (ok, out) = verify("ip.pem", SanType::IpAddress("10.1.2.3".parse().unwrap()));
        assert!(!ok, "an address must not verify: {out}");
        assert!(out.contains("excluded subtree violation"), "{out}");
    }
}
