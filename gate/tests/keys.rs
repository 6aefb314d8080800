//! The key holder (`bot-bottle-gate keys`) from the agent's side, on loopback: the built binary
//! between a client that trusts the bottle's CA (as the agent does) and a fake Anthropic with a
//! CA of its own that records every request it gets. The holder's `resolve` sends the three
//! hosts to the fake.
//!
//! Each test tries what an agent could (present the placeholder, a foreign key, a key in the
//! query, a cookie, another Host, another server name, its own refresh, a code grant) and checks
//! what reached the fake, what the credential file holds and what the holder logged.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde_json::{json, Value};

const API: &str = "api.anthropic.com";
const PLATFORM: &str = "platform.claude.com";
const CLAUDE_AI: &str = "claude.ai";
const HOSTS: [&str; 3] = [API, PLATFORM, CLAUDE_AI];

const REAL_KEY: &str = "sk-ant-api03-REALuserKEY-0123456789";
const ACCESS: &str = "sk-ant-oat01-REALaccess-0123456789";
const REFRESH: &str = "sk-ant-ort01-REALrefresh-0123456789";
const NEW_ACCESS: &str = "sk-ant-oat01-NEWaccess-9876543210";
const NEW_REFRESH: &str = "sk-ant-ort01-NEWrefresh-9876543210";
const PLACEHOLDER: &str = "bbph-agent-placeholder-7f3a";
const PLACEHOLDER_REFRESH: &str = "bbph-r-agent-refresh-91c2";
const FOREIGN: &str = "sk-ant-api03-ATTACKERkey-5555";
const FOREIGN_PLAIN: &str = "attacker-token-without-prefix";
/// A key the fake hands out (as the console login's key minting does).
const MINTED: &str = "sk-ant-api03-MINTEDkey-abcdefghijklmnop";
/// A key-like text in the model's output (its own words, not a credential of anyone's).
const MODEL_TEXT: &str = "sk-ant-api03-EXAMPLEexample-00000000";
const TOKEN_PATH: &str = "/v1/oauth/token";
const CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/// How long any one wait in these tests may last.
const WAIT: Duration = Duration::from_secs(20);

/// Every secret of these tests: none may appear in a log line.
const SECRETS: [&str; 9] = [
    MINTED,
    REAL_KEY,
    ACCESS,
    REFRESH,
    NEW_ACCESS,
    NEW_REFRESH,
    PLACEHOLDER,
    PLACEHOLDER_REFRESH,
    FOREIGN,
];

fn api_key_credential() -> String {
    json!({"version": 1, "kind": "api_key", "api_key": REAL_KEY}).to_string()
}

fn oauth_credential(expires_at: u64) -> String {
    json!({
        "version": 1, "kind": "oauth", "access_token": ACCESS, "refresh_token": REFRESH,
        "expires_at": expires_at, "scopes": ["user:inference", "user:profile"],
        "subscription_type": "pro",
    })
    .to_string()
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

// ---- certificates ----

/// A CA and one leaf it signed for `names`, as PEM.
struct Pki {
    ca: String,
    leaf: String,
    key: String,
}

impl Pki {
    fn new(ca_name: &str, names: &[&str]) -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, ca_name);
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        let leaf = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        Pki {
            ca: ca_cert.pem(),
            leaf: leaf.pem(),
            key: leaf_key.serialize_pem(),
        }
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let chain = vec![CertificateDer::from_pem_slice(self.leaf.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(self.key.as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ---- the fake Anthropic ----

/// A request the fake got.
#[derive(Debug, Clone)]
struct Seen {
    server_name: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn text(&self) -> String {
        let mut all = format!("{} {}\n", self.method, self.target);
        for (name, value) in &self.headers {
            let _ = writeln!(all, "{name}: {value}");
        }
        all.push_str(&String::from_utf8_lossy(&self.body));
        all
    }
}

/// The fake Anthropic: every host on one port, a leaf for the three hosts. Its token endpoint
/// hands out [`NEW_ACCESS`] and [`NEW_REFRESH`]; `/v1/messages?sse` sends one event, waits for
/// [`Fake::release`], then another; anything else is answered 200 with a cookie.
struct Fake {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    handshakes: Arc<AtomicUsize>,
    release: Sender<()>,
    stop: Arc<AtomicBool>,
}

impl Fake {
    fn start(pki: &Pki) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (release, released) = mpsc::channel();
        let released = Arc::new(Mutex::new(released));
        let config = pki.server_config();
        let (seen2, handshakes2, stop2) = (seen.clone(), handshakes.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                handshakes2.fetch_add(1, Ordering::Relaxed);
                let (config, seen, released) = (config.clone(), seen2.clone(), released.clone());
                thread::spawn(move || {
                    conn.set_read_timeout(Some(WAIT)).unwrap();
                    let server = rustls::ServerConnection::new(config).unwrap();
                    let mut stream = rustls::StreamOwned::new(server, conn);
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    let server_name = stream.conn.server_name().unwrap_or("").to_owned();
                    let request = Seen {
                        server_name,
                        ..request
                    };
                    seen.lock().unwrap().push(request.clone());
                    answer(&mut stream, &request, &released);
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                });
            }
        });
        Fake {
            addr,
            seen,
            handshakes,
            release,
            stop,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// One request: its head and its body (by `Content-Length`, or chunked).
fn read_request<S: std::io::Read>(stream: &mut S) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let (length, chunked) = (
        find("content-length"),
        find("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")),
    );
    let mut body = Vec::new();
    if let Some(length) = length {
        body.resize(length.parse().ok()?, 0);
        reader.read_exact(&mut body).ok()?;
    } else if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, if any, kept as headers named `trailer NAME`.
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).ok()?;
                    let Some((name, value)) = line.trim_end().split_once(':') else {
                        break;
                    };
                    headers.push((format!("trailer {name}"), value.trim().to_owned()));
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Seen {
        server_name: String::new(),
        method,
        target,
        headers,
        body,
    })
}

