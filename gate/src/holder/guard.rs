//! The real host's answer on its way back to the agent: no credential may ride on it. A host
//! can hand one out (a key minted for the OAuth login, as Claude Code's console login asks
//! `api/oauth/claude_cli/create_api_key` for), and the agent must hold none.
//!
//! Headers are checked whole. A body is relayed as it comes, less its last [`HELD`] bytes,
//! which wait for the next piece, so that a credential split across two pieces is seen whole
//! before any of it is passed on; one found cuts the answer there (the agent sees it end
//! early). The model's own output (`/v1/messages`, `/v1/complete`) is relayed untouched, its
//! server-sent events as they come: it is text the agent asked the model for, never a
//! credential the host issued, and holding back its tail would stall the stream.

use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use bot_bottle_gate::keys::Secret;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::HeaderMap;
use regex::bytes::Regex;
use serde_json::json;

use crate::audit;

/// How many bytes of a body wait for the next piece: more than the shortest credential
/// [`KEY`] matches, so that none of one is passed on before it is seen.
const HELD: usize = 64;

/// An Anthropic credential: `sk-ant-`, its kind and version (`api03`, `oat01`, `ort01`,
/// `sid01`, `admin01`), and enough of a secret to be one.
static KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)sk-ant-[a-z]+[0-9]*-[a-z0-9_\-]{16}").expect("the pattern compiles")
});

/// Paths whose answers are the model's output, relayed untouched.
const MODEL_OUTPUT: [&str; 2] = ["/v1/messages", "/v1/complete"];

/// Whether the answer to a request for `path` is checked for credentials.
pub fn checks_body(path: &str) -> bool {
    !MODEL_OUTPUT
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Whether `bytes` hold a credential: an Anthropic one, or one of `secrets`.
fn holds_credential(bytes: &[u8], secrets: &[Secret]) -> bool {
    KEY.is_match(bytes)
        || secrets.iter().any(|s| {
            let s = s.expose().as_bytes();
            !s.is_empty() && bytes.windows(s.len()).any(|w| w == s)
        })
}

/// Whether an answer's headers hold a credential.
pub fn headers_hold_credential(headers: &HeaderMap, secrets: &[Secret]) -> bool {
    headers.iter().any(|(name, value)| {
        holds_credential(name.as_str().as_bytes(), secrets)
            || holds_credential(value.as_bytes(), secrets)
    })
}

/// The real host's answer body as the agent gets it.
pub struct Guarded {
    inner: Incoming,
    /// `None` when the body is relayed untouched.
    check: Option<Check>,
    /// A frame (trailers) to send once the held bytes have gone.
    after: Option<Frame<Bytes>>,
}

struct Check {
    secrets: Vec<Secret>,
    held: Vec<u8>,
    window: usize,
    /// What the audit event names.
    host: String,
    path: String,
}

impl Guarded {
    pub fn new(inner: Incoming, check: bool, secrets: Vec<Secret>, host: &str, path: &str) -> Self {
        let window = secrets
            .iter()
            .map(|s| s.expose().len())
            .max()
            .unwrap_or(0)
            .max(HELD);
        Guarded {
            inner,
            check: check.then(|| Check {
                secrets,
                held: Vec::new(),
                window,
                host: host.to_owned(),
                path: path.to_owned(),
            }),
            after: None,
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Body for Guarded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let Some(check) = &mut this.check else {
            return Pin::new(&mut this.inner)
                .poll_frame(cx)
                .map(|f| f.map(|f| f.map_err(Into::into)));
        };
        loop {
            if let Some(frame) = this.after.take() {
                return Poll::Ready(Some(Ok(frame)));
            }
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Some(Ok(frame))) => frame,
                // The end: what was held goes, then nothing more.
                Poll::Ready(None) => {
                    if check.held.is_empty() {
                        return Poll::Ready(None);
                    }
                    let rest = std::mem::take(&mut check.held);
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                }
            };
            let data = match frame.into_data() {
                Ok(data) => data,
                Err(other) => {
                    this.after = Some(other);
                    if check.held.is_empty() {
                        continue;
                    }
                    let rest = std::mem::take(&mut check.held);
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                }
            };
            check.held.extend_from_slice(&data);
            if holds_credential(&check.held, &check.secrets) {
                check.held.clear();
                audit::emit_from(
                    audit::KEYS,
                    "keys_answer_cut",
                    json!({
                        "host": check.host,
                        "path": check.path,
                        "reason": "the real host's answer held a credential",
                    }),
                );
                return Poll::Ready(Some(Err("the real host's answer held a credential".into())));
            }
            if check.held.len() > check.window {
                let keep = check.held.split_off(check.held.len() - check.window);
                let pass = std::mem::replace(&mut check.held, keep);
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(pass)))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.after.is_none()
            && self.check.as_ref().is_none_or(|c| c.held.is_empty())
            && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // A checked body may be cut short, so its length is not promised.
        match self.check {
            None => self.inner.size_hint(),
            Some(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_told_from_text_about_them() {
        let none: [Secret; 0] = [];
        for held in [
            &b"{\"raw_key\":\"sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv\"}"[..],
            b"Bearer SK-ANT-OAT01-abcdefghijklmnop_-",
            b"sk-ant-admin01-0123456789abcdef",
        ] {
            assert!(
                holds_credential(held, &none),
                "{}",
                String::from_utf8_lossy(held)
            );
        }
        for text in [
            &b"keys start with sk-ant-"[..],
            b"sk-ant-api03-short",
            b"/^sk-ant-[a-z0-9]+-/",
        ] {
            assert!(
                !holds_credential(text, &none),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        let real = [Secret::new("plain-real-secret")];
        assert!(holds_credential(b"x plain-real-secret y", &real));
    }

    #[test]
    fn model_output_is_not_checked() {
        for path in ["/v1/messages", "/v1/messages/count_tokens", "/v1/complete"] {
            assert!(!checks_body(path), "{path}");
        }
        for path in [
            "/api/oauth/claude_cli/create_api_key",
            "/v1/messagesx",
            "/v1/files/f/content",
        ] {
            assert!(checks_body(path), "{path}");
        }
    }
}
