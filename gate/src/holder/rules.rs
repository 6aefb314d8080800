//! What the key holder lets through, judged on a request's head alone: the Host it names, the
//! credential it presents, and whether anything in it looks like a credential that is not the
//! placeholder; and which headers are dropped on the way to the real host and back.
//!
//! A request carrying any credential but the placeholder is refused, not re-keyed with the
//! user's own. A foreign key is the exfiltration path itself: an agent holding an attacker's
//! key could store what it read in the attacker's account (the Files API, on a host that is
//! allowed and that pipelock cannot read). Re-keying would close that path too, but it would
//! hide the attempt; refusing it shows it, to the agent's operator in the audit log and to
//! whatever made the agent try.

use hyper::header::{HeaderMap, HeaderName, AUTHORIZATION, CONNECTION, COOKIE, HOST, UPGRADE};
use hyper::http::request::Parts;
use hyper::StatusCode;

use bot_bottle_gate::keys::Secret;

/// The prefix of every Anthropic credential: API keys, OAuth tokens, claude.ai session keys.
pub const CREDENTIAL_PREFIX: &str = "sk-ant-";

/// Prefixes of credentials of the providers the holder answers for, matched in any case:
/// Anthropic's, and `OpenAI`'s project, service account and admin keys. A Google API key's
/// prefix is matched as written ([`GOOGLE_KEY_PREFIX`]): in any case it is four letters that
/// ordinary text holds.
pub const CREDENTIAL_PREFIXES: [&str; 4] =
    [CREDENTIAL_PREFIX, "sk-proj-", "sk-svcacct-", "sk-admin-"];

/// The prefix of a Google API key (`AIza` and 35 more characters).
pub const GOOGLE_KEY_PREFIX: &str = "AIza";

/// The header an Anthropic API key travels in.
pub const X_API_KEY: &str = "x-api-key";

/// The header a Gemini API key travels in.
pub const X_GOOG_API_KEY: &str = "x-goog-api-key";

/// The query parameter a Gemini API key may travel in instead.
pub const KEY_PARAMETER: &str = "key";

/// The headers that carry a key as it is (no scheme): each may hold the placeholder only.
pub const KEY_HEADERS: [&str; 2] = [X_API_KEY, X_GOOG_API_KEY];

/// Why a request was refused: the status to answer with and a reason naming no secret.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub reason: &'static str,
}

fn refuse(status: StatusCode, reason: &'static str) -> Refusal {
    Refusal { status, reason }
}

/// Checks a request that came over a TLS connection for `server_name`. `Ok(true)` when it
/// presented the placeholder, `Ok(false)` when it presented no credential.
pub fn check(
    head: &Parts,
    server_name: &str,
    placeholder: &Secret,
    secrets: &[&Secret],
) -> Result<bool, Refusal> {
    let uri = &head.uri;
    if uri.scheme().is_some() || uri.authority().is_some() || !uri.path().starts_with('/') {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "the request target must be a path",
        ));
    }
    // The destination is the host the TLS connection was made to (and the holder forwards
    // there); a Host naming another would let a request pass as meant for one host while
    // being judged as for another.
    if !host_matches(&head.headers, server_name) {
        return Err(refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "the Host header does not name the TLS server name",
        ));
    }
    if head.headers.contains_key(UPGRADE) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "protocol upgrades are not forwarded",
        ));
    }
    if head.headers.contains_key(COOKIE) {
        return Err(refuse(StatusCode::FORBIDDEN, "cookies are not forwarded"));
    }
    let mut presented = false;
    for name in KEY_HEADERS {
        for value in head.headers.get_all(name) {
            if value.as_bytes() != placeholder.expose().as_bytes() {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    if name == X_API_KEY {
                        "x-api-key carries a credential other than the placeholder"
                    } else {
                        "x-goog-api-key carries a credential other than the placeholder"
                    },
                ));
            }
            presented = true;
        }
    }
    for value in head.headers.get_all(AUTHORIZATION) {
        if !is_bearer(value.as_bytes(), placeholder) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "authorization carries a credential other than the placeholder",
            ));
        }
        presented = true;
    }
    for value in key_parameters(uri.query().unwrap_or("")) {
        if value != placeholder.expose().as_bytes() {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "the key parameter carries a credential other than the placeholder",
            ));
        }
        presented = true;
    }
    let target = uri
        .path_and_query()
        .map_or("", hyper::http::uri::PathAndQuery::as_str);
    // The placeholder in the target is the one place it may be; judged without it.
    let target = strip_key_parameters(target);
    if carries_credential(target.as_bytes(), secrets)
        || carries_credential(&percent_decoded(target.as_bytes()), secrets)
    {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "the request target carries a credential",
        ));
    }
    for (name, value) in &head.headers {
        if carries_credential(name.as_str().as_bytes(), secrets)
            || carries_credential(value.as_bytes(), secrets)
            || carries_credential(&percent_decoded(value.as_bytes()), secrets)
        {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "a header carries a credential",
            ));
        }
    }
    Ok(presented)
}

