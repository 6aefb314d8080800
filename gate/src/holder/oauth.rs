//! The credential the holder puts on a request, and OAuth on both sides of the holder: the
//! agent's refreshes (of the placeholder) are answered by the holder itself, anything else at
//! the token endpoint is refused; the real login is refreshed by the holder, upstream, shortly
//! before its access token expires, and written back to the credential file.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bot_bottle_gate::keys::{Credential, OAuthCredential, Secret, TOKEN_HOST};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{
    HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT,
};
use hyper::http::request::Parts;
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::answer::{self, Answer};
use super::rules::X_API_KEY;
use super::{Holder, Outcome};
use crate::audit;

/// How long before its expiry an access token is refreshed.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);
/// How long the placeholder the agent gets from a refresh says it lasts: a year, so that the
/// agent does not come back for another.
const PLACEHOLDER_LIFETIME_SECONDS: u64 = 365 * 24 * 60 * 60;
/// The largest token request or token answer read.
const MAX_TOKEN_BODY: usize = 64 * 1024;

/// The header carrying the real credential to `server_name` (as the holder's config says for
/// that host, else Anthropic's way), refreshing an OAuth login first when its access token
/// expires within [`REFRESH_AHEAD`]. The error (a refresh that failed) names no secret.
pub async fn credential_header(
    holder: &Holder,
    server_name: &str,
) -> Result<(HeaderName, HeaderValue), String> {
    let mut current = holder.store.lock().await;
    let configured = holder.credential_headers.get(server_name);
    let (name, value) = match (&*current, configured) {
        (Credential::ApiKey(key), Some(header)) => (
            HeaderName::from_bytes(header.name.as_bytes())
                .map_err(|_| "the credential header's name is not a header name".to_owned())?,
            Zeroizing::new(match &header.scheme {
                Some(scheme) => format!("{scheme} {}", key.expose()),
                None => key.expose().to_owned(),
            }),
        ),
        (Credential::OAuth(_), Some(_)) => {
            return Err("a subscription login is not taken by this host".to_owned())
        }
        (Credential::ApiKey(key), None) => (
            HeaderName::from_static(X_API_KEY),
            Zeroizing::new(key.expose().to_owned()),
        ),
        (Credential::OAuth(oauth), None) => {
            if let (true, Some(refresh_token)) = (expiring(oauth), &oauth.refresh_token) {
                let refreshed = refresh(holder, oauth, refresh_token).await;
                let refreshed = match refreshed {
                    Ok(r) => r,
                    Err(reason) => {
                        audit::emit_from(
                            audit::KEYS,
                            "keys_refresh",
                            json!({ "outcome": "failed", "reason": reason }),
                        );
                        return Err(reason);
                    }
                };
                let written = holder.store.write(&Credential::OAuth(refreshed.clone()));
                audit::emit_from(
                    audit::KEYS,
                    "keys_refresh",
                    json!({
                        "outcome": "refreshed",
                        "expires_at": refreshed.expires_at,
                        "persisted": written.is_ok(),
                        "reason": written.err(),
                    }),
                );
                *current = Credential::OAuth(refreshed);
            }
            let Credential::OAuth(oauth) = &*current else {
                unreachable!("an OAuth login stays one when refreshed")
            };
            (
                AUTHORIZATION,
                Zeroizing::new(format!("Bearer {}", oauth.access_token.expose())),
            )
        }
    };
    let mut value = HeaderValue::from_str(&value)
        .map_err(|_| "the credential is not a valid header value".to_owned())?;
    value.set_sensitive(true);
    Ok((name, value))
}

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// Whether the access token has expired or expires within [`REFRESH_AHEAD`].
fn expiring(oauth: &OAuthCredential) -> bool {
    let ahead = u64::try_from(REFRESH_AHEAD.as_millis()).unwrap_or(u64::MAX);
    oauth
        .expires_at
        .is_some_and(|at| at <= now_ms().saturating_add(ahead))
}

/// What the token endpoint answers a refresh with.
#[derive(Deserialize)]
struct Refreshed {
    access_token: Secret,
    refresh_token: Option<Secret>,
    expires_in: Option<u64>,
    scope: Option<String>,
}

/// Refreshes the login at the real token endpoint.
async fn refresh(
    holder: &Holder,
    oauth: &OAuthCredential,
    refresh_token: &Secret,
) -> Result<OAuthCredential, String> {
    let body = Zeroizing::new(
        json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose(),
            "client_id": holder.client_id,
        })
        .to_string(),
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri(holder.token_path.as_str())
        .header(HOST, TOKEN_HOST)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, "bot-bottle-keys")
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .map_err(|e| format!("building the refresh request: {e}"))?;
    let connection = holder.upstreams.connect(TOKEN_HOST).await?;
    let answer = connection.send(request).await?;
    let status = answer.status();
    let body = Limited::new(answer.into_body(), MAX_TOKEN_BODY)
        .collect()
        .await
        .map_err(|e| format!("reading the token endpoint's answer: {e}"))?
        .to_bytes();
    let body = Zeroizing::new(body.to_vec());
    if !status.is_success() {
        return Err(format!("the token endpoint answered {status}"));
    }
    // serde's messages may quote the values, so none is shown.
    let refreshed: Refreshed = serde_json::from_slice(&body)
        .map_err(|_| format!("the token endpoint's answer ({status}) holds no access token"))?;
    let expires_at = refreshed
        .expires_in
        .map(|seconds| now_ms().saturating_add(seconds.saturating_mul(1000)));
    Ok(OAuthCredential {
        access_token: refreshed.access_token,
        refresh_token: refreshed
            .refresh_token
            .or_else(|| oauth.refresh_token.clone()),
        expires_at,
        scopes: refreshed.scope.map_or_else(
            || oauth.scopes.clone(),
            |s| s.split_whitespace().map(str::to_owned).collect(),
        ),
        subscription_type: oauth.subscription_type.clone(),
    })
}

