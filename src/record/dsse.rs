//! DSSE envelopes (the Dead Simple Signing Envelope, v1.0): a payload, its type, and
//! signatures over the pre-authentication encoding (PAE) of both, so that a signature can
//! never be taken for one over another type's payload.
//!
//! `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, with `LEN` the
//! byte length in ASCII decimal and `SP` one space. The envelope's JSON carries the payload in
//! standard base64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The payload type of an in-toto statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    /// Base64 of the payload.
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Which key signed (see [`super::key::key_id`]); a hint, never trusted.
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the Ed25519 signature over the PAE.
    pub sig: String,
}

/// The pre-authentication encoding of `payload_type` and `payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// `payload` of `payload_type` in an envelope signed with `key`.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let signature = key.sign(&pae(payload_type, payload));
    Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![Signature {
            keyid: super::key::key_id(&key.verifying_key()),
            sig: STANDARD.encode(signature.to_bytes()),
        }],
    }
}

/// Why an envelope does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The payload is not base64.
    Payload(String),
    /// No signature verifies with the key; the key ids the envelope names.
    NotSignedBy(Vec<String>),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Payload(e) => write!(f, "its payload is not base64: {e}"),
            Invalid::NotSignedBy(ids) if ids.is_empty() => f.write_str("it carries no signature"),
            Invalid::NotSignedBy(ids) => write!(
                f,
                "no signature on it verifies with the key (it names {})",
                ids.join(", ")
            ),
        }
    }
}

impl Envelope {
    /// The payload as written, trusted by nothing: for what only picks a record (see
    /// [`crate::record::newest`]); [`Envelope::verify`] gives it once a signature holds.
    pub fn unverified_payload(&self) -> Result<Vec<u8>, Invalid> {
        STANDARD
            .decode(self.payload.as_bytes())
            .map_err(|e| Invalid::Payload(e.to_string()))
    }

    /// The payload, when a signature on it verifies with `key` (over the PAE of the
    /// envelope's own type and payload).
    pub fn verify(&self, key: &VerifyingKey) -> Result<Vec<u8>, Invalid> {
        let payload = self.unverified_payload()?;
        let message = pae(&self.payload_type, &payload);
        let good = self.signatures.iter().any(|s| {
            let Ok(bytes) = STANDARD.decode(s.sig.as_bytes()) else {
                return false;
            };
            let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
                return false;
            };
            key.verify_strict(&message, &sig).is_ok()
        });
        if good {
            Ok(payload)
        } else {
            Err(Invalid::NotSignedBy(
                self.signatures.iter().map(|s| s.keyid.clone()).collect(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_spec_s_encoding() {
        // The DSSE protocol's own example.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn an_envelope_verifies_with_its_key_only() {
        let key = super::super::key::generate().unwrap();
        let other = super::super::key::generate().unwrap();
        let envelope = sign(INTOTO_PAYLOAD_TYPE, b"{}", &key);
        assert_eq!(envelope.verify(&key.verifying_key()).unwrap(), b"{}");
        assert!(matches!(
            envelope.verify(&other.verifying_key()),
            Err(Invalid::NotSignedBy(_))
        ));
        // Another payload type under the same signature does not verify.
        let mut retyped = envelope.clone();
        retyped.payload_type = "text/plain".to_owned();
        assert!(retyped.verify(&key.verifying_key()).is_err());
    }
}