fn answer<S: std::io::Write>(stream: &mut S, request: &Seen, released: &Mutex<Receiver<()>>) {
    if request.target == TOKEN_PATH {
        let body = json!({
            "token_type": "Bearer", "access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH,
            "expires_in": 3600, "scope": "user:inference user:profile",
        })
        .to_string();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    if request.target == "/v1/messages?sse" {
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\
             connection: close\r\n\r\n"
        );
        let one = "event: one\ndata: first\n\n";
        let _ = write!(stream, "{:x}\r\n{one}\r\n", one.len());
        let _ = stream.flush();
        // The second event waits until the client has the first: a holder that buffered the
        // answer would hold the first back until the test gives up.
        let _ = released.lock().unwrap().recv_timeout(WAIT);
        let two = "event: two\ndata: second\n\n";
        let _ = write!(stream, "{:x}\r\n{two}\r\n0\r\n\r\n", two.len());
        let _ = stream.flush();
        return;
    }
    let (extra, body) = match request.target.as_str() {
        "/api/oauth/claude_cli/create_api_key" => (String::new(), json!({"raw_key": MINTED})),
        "/v1/messages?model-says" => (String::new(), json!({"content": MODEL_TEXT})),
        "/v1/key-in-header" => (format!("x-new-key: {MINTED}\r\n"), json!({})),
        "/v1/split" => {
            // The key split across two chunks, the first of them long enough to be passed on.
            let (first, second) = MINTED.split_at(12);
            let first = format!("{{\"pad\":\"{}\",\"key\":\"{first}", "x".repeat(200));
            let second = format!("{second}\"}}");
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 transfer-encoding: chunked\r\nconnection: close\r\n\r\n\
                 {:x}\r\n{first}\r\n",
                first.len()
            );
            let _ = stream.flush();
            let _ = write!(stream, "{:x}\r\n{second}\r\n0\r\n\r\n", second.len());
            return;
        }
        _ => (
            "set-cookie: __cf_bm=abc; Secure\r\n".to_owned(),
            json!({"fake": "anthropic", "target": request.target}),
        ),
    };
    let body = body.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

// ---- the holder ----

struct Holder {
    child: Child,
    addr: SocketAddr,
    events: Receiver<Value>,
    lines: Arc<Mutex<Vec<String>>>,
    credential_path: PathBuf,
    bottle: Pki,
    _dir: tempfile::TempDir,
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A holder with `credential`, its hosts resolved to `fake`, verifying them against
/// `roots_pem`.
fn start_holder(credential: &str, fake: &Fake, roots_pem: &str) -> Holder {
    start_holder_for(credential, fake, roots_pem, &HOSTS, &json!({}))
}

/// A holder for `hosts`, with `credential_headers` in its config (how the key goes on each).
fn start_holder_for(
    credential: &str,
    fake: &Fake,
    roots_pem: &str,
    hosts: &[&str],
    credential_headers: &Value,
) -> Holder {
    let dir = tempfile::Builder::new()
        .prefix("bot-bottle-keys-")
        .tempdir()
        .unwrap();
    let bottle = Pki::new("bottle test CA", hosts);
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let credential_path = dir.path().join("state").join("credential.json");
    std::fs::create_dir(credential_path.parent().unwrap()).unwrap();
    std::fs::write(&credential_path, credential).unwrap();
    std::fs::set_permissions(&credential_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let upstream = fake.addr.to_string();
    let resolve: serde_json::Map<String, Value> = hosts
        .iter()
        .map(|h| ((*h).to_owned(), Value::from(upstream.as_str())))
        .collect();
    let mut config = json!({
        "listen": "127.0.0.1:0",
        "hosts": hosts,
        "tls_cert": file("cert.pem", &bottle.leaf),
        "tls_key": file("key.pem", &bottle.key),
        "upstream_roots": file("roots.pem", roots_pem),
        "credential": credential_path.to_str().unwrap(),
        "placeholder": PLACEHOLDER,
        "placeholder_refresh": PLACEHOLDER_REFRESH,
        "token_path": TOKEN_PATH,
        "oauth_client_id": CLIENT_ID,
        "resolve": resolve,
    });
    if credential_headers
        .as_object()
        .is_some_and(|o| !o.is_empty())
    {
        config["credential_headers"] = credential_headers.clone();
    }
    let config_path = file("config.json", &config.to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_bot-bottle-gate"))
        .args(["keys", "--config", &config_path])
        .env(
            "BOT_BOTTLE_GATE_CONFIG",
            "/nonexistent/bot-bottle-gate/config.json",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (to_test, events) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let all = lines.clone();
    thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            all.lock().unwrap().push(line.clone());
            let event: Value = serde_json::from_str(&line).expect("an audit event a line");
            if to_test.send(event).is_err() {
                break;
            }
        }
    });
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let all = lines.clone();
    thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            all.lock().unwrap().push(line);
        }
    });
    let listening = events
        .recv_timeout(WAIT)
        .expect("the holder says it listens");
    assert_eq!(listening["event"], "listening", "{listening}");
    assert_eq!(listening["source"], "key-holder", "{listening}");
    let addr = listening["listen"].as_str().unwrap().parse().unwrap();
    Holder {
        child,
        addr,
        events,
        lines,
        credential_path,
        bottle,
        _dir: dir,
    }
}

