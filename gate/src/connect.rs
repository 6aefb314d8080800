//! `bot-bottle-gate connect PROXY HOST PORT`: OpenSSH's `ProxyCommand` for the gate's SSH
//! upstreams. It asks the egress filter ([`crate::egress`]) at `PROXY` for a tunnel to
//! `HOST:PORT` and then relays its stdin to the tunnel and the tunnel to its stdout, which is
//! how ssh talks through a `ProxyCommand`. The filter's answer head is parsed by httparse (the
//! parser hyper uses), never by hand.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// The longest answer head read from the filter.
const MAX_HEAD: usize = 8 * 1024;
/// How long the filter may take to answer (it connects to the upstream first).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the tunnel and relays until the upstream closes it.
pub fn run(proxy: &str, host: &str, port: u16) -> Result<(), String> {
    let mut tunnel = open(proxy, host, port)?;
    let mut upstream = tunnel
        .stream
        .try_clone()
        .map_err(|e| format!("sharing the tunnel: {e}"))?;
    // ssh's side to the upstream, on a thread of its own; when ssh closes its side, so does
    // the tunnel's writing half.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut upstream);
        let _ = upstream.shutdown(Shutdown::Write);
    });
    let mut out = std::io::stdout().lock();
    out.write_all(&tunnel.early)
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing to ssh: {e}"))?;
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = tunnel
            .stream
            .read(&mut buffer)
            .map_err(|e| format!("reading the tunnel: {e}"))?;
        if read == 0 {
            return Ok(());
        }
        out.write_all(&buffer[..read])
            .and_then(|()| out.flush())
            .map_err(|e| format!("writing to ssh: {e}"))?;
    }
}

/// A tunnel the filter opened, and what the upstream sent already after the answer's head.
struct Tunnel {
    stream: TcpStream,
    early: Vec<u8>,
}

fn open(proxy: &str, host: &str, port: u16) -> Result<Tunnel, String> {
    let mut stream = TcpStream::connect(proxy)
        .map_err(|e| format!("connecting to the egress filter {proxy}: {e}"))?;
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .map_err(|e| format!("setting a timeout: {e}"))?;
    let target = format!("{host}:{port}");
    stream
        .write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
        .map_err(|e| format!("asking {proxy} for {target}: {e}"))?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        let read = stream
            .read(&mut buffer)
            .map_err(|e| format!("reading {proxy}'s answer for {target}: {e}"))?;
        if read == 0 {
            return Err(format!(
                "the egress filter {proxy} closed the connection without opening {target}"
            ));
        }
        head.extend_from_slice(&buffer[..read]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut answer = httparse::Response::new(&mut headers);
        match answer.parse(&head) {
            Ok(httparse::Status::Complete(length)) => {
                let code = answer.code.unwrap_or(0);
                if code != 200 {
                    let body = String::from_utf8_lossy(&head[length..]);
                    return Err(format!(
                        "the egress filter refused {target}: {code} {}",
                        body.trim()
                    ));
                }
                stream
                    .set_read_timeout(None)
                    .map_err(|e| format!("clearing the timeout: {e}"))?;
                return Ok(Tunnel {
                    early: head[length..].to_vec(),
                    stream,
                });
            }
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(format!("{proxy}'s answer for {target} is too long"))
            }
            Err(e) => return Err(format!("{proxy}'s answer for {target}: {e}")),
        }
    }
}
