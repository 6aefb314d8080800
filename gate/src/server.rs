//! The gate's HTTP server: `/health`, and git smart HTTP at `/<upstream>/…` served by
//! `git http-backend` from the upstream's mirror. Before it advertises refs (the start of every
//! clone, fetch and push) the gate refreshes the mirror from the upstream, so the agent always
//! sees the upstream as it is; a push goes through the mirror's `pre-receive` hook.
//!
//! Connections are served on one thread (a current-thread tokio runtime); git runs, and the
//! upstreams' locks are held, on the runtime's blocking pool.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use bot_bottle_gate::config::{GateConfig, Upstream};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::json;

use crate::audit;
use crate::cgi::CgiRequest;
use crate::git;
use crate::http::{self, Answer};
use crate::smart::{self, Service};

/// An upstream the gate serves, and the lock held while its mirror is refreshed or served, so
/// that a push is judged against the upstream as it is.
pub struct Served {
    pub upstream: Upstream,
    pub lock: Mutex<()>,
}

impl Served {
    pub fn hold(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type Upstreams = BTreeMap<String, Arc<Served>>;

pub fn serve(config: &GateConfig) -> Result<(), String> {
    let me = std::env::current_exe()
        .map_err(|e| format!("finding the gate's own binary: {e}"))?
        .to_string_lossy()
        .into_owned();
    let mut upstreams = Upstreams::new();
    for upstream in &config.upstreams {
        git::init_mirror(upstream, &me)?;
        let served = Served {
            upstream: upstream.clone(),
            lock: Mutex::new(()),
        };
        upstreams.insert(upstream.name.clone(), Arc::new(served));
    }
    // Beside the mirrors, which exist now.
    audit::open_push_log()?;
    let listener = TcpListener::bind(&config.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("listening on {}: {e}", config.listen))?;
    let names: Vec<&String> = upstreams.keys().collect();
    let bound = listener
        .local_addr()
        .map_or_else(|_| config.listen.clone(), |a| a.to_string());
    audit::emit("listening", json!({ "listen": bound, "upstreams": names }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("starting the server's runtime: {e}"))?;
    runtime.block_on(accept(listener, Arc::new(upstreams)))
}

/// Serves every connection `listener` accepts.
async fn accept(listener: TcpListener, upstreams: Arc<Upstreams>) -> Result<(), String> {
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| format!("listening on the runtime: {e}"))?;
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let upstreams = Arc::clone(&upstreams);
        tokio::spawn(async move {
            let served = http::serve(conn, |request| handle(Arc::clone(&upstreams), request));
            if let Err(e) = served.await {
                eprintln!("bot-bottle-gate: serving a request: {e}");
            }
        });
    }
}

async fn handle(upstreams: Arc<Upstreams>, request: Request<Incoming>) -> Answer {
    if !http::origin_form(request.uri()) {
        return http::text(
            StatusCode::BAD_REQUEST,
            "bot-bottle git gate: bad request: the request target must be a path\n",
        );
    }
    let path = request.uri().path();
    if path == "/health" {
        return http::text(StatusCode::OK, "ok\n");
    }
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let name = parts.next().unwrap_or("").trim_end_matches(".git");
    let rest = parts.next().unwrap_or("");
    let Some(served) = upstreams.get(name).cloned() else {
        return http::text(
            StatusCode::NOT_FOUND,
            format!("this git gate serves no upstream named {name:?}\n"),
        );
    };
    let service = match (request.method().as_str(), rest) {
        ("GET", "info/refs") => request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("service="))
            .unwrap_or(""),
        ("POST", "git-upload-pack") => "git-upload-pack",
        ("POST", "git-receive-pack") => "git-receive-pack",
        _ => "",
    };
    let service = match service {
        "git-upload-pack" => Service::UploadPack,
        "git-receive-pack" => Service::ReceivePack,
        _ => {
            return http::text(
                StatusCode::NOT_FOUND,
                "this git gate speaks the smart HTTP protocol only\n",
            )
        }
    };
    let cgi = CgiRequest::new(&request, name, rest);
    if rest == "info/refs" {
        return smart::advertise(served, service, cgi).await;
    }
    smart::post(served, service, cgi, request.into_body()).await
}