/// An answer the client got.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Holder {
    /// A client config trusting the bottle's CA, as the agent's does.
    fn agent_tls(&self) -> Arc<ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.bottle.ca.as_bytes()).unwrap())
            .unwrap();
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// A TLS connection to the holder naming `server_name`.
    fn connect(
        &self,
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        let tcp = TcpStream::connect(self.addr).unwrap();
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        let name = ServerName::try_from(server_name.to_owned()).unwrap();
        let client = rustls::ClientConnection::new(config, name).unwrap();
        rustls::StreamOwned::new(client, tcp)
    }

    /// Sends one request over a TLS connection naming `server_name`, with `headers` (a Host
    /// naming `server_name` unless they hold one) and `body`; returns the whole answer.
    fn send(
        &self,
        server_name: &str,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        parse_answer(&self.send_raw(server_name, method, target, headers, body))
    }

    /// [`Holder::send`], the answer as the bytes that came (none when it was cut at once).
    fn send_raw(
        &self,
        server_name: &str,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Vec<u8> {
        let mut stream = self.connect(self.agent_tls(), server_name);
        stream
            .write_all(request_text(server_name, method, target, headers, body).as_bytes())
            .unwrap();
        let mut raw = Vec::new();
        // An answer cut short ends the connection without TLS's close_notify.
        match stream.read_to_end(&mut raw) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {}
            Err(e) => panic!("reading the answer: {e}"),
        }
        raw
    }

    /// The next audit event named `name`.
    fn event(&self, name: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("no {name} event: {e}"));
            if event["event"] == name {
                return event;
            }
        }
    }

    /// Asserts that nothing the holder printed holds a secret.
    fn logged_no_secret(&self) {
        let lines = self.lines.lock().unwrap();
        for line in lines.iter() {
            for secret in SECRETS.iter().chain([&FOREIGN_PLAIN]) {
                assert!(!line.contains(secret), "a log line holds a secret: {line}");
            }
        }
    }

    fn credential(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.credential_path).unwrap()).unwrap()
    }
}

fn request_text(
    server_name: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    let mut text = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        let _ = write!(text, "host: {server_name}\r\n");
    }
    for (name, value) in headers {
        let _ = write!(text, "{name}: {value}\r\n");
    }
    let _ = write!(
        text,
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    text
}

