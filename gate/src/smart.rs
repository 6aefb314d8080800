//! git smart HTTP's requests, each answered by `git http-backend` from an upstream's mirror: the
//! ref advertisement (after the mirror is refreshed), a fetch's negotiation, and a push (its body
//! judged by the mirror's hook, its audit events printed once it is over).

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::StatusCode;
use serde_json::json;
use tempfile::NamedTempFile;
use tokio::sync::oneshot;

use crate::audit;
use crate::body::{self, Refusal};
use crate::cgi::{self, CgiRequest};
use crate::git;
use crate::http::{self, Answer};
use crate::server::Served;

/// The largest negotiation a fetch may send.
const MAX_UPLOAD_PACK_REQUEST: u64 = 64 * 1024 * 1024;

/// The service a request is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Service {
    UploadPack,
    ReceivePack,
}

impl Service {
    fn as_str(self) -> &'static str {
        match self {
            Service::UploadPack => "git-upload-pack",
            Service::ReceivePack => "git-receive-pack",
        }
    }
}

/// `GET info/refs`: the mirror refreshed, then its refs; an upstream that cannot be reached is
/// named in an `ERR` line git shows.
pub async fn advertise(served: Arc<Served>, service: Service, cgi: CgiRequest) -> Answer {
    on_blocking_pool(move |reply| {
        let _held = served.hold();
        let name = served.upstream.name.as_str();
        let service = service.as_str();
        if let Err(e) = git::refresh(&served.upstream) {
            audit::emit(
                "upstream_unreachable",
                json!({ "upstream": name, "service": service, "error": e }),
            );
            let advert = format!(
                "{}0000{}",
                git::pkt_line(&format!("# service={service}\n")),
                git::pkt_line(&format!(
                    "ERR bot-bottle git gate: the upstream {name} cannot be reached: {e}\n"
                ))
            );
            let content_type = format!("application/x-{service}-advertisement");
            let _ = reply.send(http::answer(StatusCode::OK, &content_type, advert));
            return;
        }
        if service == "git-upload-pack" {
            audit::emit("fetch", json!({ "upstream": name }));
        }
        drop(run(&cgi, None, None, reply));
    })
    .await
}

/// A POST: its body into a file, then http-backend; a push holds the upstream's lock and its
/// hook's audit events are printed once it is over.
pub async fn post(
    served: Arc<Served>,
    service: Service,
    cgi: CgiRequest,
    request_body: Incoming,
) -> Answer {
    let limit = match service {
        Service::ReceivePack => served.upstream.policy.max_push_bytes + 1024 * 1024,
        Service::UploadPack => MAX_UPLOAD_PACK_REQUEST,
    };
    let (body, length) = match body::receive(request_body, limit).await {
        Ok(received) => received,
        Err(refusal) => return refused(&served, service, limit, &refusal),
    };
    on_blocking_pool(move |reply| {
        let body = Some((body, length));
        if service == Service::UploadPack {
            drop(run(&cgi, body, None, reply));
            return;
        }
        let name = served.upstream.name.as_str();
        let audit = match body::temp_file(".audit") {
            Ok(audit) => audit,
            Err(e) => {
                let e = format!("creating the push's audit file: {e}");
                eprintln!("bot-bottle-gate: {e}");
                let _ = reply.send(failed(&e));
                return;
            }
        };
        let _held = served.hold();
        // Refreshed here too, not only when refs were advertised: a client may send its push
        // without asking for them, and the hook must judge it against the upstream as it is now
        // (its refs, and which branch is its default).
        if let Err(e) = git::refresh(&served.upstream) {
            let _ = reply.send(unreachable(name, service.as_str(), &e));
            return;
        }
        let ended = run(&cgi, body, Some(audit.path()), reply);
        if let Ok(events) = std::fs::read_to_string(audit.path()) {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(events.as_bytes());
            let _ = stdout.flush();
            // The hook's events are the push's verdicts, each ref's: the push log keeps them.
            if let Err(e) = audit::append_to_push_log(&events) {
                eprintln!("bot-bottle-gate: {e}");
            }
        }
        // The audit file is removed, and the events printed, before the agent sees the end.
        drop(audit);
        drop(ended);
    })
    .await
}

