//! The two DER shapes the CA key needs: SEC1 `ECPrivateKey` (what pipelock reads and writes,
//! via Go's `x509.ParseECPrivateKey`) and its PKCS#8 wrapping (what ring and rcgen take).

use anyhow::{bail, ensure, Context, Result};

/// DER of the OID 1.2.840.10045.3.1.7 (prime256v1), tag and length included.
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the OID 1.2.840.10045.2.1 (id-ecPublicKey), tag and length included.
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// A P-256 private key: the scalar and the uncompressed public point.
pub struct EcKey {
    pub private: Vec<u8>,
    pub public: Vec<u8>,
}

/// Reads one TLV; returns (tag, value, rest).
fn tlv(input: &[u8]) -> Result<(u8, &[u8], &[u8])> {
    ensure!(input.len() >= 2, "truncated DER");
    let tag = input[0];
    let (len, header) = match input[1] {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => (usize::from(*input.get(2).context("truncated DER")?), 3),
        0x82 => {
            let hi = usize::from(*input.get(2).context("truncated DER")?);
            let lo = usize::from(*input.get(3).context("truncated DER")?);
            ((hi << 8) | lo, 4)
        }
        _ => bail!("unsupported DER length"),
    };
    ensure!(input.len() >= header + len, "truncated DER");
    Ok((tag, &input[header..header + len], &input[header + len..]))
}

fn expect(input: &[u8], want: u8) -> Result<(&[u8], &[u8])> {
    let (tag, value, rest) = tlv(input)?;
    ensure!(
        tag == want,
        "unexpected DER tag {tag:#04x}, want {want:#04x}"
    );
    Ok((value, rest))
}

fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n if n < 0x80 => out.push(u8::try_from(n).expect("short length")),
        n if n < 0x100 => out.extend([0x81, u8::try_from(n).expect("one byte")]),
        n => {
            let n = u16::try_from(n).expect("DER values here are small");
            out.push(0x82);
            out.extend(n.to_be_bytes());
        }
    }
    out.extend_from_slice(value);
    out
}

/// Parses SEC1 DER like Go does: the curve must be named (P-256 here). The public key must be
/// present too, because ring needs it (Go's `tls init` always writes it).
pub fn parse_sec1(der: &[u8]) -> Result<EcKey> {
    let (body, _) = expect(der, 0x30).context("x509: failed to parse EC private key")?;
    let (version, rest) = expect(body, 0x02)?;
    ensure!(version == [1], "x509: unknown EC private key version");
    let (private, mut rest) = expect(rest, 0x04)?;
    let mut curve_named = false;
    let mut public = None;
    while !rest.is_empty() {
        let (tag, value, next) = tlv(rest)?;
        match tag {
            0xa0 => {
                ensure!(
                    value == OID_P256,
                    "x509: unsupported elliptic curve (want P-256)"
                );
                curve_named = true;
            }
            0xa1 => {
                let (bits, _) = expect(value, 0x03)?;
                ensure!(bits.first() == Some(&0), "bad public key bit string");
                public = Some(bits[1..].to_vec());
            }
            _ => bail!("unexpected field in EC private key"),
        }
        rest = next;
    }
    ensure!(
        curve_named,
        "x509: unknown elliptic curve (SEC1 key names no curve)"
    );
    ensure!(private.len() == 32, "P-256 private key must be 32 bytes");
    let public = public.context("the EC private key has no public key")?;
    Ok(EcKey {
        private: private.to_vec(),
        public,
    })
}

/// Encodes SEC1 DER with the curve named and the public key included, as Go does.
pub fn to_sec1(key: &EcKey) -> Vec<u8> {
    let mut body = encode(0x02, &[1]);
    body.extend(encode(0x04, &key.private));
    body.extend(encode(0xa0, OID_P256));
    let mut bits = vec![0];
    bits.extend_from_slice(&key.public);
    body.extend(encode(0xa1, &encode(0x03, &bits)));
    encode(0x30, &body)
}

/// Wraps a key as PKCS#8 `PrivateKeyInfo`.
pub fn to_pkcs8(key: &EcKey) -> Vec<u8> {
    let mut alg = OID_EC_PUBLIC_KEY.to_vec();
    alg.extend_from_slice(OID_P256);
    let mut body = encode(0x02, &[0]);
    body.extend(encode(0x30, &alg));
    body.extend(encode(0x04, &to_sec1(key)));
    encode(0x30, &body)
}

/// Unwraps PKCS#8 `PrivateKeyInfo` holding a P-256 key (as ring generates them).
pub fn from_pkcs8(der: &[u8]) -> Result<EcKey> {
    let (body, _) = expect(der, 0x30)?;
    let (_version, rest) = expect(body, 0x02)?;
    let (alg, rest) = expect(rest, 0x30)?;
    ensure!(alg.starts_with(OID_EC_PUBLIC_KEY), "not an EC key");
    let (inner, _) = expect(rest, 0x04)?;
    // ring omits the curve inside; the outer algorithm names it, so add it before parsing.
    let (inner_body, _) = expect(inner, 0x30)?;
    let (version, rest) = expect(inner_body, 0x02)?;
    let (private, mut rest) = expect(rest, 0x04)?;
    let mut public = None;
    while !rest.is_empty() {
        let (tag, value, next) = tlv(rest)?;
        if tag == 0xa1 {
            let (bits, _) = expect(value, 0x03)?;
            public = Some(bits.get(1..).context("empty bit string")?.to_vec());
        }
        rest = next;
    }
    ensure!(version == [1], "unknown EC private key version");
    Ok(EcKey {
        private: private.to_vec(),
        public: public.context("PKCS#8 key has no public key")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_rcgen() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ec = from_pkcs8(&key.serialize_der()).unwrap();
        assert_eq!(ec.public, key.public_key_raw());
        let sec1 = to_sec1(&ec);
        let back = parse_sec1(&sec1).unwrap();
        assert_eq!(back.private, ec.private);
        let again = rcgen::KeyPair::try_from(to_pkcs8(&back).as_slice()).unwrap();
        assert_eq!(again.public_key_raw(), key.public_key_raw());
    }

    #[test]
    fn sec1_without_curve_is_rejected() {
        let mut body = encode(0x02, &[1]);
        body.extend(encode(0x04, &[7; 32]));
        assert!(parse_sec1(&encode(0x30, &body)).is_err());
    }
}
