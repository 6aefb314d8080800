//! The CA key's two DER forms, through the `RustCrypto` crates the main crate already uses for the
//! same job (`sec1`, `der`, `pkcs8`, `p256`): SEC1 `ECPrivateKey`, what pipelock's `tls init`
//! writes and its loader reads with Go's `x509.ParseECPrivateKey`, and PKCS#8, what rcgen
//! generates and ring signs with.

use anyhow::{anyhow, bail, Context, Result};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{AssociatedOid, DecodePrivateKey, EncodePrivateKey, PrivateKeyInfo};
use p256::{FieldBytes, NistP256, SecretKey};
use rcgen::KeyPair;
use sec1::der::{Decode, Encode, ErrorKind, SliceReader, Tag};
use sec1::{EcParameters, EcPrivateKey};

/// Go's answer to a PKCS#8 key, whose hint names the parser that would have taken it.
pub const PKCS8_HINT: &str =
    "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)";

/// Decodes the first DER value of `der`, ignoring what follows it, as Go's `asn1.Unmarshal`
/// does (it hands the rest back and `ParseECPrivateKey` drops it).
fn first<'a, T: Decode<'a>>(der: &'a [u8]) -> sec1::der::Result<T> {
    T::decode(&mut SliceReader::new(der)?)
}

/// Reads SEC1 DER like Go's `x509.ParseECPrivateKey`, for the one curve the double supports:
/// a PKCS#8 key gets Go's hint, the version must be 1, the curve must be named (P-256 here),
/// and the scalar is taken as Go takes it (leading zero bytes beyond 32 dropped, a shorter one
/// left-padded) and must lie in 1..n. The optional public key field is ignored, as Go ignores
/// it: the public key is derived from the scalar.
pub fn parse_sec1(der: &[u8]) -> Result<SecretKey> {
    let key = match first::<EcPrivateKey>(der) {
        Ok(key) => key,
        Err(_) if first::<PrivateKeyInfo>(der).is_ok() => bail!(PKCS8_HINT),
        // `sec1` checks the version while decoding, and it is the structure's only INTEGER.
        Err(e) if e.kind() == (ErrorKind::Value { tag: Tag::Integer }) => {
            bail!("x509: unknown EC private key version")
        }
        Err(e) => bail!("x509: failed to parse EC private key: {e}"),
    };
    match key.parameters.and_then(EcParameters::named_curve) {
        None => bail!("x509: unknown elliptic curve (SEC1 key names no curve)"),
        Some(oid) if oid != NistP256::OID => {
            bail!("x509: unsupported elliptic curve (want P-256)")
        }
        Some(_) => {}
    }
    let mut scalar = key.private_key;
    let mut bytes = FieldBytes::default();
    while scalar.len() > bytes.len() {
        match scalar.split_first() {
            Some((0, rest)) => scalar = rest,
            _ => bail!("x509: invalid private key length"),
        }
    }
    let pad = bytes.len() - scalar.len();
    bytes[pad..].copy_from_slice(scalar);
    SecretKey::from_bytes(&bytes)
        .map_err(|_| anyhow!("x509: invalid elliptic curve private key value"))
}

/// Encodes SEC1 DER as Go's `tls init` writes it: the curve named and the public key included.
pub fn to_sec1(key: &SecretKey) -> Result<Vec<u8>> {
    let scalar = key.to_bytes();
    let public = key.public_key().to_encoded_point(false);
    EcPrivateKey {
        private_key: &scalar,
        parameters: Some(EcParameters::NamedCurve(NistP256::OID)),
        public_key: Some(public.as_bytes()),
    }
    .to_der()
    .map_err(|e| anyhow!("encoding the CA key as SEC1: {e}"))
}

/// Re-encodes a P-256 PKCS#8 key (rcgen's output) as SEC1 DER for the key file.
pub fn sec1_from_pkcs8(der: &[u8]) -> Result<Vec<u8>> {
    let key =
        SecretKey::from_pkcs8_der(der).map_err(|e| anyhow!("reading the PKCS#8 CA key: {e}"))?;
    to_sec1(&key)
}

/// The uncompressed public point, as a certificate's `subjectPublicKey` holds it.
pub fn public_point(key: &SecretKey) -> Vec<u8> {
    key.public_key().to_encoded_point(false).as_bytes().to_vec()
}

