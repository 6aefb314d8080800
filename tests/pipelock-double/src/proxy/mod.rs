//! The proxy: listener, per-connection dispatch (health, plain forward, CONNECT), the
//! request checks shared by plain and intercepted requests, and block responses.

mod connect;
mod forward;
mod http;
mod policy;
mod ratelimit;
pub mod ssrf;
mod tls;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::config::{Action, Config};
use crate::dlp::Scanner;
use crate::events::Events;
use crate::reload;

/// Headers pipelock scans in its default `sensitive` header mode.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "x-api-key",
    "x-token",
    "proxy-authorization",
    "x-goog-api-key",
];

/// State shared by all connections.
struct Shared {
    cfg: Config,
    events: Events,
    dlp: Scanner,
    dialer: policy::Dialer,
    upstream_tls: Arc<rustls::ClientConfig>,
    interceptor: Option<tls::Interceptor>,
    rate: ratelimit::RateLimiter,
    next_id: Arc<AtomicU64>,
}

/// Who asked for what: fields every event about a request carries.
struct Ctx {
    client_ip: String,
    request_id: String,
}

impl Ctx {
    fn fields(&self, mut extra: Value) -> Value {
        if let Value::Object(map) = &mut extra {
            map.insert("client_ip".into(), self.client_ip.clone().into());
            map.insert("request_id".into(), self.request_id.clone().into());
        }
        extra
    }
}

/// Runs the proxy until the process is killed. With `config_path` (the file `cfg` came from),
/// a change of that file or SIGHUP reloads it (see [`crate::reload`]).
pub fn serve(cfg: Config, events: &Events, config_path: Option<PathBuf>) -> Result<()> {
    let listener =
        TcpListener::bind(&cfg.listen).with_context(|| format!("listening on {}", cfg.listen))?;
    let metrics_listen = cfg.metrics_listen.clone();
    // Request ids go on counting across reloads, as pipelock's do.
    let next_id = Arc::new(AtomicU64::new(1));
    let shared = Shared::new(cfg.clone(), events.clone(), next_id.clone())?;
    let local = listener.local_addr()?;
    eprintln!(
        "pipelock 2.3.0 (bot-bottle test double) listening on {local} (mode {:?}, forward proxy {}, tls interception {})",
        shared.cfg.mode, shared.cfg.forward_proxy.enabled, shared.cfg.tls.enabled
    );
    let mut startup = json!({
        "listen": local.to_string(),
        "mode": reload::mode_name(shared.cfg.mode),
        "version": "2.3.0",
    });
    let live = reload::Live::new(shared);
    if let Some(path) = config_path {
        if let Ok(bytes) = std::fs::read(&path) {
            startup["config_hash"] = reload::hash(&bytes).into();
        }
        let build_events = events.clone();
        reload::watch(path, cfg, events.clone(), live.clone(), move |cfg| {
            Shared::new(cfg, build_events.clone(), next_id.clone())
        })?;
    }
    // As pipelock builds its routes once, at start: a reload never moves them.
    let metrics_here = match &metrics_listen {
        Some(addr) => {
            serve_metrics(addr, events)?;
            false
        }
        None => true,
    };
    events.emit("info", "startup", "pipelock started", startup);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = live.get();
        thread::spawn(move || {
            let _ = handle(&shared, stream, metrics_here);
        });
    }
    Ok(())
}

/// `metrics_listen`: `/metrics` and `/stats` on a listener of their own, and nothing else.
fn serve_metrics(addr: &str, events: &Events) -> Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("metrics bind {addr}"))?;
    eprintln!("pipelock: metrics listening on {addr}");
    let counts = events.counts.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counts = counts.clone();
            thread::spawn(move || -> Result<()> {
                let mut reader = BufReader::new(stream.try_clone()?);
                if let Some(head) = http::read_head(&mut reader)? {
                    if !answer_metrics(&counts, &head.target, &mut stream)? {
                        http::write_text(&mut stream, 404, "404 page not found")?;
                    }
                }
                http::linger_close(&stream);
                Ok(())
            });
        }
    });
    Ok(())
}