/// Whether the request has one Host, naming `server_name` (any port: the holder forwards to
/// the host's 443 whatever port the agent named).
fn host_matches(headers: &HeaderMap, server_name: &str) -> bool {
    let mut hosts = headers.get_all(HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Ok(authority) = host
        .to_str()
        .unwrap_or("")
        .parse::<hyper::http::uri::Authority>()
    else {
        return false;
    };
    !authority.as_str().contains('@') && authority.host().eq_ignore_ascii_case(server_name)
}

/// Whether an `Authorization` value is `Bearer PLACEHOLDER` (the scheme in any case).
fn is_bearer(value: &[u8], placeholder: &Secret) -> bool {
    let scheme = b"bearer ";
    value.len() > scheme.len()
        && value[..scheme.len()].eq_ignore_ascii_case(scheme)
        && &value[scheme.len()..] == placeholder.expose().as_bytes()
}

/// Whether `bytes` hold a credential's prefix ([`CREDENTIAL_PREFIXES`] in any case,
/// [`GOOGLE_KEY_PREFIX`] as written) or one of `secrets`.
pub fn carries_credential(bytes: &[u8], secrets: &[&Secret]) -> bool {
    CREDENTIAL_PREFIXES.iter().any(|prefix| {
        let prefix = prefix.as_bytes();
        bytes
            .windows(prefix.len())
            .any(|w| w.eq_ignore_ascii_case(prefix))
    }) || contains(bytes, GOOGLE_KEY_PREFIX.as_bytes())
        || secrets
            .iter()
            .any(|s| contains(bytes, s.expose().as_bytes()))
}

/// The values of the query's `key` parameters (the name compared as the real host would, once
/// percent-decoded), each percent-decoded.
fn key_parameters(query: &str) -> Vec<Vec<u8>> {
    query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            is_key_name(name).then(|| percent_decoded(value.as_bytes()))
        })
        .collect()
}

fn is_key_name(name: &str) -> bool {
    percent_decoded(name.as_bytes()).eq_ignore_ascii_case(KEY_PARAMETER.as_bytes())
}

