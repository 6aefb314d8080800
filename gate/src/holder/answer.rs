//! The key holder's answers: the real host's, relayed as it comes, or its own small JSON ones,
//! shaped as the Anthropic API shapes its errors so that Claude Code shows their message.

use http_body_util::{Either, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use super::guard::Guarded;

/// An answer's body: the holder's own, or the real host's relayed.
pub type Body = Either<Full<Bytes>, Guarded>;
/// An answer to the agent.
pub type Answer = Response<Body>;

/// A JSON answer.
pub fn json(status: StatusCode, body: &Value) -> Answer {
    let mut answer = Response::new(Either::Left(Full::new(Bytes::from(body.to_string()))));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

/// An Anthropic-shaped error: `{"type":"error","error":{"type":KIND,"message":…}}`, the
/// message saying it came from the key holder.
pub fn error(status: StatusCode, kind: &str, message: &str) -> Answer {
    json(
        status,
        &json!({
            "type": "error",
            "error": { "type": kind, "message": format!("bot-bottle key holder: {message}") },
        }),
    )
}
