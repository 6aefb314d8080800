//! CONNECT tunnels: allowlist, dial, `200 Connection Established`, then a raw splice
//! (passthrough or no interception) or TLS interception with per-request checks.

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustls::pki_types::ServerName;
use serde_json::json;

use super::{http, policy, Ctx, Hit, Prefixed, Shared, Verdict};

/// Handles one CONNECT request (forward proxy already known to be enabled).
pub fn handle(
    shared: &Shared,
    ctx: &Ctx,
    head: &http::Head,
    reader: &BufReader<TcpStream>,
    mut client: TcpStream,
) -> Result<()> {
    let (host, port) = policy::split_host_port(&head.target, 443)?;
    let host = policy::normalize(&host);
    let target = head.target.clone();
    let fields = json!({ "method": "CONNECT", "target": target });
    let ips = match shared.screen(ctx, &host, &fields) {
        Ok(ips) => ips,
        Err((status, reason)) => {
            http::write_text(&mut client, status, &format!("CONNECT blocked: {reason}"))?;
            return Ok(());
        }
    };
    let upstream = match policy::dial(&host, &ips, port) {
        Ok(upstream) => upstream,
        Err(err) => {
            http::write_text(&mut client, 502, &format!("CONNECT failed: {err:#}"))?;
            return Ok(());
        }
    };
    client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
    client.flush()?;
    shared.events.emit(
        "info",
        "tunnel_open",
        "CONNECT tunnel opened",
        ctx.fields(json!({ "target": target })),
    );
    let started = Instant::now();
    let fp = &shared.cfg.forward_proxy;
    // Cut every tunnel at max_tunnel_seconds: shutting the sockets down ends all IO on them.
    let (done, watchdog) = {
        let (tx, rx) = mpsc::channel::<()>();
        let (c, u) = (client.try_clone()?, upstream.try_clone()?);
        let limit = fp.max_tunnel;
        let handle = thread::spawn(move || {
            if rx.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
                let _ = c.shutdown(Shutdown::Both);
                let _ = u.shutdown(Shutdown::Both);
            }
        });
        (tx, handle)
    };
    client.set_read_timeout(Some(fp.idle_timeout))?;
    upstream.set_read_timeout(Some(fp.idle_timeout))?;
    let buffered = reader.buffer().to_vec();
    let client = Prefixed::new(buffered, client);

    let intercept = shared.interceptor.is_some() && !policy::passthrough(&shared.cfg, &host);
    let total = if intercept {
        shared.events.emit(
            "warn",
            "anomaly",
            "TLS MITM interception active",
            ctx.fields(json!({
                "method": "CONNECT",
                "target": target,
                "scanner": "tls_intercept",
                "reason": "TLS MITM interception active",
            })),
        );
        intercept_tunnel(shared, ctx, &host, port, client, upstream).unwrap_or(0)
    } else {
        splice(client, upstream, fp.idle_timeout)
    };
    drop(done);
    let _ = watchdog.join();
    shared.events.emit(
        "info",
        "tunnel_close",
        "CONNECT tunnel closed",
        ctx.fields(json!({
            "target": target,
            "total_bytes": total,
            "duration_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })),
    );
    Ok(())
}

/// Copies both ways until both sides are done, or nothing moved for `idle`.
fn splice(client: Prefixed<TcpStream>, upstream: TcpStream, idle: Duration) -> u64 {
    let epoch = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let (Ok(client_w), Ok(upstream_r)) = (client.inner.try_clone(), upstream.try_clone()) else {
        return 0;
    };
    let up_last = last.clone();
    let forward = thread::spawn(move || pump(client, upstream, epoch, &up_last, idle));
    let back = pump(upstream_r, client_w, epoch, &last, idle);
    back + forward.join().unwrap_or(0)
}

/// One direction of a splice. Ends the tunnel on idle; half-closes on EOF.
fn pump<R: Read + Socket, W: Write + Socket>(
    mut from: R,
    mut to: W,
    epoch: Instant,
    last: &AtomicU64,
    idle: Duration,
) -> u64 {
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0u64;
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                to.shutdown_socket(Shutdown::Write);
                return total;
            }
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    from.shutdown_socket(Shutdown::Both);
                    return total;
                }
                total += n as u64;
                last.store(millis(epoch), Ordering::Relaxed);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let quiet = millis(epoch).saturating_sub(last.load(Ordering::Relaxed));
                if quiet >= u64::try_from(idle.as_millis()).unwrap_or(u64::MAX) {
                    from.shutdown_socket(Shutdown::Both);
                    to.shutdown_socket(Shutdown::Both);
                    return total;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                to.shutdown_socket(Shutdown::Both);
                return total;
            }
        }
    }
}

fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Sockets the splice can shut down.
trait Socket {
    fn shutdown_socket(&self, how: Shutdown);
}

impl Socket for TcpStream {
    fn shutdown_socket(&self, how: Shutdown) {
        let _ = self.shutdown(how);
    }
}

impl Socket for Prefixed<TcpStream> {
    fn shutdown_socket(&self, how: Shutdown) {
        let _ = self.inner.shutdown(how);
    }
}

/// Terminates the client's TLS with a minted leaf, checks one HTTP/1.1 request, forwards it
/// to the real upstream over verified TLS, relays the answer, then closes.
fn intercept_tunnel(
    shared: &Shared,
    ctx: &Ctx,
    host: &str,
    port: u16,
    client: Prefixed<TcpStream>,
    upstream: TcpStream,
) -> Result<u64> {
    let Some(tls) = accept_tls(shared, ctx, host, port, client)? else {
        return Ok(0);
    };
    let mut reader = BufReader::new(tls);
    let Some(head) = http::read_head(&mut reader)? else {
        return Ok(0);
    };
    let authority = if port == 443 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    let (path, inner_host) = match head.target.split_once("://") {
        Some((_, rest)) => {
            let split = rest.find(['/', '?']).unwrap_or(rest.len());
            (rest[split..].to_string(), Some(rest[..split].to_string()))
        }
        None => (head.target.clone(), None),
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let url = format!("https://{authority}{path}");
    let inner = inner_host.or_else(|| head.header("host").map(str::to_string));
    if !authority_matches(shared, ctx, &head, &url, inner.as_deref(), host, port) {
        return finish(reader, 403, "authority mismatch: blocked");
    }
    // Each request inside the tunnel is scanned, and counted, on its own.
    let fields = json!({ "method": head.method, "url": url });
    if let Some(reason) = shared.rate_limited(ctx, host, &fields) {
        return finish(reader, 429, &format!("blocked: {reason}"));
    }
    let body = match shared.inspect(ctx, &head, &url, &mut reader, true)? {
        Verdict::Block(status, text) => return finish(reader, status, &text),
        Verdict::Allow(body) => body,
    };
    let relayed = forward_inner(
        shared,
        host,
        &head,
        &path,
        &authority,
        &body,
        upstream,
        reader.get_mut(),
    );
    // Pipelock logs no event for an intercepted request it lets through: the tunnel's
    // `tunnel_open` and `tunnel_close` are the record.
    let bytes = match relayed {
        Ok(http::Relayed::Sent(_, bytes)) => bytes,
        Ok(http::Relayed::TooLarge) => {
            let reason = "response too large for scanning";
            let hit = Hit::fail_closed("tls_response_blocked");
            shared.hit(
                ctx,
                &hit,
                reason,
                json!({ "method": head.method, "url": url }),
            );
            return finish(reader, 403, &format!("blocked: {reason}"));
        }
        Err(err) => {
            shared.events.emit(
                "error",
                "error",
                "upstream request failed",
                ctx.fields(
                    json!({ "method": head.method, "url": url, "reason": format!("{err:#}") }),
                ),
            );
            return finish(reader, 502, "bad gateway: upstream request failed");
        }
    };
    let tls = reader.get_mut();
    tls.conn.send_close_notify();
    let _ = tls.flush();
    http::linger_close(&tls.sock.inner);
    Ok(bytes + body.len() as u64)
}

/// The client's side of an intercepted tunnel: TLS with a leaf minted for `host`. `None` when
/// the handshake fails (the event is logged).
fn accept_tls(
    shared: &Shared,
    ctx: &Ctx,
    host: &str,
    port: u16,
    client: Prefixed<TcpStream>,
) -> Result<Option<ClientTls>> {
    let interceptor = shared.interceptor.as_ref().context("interception is off")?;
    let (config, probe) =
        interceptor.server_config(host, shared.cfg.forward_proxy.sni_verification)?;
    let conn = rustls::ServerConnection::new(config)?;
    let mut tls = rustls::StreamOwned::new(conn, client);
    while tls.conn.is_handshaking() {
        if let Err(err) = tls.conn.complete_io(&mut tls.sock) {
            let (event, scanner) = if probe.matches() {
                ("blocked", "tls_handshake_error")
            } else {
                ("sni_mismatch", "sni_verification")
            };
            shared.events.emit(
                "warn",
                event,
                "TLS handshake with client failed",
                ctx.fields(json!({
                    "method": "CONNECT",
                    "target": format!("{host}:{port}"),
                    "scanner": scanner,
                    "sni": probe.seen(),
                    "reason": err.to_string(),
                })),
            );
            return Ok(None);
        }
    }
    Ok(Some(tls))
}

/// The client's TLS inside an intercepted tunnel.
type ClientTls = rustls::StreamOwned<rustls::ServerConnection, Prefixed<TcpStream>>;

/// Whether the inner request's authority is the CONNECT target, host and port (a Host without
/// a port means 443); logs the refusal when it is not.
fn authority_matches(
    shared: &Shared,
    ctx: &Ctx,
    head: &http::Head,
    url: &str,
    inner: Option<&str>,
    host: &str,
    port: u16,
) -> bool {
    let matches = inner.is_some_and(|h| {
        policy::split_host_port(h, 443)
            .is_ok_and(|(h, p)| policy::normalize(&h) == host && p == port)
    });
    if !matches {
        let hit = Hit::fail_closed("tls_authority_mismatch");
        let reason = format!(
            "authority mismatch: {} vs {host}:{port}",
            inner.unwrap_or("")
        );
        shared.hit(
            ctx,
            &hit,
            &reason,
            json!({ "method": head.method, "url": url }),
        );
    }
    matches
}

/// Sends the checked request to the upstream over verified TLS and relays the answer,
/// buffered up to `max_response_bytes` as pipelock scans it.
#[allow(clippy::too_many_arguments)]
fn forward_inner<W: Write>(
    shared: &Shared,
    host: &str,
    head: &http::Head,
    path: &str,
    authority: &str,
    body: &[u8],
    upstream: TcpStream,
    client: &mut W,
) -> Result<http::Relayed> {
    let name = ServerName::try_from(host.to_string()).context("upstream server name")?;
    let conn = rustls::ClientConnection::new(shared.upstream_tls.clone(), name)?;
    let mut up = rustls::StreamOwned::new(conn, upstream);
    http::write_request(&mut up, head, path, authority, body)?;
    http::relay_response(
        &mut BufReader::new(&mut up),
        client,
        Some(shared.cfg.tls.max_response_bytes),
    )
}

/// Answers inside the tunnel with a text response, then closes TLS cleanly.
fn finish(
    mut reader: BufReader<rustls::StreamOwned<rustls::ServerConnection, Prefixed<TcpStream>>>,
    status: u16,
    text: &str,
) -> Result<u64> {
    let tls = reader.get_mut();
    http::write_text(tls, status, text)?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    http::linger_close(&tls.sock.inner);
    Ok(0)
}