fn parse_answer(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer head in {text:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("\r\ntransfer-encoding: chunked");
    let body = if chunked {
        dechunked(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        head: head.to_owned(),
        body,
    }
}

fn dechunked(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

/// A verifier that accepts any certificate: a client that does not care who answers, as an
/// agent probing the holder need not.
#[derive(Debug)]
struct AcceptAnything;

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn upstream_pki() -> Pki {
    Pki::new("fake Anthropic CA", &HOSTS)
}

// ---- the tests ----

#[test]
fn the_placeholder_is_replaced_by_the_real_key_and_never_reaches_the_host() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&api_key_credential(), &fake, &upstream.ca);
    let body = r#"{"model":"claude","messages":[]}"#;
    let by_key = [
        ("x-api-key", PLACEHOLDER),
        ("anthropic-version", "2023-06-01"),
    ];
    let bearer = format!("Bearer {PLACEHOLDER}");
    let by_bearer = [("authorization", bearer.as_str()), ("x-kept", "yes")];
    for headers in [&by_key[..], &by_bearer[..]] {
        let answer = holder.send(API, "POST", "/v1/messages?beta=true", headers, body);
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(answer.body.contains(r#""fake":"anthropic""#), "{answer:?}");
        assert!(
            !answer.head.to_ascii_lowercase().contains("set-cookie"),
            "a cookie reached the agent: {answer:?}"
        );
        let event = holder.event("keys_request");
        assert_eq!(event["credential"], "injected", "{event}");
        assert_eq!(event["path"], "/v1/messages", "{event}");
        assert_eq!(event["host"], API, "{event}");
        assert_eq!(event["status"], 200, "{event}");
    }
    let seen = fake.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert_eq!(request.server_name, API);
        assert_eq!(request.target, "/v1/messages?beta=true");
        assert_eq!(request.header("host"), [API]);
        assert_eq!(request.header("x-api-key"), [REAL_KEY], "{request:?}");
        assert_eq!(
            request.header("authorization"),
            Vec::<&str>::new(),
            "{request:?}"
        );
        assert_eq!(request.body, body.as_bytes());
        assert!(!request.text().contains(PLACEHOLDER), "{request:?}");
    }
    assert_eq!(seen[0].header("anthropic-version"), ["2023-06-01"]);
    assert_eq!(seen[1].header("x-kept"), ["yes"]);
    // A request with no credential goes through without one.
    let answer = holder.send(CLAUDE_AI, "GET", "/", &[], "");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(holder.event("keys_request")["credential"], "none");
    let last = fake.seen().pop().unwrap();
    assert_eq!(last.server_name, CLAUDE_AI);
    assert!(last.header("x-api-key").is_empty() && last.header("authorization").is_empty());
    holder.logged_no_secret();
}

/// A request target, what it tries, its headers and the status it must get.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16);

#[test]
fn foreign_credentials_cookies_and_other_hosts_are_refused_and_reach_no_host() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&api_key_credential(), &fake, &upstream.ca);
    let foreign_bearer = format!("Bearer {FOREIGN}");
    let plain_bearer = format!("Bearer {FOREIGN_PLAIN}");
    let foreign_query = format!("/v1/messages?key={FOREIGN}");
    let encoded_query = format!("/v1/files?k={}", FOREIGN.replace('-', "%2D"));
    let foreign_path = format!("/v1/{FOREIGN}");
    let real_in_header = format!("x {REAL_KEY}");
    let cases: Vec<Case> = vec![
        (
            "/v1/messages",
            "foreign x-api-key",
            vec![("x-api-key", FOREIGN)],
            403,
        ),
        (
            "/v1/messages",
            "plain x-api-key",
            vec![("x-api-key", FOREIGN_PLAIN)],
            403,
        ),
        (
            "/v1/messages",
            "foreign bearer",
            vec![("authorization", &foreign_bearer)],
            403,
        ),
        (
            "/v1/messages",
            "plain bearer",
            vec![("authorization", &plain_bearer)],
            403,
        ),
        (
            "/v1/messages",
            "placeholder and a foreign key",
            vec![
                ("x-api-key", PLACEHOLDER),
                ("authorization", &foreign_bearer),
            ],
            403,
        ),
        (
            &foreign_query,
            "key in the query",
            vec![("x-api-key", PLACEHOLDER)],
            403,
        ),
        (&encoded_query, "encoded key in the query", vec![], 403),
        (&foreign_path, "key in the path", vec![], 403),
        (
            "/v1/messages",
            "key in a header",
            vec![("x-note", FOREIGN)],
            403,
        ),
        (
            "/v1/messages",
            "real key echoed",
            vec![("x-note", &real_in_header)],
            403,
        ),
        (
            "/v1/messages",
            "cookie",
            vec![("cookie", "sessionKey=abc")],
            403,
        ),
        (
            "/",
            "upgrade",
            vec![("upgrade", "websocket"), ("connection", "upgrade")],
            403,
        ),
        (
            "/v1/messages",
            "another host",
            vec![("host", "evil.example")],
            421,
        ),
    ];
    for host in HOSTS {
        for (target, what, headers, status) in &cases {
            let answer = holder.send(host, "POST", target, headers, "{}");
            assert_eq!(answer.status, *status, "{host} {what}: {answer:?}");
            assert!(
                answer.body.contains("bot-bottle key holder:"),
                "{host} {what}: {answer:?}"
            );
            let error: Value = serde_json::from_str(&answer.body).unwrap();
            assert_eq!(error["type"], "error", "{host} {what}: {answer:?}");
            let event = holder.event("keys_request");
            assert_eq!(event["credential"], "refused", "{host} {what}: {event}");
            assert!(event["reason"].is_string(), "{host} {what}: {event}");
        }
    }
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    assert_eq!(fake.handshakes.load(Ordering::Relaxed), 0);
    holder.logged_no_secret();
}

#[test]
fn trailers_of_a_chunked_request_are_not_sent_on() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&api_key_credential(), &fake, &upstream.ca);
    let mut stream = holder.connect(holder.agent_tls(), API);
    let request = format!(
        "POST /v1/files HTTP/1.1\r\nhost: {API}\r\nx-api-key: {PLACEHOLDER}\r\n\
         transfer-encoding: chunked\r\ntrailer: x-api-key, x-smuggled\r\nte: trailers\r\n\
         connection: close\r\n\r\n2\r\n{{}}\r\n0\r\nx-api-key: {FOREIGN}\r\n\
         x-smuggled: {FOREIGN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    assert_eq!(parse_answer(&raw).status, 200);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].body, b"{}");
    assert_eq!(seen[0].header("x-api-key"), [REAL_KEY], "{seen:?}");
    assert!(
        !seen[0].text().contains(FOREIGN),
        "a trailer went through: {seen:?}"
    );
    holder.logged_no_secret();
}

#[test]
fn a_server_name_outside_the_hosts_fails_the_handshake() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&api_key_credential(), &fake, &upstream.ca);
    // A client that accepts any certificate: the holder itself must refuse the name.
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    for name in ["evil.example", "api.anthropic.com.evil.example"] {
        let mut stream = holder.connect(config.clone(), name);
        let request = request_text(name, "GET", "/", &[("x-api-key", PLACEHOLDER)], "");
        let sent = stream.write_all(request.as_bytes());
        let mut raw = Vec::new();
        let read = stream.read_to_end(&mut raw);
        assert!(
            sent.is_err() || read.is_err(),
            "{name}: the handshake went through: {:?}",
            String::from_utf8_lossy(&raw)
        );
        assert!(
            raw.is_empty(),
            "{name}: {:?}",
            String::from_utf8_lossy(&raw)
        );
        holder.event("keys_tls_refused");
    }
    // The accepting client still works with a name the holder answers for.
    let mut stream = holder.connect(config, API);
    let request = request_text(API, "GET", "/", &[], "");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 200, "{answer:?}");
    let seen = fake.seen();
    assert!(seen.iter().all(|s| s.server_name == API), "{seen:?}");
    holder.logged_no_secret();
}

