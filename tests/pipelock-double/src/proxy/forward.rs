//! Plain forward proxying of absolute-URI requests (`GET http://host/path`).

use std::io::{BufReader, Write};
use std::net::TcpStream;

use anyhow::{Context, Result};
use rustls::pki_types::ServerName;
use serde_json::json;

use super::{http, policy, Ctx, Shared, Verdict};

/// Checks and forwards one absolute-URI request, then closes the connection.
pub fn handle(
    shared: &Shared,
    ctx: &Ctx,
    head: &http::Head,
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> Result<()> {
    let (scheme, rest) = head
        .target
        .split_once("://")
        .context("absolute URI without scheme")?;
    let https = scheme.eq_ignore_ascii_case("https");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    let (host, port) = policy::split_host_port(authority, if https { 443 } else { 80 })?;
    let host = policy::normalize(&host);

    let fields = json!({ "method": head.method, "url": head.target });
    let ips = match shared.screen(ctx, &host, &fields) {
        Ok(ips) => ips,
        Err((status, reason)) => {
            http::write_text(writer, status, &format!("blocked: {reason}"))?;
            return Ok(());
        }
    };
    let body = match shared.inspect(ctx, head, &head.target, reader, false)? {
        Verdict::Block(status, text) => {
            http::write_text(writer, status, &text)?;
            return Ok(());
        }
        Verdict::Allow(body) => body,
    };

    let upstream = match policy::dial(&host, &ips, port) {
        Ok(upstream) => upstream,
        Err(err) => {
            http::write_text(writer, 502, &format!("bad gateway: {err:#}"))?;
            return Ok(());
        }
    };
    upstream.set_read_timeout(Some(shared.cfg.forward_proxy.idle_timeout))?;
    let started = std::time::Instant::now();
    let relayed = if https {
        let name = ServerName::try_from(host.clone()).context("upstream server name")?;
        let conn = rustls::ClientConnection::new(shared.upstream_tls.clone(), name)?;
        let mut tls = rustls::StreamOwned::new(conn, upstream);
        http::write_request(&mut tls, head, &path, authority, &body)?;
        http::relay_response(&mut BufReader::new(tls), writer, None)?
    } else {
        let mut up = upstream;
        http::write_request(&mut up, head, &path, authority, &body)?;
        http::relay_response(&mut BufReader::new(up), writer, None)?
    };
    let http::Relayed::Sent(status, size) = relayed else {
        unreachable!("only a buffered relay refuses a response");
    };
    writer.flush()?;
    shared.events.emit(
        "info",
        "forward_http",
        "forward proxy request",
        ctx.fields(json!({
            "method": head.method,
            "url": head.target,
            "status_code": status,
            "size_bytes": size,
            "duration_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })),
    );
    Ok(())
}