/// The key as rcgen's signer (ring underneath), through PKCS#8.
pub fn key_pair(key: &SecretKey) -> Result<KeyPair> {
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| anyhow!("encoding the CA key as PKCS#8: {e}"))?;
    KeyPair::try_from(pkcs8.as_bytes()).context("loading the CA key into rcgen")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A P-256 key written by `openssl ecparam -name prime256v1 -genkey -noout -outform DER`
    /// (an independent tool; pipelock's `tls init` writes the same shape).
    const OPENSSL_P256: &str = concat!(
        "30770201010420f7ec8a1d0ef1e02a4ed802cecb7d1f22d6e89d7bd6450eaa42d543f59fc66e49a0",
        "0a06082a8648ce3d030107a144034200048add5da1bf7abe346e8e1cfd4fe3bd2bd7b1cff3f180ad",
        "ae008713a5715db53323ec937aa694e6e555b720d027fcf5e5bd85230eac49fc38b678079643caae",
        "d1",
    );
    /// The same tool's P-384 key: a SEC1 key Go reads, for a curve the double refuses.
    const OPENSSL_P384: &str = concat!(
        "3081a402010104300d1ae456d181ab266892148ec4f86c3a75990c6b33eb4070c8f7ab8d0b1f953f",
        "d1c1d7942e5f270e238438282d20936ca00706052b81040022a16403620004de8246c6c3238bc5e6",
        "3dbe0e7f13e20caf25e93f500c1812bc59a7c66f0f49003773a373bc82bb7fab068dc0a1dfe88995",
        "c50d92fcfccba1626193cc1ba1ab622d4dc83c05ff309bc7560b08994088307bda6a5dc7ef070328",
        "c4a975b42608c6",
    );

    fn unhex(hex: &str) -> Vec<u8> {
        base16ct::mixed::decode_vec(hex).unwrap()
    }

    fn rcgen_key() -> (KeyPair, SecretKey) {
        let pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let secret = SecretKey::from_pkcs8_der(&pair.serialize_der()).unwrap();
        (pair, secret)
    }

    fn err(der: &[u8]) -> String {
        format!("{:#}", parse_sec1(der).expect_err("refused"))
    }

    #[test]
    fn reads_an_openssl_key_and_signs_with_it() {
        let der = unhex(OPENSSL_P256);
        let key = parse_sec1(&der).unwrap();
        let parsed = EcPrivateKey::from_der(&der).unwrap();
        assert_eq!(public_point(&key), parsed.public_key.unwrap());
        assert_eq!(
            key_pair(&key).unwrap().public_key_raw(),
            parsed.public_key.unwrap()
        );
        // Written back, it is the same DER (curve named, public key included).
        assert_eq!(to_sec1(&key).unwrap(), der);
    }

    #[test]
    fn round_trips_an_rcgen_key() {
        let (pair, secret) = rcgen_key();
        let back = parse_sec1(&to_sec1(&secret).unwrap()).unwrap();
        assert_eq!(back.to_bytes(), secret.to_bytes());
        assert_eq!(public_point(&back), pair.public_key_raw());
        assert_eq!(
            key_pair(&back).unwrap().public_key_raw(),
            pair.public_key_raw()
        );
    }

    #[test]
    fn a_pkcs8_key_gets_gos_hint() {
        let (pair, _) = rcgen_key();
        assert_eq!(err(&pair.serialize_der()), PKCS8_HINT);
    }

    #[test]
    fn truncated_or_garbled_der_is_refused() {
        let der = unhex(OPENSSL_P256);
        for len in [0, 1, 2, 10, 40, der.len() - 1] {
            let e = err(&der[..len]);
            assert!(
                e.starts_with("x509: failed to parse EC private key"),
                "{len}: {e}"
            );
        }
        let mut garbled = der.clone();
        garbled[0] = 0x31; // a SET, not a SEQUENCE
        assert!(err(&garbled).starts_with("x509: failed to parse EC private key"));
        let mut garbled = der.clone();
        garbled[5] = 0x02; // the private key an INTEGER, not an OCTET STRING
        assert!(err(&garbled).starts_with("x509: failed to parse EC private key"));
        // Trailing bytes after the key are ignored, as Go's asn1.Unmarshal leaves them.
        let mut trailing = der;
        trailing.extend([0, 0]);
        assert!(parse_sec1(&trailing).is_ok());
    }

    #[test]
    fn another_version_is_refused() {
        let mut der = unhex(OPENSSL_P256);
        assert_eq!(der[2..5], [0x02, 0x01, 0x01]);
        der[4] = 2;
        assert_eq!(err(&der), "x509: unknown EC private key version");
    }

    #[test]
    fn another_curve_is_refused() {
        assert_eq!(
            err(&unhex(OPENSSL_P384)),
            "x509: unsupported elliptic curve (want P-256)"
        );
    }

    #[test]
    fn a_key_that_names_no_curve_is_refused() {
        let (_, secret) = rcgen_key();
        let scalar = secret.to_bytes();
        let der = EcPrivateKey {
            private_key: &scalar,
            parameters: None,
            public_key: None,
        }
        .to_der()
        .unwrap();
        assert_eq!(
            err(&der),
            "x509: unknown elliptic curve (SEC1 key names no curve)"
        );
    }

    /// Go derives the public key from the scalar: a key without one loads, and a wrong one is
    /// ignored (the certificate is then checked against the derived key).
    #[test]
    fn the_public_key_comes_from_the_scalar() {
        let (pair, secret) = rcgen_key();
        let (other, _) = rcgen_key();
        let scalar = secret.to_bytes();
        for public_key in [None, Some(other.public_key_raw())] {
            let der = EcPrivateKey {
                private_key: &scalar,
                parameters: Some(EcParameters::NamedCurve(NistP256::OID)),
                public_key,
            }
            .to_der()
            .unwrap();
            let key = parse_sec1(&der).unwrap();
            assert_eq!(public_point(&key), pair.public_key_raw());
        }
    }

    /// The scalar as Go reads it: zero bytes in front are dropped, a short one is padded; zero,
    /// the group order and a long one with a non-zero lead are refused.
    #[test]
    fn the_scalar_is_read_like_go() {
        let (_, secret) = rcgen_key();
        let sec1 = |scalar: &[u8]| {
            EcPrivateKey {
                private_key: scalar,
                parameters: Some(EcParameters::NamedCurve(NistP256::OID)),
                public_key: None,
            }
            .to_der()
            .unwrap()
        };
        let mut long = vec![0, 0];
        long.extend(secret.to_bytes());
        assert_eq!(
            parse_sec1(&sec1(&long)).unwrap().to_bytes(),
            secret.to_bytes()
        );
        let short = [0x2a];
        assert_eq!(parse_sec1(&sec1(&short)).unwrap().to_bytes()[31], 0x2a);
        long[0] = 1;
        assert_eq!(err(&sec1(&long)), "x509: invalid private key length");
        let order = unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        for bad in [&[0u8; 32][..], &order] {
            assert_eq!(
                err(&sec1(bad)),
                "x509: invalid elliptic curve private key value"
            );
        }
    }
}