#[test]
fn an_expired_login_is_refreshed_outside_the_agent_and_written_back() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&oauth_credential(1_000), &fake, &upstream.ca);
    let bearer = format!("Bearer {PLACEHOLDER}");
    let before = now_ms();
    for _ in 0..2 {
        let answer = holder.send(
            API,
            "POST",
            "/v1/messages",
            &[("authorization", &bearer)],
            "{}",
        );
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let seen = fake.seen();
    let refreshes: Vec<&Seen> = seen.iter().filter(|s| s.target == TOKEN_PATH).collect();
    assert_eq!(refreshes.len(), 1, "one refresh for two requests: {seen:?}");
    let refresh = refreshes[0];
    assert_eq!(refresh.server_name, PLATFORM);
    assert_eq!(refresh.method, "POST");
    assert_eq!(refresh.header("host"), [PLATFORM]);
    let sent: Value = serde_json::from_slice(&refresh.body).unwrap();
    assert_eq!(
        sent,
        json!({"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT_ID})
    );
    let api: Vec<&Seen> = seen.iter().filter(|s| s.server_name == API).collect();
    assert_eq!(api.len(), 2, "{seen:?}");
    for request in api {
        assert_eq!(
            request.header("authorization"),
            [format!("Bearer {NEW_ACCESS}")]
        );
        assert!(request.header("x-api-key").is_empty());
        assert!(!request.text().contains(PLACEHOLDER) && !request.text().contains(ACCESS));
    }
    let written = holder.credential();
    assert_eq!(written["kind"], "oauth");
    assert_eq!(written["access_token"], NEW_ACCESS);
    assert_eq!(written["refresh_token"], NEW_REFRESH);
    assert_eq!(written["scopes"], json!(["user:inference", "user:profile"]));
    assert_eq!(written["subscription_type"], "pro");
    let expires_at = written["expires_at"].as_u64().unwrap();
    assert!(expires_at >= before + 3_600_000 && expires_at <= now_ms() + 3_600_000);
    let mode = std::fs::metadata(&holder.credential_path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir: Vec<_> = std::fs::read_dir(holder.credential_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(dir, ["credential.json"], "a temp file was left");
    let event = holder.event("keys_refresh");
    assert_eq!(event["outcome"], "refreshed", "{event}");
    assert_eq!(event["persisted"], true, "{event}");
    holder.logged_no_secret();
}

#[test]
fn a_login_that_does_not_expire_soon_is_not_refreshed() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&oauth_credential(now_ms() + 3_600_000), &fake, &upstream.ca);
    let bearer = format!("Bearer {PLACEHOLDER}");
    let answer = holder.send(API, "GET", "/v1/models", &[("authorization", &bearer)], "");
    assert_eq!(answer.status, 200, "{answer:?}");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].header("authorization"),
        [format!("Bearer {ACCESS}")]
    );
    assert_eq!(holder.credential()["access_token"], ACCESS);
    holder.logged_no_secret();
}

#[test]
fn the_agents_own_refresh_is_answered_by_the_holder_and_other_grants_are_refused() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&oauth_credential(now_ms() + 3_600_000), &fake, &upstream.ca);
    let json_refresh = json!({
        "grant_type": "refresh_token", "refresh_token": PLACEHOLDER_REFRESH, "client_id": CLIENT_ID,
    })
    .to_string();
    let form_refresh = format!("grant_type=refresh_token&refresh_token={PLACEHOLDER_REFRESH}");
    let json_type = ("content-type", "application/json");
    let form_type = ("content-type", "application/x-www-form-urlencoded");
    for (body, kind) in [(&json_refresh, json_type), (&form_refresh, form_type)] {
        let answer = holder.send(PLATFORM, "POST", TOKEN_PATH, &[kind], body);
        assert_eq!(answer.status, 200, "{answer:?}");
        let tokens: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(tokens["access_token"], PLACEHOLDER);
        assert_eq!(tokens["refresh_token"], PLACEHOLDER_REFRESH);
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["scope"], "user:inference user:profile");
        assert!(tokens["expires_in"].as_u64().unwrap() >= 86_400);
        let event = holder.event("keys_request");
        assert_eq!(event["status"], 200, "{event}");
        assert_eq!(event["local"], true, "{event}");
    }
    let refused = [
        json!({"grant_type": "authorization_code", "code": "abc", "code_verifier": "v",
               "redirect_uri": "https://platform.claude.com/oauth/code/callback",
               "client_id": CLIENT_ID}),
        json!({"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT_ID}),
        json!({"grant_type": "refresh_token", "refresh_token": FOREIGN_PLAIN}),
        json!({"grant_type": "client_credentials"}),
        json!({"refresh_token": PLACEHOLDER_REFRESH}),
    ];
    for body in refused {
        let answer = holder.send(
            PLATFORM,
            "POST",
            TOKEN_PATH,
            &[json_type],
            &body.to_string(),
        );
        assert_eq!(answer.status, 403, "{body}: {answer:?}");
        let error: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(error["error"], "invalid_grant", "{answer:?}");
        assert!(
            error["error_description"]
                .as_str()
                .unwrap()
                .contains("bot-bottle login"),
            "{answer:?}"
        );
        assert_eq!(holder.event("keys_request")["credential"], "refused");
    }
    let get = holder.send(PLATFORM, "GET", TOKEN_PATH, &[], "");
    assert_eq!(get.status, 403, "{get:?}");
    assert!(
        fake.seen().is_empty(),
        "the token endpoint was called: {:?}",
        fake.seen()
    );
    assert_eq!(holder.credential()["access_token"], ACCESS);
    holder.logged_no_secret();
}

#[test]
fn server_sent_events_arrive_as_they_come() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&api_key_credential(), &fake, &upstream.ca);
    let mut stream = holder.connect(holder.agent_tls(), API);
    let request = request_text(
        API,
        "POST",
        "/v1/messages?sse",
        &[("x-api-key", PLACEHOLDER)],
        "{}",
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buffer = [0u8; 4096];
    // The first event must arrive while the fake still holds the second back.
    while !String::from_utf8_lossy(&got).contains("data: first") {
        let n = stream
            .read(&mut buffer)
            .expect("the first event arrives before the answer ends");
        assert!(
            n > 0,
            "the answer ended early: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buffer[..n]);
    }
    assert!(!String::from_utf8_lossy(&got).contains("data: second"));
    fake.release.send(()).unwrap();
    match stream.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {}
        Err(e) => panic!("reading the rest: {e}"),
    }
    let answer = parse_answer(&got);
    assert_eq!(answer.status, 200);
    assert!(answer
        .head
        .to_ascii_lowercase()
        .contains("content-type: text/event-stream"));
    assert_eq!(
        answer.body,
        "event: one\ndata: first\n\nevent: two\ndata: second\n\n"
    );
    assert_eq!(fake.seen()[0].header("x-api-key"), [REAL_KEY]);
    holder.logged_no_secret();
}