/// Answers a request to the token endpoint without forwarding it: the refresh of the
/// placeholder with a new placeholder, anything else (another refresh token, a code, another
/// grant) with 403, for the login happens outside the bottle.
pub async fn token_endpoint(holder: &Holder, head: &Parts, body: Incoming) -> (Answer, Outcome) {
    let refused = |reason| {
        let answer = answer::json(
            StatusCode::FORBIDDEN,
            &json!({
                "error": "invalid_grant",
                "error_description": "bot-bottle: log in outside the bottle (bot-bottle login)",
            }),
        );
        (answer, Outcome::refused(reason))
    };
    if head.method != Method::POST {
        return refused("the token endpoint takes POST only");
    }
    let Ok(body) = Limited::new(body, MAX_TOKEN_BODY).collect().await else {
        return refused("the token request's body could not be read");
    };
    let body = Zeroizing::new(body.to_bytes().to_vec());
    let form = head
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let fields = if form {
        form_fields(&body)
    } else {
        json_fields(&body)
    };
    let grant = fields.grant_type.as_deref().map(String::as_str);
    if grant != Some("refresh_token") {
        return refused(match grant {
            Some("authorization_code") => "token endpoint: an authorization_code grant",
            Some(_) => "token endpoint: a grant other than refresh_token",
            None => "token endpoint: no grant_type",
        });
    }
    let presented = fields.refresh_token.as_deref().map(String::as_bytes);
    let expected = holder
        .placeholder_refresh
        .as_ref()
        .map(|p| p.expose().as_bytes());
    if presented.is_none() || presented != expected {
        return refused("token endpoint: a refresh token other than the placeholder");
    }
    let scopes = match &*holder.store.lock().await {
        Credential::OAuth(oauth) => oauth.scopes.join(" "),
        Credential::ApiKey(_) => {
            return refused("token endpoint: the login is an API key, not OAuth");
        }
    };
    let answer = answer::json(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "access_token": holder.placeholder.expose(),
            "refresh_token": holder.placeholder_refresh.as_ref().map(Secret::expose),
            "expires_in": PLACEHOLDER_LIFETIME_SECONDS,
            "scope": scopes,
        }),
    );
    (answer, Outcome::local())
}

/// The fields of a token request that matter.
#[derive(Default)]
struct TokenFields {
    grant_type: Option<Zeroizing<String>>,
    refresh_token: Option<Zeroizing<String>>,
}

fn json_fields(body: &[u8]) -> TokenFields {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return TokenFields::default();
    };
    let field = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .map(|s| Zeroizing::new(s.to_owned()))
    };
    TokenFields {
        grant_type: field("grant_type"),
        refresh_token: field("refresh_token"),
    }
}

fn form_fields(body: &[u8]) -> TokenFields {
    let mut fields = TokenFields::default();
    for pair in body.split(|b| *b == b'&') {
        let mut parts = pair.splitn(2, |b| *b == b'=');
        let name = form_decoded(parts.next().unwrap_or_default());
        let value = Zeroizing::new(form_decoded(parts.next().unwrap_or_default()));
        let slot = match name.as_str() {
            "grant_type" => &mut fields.grant_type,
            "refresh_token" => &mut fields.refresh_token,
            _ => continue,
        };
        // A field given twice is read as neither: the holder does not guess which one counts.
        *slot = if slot.is_some() {
            Some(Zeroizing::new(String::new()))
        } else {
            Some(value)
        };
    }
    fields
}

/// A form field: `+` is a space, `%XX` a byte.
fn form_decoded(bytes: &[u8]) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_requests_read_as_json_or_form() {
        let json = json_fields(br#"{"grant_type":"refresh_token","refresh_token":"bbph-r-1"}"#);
        assert_eq!(
            json.grant_type.as_deref().map(String::as_str),
            Some("refresh_token")
        );
        assert_eq!(
            json.refresh_token.as_deref().map(String::as_str),
            Some("bbph-r-1")
        );
        let form = form_fields(b"grant_type=refresh_token&refresh_token=bbph%2Dr-1+x&x=1");
        assert_eq!(
            form.grant_type.as_deref().map(String::as_str),
            Some("refresh_token")
        );
        assert_eq!(
            form.refresh_token.as_deref().map(String::as_str),
            Some("bbph-r-1 x")
        );
        let twice = form_fields(b"refresh_token=bbph-r-1&refresh_token=other");
        assert_eq!(twice.refresh_token.as_deref().map(String::as_str), Some(""));
        let none = json_fields(b"[1]");
        assert!(none.grant_type.is_none() && none.refresh_token.is_none());
    }

    #[test]
    fn a_token_is_refreshed_five_minutes_before_it_expires() {
        let login = |expires_at| OAuthCredential {
            access_token: Secret::new("a"),
            refresh_token: None,
            expires_at,
            scopes: vec![],
            subscription_type: None,
        };
        assert!(!expiring(&login(None)));
        assert!(expiring(&login(Some(0))));
        assert!(expiring(&login(Some(now_ms() + 4 * 60 * 1000))));
        assert!(!expiring(&login(Some(now_ms() + 6 * 60 * 1000))));
    }
}