/// Answers `/stats` or `/metrics`; `false` for any other path.
fn answer_metrics(
    counts: &crate::events::Counts,
    target: &str,
    out: &mut TcpStream,
) -> Result<bool> {
    let path = target.split('?').next().unwrap_or_default();
    let (content_type, body) = match path {
        "/stats" => ("application/json", format!("{}\n", counts.stats())),
        "/metrics" => (
            "text/plain; version=0.0.4; charset=utf-8",
            counts.prometheus(),
        ),
        _ => return Ok(false),
    };
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()?;
    Ok(true)
}

impl Shared {
    /// The proxy's state for `cfg`: at start, and again on each reload.
    fn new(cfg: Config, events: Events, next_id: Arc<AtomicU64>) -> Result<Self> {
        let interceptor = cfg
            .tls
            .ca
            .clone()
            .filter(|_| cfg.tls.enabled)
            .map(|ca| tls::Interceptor::new(ca, cfg.tls.cert_ttl, cfg.tls.cert_cache_size));
        Ok(Shared {
            dlp: Scanner::new(cfg.dlp_include_defaults),
            dialer: policy::Dialer::from_env()?,
            upstream_tls: tls::upstream_client_config()?,
            interceptor,
            // Pipelock's rate limiter lives in its scanner, which a reload replaces.
            rate: ratelimit::RateLimiter::new(cfg.max_requests_per_minute),
            next_id,
            events,
            cfg,
        })
    }
}

fn handle(shared: &Shared, stream: TcpStream, metrics_here: bool) -> Result<()> {
    let client_ip = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    // Slowloris guard for the request head, like Go's ReadHeaderTimeout.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let writer = stream;
    let Some(head) = http::read_head(&mut reader)? else {
        return Ok(());
    };
    let is_connect = head.method.eq_ignore_ascii_case("CONNECT");
    let linger = writer.try_clone()?;
    let result = dispatch(shared, client_ip, &head, reader, writer, metrics_here);
    if !is_connect || result.is_err() {
        http::linger_close(&linger);
    }
    result
}

fn dispatch(
    shared: &Shared,
    client_ip: String,
    head: &http::Head,
    mut reader: BufReader<TcpStream>,
    mut writer: TcpStream,
    metrics_here: bool,
) -> Result<()> {
    let ctx = Ctx {
        client_ip,
        request_id: format!("req-{}", shared.next_id.fetch_add(1, Ordering::Relaxed)),
    };
    let target = head.target.to_ascii_lowercase();
    if head.method.eq_ignore_ascii_case("CONNECT") {
        if !shared.cfg.forward_proxy.enabled {
            http::write_text(&mut writer, 405, "CONNECT not supported")?;
            return Ok(());
        }
        return connect::handle(shared, &ctx, head, &reader, writer);
    }
    if target.starts_with("http://") || target.starts_with("https://") {
        if !shared.cfg.forward_proxy.enabled {
            http::write_text(&mut writer, 405, "forward proxy not enabled")?;
            return Ok(());
        }
        return forward::handle(shared, &ctx, head, &mut reader, &mut writer);
    }
    if head.target == "/health" || head.target.starts_with("/health?") {
        let body = json!({
            "status": "healthy",
            "version": "2.3.0",
            "mode": format!("{:?}", shared.cfg.mode).to_lowercase(),
        })
        .to_string();
        write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return Ok(writer.flush()?);
    }
    // Without `metrics_listen`, pipelock serves its metrics here, to whoever reaches the proxy.
    if metrics_here && answer_metrics(&shared.events.counts, &head.target, &mut writer)? {
        return Ok(());
    }
    http::write_text(&mut writer, 404, "404 page not found")?;
    Ok(())
}

/// What the request checks decided.
enum Verdict {
    /// Forward, with the body read so far.
    Allow(Vec<u8>),
    /// Answer with this status and text body; the event is already logged.
    Block(u16, String),
}