#[test]
fn a_host_the_roots_do_not_verify_gets_no_credential() {
    // The fake's certificate is of a CA the holder does not trust: an impostor.
    let impostor = upstream_pki();
    let fake = Fake::start(&impostor);
    let trusted = upstream_pki();
    let holder = start_holder(&oauth_credential(1_000), &fake, &trusted.ca);
    let bearer = format!("Bearer {PLACEHOLDER}");
    let answer = holder.send(
        API,
        "POST",
        "/v1/messages",
        &[("authorization", &bearer)],
        "{}",
    );
    assert_eq!(answer.status, 502, "{answer:?}");
    assert!(answer.body.contains("bot-bottle key holder:"), "{answer:?}");
    let event = holder.event("keys_request");
    assert_eq!(event["status"], 502, "{event}");
    assert_ne!(event["credential"], "injected", "{event}");
    assert!(
        fake.handshakes.load(Ordering::Relaxed) >= 1,
        "the holder never tried"
    );
    assert!(
        fake.seen().is_empty(),
        "the impostor got a request: {:?}",
        fake.seen()
    );
    // Nor was the login refreshed at the impostor's token endpoint.
    assert_eq!(holder.credential()["refresh_token"], REFRESH);
    holder.logged_no_secret();
}

/// The output of `child`, which must exit within [`WAIT`] (a holder that started is killed).
fn exit_of(mut child: Child) -> std::process::Output {
    let deadline = Instant::now() + WAIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {WAIT:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_credential_in_the_hosts_answer_never_reaches_the_agent() {
    let upstream = upstream_pki();
    let fake = Fake::start(&upstream);
    let holder = start_holder(&oauth_credential(now_ms() + 3_600_000), &fake, &upstream.ca);
    let bearer = format!("Bearer {PLACEHOLDER}");
    let auth = [("authorization", bearer.as_str())];
    for target in ["/api/oauth/claude_cli/create_api_key", "/v1/split"] {
        let raw = holder.send_raw(API, "POST", target, &auth, "{}");
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            !raw.contains("MINTED") && !raw.contains("sk-ant-"),
            "{target}: {raw}"
        );
        let event = holder.event("keys_answer_cut");
        assert_eq!(event["path"], target, "{event}");
    }
    let answer = holder.send(API, "GET", "/v1/key-in-header", &auth, "");
    assert_eq!(answer.status, 502, "{answer:?}");
    assert!(!answer.head.contains("MINTED"), "{answer:?}");
    // The model's own words are relayed as they are, whatever they hold.
    let answer = holder.send(API, "POST", "/v1/messages?model-says", &auth, "{}");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains(MODEL_TEXT), "{answer:?}");
    holder.logged_no_secret();
}

