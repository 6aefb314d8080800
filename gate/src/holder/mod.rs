//! `bot-bottle-gate keys`: the key holder. The agent's container resolves the Anthropic hosts
//! to it; it answers for them over TLS with a certificate of the bottle's CA, checks each
//! request (see [`rules`]), and forwards it to the real host the TLS connection named, with
//! the user's credential in place of the placeholder the agent holds. The credential never
//! enters the agent's container, and no other credential leaves through the holder.
//!
//! Connections are served on one thread (a current-thread tokio runtime): the holder only
//! relays. Audit events (`listening`, one `keys_request` a request, `keys_refresh`) are JSON
//! lines on stdout, and none carries a secret.

mod answer;
mod guard;
mod oauth;
mod rules;
mod setup;
mod store;
mod tls;
mod upstream;

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bot_bottle_gate::keys::{Secret, HEALTH_PATH, TOKEN_HOST};
use hyper::body::Incoming;
use hyper::header::HOST;
use hyper::service::service_fn;
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio_rustls::TlsAcceptor;

use crate::audit;
use answer::Answer;
use store::Store;
use upstream::Upstreams;

/// The longest request head the holder reads (larger ones are answered 431).
const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take over its TLS handshake, or to send a request head.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The holder's state, shared by every connection.
pub struct Holder {
    /// The hosts it answers for, lowercase.
    pub hosts: Vec<String>,
    pub placeholder: Secret,
    pub placeholder_refresh: Option<Secret>,
    pub token_path: String,
    pub client_id: String,
    /// How the credential goes on a request to a host named here; Anthropic's way elsewhere.
    pub credential_headers:
        std::collections::BTreeMap<String, bot_bottle_gate::keys::CredentialHeader>,
    pub upstreams: Upstreams,
    pub store: Store,
}

/// What became of a request's credential, for its audit event.
pub struct Outcome {
    credential: &'static str,
    reason: Option<&'static str>,
    local: bool,
}

impl Outcome {
    fn refused(reason: &'static str) -> Self {
        Outcome {
            credential: "refused",
            reason: Some(reason),
            local: false,
        }
    }

    fn local() -> Self {
        Outcome {
            credential: "none",
            reason: None,
            local: true,
        }
    }
}

/// Runs the holder with the config at `config_path`: exit 2 when it cannot start (the message
/// names the file and the field), 1 when serving fails.
pub fn main(config_path: &str) -> ExitCode {
    let setup = match setup::load(config_path) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("bot-bottle-gate keys: {e}");
            return ExitCode::from(2);
        }
    };
    match serve(setup, config_path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bot-bottle-gate keys: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(setup: setup::Setup, config_path: &str) -> Result<(), String> {
    let listener = TcpListener::bind(setup.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("{config_path}: field listen: binding {}: {e}", setup.listen))?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| setup.listen.to_string(), |a| a.to_string());
    audit::emit_from(
        audit::KEYS,
        "listening",
        json!({ "listen": bound, "hosts": setup.holder.hosts }),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("starting the holder's runtime: {e}"))?;
    let acceptor = TlsAcceptor::from(Arc::new(setup.tls));
    runtime.block_on(accept(listener, acceptor, Arc::new(setup.holder)))
}

/// Serves every connection `listener` accepts.
async fn accept(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    holder: Arc<Holder>,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| format!("listening on the runtime: {e}"))?;
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let holder = Arc::clone(&holder);
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(CLIENT_TIMEOUT, acceptor.accept(conn)).await;
            let tls = match handshake {
                Ok(Ok(tls)) => tls,
                // A client naming a host the holder does not answer for ends here (the server
                // name it sent is not logged: it is the client's to choose).
                Ok(Err(e)) => {
                    audit::emit_from(
                        audit::KEYS,
                        "keys_tls_refused",
                        json!({ "reason": e.to_string() }),
                    );
                    return;
                }
                Err(_) => return,
            };
            let Some(server_name) = tls.get_ref().1.server_name().map(str::to_ascii_lowercase)
            else {
                return;
            };
            let server_name: Arc<str> = server_name.into();
            let service = service_fn(move |request| {
                let holder = Arc::clone(&holder);
                let server_name = Arc::clone(&server_name);
                async move {
                    Ok::<_, std::convert::Infallible>(handle(&holder, &server_name, request).await)
                }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(CLIENT_TIMEOUT)
                .max_buf_size(MAX_HEAD)
                .serve_connection(TokioIo::new(tls), service)
                .await;
            if let Err(e) = served {
                eprintln!("bot-bottle-gate keys: serving a connection: {e}");
            }
        });
    }
}