/// `target` (a path and query) without its `key` parameters: what is forwarded once the key
/// goes in its header instead.
pub fn strip_key_parameters(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !is_key_name(pair.split_once('=').map_or(*pair, |(name, _)| name)))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `bytes` with `%XX` decoded, again until nothing changes (a few rounds at most), so that a
/// credential encoded once or twice is seen as what the real host would read.
pub fn percent_decoded(bytes: &[u8]) -> Vec<u8> {
    let mut current = bytes.to_vec();
    for _ in 0..4 {
        let next = decode_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn decode_once(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                // Two hex digits make a byte.
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The request headers that are not sent on: hop-by-hop ones (those that `Connection` names
/// too), `Proxy-*`, `Expect` (the holder's server already answered it), `Host` (set to the
/// real host), and every credential header (the real credential goes in its own).
pub fn forwarded_request_headers(headers: &HeaderMap) -> HeaderMap {
    let mut kept = without_hop_by_hop(headers);
    for name in [
        "host",
        "expect",
        X_API_KEY,
        X_GOOG_API_KEY,
        "authorization",
        "cookie",
    ] {
        kept.remove(name);
    }
    kept
}

/// The response headers that are not sent back: hop-by-hop ones and `Proxy-*`, and
/// `Set-Cookie`: a client that kept a cookie and sent it back would be refused.
pub fn forwarded_response_headers(headers: &HeaderMap) -> HeaderMap {
    let mut kept = without_hop_by_hop(headers);
    kept.remove("set-cookie");
    kept
}

fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: [&str; 7] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    let mut kept = HeaderMap::new();
    for (name, value) in headers {
        let lower = name.as_str();
        if HOP_BY_HOP.contains(&lower) || lower.starts_with("proxy-") || named.contains(name) {
            continue;
        }
        kept.append(name.clone(), value.clone());
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Request;

    const HOST_NAME: &str = "api.anthropic.com";

    fn head(target: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().uri(target);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    fn judge(target: &str, headers: &[(&str, &str)]) -> Result<bool, Refusal> {
        let placeholder = Secret::new("bbph-placeholder");
        let real = Secret::new("real-key-without-prefix");
        check(&head(target, headers), HOST_NAME, &placeholder, &[&real])
    }

    fn refused(target: &str, headers: &[(&str, &str)]) -> StatusCode {
        judge(target, headers).unwrap_err().status
    }

    #[test]
    fn the_placeholder_is_presented_or_nothing_is() {
        let host = ("host", HOST_NAME);
        assert_eq!(
            judge("/v1/messages", &[host, ("x-api-key", "bbph-placeholder")]),
            Ok(true)
        );
        for bearer in ["Bearer bbph-placeholder", "bearer bbph-placeholder"] {
            assert_eq!(
                judge("/v1/messages", &[host, ("authorization", bearer)]),
                Ok(true)
            );
        }
        assert_eq!(judge("/v1/messages?beta=true", &[host]), Ok(false));
        assert_eq!(judge("/", &[("host", "API.Anthropic.com:443")]), Ok(false));
    }

    #[test]
    fn any_other_credential_is_refused() {
        let host = ("host", HOST_NAME);
        for headers in [
            [host, ("x-api-key", "someone-elses-key")],
            [host, ("x-api-key", "bbph-placeholder2")],
            [host, ("authorization", "Bearer someone-elses-token")],
            [host, ("authorization", "Basic YmJwaC1wbGFjZWhvbGRlcg==")],
            [host, ("authorization", "Bearer  bbph-placeholder")],
            [host, ("x-other", "SK-ANT-api03-hidden")],
            [host, ("x-other", "sk%2Dant%2Dapi03")],
            [host, ("x-other", "a real-key-without-prefix b")],
            [host, ("sk-ant-api03-as-a-name", "1")],
            [host, ("proxy-authorization", "Bearer sk-ant-api03-x")],
        ] {
            assert_eq!(
                refused("/v1/messages", &headers),
                StatusCode::FORBIDDEN,
                "{headers:?}"
            );
        }
        let twice = [
            host,
            ("x-api-key", "bbph-placeholder"),
            ("x-api-key", "other"),
        ];
        assert_eq!(refused("/", &twice), StatusCode::FORBIDDEN);
        for target in [
            "/v1/messages?key=sk-ant-api03-x",
            "/v1/files/Sk-Ant-x",
            "/v1/messages?k=sk%2dant%2Dapi03",
            "/v1/messages?k=sk%252dant%252Dapi03",
            "/v1/messages?k=real-key-without-prefix",
        ] {
            assert_eq!(refused(target, &[host]), StatusCode::FORBIDDEN, "{target}");
        }
    }

    #[test]
    fn host_cookie_upgrade_and_target_form_are_checked() {
        let host = ("host", HOST_NAME);
        for headers in [
            &[("host", "claude.ai")][..],
            &[("host", "api.anthropic.com.evil.example")],
            &[("host", "user@api.anthropic.com")],
            &[],
            &[host, ("host", HOST_NAME)],
        ] {
            assert_eq!(
                refused("/", headers),
                StatusCode::MISDIRECTED_REQUEST,
                "{headers:?}"
            );
        }
        assert_eq!(
            refused("/", &[host, ("cookie", "a=b")]),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            refused("/", &[host, ("upgrade", "websocket")]),
            StatusCode::FORBIDDEN
        );
        let absolute = "https://api.anthropic.com/v1/messages";
        assert_eq!(refused(absolute, &[host]), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn hop_by_hop_proxy_and_credential_headers_are_not_sent_on() {
        let sent = head(
            "/",
            &[
                ("host", HOST_NAME),
                ("connection", "keep-alive, x-private"),
                ("x-private", "1"),
                ("keep-alive", "timeout=5"),
                ("transfer-encoding", "chunked"),
                ("proxy-authorization", "Basic x"),
                ("x-api-key", "bbph-placeholder"),
                ("authorization", "Bearer bbph-placeholder"),
                ("expect", "100-continue"),
                ("anthropic-version", "2023-06-01"),
                ("content-length", "2"),
            ],
        );
        let kept = forwarded_request_headers(&sent.headers);
        let mut names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["anthropic-version", "content-length"]);
        let answer = head(
            "/",
            &[
                ("set-cookie", "__cf=1"),
                ("content-type", "text/event-stream"),
            ],
        );
        let kept = forwarded_response_headers(&answer.headers);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["content-type"]);
    }

    #[test]
    fn percent_decoding_stops_at_bad_escapes() {
        assert_eq!(percent_decoded(b"a%2Db%2"), b"a-b%2");
        assert_eq!(percent_decoded(b"%zz%4"), b"%zz%4");
        assert_eq!(percent_decoded(b"%25252D"), b"-");
    }
}