#[test]
fn a_bad_config_or_credential_exits_2_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bottle = Pki::new("bottle test CA", &HOSTS);
    let write = |name: &str, text: &str| -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let cert = write("cert.pem", &bottle.leaf);
    let key = write("key.pem", &bottle.key);
    let roots = write("roots.pem", &bottle.ca);
    let good_credential = write("credential.json", &api_key_credential());
    let bad_credential = write(
        "bad-credential.json",
        &json!({"version": 1, "kind": "api_key", "api_key": 7, "x": REAL_KEY}).to_string(),
    );
    let wrong_type = write(
        "wrong-credential.json",
        &json!({"version": 1, "kind": "oauth", "access_token": ACCESS,
                "expires_at": REFRESH})
        .to_string(),
    );
    let written = std::cell::Cell::new(0);
    let config = |field: &str, value: Value| {
        let mut config = json!({
            "listen": "127.0.0.1:0", "hosts": HOSTS, "tls_cert": cert, "tls_key": key,
            "upstream_roots": roots, "credential": good_credential, "placeholder": PLACEHOLDER,
            "token_path": TOKEN_PATH, "oauth_client_id": CLIENT_ID,
        });
        config[field] = value;
        written.set(written.get() + 1);
        write(
            &format!("config-{}.json", written.get()),
            &config.to_string(),
        )
    };
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    for (path, want) in [
        (
            config("tls_cert", json!(missing)),
            format!("field tls_cert: reading {missing}"),
        ),
        (config("tls_key", json!(cert)), "field tls_key".to_owned()),
        (
            config("upstream_roots", json!(missing)),
            "field upstream_roots".to_owned(),
        ),
        (
            config("listen", json!("nowhere")),
            "field listen".to_owned(),
        ),
        (config("hosts", json!([])), "field hosts".to_owned()),
        (
            config("placeholder", json!(FOREIGN)),
            "field placeholder".to_owned(),
        ),
        (
            config("credential", json!(missing)),
            "field credential: reading".to_owned(),
        ),
        (
            config("credential", json!(bad_credential)),
            "bad-credential.json: field api_key".to_owned(),
        ),
        (
            config("credential", json!(wrong_type)),
            "wrong-credential.json: field expires_at".to_owned(),
        ),
        (config("port", json!(1)), "unknown field `port`".to_owned()),
    ] {
        let out = exit_of(
            Command::new(env!("CARGO_BIN_EXE_bot-bottle-gate"))
                .args(["keys", "--config", &path])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{want}: {stderr}");
        assert!(stderr.contains(&want), "{want}: {stderr}");
        assert!(
            stderr.contains("config.json") || stderr.contains(".json:"),
            "{stderr}"
        );
        for secret in SECRETS {
            assert!(!stderr.contains(secret), "{want}: a secret in {stderr}");
        }
        assert!(
            out.stdout.is_empty(),
            "{want}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

// ---- other providers: an OpenAI-style and a Gemini-style host ----

const OPENAI: &str = "api.openai.com";
const GEMINI: &str = "generativelanguage.googleapis.com";
const OPENAI_KEY: &str = "sk-proj-REALopenaiKEY-0123456789";
const GEMINI_KEY: &str = "AIzaSyREALgeminiKEY-0123456789abcdefghi";
const FOREIGN_OPENAI: &str = "sk-proj-ATTACKERkey-5555";
const FOREIGN_GEMINI: &str = "AIzaSyATTACKERkey-5555-0123456789abcdef";

fn openai_holder(fake: &Fake, upstream: &Pki) -> Holder {
    let credential = json!({"version": 1, "kind": "api_key", "api_key": OPENAI_KEY});
    let headers = json!({ OPENAI: {"name": "authorization", "scheme": "Bearer"} });
    start_holder_for(
        &credential.to_string(),
        fake,
        &upstream.ca,
        &[OPENAI],
        &headers,
    )
}

fn gemini_holder(fake: &Fake, upstream: &Pki) -> Holder {
    let credential = json!({"version": 1, "kind": "api_key", "api_key": GEMINI_KEY});
    let headers = json!({ GEMINI: {"name": "x-goog-api-key"} });
    start_holder_for(
        &credential.to_string(),
        fake,
        &upstream.ca,
        &[GEMINI],
        &headers,
    )
}

/// Asserts that nothing the holder printed holds one of `secrets`.
fn logged_none_of(holder: &Holder, secrets: &[&str]) {
    holder.logged_no_secret();
    for line in holder.lines.lock().unwrap().iter() {
        for secret in secrets {
            assert!(!line.contains(secret), "a log line holds a secret: {line}");
        }
    }
}

#[test]
fn an_openai_key_goes_on_as_a_bearer_token_and_the_placeholder_never_reaches_the_host() {
    let upstream = Pki::new("fake OpenAI CA", &[OPENAI]);
    let fake = Fake::start(&upstream);
    let holder = openai_holder(&fake, &upstream);
    let bearer = format!("Bearer {PLACEHOLDER}");
    let body = r#"{"model":"gpt","input":"hi"}"#;
    let answer = holder.send(
        OPENAI,
        "POST",
        "/v1/responses",
        &[("authorization", &bearer), ("openai-beta", "x")],
        body,
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(holder.event("keys_request")["credential"], "injected");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let request = &seen[0];
    assert_eq!(request.server_name, OPENAI);
    assert_eq!(request.target, "/v1/responses");
    let expected = format!("Bearer {OPENAI_KEY}");
    assert_eq!(request.header("authorization"), [expected.as_str()]);
    assert!(request.header("x-api-key").is_empty(), "{request:?}");
    assert_eq!(request.header("openai-beta"), ["x"]);
    assert!(!request.text().contains(PLACEHOLDER), "{request:?}");
    logged_none_of(&holder, &[OPENAI_KEY]);
}

#[test]
fn a_gemini_key_goes_on_as_x_goog_api_key_from_the_header_or_the_query() {
    let upstream = Pki::new("fake Gemini CA", &[GEMINI]);
    let fake = Fake::start(&upstream);
    let holder = gemini_holder(&fake, &upstream);
    let path = "/v1beta/models/gemini-pro:streamGenerateContent";
    let by_header = holder.send(
        GEMINI,
        "POST",
        &format!("{path}?alt=sse"),
        &[("x-goog-api-key", PLACEHOLDER)],
        "{}",
    );
    assert_eq!(by_header.status, 200, "{by_header:?}");
    assert_eq!(holder.event("keys_request")["credential"], "injected");
    let by_query = holder.send(
        GEMINI,
        "POST",
        &format!("{path}?key={PLACEHOLDER}&alt=sse"),
        &[],
        "{}",
    );
    assert_eq!(by_query.status, 200, "{by_query:?}");
    assert_eq!(holder.event("keys_request")["credential"], "injected");
    let seen = fake.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert_eq!(request.server_name, GEMINI);
        assert_eq!(request.target, format!("{path}?alt=sse"), "{request:?}");
        assert_eq!(request.header("x-goog-api-key"), [GEMINI_KEY]);
        assert!(request.header("authorization").is_empty(), "{request:?}");
        assert!(request.header("x-api-key").is_empty(), "{request:?}");
        assert!(!request.text().contains(PLACEHOLDER), "{request:?}");
    }
    logged_none_of(&holder, &[GEMINI_KEY]);
}

#[test]
fn a_foreign_key_anywhere_is_refused_at_openai_and_gemini_hosts_and_reaches_neither() {
    let openai_pki = Pki::new("fake OpenAI CA", &[OPENAI]);
    let gemini_pki = Pki::new("fake Gemini CA", &[GEMINI]);
    let openai_fake = Fake::start(&openai_pki);
    let gemini_fake = Fake::start(&gemini_pki);
    let holders = [
        (OPENAI, openai_holder(&openai_fake, &openai_pki)),
        (GEMINI, gemini_holder(&gemini_fake, &gemini_pki)),
    ];
    let foreign_bearer = format!("Bearer {FOREIGN_OPENAI}");
    let plain_bearer = format!("Bearer {FOREIGN_PLAIN}");
    let query = |key: &str| format!("/v1beta/models/m:generateContent?key={key}");
    let (gemini_query, plain_query, openai_query) = (
        query(FOREIGN_GEMINI),
        query(FOREIGN_PLAIN),
        query(FOREIGN_OPENAI),
    );
    let encoded_name = format!("/v1beta/models?%6Bey={FOREIGN_PLAIN}");
    let second_key = format!("/v1beta/models?key={PLACEHOLDER}&key={FOREIGN_PLAIN}");
    let gemini_path = format!("/v1beta/files/{FOREIGN_GEMINI}");
    let note = format!("x {FOREIGN_GEMINI}");
    let cases: Vec<Case> = vec![
        (
            "/v1/x",
            "foreign bearer",
            vec![("authorization", &foreign_bearer)],
            403,
        ),
        (
            "/v1/x",
            "plain bearer",
            vec![("authorization", &plain_bearer)],
            403,
        ),
        (
            "/v1/x",
            "foreign x-goog-api-key",
            vec![("x-goog-api-key", FOREIGN_GEMINI)],
            403,
        ),
        (
            "/v1/x",
            "plain x-goog-api-key",
            vec![("x-goog-api-key", FOREIGN_PLAIN)],
            403,
        ),
        (
            "/v1/x",
            "foreign x-api-key",
            vec![("x-api-key", FOREIGN_PLAIN)],
            403,
        ),
        (&gemini_query, "Gemini key in the query", vec![], 403),
        (
            &plain_query,
            "plain key in the query",
            vec![("x-goog-api-key", PLACEHOLDER)],
            403,
        ),
        (&openai_query, "OpenAI key in the query", vec![], 403),
        (&encoded_name, "encoded parameter name", vec![], 403),
        (
            &second_key,
            "placeholder and a foreign key in the query",
            vec![],
            403,
        ),
        (&gemini_path, "key in the path", vec![], 403),
        (
            "/v1/x",
            "Gemini key in a header",
            vec![("x-note", &note)],
            403,
        ),
        (
            "/v1/x",
            "OpenAI key in a header",
            vec![("x-note", FOREIGN_OPENAI)],
            403,
        ),
        ("/v1/x", "cookie", vec![("cookie", "SID=abc")], 403),
    ];
    for (host, holder) in &holders {
        for (target, what, headers, status) in &cases {
            let answer = holder.send(host, "POST", target, headers, "{}");
            assert_eq!(answer.status, *status, "{host} {what}: {answer:?}");
            let event = holder.event("keys_request");
            assert_eq!(event["credential"], "refused", "{host} {what}: {event}");
        }
        logged_none_of(
            holder,
            &[OPENAI_KEY, GEMINI_KEY, FOREIGN_OPENAI, FOREIGN_GEMINI],
        );
    }
    assert!(openai_fake.seen().is_empty(), "{:?}", openai_fake.seen());
    assert!(gemini_fake.seen().is_empty(), "{:?}", gemini_fake.seen());
}

#[test]
fn a_credential_header_the_rules_do_not_judge_is_refused_at_start() {
    let upstream = Pki::new("fake OpenAI CA", &[OPENAI]);
    let fake = Fake::start(&upstream);
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        "listen": "127.0.0.1:0", "hosts": [OPENAI], "tls_cert": "/c", "tls_key": "/k",
        "upstream_roots": "/r", "credential": "/x", "placeholder": PLACEHOLDER,
        "token_path": TOKEN_PATH, "oauth_client_id": CLIENT_ID,
        "resolve": { OPENAI: fake.addr.to_string() },
        "credential_headers": { OPENAI: {"name": "x-secret-key"} },
    });
    let path = dir.path().join("config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bot-bottle-gate"))
        .args(["keys", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("field credential_headers"), "{stderr}");
    assert!(stderr.contains("x-secret-key"), "{stderr}");
}