/// How a scanner hit is logged: the event when it blocks, the event when it only warns.
struct Hit<'a> {
    block_event: &'a str,
    warn_event: &'a str,
    scanner: &'a str,
    /// Whether the config asks this hit to block (before `enforce`).
    wants_block: bool,
}

impl<'a> Hit<'a> {
    /// A check that refuses whatever `enforce` says (pipelock fails closed there).
    fn fail_closed(scanner: &'a str) -> Self {
        Hit {
            block_event: "blocked",
            warn_event: "blocked",
            scanner,
            wants_block: true,
        }
    }

    /// A check that refuses when pipelock enforces, and is logged as an anomaly when not.
    fn refusal(scanner: &'a str) -> Self {
        Hit {
            block_event: "blocked",
            warn_event: "anomaly",
            scanner,
            wants_block: true,
        }
    }
}

impl Shared {
    /// Logs a scanner hit. Returns whether the request is to be blocked.
    fn hit(&self, ctx: &Ctx, hit: &Hit<'_>, reason: &str, fields: Value) -> bool {
        let block = hit.wants_block && self.cfg.enforce;
        let mut fields = ctx.fields(fields);
        if let Value::Object(map) = &mut fields {
            map.insert("scanner".into(), hit.scanner.into());
            map.insert("reason".into(), reason.into());
            map.insert("action".into(), if block { "block" } else { "warn" }.into());
        }
        let event = if block {
            hit.block_event
        } else {
            hit.warn_event
        };
        self.events.emit("warn", event, reason, fields);
        block
    }

    /// The destination checks shared by CONNECT and plain requests, in pipelock's order:
    /// the strict-mode allowlist, the blocklist, the SSRF guard (which resolves `host`), the
    /// rate limit.
    /// `Err((status, reason))` when refused (the event is already emitted), else the
    /// addresses to dial.
    fn screen(&self, ctx: &Ctx, host: &str, fields: &Value) -> Result<Vec<IpAddr>, (u16, String)> {
        if !policy::allowlisted(&self.cfg, host) {
            let reason = format!("domain not in allowlist: {host}");
            let hit = Hit::refusal("allowlist");
            if self.hit(ctx, &hit, &reason, fields.clone()) {
                return Err((403, reason));
            }
        }
        if let Some(entry) = policy::blocklisted(&self.cfg, host) {
            let reason = format!("domain blocked: {host} matches {entry}");
            let hit = Hit::refusal("blocklist");
            if self.hit(ctx, &hit, &reason, fields.clone()) {
                return Err((403, reason));
            }
        }
        let ips = match self.cfg.ssrf.check(&self.dialer, host) {
            Ok(ips) => ips,
            Err(refusal) => {
                let hit = Hit::refusal(refusal.scanner);
                // With enforcement off pipelock only logs here, but its dialer refuses the
                // same addresses, so the request fails either way.
                let status = if self.hit(ctx, &hit, &refusal.reason, fields.clone()) {
                    403
                } else {
                    502
                };
                return Err((status, refusal.reason));
            }
        };
        match self.rate_limited(ctx, host, fields) {
            Some(reason) => Err((429, reason)),
            None => Ok(ips),
        }
    }

    /// Counts a request to `host` against the per-domain rate limit: `Some(reason)` when it is
    /// over (the event is already emitted).
    fn rate_limited(&self, ctx: &Ctx, host: &str, fields: &Value) -> Option<String> {
        if self.rate.admit(host) {
            return None;
        }
        let reason = format!("rate limit exceeded for {host}");
        let hit = Hit::refusal("ratelimit");
        self.hit(ctx, &hit, &reason, fields.clone())
            .then_some(reason)
    }

