//! `git http-backend` for one request: its CGI environment from the request, the head of its
//! answer read from its output, and the rest relayed to the agent as it comes. Blocking: it runs
//! on the runtime's blocking pool.

use std::fs::File;
use std::io::{BufReader, Read as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};

use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use tokio::sync::mpsc;

use crate::audit::AUDIT_FILE_ENV;
use crate::git;
use crate::http::{Answer, Body};

/// What http-backend is told of one request.
pub struct CgiRequest {
    /// The upstream's name, its mirror `<name>.git`.
    upstream: String,
    /// The path below the upstream: `info/refs`, `git-upload-pack` or `git-receive-pack`.
    rest: String,
    method: String,
    query: String,
    /// The CGI variables taken from the request's headers.
    vars: Vec<(&'static str, String)>,
}

impl CgiRequest {
    pub fn new(request: &Request<Incoming>, upstream: &str, rest: &str) -> Self {
        let vars = [
            ("content-type", "CONTENT_TYPE"),
            ("content-encoding", "HTTP_CONTENT_ENCODING"),
            ("git-protocol", "GIT_PROTOCOL"),
        ]
        .into_iter()
        .filter_map(|(header, var)| {
            let value = request.headers().get(header)?.to_str().ok()?;
            Some((var, value.to_owned()))
        })
        .collect();
        CgiRequest {
            upstream: upstream.to_owned(),
            rest: rest.to_owned(),
            method: request.method().as_str().to_owned(),
            query: request.uri().query().unwrap_or("").to_owned(),
            vars,
        }
    }
}

/// http-backend running, its answer's head read: [`Relay::finish`] relays the rest.
pub struct Relay {
    child: Child,
    output: BufReader<ChildStdout>,
    chunks: mpsc::Sender<std::io::Result<Bytes>>,
}

/// Starts http-backend for `request`, with the request body in the file `body` (and its
/// length), and `audit_path` for a push hook's audit events; returns its answer, whose body
/// comes as the relay goes.
pub fn start(
    request: &CgiRequest,
    body: Option<(&Path, u64)>,
    audit_path: Option<&Path>,
) -> Result<(Answer, Relay), String> {
    let name = &request.upstream;
    let mut cmd = git::command(&["http-backend"]);
    cmd.env("GIT_PROJECT_ROOT", git::repo_root())
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{name}.git/{}", request.rest))
        .env("QUERY_STRING", &request.query)
        .env("REQUEST_METHOD", &request.method)
        .env("REMOTE_USER", "agent")
        .env("REMOTE_ADDR", "agent")
        .env("BOT_BOTTLE_GATE_UPSTREAM", name)
        .envs(request.vars.iter().map(|(var, value)| (var, value)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(path) = audit_path {
        cmd.env(AUDIT_FILE_ENV, path);
    }
    match body {
        Some((path, length)) => {
            let file = File::open(path).map_err(|e| format!("reopening the body: {e}"))?;
            cmd.stdin(file).env("CONTENT_LENGTH", length.to_string());
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("running git http-backend: {e}"))?;
    let mut output = BufReader::new(child.stdout.take().expect("piped"));
    let head = read_head(&mut output);
    let (chunks, relayed) = mpsc::channel(4);
    let relay = Relay {
        child,
        output,
        chunks,
    };
    let (status, headers) = match head {
        Ok(head) => head,
        Err(e) => {
            drop(relay.finish());
            return Err(format!("reading git http-backend's answer: {e}"));
        }
    };
    let mut answer = Response::new(Body::Relayed(relayed));
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok((answer, relay))
}

/// A relay that is over: the answer's body ends when it is dropped, so that what must be done
/// before the agent sees the end (a push's audit events printed) is done first.
pub struct Ended {
    _body_open: mpsc::Sender<std::io::Result<Bytes>>,
}

impl Relay {
    /// Relays the rest of http-backend's output and waits for it to end. Once the agent is gone
    /// the output is read and dropped, so that http-backend (and a push's hook) runs to its end
    /// as it would have.
    pub fn finish(mut self) -> Ended {
        let mut buf = vec![0u8; 64 * 1024];
        let mut agent_gone = false;
        loop {
            match self.output.read(&mut buf) {
                Ok(0) => break,
                Ok(n) if !agent_gone => {
                    let chunk = Bytes::copy_from_slice(&buf[..n]);
                    agent_gone = self.chunks.blocking_send(Ok(chunk)).is_err();
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = self.chunks.blocking_send(Err(e));
                    break;
                }
            }
        }
        drop(self.output);
        let _ = self.child.wait();
        Ended {
            _body_open: self.chunks,
        }
    }
}

/// Reads a CGI head: `Status: CODE TEXT` (200 when absent) and the headers, up to a blank line.
fn read_head(output: &mut impl std::io::BufRead) -> std::io::Result<(StatusCode, HeaderMap)> {
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    loop {
        let mut line = String::new();
        if output.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            status = value
                .split(' ')
                .next()
                .and_then(|code| code.parse::<u16>().ok())
                .and_then(|code| StatusCode::from_u16(code).ok())
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("bad status {value:?}"),
                    )
                })?;
        } else if let (Ok(name), Ok(value)) =
            (HeaderName::try_from(name), HeaderValue::try_from(value))
        {
            headers.append(name, value);
        }
    }
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cgi_head() {
        let raw = b"Status: 403 Forbidden\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\n\r\nbody";
        let mut output = &raw[..];
        let (status, headers) = read_head(&mut output).unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers.len(), 2);
        assert_eq!(headers["content-type"], "text/plain");
        assert_eq!(headers["expires"], "Fri, 01 Jan 1980 00:00:00 GMT");
        assert_eq!(output, b"body");

        let mut output = &b"Content-Type: application/x-git-upload-pack-result\r\n\r\n"[..];
        assert_eq!(read_head(&mut output).unwrap().0, StatusCode::OK);
        assert!(read_head(&mut &b"Status: nine\r\n\r\n"[..]).is_err());
    }
}
