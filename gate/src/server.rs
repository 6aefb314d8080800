//! The gate's HTTP server: `/health`, and git smart HTTP at `/<upstream>/…` served by
//! `git http-backend` from the upstream's mirror. Before it advertises refs (the start of every
//! clone, fetch and push) the gate refreshes the mirror from the upstream, so the agent always
//! sees the upstream as it is; a push goes through the mirror's `pre-receive` hook.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use bot_bottle_gate::config::{GateConfig, Upstream};
use serde_json::json;

use crate::audit::{self, AUDIT_FILE_ENV};
use crate::git;
use crate::http::{self, Request};

/// The largest negotiation a fetch may send.
const MAX_UPLOAD_PACK_REQUEST: u64 = 64 * 1024 * 1024;

struct State {
    upstreams: BTreeMap<String, (Upstream, Mutex<()>)>,
}

pub fn serve(config: &GateConfig) -> Result<(), String> {
    let me = std::env::current_exe()
        .map_err(|e| format!("finding the gate's own binary: {e}"))?
        .to_string_lossy()
        .into_owned();
    let mut upstreams = BTreeMap::new();
    for upstream in &config.upstreams {
        git::init_mirror(upstream, &me)?;
        upstreams.insert(upstream.name.clone(), (upstream.clone(), Mutex::new(())));
    }
    let listener = TcpListener::bind(&config.listen)
        .map_err(|e| format!("listening on {}: {e}", config.listen))?;
    let names: Vec<&String> = upstreams.keys().collect();
    let bound = listener
        .local_addr()
        .map_or_else(|_| config.listen.clone(), |a| a.to_string());
    audit::emit("listening", json!({ "listen": bound, "upstreams": names }));
    let state = Arc::new(State { upstreams });
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            if let Err(e) = handle(&state, conn) {
                eprintln!("bot-bottle-gate: {e}");
            }
        });
    }
    Ok(())
}

fn handle(state: &State, conn: TcpStream) -> Result<(), String> {
    let mut out = conn.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(conn);
    let request = http::read_head(&mut reader).map_err(|e| format!("reading a request: {e}"))?;
    let io = |e: std::io::Error| e.to_string();
    if request.path == "/health" {
        return http::respond(&mut out, "200 OK", "text/plain", b"ok\n").map_err(io);
    }
    let mut parts = request.path.trim_start_matches('/').splitn(2, '/');
    let name = parts.next().unwrap_or("").trim_end_matches(".git");
    let rest = parts.next().unwrap_or("");
    let Some((upstream, lock)) = state.upstreams.get(name) else {
        let text = format!("this git gate serves no upstream named {name:?}\n");
        return http::respond(&mut out, "404 Not Found", "text/plain", text.as_bytes()).map_err(io);
    };
    let service = match (request.method.as_str(), rest) {
        ("GET", "info/refs") => request
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("service="))
            .unwrap_or(""),
        ("POST", "git-upload-pack") => "git-upload-pack",
        ("POST", "git-receive-pack") => "git-receive-pack",
        _ => "",
    };
    if service != "git-upload-pack" && service != "git-receive-pack" {
        return http::respond(
            &mut out,
            "404 Not Found",
            "text/plain",
            b"this git gate speaks the smart HTTP protocol only\n",
        )
        .map_err(io);
    }
    if rest == "info/refs" {
        let _held = lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = git::refresh(upstream) {
            audit::emit(
                "upstream_unreachable",
                json!({ "upstream": name, "service": service, "error": e }),
            );
            let advert = format!(
                "{}0000{}",
                http::pkt_line(&format!("# service={service}\n")),
                http::pkt_line(&format!(
                    "ERR bot-bottle git gate: the upstream {name} cannot be reached: {e}\n"
                ))
            );
            return http::respond(
                &mut out,
                "200 OK",
                &format!("application/x-{service}-advertisement"),
                advert.as_bytes(),
            )
            .map_err(io);
        }
        if service == "git-upload-pack" {
            audit::emit("fetch", json!({ "upstream": name }));
        }
        return cgi(&request, name, rest, None, None, &mut out);
    }
    post(&mut reader, &request, (upstream, lock), service, &mut out)
}