/// Answers one request, and logs what became of it.
async fn handle(holder: &Holder, server_name: &str, request: Request<Incoming>) -> Answer {
    let (head, body) = request.into_parts();
    let method = head.method.clone();
    // A path that carries a credential (someone's key, which the request was refused for) is
    // not written to the log.
    let path = head.uri.path();
    let path = if rules::carries_credential(path.as_bytes(), &[])
        || rules::carries_credential(&rules::percent_decoded(path.as_bytes()), &[])
    {
        "(withheld: it holds a credential)".to_owned()
    } else {
        path.to_owned()
    };
    let (answer, outcome) = judge_and_forward(holder, server_name, head, body).await;
    audit::emit_from(
        audit::KEYS,
        "keys_request",
        json!({
            "host": server_name,
            "method": method.as_str(),
            "path": path,
            "status": answer.status().as_u16(),
            "credential": outcome.credential,
            "reason": outcome.reason,
            "local": outcome.local.then_some(true),
        }),
    );
    answer
}

async fn judge_and_forward(
    holder: &Holder,
    server_name: &str,
    head: hyper::http::request::Parts,
    body: Incoming,
) -> (Answer, Outcome) {
    let secrets = holder.store.secrets().await;
    let secrets: Vec<&Secret> = secrets.iter().collect();
    let presented = match rules::check(&head, server_name, &holder.placeholder, &secrets) {
        Ok(presented) => presented,
        Err(refusal) => {
            let kind = if refusal.status == StatusCode::BAD_REQUEST {
                "invalid_request_error"
            } else {
                "permission_error"
            };
            let answer = answer::error(refusal.status, kind, refusal.reason);
            return (answer, Outcome::refused(refusal.reason));
        }
    };
    // The launch's readiness probe, from the agent: answered here, never forwarded.
    if head.uri.path() == HEALTH_PATH && head.method == hyper::Method::GET {
        return (
            answer::json(StatusCode::OK, &json!({ "status": "ok" })),
            Outcome::local(),
        );
    }
    if server_name == TOKEN_HOST && head.uri.path() == holder.token_path {
        return oauth::token_endpoint(holder, &head, body).await;
    }
    let connection = match holder.upstreams.connect(server_name).await {
        Ok(c) => c,
        Err(why) => {
            let outcome = Outcome {
                credential: "none",
                reason: Some("the real host could not be reached or verified"),
                local: false,
            };
            return (bad_gateway(&why), outcome);
        }
    };
    let mut headers = rules::forwarded_request_headers(&head.headers);
    if presented {
        match oauth::credential_header(holder, server_name).await {
            Ok((name, value)) => {
                headers.insert(name, value);
            }
            Err(why) => {
                let message = format!(
                    "the login could not be refreshed ({why}); log in again outside the bottle: \
                     bot-bottle login"
                );
                let answer =
                    answer::error(StatusCode::UNAUTHORIZED, "authentication_error", &message);
                let outcome = Outcome {
                    credential: "none",
                    reason: Some("the login could not be refreshed"),
                    local: false,
                };
                return (answer, outcome);
            }
        }
    }
    if let Ok(host) = server_name.parse() {
        headers.insert(HOST, host);
    }
    let path = head.uri.path().to_owned();
    // The target is in origin form (checked), as the real host takes it, less a `key`
    // parameter (the placeholder, checked): the credential goes in its header instead.
    let target = head
        .uri
        .path_and_query()
        .map_or("/", hyper::http::uri::PathAndQuery::as_str);
    let uri = match rules::strip_key_parameters(target).parse() {
        Ok(uri) => uri,
        Err(_) => head.uri,
    };
    let mut request = Request::new(upstream::DataOnly(body));
    *request.method_mut() = head.method;
    *request.uri_mut() = uri;
    *request.version_mut() = Version::HTTP_11;
    *request.headers_mut() = headers;
    let outcome = Outcome {
        credential: if presented { "injected" } else { "none" },
        reason: None,
        local: false,
    };
    relay(
        holder,
        server_name,
        &path,
        connection.send(request).await,
        outcome,
    )
    .await
}

/// The real host's answer to the agent, guarded (see [`guard`]).
async fn relay(
    holder: &Holder,
    server_name: &str,
    path: &str,
    sent: Result<hyper::Response<Incoming>, String>,
    outcome: Outcome,
) -> (Answer, Outcome) {
    let real = match sent {
        Ok(real) => real,
        Err(why) => return (bad_gateway(&why), outcome),
    };
    let (mut real_head, real_body) = real.into_parts();
    // The credential as it is now (a refresh may have changed it).
    let secrets = holder.store.secrets().await;
    if guard::headers_hold_credential(&real_head.headers, &secrets) {
        let reason = "the real host's answer held a credential";
        let answer = answer::error(StatusCode::BAD_GATEWAY, "api_error", reason);
        let outcome = Outcome {
            reason: Some(reason),
            ..outcome
        };
        return (answer, outcome);
    }
    real_head.headers = rules::forwarded_response_headers(&real_head.headers);
    let checked = guard::checks_body(path);
    let body = guard::Guarded::new(real_body, checked, secrets, server_name, path);
    let answer = hyper::Response::from_parts(real_head, http_body_util::Either::Right(body));
    (answer, outcome)
}

fn bad_gateway(why: &str) -> Answer {
    let message = format!("the real host could not be reached: {why}");
    answer::error(StatusCode::BAD_GATEWAY, "api_error", &message)
}
