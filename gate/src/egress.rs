//! `bot-bottle-gate egress`: the git gate's only way out. It runs in a container of its own,
//! on the bottle's internal network and its egress network, while the gate itself sits on the
//! internal network alone; the gate's git reaches its upstreams through it as through an HTTP
//! proxy (`CONNECT`: libcurl's `http.proxy` for HTTPS, [`crate::connect`] as OpenSSH's
//! `ProxyCommand`).
//!
//! It opens a tunnel only
//! - for a connection from the gate's address (`--client`): the agent, also on the internal
//!   network, holds no capability to take another address, so it cannot use the tunnel;
//! - to one of the upstreams' `HOST:PORT` exactly (`--allow`), as the bottle's manifest named
//!   them: not another port of theirs, not an address, not another name of the same host.
//!
//! So a gate steered by the agent (a flaw in git, ssh or the gate) reaches the upstreams and
//! nothing else: it has no route and no resolver of its own. Each tunnel and each refusal is an
//! audit event on stdout.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use crate::audit;
use crate::http::{self, Answer};

/// How long a client may take to send its `CONNECT`.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting to an upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest request head read.
const MAX_HEAD: usize = 8 * 1024;

/// What the filter lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The only address a tunnel may be asked for from.
    pub client: IpAddr,
    /// `(host, port)` pairs, hosts in lowercase.
    pub allow: BTreeSet<(String, u16)>,
}

impl Policy {
    /// Reads `--allow` values, `HOST:PORT` each.
    pub fn new(client: IpAddr, allow: &[String]) -> Result<Self, String> {
        let mut pairs = BTreeSet::new();
        for entry in allow {
            let (host, port) = entry
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
                .filter(|(h, _)| !h.is_empty())
                .ok_or_else(|| format!("--allow {entry:?}: write HOST:PORT"))?;
            pairs.insert((host.to_ascii_lowercase(), port));
        }
        Ok(Policy {
            client,
            allow: pairs,
        })
    }

    /// Whether a `CONNECT` to `authority` (`HOST:PORT`) may be opened; the allowed pair when so.
    fn permits(&self, authority: &str) -> Option<(String, u16)> {
        let (host, port) = authority.rsplit_once(':')?;
        let pair = (host.to_ascii_lowercase(), port.parse().ok()?);
        self.allow.contains(&pair).then_some(pair)
    }
}

/// Serves tunnels on `listen` until killed.
pub fn serve(listen: SocketAddr, policy: Policy) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("starting the filter's runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| format!("listening on {listen}: {e}"))?;
        let bound = listener.local_addr().map_or(listen, |a| a);
        let allowed: Vec<String> = policy
            .allow
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect();
        audit::emit(
            "egress_listening",
            json!({ "listen": bound.to_string(), "client": policy.client.to_string(), "allow": allowed }),
        );
        let policy = Arc::new(policy);
        loop {
            let Ok((conn, peer)) = listener.accept().await else {
                continue;
            };
            if peer.ip() != policy.client {
                // Not the gate: no answer at all, the connection closes.
                audit::emit(
                    "egress_refused",
                    json!({ "client": peer.ip().to_string(), "reason": "not the git gate's address" }),
                );
                continue;
            }
            let policy = Arc::clone(&policy);
            tokio::spawn(async move {
                if let Err(e) = tunnel(conn, policy).await {
                    eprintln!("bot-bottle-gate egress: {e}");
                }
            });
        }
    })
}

/// Serves one connection: its `CONNECT`, and the tunnel when it is allowed.
async fn tunnel(conn: TcpStream, policy: Arc<Policy>) -> Result<(), hyper::Error> {
    let service = service_fn(move |request| {
        let policy = Arc::clone(&policy);
        async move { Ok::<_, Infallible>(answer(request, &policy).await) }
    });
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .keep_alive(false)
        .serve_connection(TokioIo::new(conn), service)
        .with_upgrades()
        .await
}

/// The answer to one request: 200 and a tunnel for an allowed `CONNECT`, else a refusal.
async fn answer(request: Request<Incoming>, policy: &Policy) -> Answer {
    let refuse = |status: StatusCode, authority: &str, why: &str| {
        audit::emit(
            "egress_refused",
            json!({ "target": authority, "reason": why }),
        );
        http::text(status, format!("bot-bottle git gate egress: {why}\n"))
    };
    let authority = request
        .uri()
        .authority()
        .map(ToString::to_string)
        .unwrap_or_default();
    if request.method() != Method::CONNECT {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            &authority,
            "only CONNECT to an upstream of this bottle",
        );
    }
    let Some((host, port)) = policy.permits(&authority) else {
        return refuse(
            StatusCode::FORBIDDEN,
            &authority,
            &format!("{authority} is not an upstream of this bottle"),
        );
    };
    let upstream = match tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            return refuse(
                StatusCode::BAD_GATEWAY,
                &authority,
                &format!("connecting to {authority}: {e}"),
            )
        }
        Err(_) => {
            return refuse(
                StatusCode::GATEWAY_TIMEOUT,
                &authority,
                &format!("connecting to {authority} took over {CONNECT_TIMEOUT:?}"),
            )
        }
    };
    audit::emit("egress", json!({ "target": authority }));
    tokio::spawn(async move {
        match hyper::upgrade::on(request).await {
            Ok(upgraded) => {
                let mut client = TokioIo::new(upgraded);
                let mut upstream = upstream;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
            Err(e) => eprintln!("bot-bottle-gate egress: {authority}: {e}"),
        }
    });
    // No body, no length: the tunnel starts right after the head.
    hyper::Response::new(http::Body::Whole(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upstreams_hosts_and_ports_are_permitted() {
        let policy = Policy::new(
            "10.0.0.3".parse().unwrap(),
            &[
                "Git.Example.com:443".to_owned(),
                "git.example.com:22".to_owned(),
            ],
        )
        .unwrap();
        assert_eq!(
            policy.permits("git.example.com:443"),
            Some(("git.example.com".to_owned(), 443))
        );
        assert!(policy.permits("GIT.example.com:22").is_some());
        for refused in [
            "git.example.com:80",
            "other.example.com:443",
            "git.example.com",
            "93.184.216.34:443",
            "git.example.com:443:1",
            "",
        ] {
            assert_eq!(policy.permits(refused), None, "{refused}");
        }
        assert!(Policy::new("10.0.0.3".parse().unwrap(), &["nohost".to_owned()]).is_err());
        assert!(Policy::new("10.0.0.3".parse().unwrap(), &[":443".to_owned()]).is_err());
    }
}
