//! The gate's egress filter on loopback, tried as a steered gate and as the agent would: a
//! tunnel opens to an allowed `HOST:PORT` only, for the gate's address only, and `connect`
//! (ssh's `ProxyCommand`) relays through it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const GATE: &str = env!("CARGO_BIN_EXE_bot-bottle-gate");

/// An echo server on loopback: what a connection sends comes back, until it closes its side.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut back = conn.try_clone().unwrap();
                let _ = std::io::copy(&mut conn, &mut back);
                let _ = back.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

/// The filter, running, with its audit events; killed on drop.
struct Filter {
    child: Child,
    events: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl Filter {
    fn start(allow: &[String]) -> Self {
        Self::start_for("127.0.0.1", allow)
    }

    /// The filter serving the gate at `client`.
    fn start_for(client: &str, allow: &[String]) -> Self {
        let mut cmd = Command::new(GATE);
        cmd.args(["egress", "--listen", "127.0.0.1:0", "--client", client]);
        for a in allow {
            cmd.args(["--allow", a]);
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let mut events = BufReader::new(child.stdout.take().unwrap());
        let first = next_event(&mut events);
        assert_eq!(first["event"], "egress_listening", "{first}");
        let addr = first["listen"].as_str().unwrap().parse().unwrap();
        Filter {
            child,
            events,
            addr,
        }
    }

    fn event(&mut self) -> Value {
        next_event(&mut self.events)
    }
}

impl Drop for Filter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next_event(events: &mut BufReader<ChildStdout>) -> Value {
    let mut line = String::new();
    events.read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// Sends `request` on `conn` and reads the answer's head (up to its blank line).
fn ask(conn: &mut TcpStream, request: &str) -> String {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn connect_to(filter: &Filter, target: &str) -> (TcpStream, String) {
    let mut conn = TcpStream::connect(filter.addr).unwrap();
    let head = ask(
        &mut conn,
        &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"),
    );
    (conn, head)
}

#[test]
fn a_tunnel_opens_to_an_upstream_s_host_and_port_only() {
    let port = echo_server();
    let mut filter = Filter::start(&[format!("LocalHost:{port}")]);

    let (mut tunnel, head) = connect_to(&filter, &format!("localhost:{port}"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    tunnel.write_all(b"through\n").unwrap();
    let mut back = [0u8; 8];
    tunnel.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"through\n");
    let opened = filter.event();
    assert_eq!(
        (opened["event"].as_str(), opened["target"].as_str()),
        (Some("egress"), Some(format!("localhost:{port}").as_str()))
    );

    // Another port of the same host, the same host by address, another host: refused, each
    // an audit event.
    for target in [
        format!("localhost:{}", port.wrapping_add(1)),
        format!("127.0.0.1:{port}"),
        format!("other.invalid:{port}"),
    ] {
        let (_, head) = connect_to(&filter, &target);
        assert!(head.starts_with("HTTP/1.1 403"), "{target}: {head}");
        let refused = filter.event();
        assert_eq!(refused["event"], "egress_refused", "{refused}");
        assert_eq!(refused["target"], target.as_str(), "{refused}");
    }
    // It is no web proxy either.
    let mut conn = TcpStream::connect(filter.addr).unwrap();
    let head = ask(
        &mut conn,
        &format!("GET http://localhost:{port}/ HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
    );
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
}

#[test]
fn only_the_gate_s_address_gets_an_answer() {
    let port = echo_server();
    // The gate stands at another address than this test, which is the agent here.
    let mut filter = Filter::start_for("127.0.0.2", &[format!("localhost:{port}")]);
    let (_, head) = connect_to(&filter, &format!("localhost:{port}"));
    assert_eq!(head, "", "an answer to another address than the gate's");
    let refused = filter.event();
    assert_eq!(refused["event"], "egress_refused", "{refused}");
    assert_eq!(refused["client"], "127.0.0.1", "{refused}");
}

#[test]
fn connect_relays_ssh_through_the_tunnel() {
    let port = echo_server();
    let filter = Filter::start(&[format!("localhost:{port}")]);
    let mut child = Command::new(GATE)
        .args([
            "connect",
            &filter.addr.to_string(),
            "localhost",
            &port.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SSH-2.0-test\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"SSH-2.0-test\r\n");

    // A target the filter refuses: connect fails, saying so.
    let refused = Command::new(GATE)
        .args([
            "connect",
            &filter.addr.to_string(),
            "elsewhere.invalid",
            "22",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("the egress filter refused elsewhere.invalid:22: 403"),
        "{stderr}"
    );
}