/// A POST: the body into a file, then `git http-backend`; a push holds the upstream's lock
/// and its hook's audit events are printed once it is over.
fn post(
    reader: &mut BufReader<TcpStream>,
    request: &Request,
    (upstream, lock): (&Upstream, &Mutex<()>),
    service: &str,
    out: &mut TcpStream,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let name = upstream.name.as_str();
    let rest = service;
    let limit = if service == "git-receive-pack" {
        upstream.policy.max_push_bytes + 1024 * 1024
    } else {
        MAX_UPLOAD_PACK_REQUEST
    };
    let body = temp_file(".body").and_then(|mut file| {
        let length = read_body_to(reader, request, file.as_file_mut(), limit)?;
        Ok((file, length))
    });
    match body {
        Err(e) if service == "git-receive-pack" => {
            audit::emit(
                "push_refused",
                json!({ "upstream": name, "reason": format!("push too large: {e}"),
                        "max_push_bytes": upstream.policy.max_push_bytes }),
            );
            http::respond(
                out,
                "413 Payload Too Large",
                "text/plain",
                format!(
                    "bot-bottle git gate: refused: this push is larger than the {} byte limit\n",
                    upstream.policy.max_push_bytes
                )
                .as_bytes(),
            )
            .map_err(io)
        }
        Err(e) => Err(format!("reading a request body: {e}")),
        Ok((body, length)) if service == "git-receive-pack" => {
            let audit =
                temp_file(".audit").map_err(|e| format!("creating the push's audit file: {e}"))?;
            let _held = lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Refreshed here too, not only when refs were advertised: a client may send its push
            // without asking for them, and the hook must judge it against the upstream as it
            // is now (its refs, and which branch is its default).
            if let Err(e) = git::refresh(upstream) {
                return unreachable(out, name, service, &e);
            }
            let served = cgi(
                request,
                name,
                rest,
                Some((body.path(), length)),
                Some(audit.path()),
                out,
            );
            if let Ok(events) = std::fs::read_to_string(audit.path()) {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(events.as_bytes());
                let _ = stdout.flush();
            }
            served
        }
        Ok((body, length)) => cgi(request, name, rest, Some((body.path(), length)), None, out),
    }
}

/// A new empty file in the temp dir (mode 0600, random name ending in `suffix`), removed when
/// dropped, however the request ends.
fn temp_file(suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix("gate-")
        .suffix(suffix)
        .tempfile()
}

/// The answer to a push whose upstream could not be refreshed: nothing was pushed.
fn unreachable(out: &mut TcpStream, name: &str, service: &str, error: &str) -> Result<(), String> {
    audit::emit(
        "upstream_unreachable",
        json!({ "upstream": name, "service": service, "error": error }),
    );
    let text = format!(
        "bot-bottle git gate: refused: the upstream {name} cannot be reached, so nothing was pushed: {error}\n"
    );
    http::respond(out, "502 Bad Gateway", "text/plain", text.as_bytes()).map_err(|e| e.to_string())
}

fn read_body_to(
    reader: &mut BufReader<TcpStream>,
    request: &Request,
    file: &mut File,
    limit: u64,
) -> std::io::Result<u64> {
    let length = http::read_body(reader, request, file, limit)?;
    file.flush()?;
    Ok(length)
}

/// Runs `git http-backend` for one request and relays its answer.
fn cgi(
    request: &Request,
    name: &str,
    rest: &str,
    body: Option<(&Path, u64)>,
    audit_path: Option<&Path>,
    out: &mut TcpStream,
) -> Result<(), String> {
    let mut cmd = git::command(&["http-backend"]);
    cmd.env("GIT_PROJECT_ROOT", git::repo_root())
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{name}.git/{rest}"))
        .env("QUERY_STRING", &request.query)
        .env("REQUEST_METHOD", &request.method)
        .env("REMOTE_USER", "agent")
        .env("REMOTE_ADDR", "agent")
        .env("BOT_BOTTLE_GATE_UPSTREAM", name)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(value) = request.header(header) {
            cmd.env(var, value);
        }
    }
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
    let stdout = child.stdout.take().expect("piped");
    let mut cgi_out = BufReader::new(stdout);
    let mut status = "200 OK".to_owned();
    let mut headers = String::new();
    loop {
        let mut line = String::new();
        if cgi_out.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            break;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        match line.split_once(':') {
            Some((n, v)) if n.eq_ignore_ascii_case("status") => v.trim().clone_into(&mut status),
            Some(_) => {
                headers.push_str(line);
                headers.push_str("\r\n");
            }
            None => {}
        }
    }
    let relay = (|| -> std::io::Result<()> {
        write!(
            out,
            "HTTP/1.1 {status}\r\n{headers}Connection: close\r\n\r\n"
        )?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = cgi_out.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
        }
        out.flush()
    })();
    let _ = child.wait();
    relay.map_err(|e| format!("answering the agent: {e}"))
}
