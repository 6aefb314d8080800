//! The interception CA: `tls init` (write one), loading and checking one like pipelock's
//! validation, and minting per-host leaf certificates signed by it.

mod key;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

/// A loaded CA: its certificate and the issuer that signs leaves.
pub struct LoadedCa {
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A minted leaf: chain (leaf, CA) and its private key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    // ring's generator uses the getrandom syscall: a FROM scratch image may lack /dev/urandom.
    let mut buf = [0u8; N];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut buf)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    Ok(buf)
}

/// Writes `ca.pem` and `ca-key.pem` (0600) into `dir` (0750), like `pipelock tls init`:
/// ECDSA P-256, SEC1 key, CN=Pipelock CA, CA:true pathlen 0, keyCertSign|cRLSign.
pub fn init(dir: &Path, org: Option<&str>, force: bool) -> Result<()> {
    let cert_path = dir.join("ca.pem");
    let key_path = dir.join("ca-key.pem");
    if !force && (cert_path.exists() || key_path.exists()) {
        bail!(
            "CA files already exist in {} (use --force to overwrite)",
            dir.display()
        );
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o750))
        .with_context(|| format!("setting mode of {}", dir.display()))?;

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generating CA key")?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Pipelock CA");
    dn.push(DnType::OrganizationName, org.unwrap_or("Pipelock"));
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut serial = random_bytes::<16>()?;
    serial[0] &= 0x7f; // keep the INTEGER positive
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::from_secs(3600);
    params.not_after = now + Duration::from_secs(87_600 * 3600);
    let cert = params.self_signed(&key).context("self-signing CA")?;

    let sec1 = key::sec1_from_pkcs8(&key.serialize_der())?;
    let key_pem = pem::encode(&pem::Pem::new("EC PRIVATE KEY", sec1));
    write_private(&key_path, key_pem.as_bytes())?;
    write_private(&cert_path, cert.pem().as_bytes())?;
    Ok(())
}

fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(data)?;
    // The mode above only applies to new files; --force may reuse an old one.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Loads and checks the CA like pipelock's validation: both files exist, the key file is not
/// group-writable or world-accessible, the key is SEC1 P-256, the cert is a CA with
/// keyCertSign, and it matches the key.
pub fn load(cert_path: &Path, key_path: &Path) -> Result<LoadedCa> {
    fs::metadata(cert_path).with_context(|| {
        format!(
            "CA cert not found at {} (run 'pipelock tls init')",
            cert_path.display()
        )
    })?;
    let key_meta = fs::metadata(key_path).with_context(|| {
        format!(
            "CA key not found at {} (run 'pipelock tls init')",
            key_path.display()
        )
    })?;
    let mode = key_meta.permissions().mode() & 0o777;
    if mode & 0o137 != 0 {
        bail!(
            "CA key {} is too permissive (mode {mode:04o}): restrict to 0600 or 0640",
            key_path.display()
        );
    }
    let key_text = fs::read_to_string(key_path)
        .with_context(|| format!("reading CA key {}", key_path.display()))?;
    let key_pem =
        pem::parse(&key_text).with_context(|| format!("decoding CA key {}", key_path.display()))?;
    let secret = match key_pem.tag() {
        "EC PRIVATE KEY" => key::parse_sec1(key_pem.contents()),
        "PRIVATE KEY" => Err(anyhow::anyhow!(key::PKCS8_HINT)),
        "RSA PRIVATE KEY" => Err(anyhow::anyhow!(
            "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)"
        )),
        other => Err(anyhow::anyhow!("unexpected PEM block {other:?}")),
    }
    .with_context(|| format!("loading CA key {}", key_path.display()))?;
    let key =
        key::key_pair(&secret).with_context(|| format!("loading CA key {}", key_path.display()))?;

    let cert_text = fs::read_to_string(cert_path)
        .with_context(|| format!("reading CA cert {}", cert_path.display()))?;
    let cert_pem = pem::parse(&cert_text)
        .with_context(|| format!("decoding CA cert {}", cert_path.display()))?;
    ensure!(
        cert_pem.tag() == "CERTIFICATE",
        "CA cert {} holds no CERTIFICATE block",
        cert_path.display()
    );
    check_ca_cert(cert_pem.contents(), &key::public_point(&secret))
        .with_context(|| format!("checking CA cert {}", cert_path.display()))?;
    let cert_der = CertificateDer::from(cert_pem.contents().to_vec());
    let issuer = Issuer::from_ca_cert_der(&cert_der, key)
        .with_context(|| format!("using CA cert {}", cert_path.display()))?;
    Ok(LoadedCa { cert_der, issuer })
}

