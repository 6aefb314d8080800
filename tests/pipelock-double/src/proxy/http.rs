//! Just enough HTTP/1.1: request heads, request bodies (length or chunked), text responses,
//! and relaying an upstream response with the connection marked to close.

use std::fmt::Write as _;
use std::io::{self, BufRead, Read, Write};

use anyhow::{bail, ensure, Context, Result};

const MAX_HEAD: usize = 64 * 1024;

/// A request line and its headers.
#[derive(Clone, Debug)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_line<R: BufRead>(r: &mut R, budget: &mut usize) -> Result<Option<String>> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(u64::try_from(*budget).unwrap_or(u64::MAX))
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    *budget = budget.saturating_sub(n);
    ensure!(line.ends_with(b"\n"), "request head too large or truncated");
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(Some(
        String::from_utf8(line).context("request head is not UTF-8")?,
    ))
}

/// Reads a request head; `None` when the peer closed before sending anything.
pub fn read_head<R: BufRead>(r: &mut R) -> Result<Option<Head>> {
    let mut budget = MAX_HEAD;
    let Some(request_line) = read_line(r, &mut budget)? else {
        return Ok(None);
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        bail!("malformed request line {request_line:?}");
    };
    ensure!(
        version.starts_with("HTTP/1."),
        "unsupported version {version:?}"
    );
    let mut headers = Vec::new();
    loop {
        let line = read_line(r, &mut budget)?.context("connection closed inside request head")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .with_context(|| format!("malformed header line {line:?}"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Some(Head {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    }))
}

/// A request body, or the news that it is larger than allowed.
pub enum Body {
    Bytes(Vec<u8>),
    TooLarge,
}

/// Reads the body the head announces (Content-Length or chunked), up to `max` bytes.
pub fn read_body<R: BufRead>(r: &mut R, head: &Head, max: usize) -> Result<Body> {
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(r, max);
    }
    let Some(len) = head.header("content-length") else {
        return Ok(Body::Bytes(Vec::new()));
    };
    let len: usize = len.parse().context("bad Content-Length")?;
    if len > max {
        return Ok(Body::TooLarge);
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).context("reading request body")?;
    Ok(Body::Bytes(body))
}

fn read_chunked<R: BufRead>(r: &mut R, max: usize) -> Result<Body> {
    let mut body = Vec::new();
    let mut budget = MAX_HEAD;
    loop {
        let line = read_line(r, &mut budget)?.context("truncated chunked body")?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).context("bad chunk size")?;
        if size == 0 {
            // trailers, up to the empty line
            while !read_line(r, &mut budget)?
                .context("truncated chunked body")?
                .is_empty()
            {}
            return Ok(Body::Bytes(body));
        }
        if body.len() + size > max {
            return Ok(Body::TooLarge);
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
        budget = MAX_HEAD;
    }
}

/// Writes a complete text/plain response (pipelock's `http.Error` shape) and flushes.
pub fn write_text<W: Write>(w: &mut W, status: u16, body: &str) -> io::Result<()> {
    let body = format!("{body}\n");
    write!(
        w,
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         X-Content-Type-Options: nosniff\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    )?;
    w.flush()
}

/// Closes after a response: half-close, then drain what the client still sends (an unread
/// request body), so the close is a FIN and not a reset that could eat the response.
pub fn linger_close(stream: &std::net::TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let mut sink = [0u8; 16 * 1024];
    let mut left = 8 * 1024 * 1024usize;
    while left > 0 {
        match (&*stream).read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// Reason phrase for the statuses the double sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        502 => "Bad Gateway",
        _ => "Unknown",
    }
}

/// Headers that describe one hop and are not forwarded.
fn hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "proxy-connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authorization",
        "content-length",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Sends a request upstream in origin form, with its body as a fixed length and the
/// connection marked to close (one request per upstream connection).
pub fn write_request<W: io::Write>(
    w: &mut W,
    head: &Head,
    path: &str,
    host: &str,
    body: &[u8],
) -> io::Result<()> {
    let mut out = format!("{} {path} HTTP/1.1\r\nHost: {host}\r\n", head.method);
    for (name, value) in &head.headers {
        if !hop_by_hop(name) && !name.eq_ignore_ascii_case("host") {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
    let has_body = !body.is_empty()
        || head.header("content-length").is_some()
        || head.header("transfer-encoding").is_some();
    if has_body {
        let _ = write!(out, "Content-Length: {}\r\n", body.len());
    }
    out.push_str("Connection: close\r\n\r\n");
    w.write_all(out.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// What relaying a response came to.
#[derive(Clone, Copy)]
pub enum Relayed {
    /// Sent to the client: the upstream's status and the bytes relayed.
    Sent(u16, u64),
    /// Not sent: the body passed the buffering limit before it ended.
    TooLarge,
}

/// Relays the upstream's response with `Connection: close`. With `buffer_limit`, the body is
/// read whole before anything is sent, as pipelock buffers an intercepted response to scan it,
/// and a body past the limit is not sent at all; server-sent events stream regardless, as in
/// pipelock. The limit counts the bytes on the wire (chunk framing included).
pub fn relay_response<R: BufRead, W: Write>(
    upstream: &mut R,
    client: &mut W,
    buffer_limit: Option<usize>,
) -> Result<Relayed> {
    let mut budget = MAX_HEAD;
    let status_line = read_line(upstream, &mut budget)?.context("upstream sent no response")?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad upstream status line {status_line:?}"))?;
    let mut out = format!("{status_line}\r\n");
    let mut event_stream = false;
    loop {
        let line = read_line(upstream, &mut budget)?.context("truncated upstream head")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        if name.eq_ignore_ascii_case("content-type") {
            event_stream = value
                .trim()
                .to_ascii_lowercase()
                .starts_with("text/event-stream");
        }
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let copied = if let Some(limit) = buffer_limit.filter(|_| !event_stream) {
        let mut body = Vec::new();
        let limit_plus_one = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        copy_until_close(&mut upstream.take(limit_plus_one), &mut body)?;
        if body.len() > limit {
            return Ok(Relayed::TooLarge);
        }
        client.write_all(out.as_bytes())?;
        client.write_all(&body)?;
        body.len() as u64
    } else {
        client.write_all(out.as_bytes())?;
        copy_until_close(upstream, client)?
    };
    client.flush()?;
    Ok(Relayed::Sent(status, copied + out.len() as u64))
}

/// Copies until EOF; a TLS peer that closes without `close_notify` counts as EOF.
fn copy_until_close<R: Read, W: Write>(r: &mut R, w: &mut W) -> io::Result<u64> {
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(total),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_head_and_chunked_body() {
        let raw = b"POST http://x.test/a HTTP/1.1\r\nHost: x.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
        let mut r = io::BufReader::new(&raw[..]);
        let head = read_head(&mut r).unwrap().unwrap();
        assert_eq!(head.method, "POST");
        assert_eq!(head.header("HOST"), Some("x.test"));
        let Body::Bytes(body) = read_body(&mut r, &head, 100).unwrap() else {
            panic!("too large")
        };
        assert_eq!(body, b"abcdef");
    }

    #[test]
    fn body_over_the_limit_is_flagged() {
        let raw = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
        let mut r = io::BufReader::new(&raw[..]);
        let head = read_head(&mut r).unwrap().unwrap();
        assert!(matches!(
            read_body(&mut r, &head, 5).unwrap(),
            Body::TooLarge
        ));
    }

    #[test]
    fn text_response_ends_with_newline() {
        let mut out = Vec::new();
        write_text(&mut out, 403, "authority mismatch: blocked").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        assert!(text.ends_with("\r\n\r\nauthority mismatch: blocked\n"));
    }
}