/// The answer to a body not taken: 413 when too large, 400 when malformed; a push's refusal is
/// an audit event.
fn refused(served: &Served, service: Service, limit: u64, refusal: &Refusal) -> Answer {
    let max_push_bytes = served.upstream.policy.max_push_bytes;
    if service == Service::ReceivePack {
        let reason = match refusal {
            Refusal::TooLarge => format!("push too large: {refusal}"),
            Refusal::Malformed(_) | Refusal::Storing(_) => refusal.to_string(),
        };
        audit::emit_push(
            "push_refused",
            json!({ "upstream": served.upstream.name, "reason": reason,
                    "max_push_bytes": max_push_bytes }),
        );
    }
    match (refusal, service) {
        (Refusal::TooLarge, Service::ReceivePack) => http::text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "bot-bottle git gate: refused: this push is larger than the {max_push_bytes} byte limit\n"
            ),
        ),
        (Refusal::TooLarge, Service::UploadPack) => http::text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("bot-bottle git gate: refused: this request is larger than the {limit} byte limit\n"),
        ),
        (Refusal::Malformed(_), _) => http::text(
            StatusCode::BAD_REQUEST,
            format!("bot-bottle git gate: bad request: {refusal}\n"),
        ),
        (Refusal::Storing(_), _) => {
            eprintln!("bot-bottle-gate: {refusal}");
            failed(&refusal.to_string())
        }
    }
}

/// The answer to a push whose upstream could not be refreshed: nothing was pushed.
fn unreachable(name: &str, service: &str, error: &str) -> Answer {
    audit::emit(
        "upstream_unreachable",
        json!({ "upstream": name, "service": service, "error": error }),
    );
    http::text(
        StatusCode::BAD_GATEWAY,
        format!("bot-bottle git gate: refused: the upstream {name} cannot be reached, so nothing was pushed: {error}\n"),
    )
}

/// The answer when the gate itself failed.
fn failed(error: &str) -> Answer {
    http::text(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("bot-bottle git gate: {error}\n"),
    )
}

/// Runs http-backend for `cgi` with the request body in the file `body`: its answer as soon as
/// its head is read, then the rest relayed until it ends. The answer ends when the returned
/// relay is dropped.
fn run(
    cgi: &CgiRequest,
    body: Option<(NamedTempFile, u64)>,
    audit_path: Option<&Path>,
    reply: Reply,
) -> Option<cgi::Ended> {
    let started = cgi::start(
        cgi,
        body.as_ref().map(|(file, length)| (file.path(), *length)),
        audit_path,
    );
    // http-backend has the body open (or never will): its file's name goes now, so that none is
    // left once the agent has its answer.
    drop(body);
    match started {
        Ok((answer, relay)) => {
            let _ = reply.send(answer);
            Some(relay.finish())
        }
        Err(e) => {
            eprintln!("bot-bottle-gate: {e}");
            let _ = reply.send(failed(&e));
            None
        }
    }
}

/// Where blocking work sends its answer; it may go on after that (relaying, holding a lock).
type Reply = oneshot::Sender<Answer>;

/// Runs `work` on the runtime's blocking pool (git and the upstreams' locks block) and answers
/// with what it replies. It runs to its end however the request ends: a push the hook accepted
/// goes upstream even if the agent hung up.
async fn on_blocking_pool(work: impl FnOnce(Reply) + Send + 'static) -> Answer {
    let (reply, answer) = oneshot::channel();
    tokio::task::spawn_blocking(move || work(reply));
    answer
        .await
        .unwrap_or_else(|_| failed("the request's handler failed"))
}