fn check_ca_cert(der: &[u8], public: &[u8]) -> Result<()> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).context("parsing certificate")?;
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|bc| bc.value.ca);
    ensure!(is_ca, "certificate is not a CA");
    let cert_sign = cert
        .key_usage()
        .ok()
        .flatten()
        .is_some_and(|ku| ku.value.key_cert_sign());
    ensure!(cert_sign, "CA certificate lacks the keyCertSign key usage");
    ensure!(
        cert.public_key().subject_public_key.data.as_ref() == public,
        "CA certificate does not match the CA key"
    );
    Ok(())
}

impl LoadedCa {
    /// Mints a leaf for `host` (ECDSA P-256, SAN = host) valid for `ttl`.
    pub fn mint(&self, host: &str, ttl: Duration) -> Result<Leaf> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("generating leaf key")?;
        let mut params = CertificateParams::new(vec![host.to_string()])
            .with_context(|| format!("leaf params for {host}"))?;
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, host.to_string());
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let mut serial = random_bytes::<16>()?;
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::from_secs(3600);
        params.not_after = now + ttl;
        let cert = params
            .signed_by(&key, &self.issuer)
            .with_context(|| format!("signing leaf for {host}"))?;
        Ok(Leaf {
            chain: vec![cert.der().clone(), self.cert_der.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory `init` may create, in a temp dir removed on drop.
    fn temp_dir(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("pipelock-double-ca-{name}-"))
            .tempdir()
            .unwrap();
        let dir = tmp.path().join("ca");
        (tmp, dir)
    }

    #[test]
    fn init_then_load_then_mint() {
        let (_tmp, dir) = temp_dir("init");
        init(&dir, None, false).unwrap();
        let key_mode = fs::metadata(dir.join("ca-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(key_mode & 0o777, 0o600);
        let dir_mode = fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o750);
        let key_text = fs::read_to_string(dir.join("ca-key.pem")).unwrap();
        assert!(key_text.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        assert!(init(&dir, None, false).is_err(), "refuses to overwrite");
        let ca = load(&dir.join("ca.pem"), &dir.join("ca-key.pem")).unwrap();
        let leaf = ca
            .mint("api.example.test", Duration::from_secs(3600))
            .unwrap();
        assert_eq!(leaf.chain.len(), 2);
    }

    /// Like pipelock's `LoadCA`: the certificate's public key must be the one the key file's
    /// scalar gives, and a PKCS#8 key file is refused with Go's hint.
    #[test]
    fn the_cert_must_match_the_key() {
        let (_tmp_a, a) = temp_dir("match-a");
        let (_tmp_b, b) = temp_dir("match-b");
        init(&a, None, false).unwrap();
        init(&b, None, false).unwrap();
        let err = load(&a.join("ca.pem"), &b.join("ca-key.pem"))
            .err()
            .unwrap();
        assert!(
            format!("{err:#}").contains("CA certificate does not match the CA key"),
            "{err:#}"
        );

        let pkcs8 = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        write_private(&a.join("ca-key.pem"), pkcs8.serialize_pem().as_bytes()).unwrap();
        let err = load(&a.join("ca.pem"), &a.join("ca-key.pem"))
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains(key::PKCS8_HINT), "{err:#}");
    }

    #[test]
    fn permissive_key_mode_is_rejected() {
        let (_tmp, dir) = temp_dir("mode");
        init(&dir, None, false).unwrap();
        let key = dir.join("ca-key.pem");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load(&dir.join("ca.pem"), &key).err().unwrap();
        assert!(format!("{err:#}").contains("too permissive"), "{err:#}");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(load(&dir.join("ca.pem"), &key).is_ok());
    }
}