    /// URL, header and body checks for one request (plain or intercepted). `intercepted`
    /// selects pipelock's event names: intercepted blocks are `blocked` events, plain-HTTP
    /// DLP blocks are `body_dlp`/`header_dlp` events.
    fn inspect<R: BufRead>(
        &self,
        ctx: &Ctx,
        head: &http::Head,
        url: &str,
        reader: &mut R,
        intercepted: bool,
    ) -> Result<Verdict> {
        let base = json!({ "method": head.method, "url": url });
        if let Some(name) = self.dlp.scan_core(url) {
            let reason = format!("core DLP match: {name} (critical)");
            let hit = Hit::refusal("dlp");
            if self.hit(ctx, &hit, &reason, base.clone()) {
                return Ok(Verdict::Block(403, format!("blocked: {reason}")));
            }
        }
        let body_cfg = &self.cfg.body;
        let wants_block = body_cfg.action == Action::Block;
        if body_cfg.enabled && body_cfg.scan_headers {
            let hits: Vec<&str> = head
                .headers
                .iter()
                .filter(|(k, _)| SENSITIVE_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s)))
                .flat_map(|(_, v)| self.dlp.scan(v))
                .collect();
            if !hits.is_empty() {
                let reason = format!("request header contains secret: {}", hits.join(", "));
                let hit = Hit {
                    block_event: if intercepted { "blocked" } else { "header_dlp" },
                    warn_event: "header_dlp",
                    scanner: "header_dlp",
                    wants_block,
                };
                if self.hit(ctx, &hit, &reason, base.clone()) {
                    return Ok(Verdict::Block(
                        403,
                        "blocked: request header contains secret".into(),
                    ));
                }
            }
        }
        let max = if body_cfg.enabled {
            body_cfg.max_body_bytes
        } else {
            usize::MAX
        };
        let body = match http::read_body(reader, head, max)? {
            http::Body::Bytes(body) => body,
            http::Body::TooLarge => {
                // Fail closed above the limit, whatever the action, as pipelock does.
                let reason = format!("request body exceeds max_body_bytes ({max})");
                let hit = Hit::fail_closed("body_dlp");
                self.hit(ctx, &hit, &reason, base);
                return Ok(Verdict::Block(403, format!("blocked: {reason}")));
            }
        };
        if body_cfg.enabled && !body.is_empty() {
            let hits = match crate::bodytext::texts(head.header("content-type"), &body) {
                Ok(texts) => self.scan_texts(&texts),
                Err(reason) => {
                    // A body pipelock cannot parse for its type is refused, whatever the action.
                    let hit = Hit::fail_closed("body_dlp");
                    self.hit(ctx, &hit, &reason, base);
                    return Ok(Verdict::Block(403, format!("blocked: {reason}")));
                }
            };
            if !hits.is_empty() {
                let reason = format!("request body contains secret: {}", hits.join(", "));
                let hit = Hit {
                    block_event: if intercepted { "blocked" } else { "body_dlp" },
                    warn_event: "body_dlp",
                    scanner: "body_dlp",
                    wants_block,
                };
                if self.hit(ctx, &hit, &reason, base) {
                    return Ok(Verdict::Block(403, format!("blocked: {reason}")));
                }
            }
        }
        Ok(Verdict::Allow(body))
    }
}

impl Shared {
    /// Scans each text on its own, stopping at the first with a hit, then all of them sorted
    /// and joined.
    fn scan_texts(&self, texts: &[String]) -> Vec<&'static str> {
        if let Some(hits) = texts
            .iter()
            .map(|t| self.dlp.scan(t))
            .find(|hits| !hits.is_empty())
        {
            return hits;
        }
        let mut sorted: Vec<&str> = texts.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        self.dlp.scan(&sorted.join("\n"))
    }
}

/// A stream that first yields bytes already buffered by an earlier reader.
pub struct Prefixed<S> {
    buffered: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    fn new(buffered: Vec<u8>, inner: S) -> Self {
        Self {
            buffered,
            pos: 0,
            inner,
        }
    }
}

impl<S: Read> Read for Prefixed<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.buffered.len() {
            let n = buf.len().min(self.buffered.len() - self.pos);
            buf[..n].copy_from_slice(&self.buffered[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

impl<S: Write> Write for Prefixed<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
