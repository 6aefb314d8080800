//! Hostile HTTP requests to the gate, sent as the agent could: malformed or oversized ones are
//! answered with a clear 4xx and the connection closed, nothing is left on disk (no temp file,
//! no change to the mirror or the upstream), and the gate goes on serving.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

mod support;
use support::must as git;

/// The push limit of the gate's upstream: its body limit is this plus 1 MiB.
const MAX_PUSH_BYTES: u64 = 1000;
/// The largest body a push may send (the gate's allowance over the pack).
const PUSH_BODY_LIMIT: u64 = MAX_PUSH_BYTES + 1024 * 1024;
/// The largest negotiation a fetch may send.
const FETCH_BODY_LIMIT: u64 = 64 * 1024 * 1024;

struct Gate {
    child: Child,
    events: Receiver<Value>,
    addr: String,
    root: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gate serving `app`, an upstream with one commit on `main`, its temp files in `tmp/`.
fn start_gate() -> Gate {
    let scratch = tempfile::Builder::new()
        .prefix("bot-bottle-gate-requests-")
        .tempdir()
        .unwrap();
    let root = scratch.path().to_owned();
    git(
        &root,
        &root,
        &["init", "-q", "--bare", "-b", "main", "up.git"],
    );
    git(&root, &root, &["init", "-q", "-b", "main", "seed"]);
    let seed = root.join("seed");
    std::fs::write(seed.join("README"), "seed\n").unwrap();
    git(&root, &seed, &["add", "."]);
    git(&root, &seed, &["commit", "-qm", "seed"]);
    git(&root, &seed, &["push", "-q", "../up.git", "main"]);
    std::fs::create_dir(root.join("tmp")).unwrap();
    let config = json!({
        "listen": "127.0.0.1:0",
        "upstreams": [{
            "name": "app",
            "url": root.join("up.git").to_str().unwrap(),
            "transport": "ssh",
            "token_file": null,
            "policy": {
                "push_refs": ["refs/heads/*"],
                "push_default_branch": true,
                "allow_force_push": false,
                "allow_delete": false,
                "max_push_bytes": MAX_PUSH_BYTES
            }
        }]
    });
    std::fs::write(root.join("config.json"), config.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bot-bottle-gate"))
        .arg("serve")
        .env("BOT_BOTTLE_GATE_CONFIG", root.join("config.json"))
        .env("BOT_BOTTLE_GATE_REPOS", root.join("mirrors"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &root)
        .env("TMPDIR", root.join("tmp"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (to_test, events) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let event: Value = serde_json::from_str(&line).expect("an audit event a line");
            if to_test.send(event).is_err() {
                break;
            }
        }
    });
    let listening = events.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(listening["event"], "listening", "{listening}");
    let addr = listening["listen"].as_str().unwrap().to_owned();
    Gate {
        child,
        events,
        addr,
        root,
        _scratch: scratch,
    }
}

/// Every file below `dir`, with its length and time of change.
fn files(dir: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                dirs.push(entry.path());
            } else {
                found.push((entry.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    found.sort();
    found
}

impl Gate {
    /// The mirror and the upstream, file by file.
    fn repositories(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        // The push log beside the mirrors grows with each push refused: it is no repository.
        let mut all: Vec<_> = files(&self.root.join("mirrors"))
            .into_iter()
            .filter(|(path, _, _)| !path.ends_with("pushes.jsonl"))
            .collect();
        all.extend(files(&self.root.join("up.git")));
        all
    }

    /// Sends `request` (then shuts its side down when `shut`) and returns the whole answer,
    /// asserting that the gate closed the connection.
    fn exchange(&self, request: &[u8], shut: bool) -> String {
        let mut conn = TcpStream::connect(&self.addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        conn.write_all(request).unwrap();
        if shut {
            conn.shutdown(Shutdown::Write).unwrap();
        }
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer)
            .expect("the gate answers and closes the connection");
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Sends `request`, asserts it was answered `status` with `text` in the answer, and that
    /// nothing was left on disk; then that the gate still serves a fetch.
    fn refuses(&self, request: &[u8], shut: bool, status: &str, text: &str) -> String {
        let before = self.repositories();
        let answer = self.exchange(request, shut);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "not a {status}: {answer:?}"
        );
        assert!(answer.contains(text), "no {text:?} in {answer:?}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("\r\nconnection: close\r\n"),
            "{answer:?}"
        );
        self.left_nothing(&before);
        answer
    }

    /// No temp file, the mirror and the upstream as `before`, and the gate still serving.
    fn left_nothing(&self, before: &[(PathBuf, u64, SystemTime)]) {
        assert_eq!(files(&self.root.join("tmp")), [], "a temp file was left");
        assert_eq!(
            self.repositories(),
            before,
            "the mirror or upstream changed"
        );
        let url = format!("http://{}/app", self.addr);
        let refs = git(&self.root, &self.root, &["ls-remote", &url]);
        assert!(refs.contains("refs/heads/main"), "{refs}");
    }

    /// The next audit event named `name`, waiting at most 30 s.
    fn event(&self, name: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
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
}

#[test]
fn a_bad_request_line_is_answered_400() {
    let gate = start_gate();
    for line in [
        &b"HELLO THERE\r\n\r\n"[..],
        b"GET /health HTTP/9.9\r\n\r\n",
        b"GET /he alth HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ] {
        gate.refuses(line, false, "400 Bad Request", "");
    }
}

#[test]
fn a_bad_header_is_answered_400() {
    let gate = start_gate();
    for header in [
        "no colon here",
        "Bad Name: x",
        "Content-Length: twelve",
        "Content-Length: 1\r\nContent-Length: 2",
        "Transfer-Encoding: gzip",
    ] {
        let request = format!("GET /health HTTP/1.1\r\nHost: gate\r\n{header}\r\n\r\n");
        gate.refuses(request.as_bytes(), false, "400 Bad Request", "");
    }
}

#[test]
fn a_bad_chunk_size_is_answered_400_and_the_push_refused() {
    let gate = start_gate();
    gate.refuses(
        b"POST /app/git-receive-pack HTTP/1.1\r\nHost: gate\r\n\
          Content-Type: application/x-git-receive-pack-request\r\n\
          Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        false,
        "400 Bad Request",
        "bot-bottle git gate: bad request: malformed request body",
    );
    let event = gate.event("push_refused");
    let reason = event["reason"].as_str().unwrap();
    assert!(reason.contains("chunk size"), "{event}");
    // A chunk longer than it said it was.
    gate.refuses(
        b"POST /app/git-upload-pack HTTP/1.1\r\nHost: gate\r\n\
          Transfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n",
        false,
        "400 Bad Request",
        "malformed request body",
    );
}

#[test]
fn a_body_shorter_than_its_content_length_is_answered_400() {
    let gate = start_gate();
    for service in ["git-upload-pack", "git-receive-pack"] {
        let request = format!(
            "POST /app/{service} HTTP/1.1\r\nHost: gate\r\nContent-Length: 100\r\n\r\n0000"
        );
        gate.refuses(
            request.as_bytes(),
            true,
            "400 Bad Request",
            "end of file before message length reached",
        );
    }
    assert!(gate.event("push_refused")["reason"]
        .as_str()
        .unwrap()
        .contains("malformed request body"));
}

/// hyper reads a request with both as chunked (RFC 9112 section 6.3: `Transfer-Encoding`
/// overrides `Content-Length`) and closes the connection after answering, so that whatever
/// follows the chunked body is never read as a request of its own.
#[test]
fn content_length_beside_transfer_encoding_smuggles_no_request() {
    let gate = start_gate();
    let before = gate.repositories();
    let smuggled = "GET /app/info/refs?service=git-receive-pack HTTP/1.1\r\nHost: gate\r\n\r\n";
    for (first, second) in [
        ("Content-Length: 5", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: chunked", "Content-Length: 5"),
    ] {
        let request = format!(
            "POST /app/git-upload-pack HTTP/1.1\r\nHost: gate\r\n{first}\r\n{second}\r\n\r\n\
             0\r\n\r\n{smuggled}"
        );
        let answer = gate.exchange(request.as_bytes(), false);
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer:?}");
        assert!(!answer.contains("receive-pack"), "{answer:?}");
    }
    gate.left_nothing(&before);
}

#[test]
fn a_head_over_64_kib_is_answered_431() {
    let gate = start_gate();
    let long = format!(
        "GET /health HTTP/1.1\r\nHost: gate\r\nX-Long: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    gate.refuses(
        long.as_bytes(),
        false,
        "431 Request Header Fields Too Large",
        "",
    );
    let headers = (0..2000).map(|i| format!("X-{i}: {i}"));
    let many = format!(
        "GET /health HTTP/1.1\r\nHost: gate\r\n{}\r\n\r\n",
        headers.collect::<Vec<_>>().join("\r\n")
    );
    gate.refuses(
        many.as_bytes(),
        false,
        "431 Request Header Fields Too Large",
        "",
    );
}

#[test]
fn a_target_not_in_origin_form_is_answered_400() {
    let gate = start_gate();
    for line in [
        "GET http://127.0.0.1/app/info/refs?service=git-upload-pack HTTP/1.1",
        "CONNECT 127.0.0.1:22 HTTP/1.1",
        "OPTIONS * HTTP/1.1",
    ] {
        let request = format!("{line}\r\nHost: gate\r\n\r\n");
        gate.refuses(
            request.as_bytes(),
            false,
            "400 Bad Request",
            "the request target must be a path",
        );
    }
}

#[test]
fn an_oversized_push_is_answered_413_and_refused() {
    let gate = start_gate();
    // By its length: refused before any of it is read.
    let request = format!(
        "POST /app/git-receive-pack HTTP/1.1\r\nHost: gate\r\n\
         Content-Type: application/x-git-receive-pack-request\r\nContent-Length: {}\r\n\r\n",
        PUSH_BODY_LIMIT + 1
    );
    let refusal = "refused: this push is larger than the 1000 byte limit";
    gate.refuses(request.as_bytes(), false, "413 Payload Too Large", refusal);
    let event = gate.event("push_refused");
    assert_eq!(event["reason"], "push too large: request body too large");
    assert_eq!(event["max_push_bytes"], MAX_PUSH_BYTES);
    // The push log keeps the refusal too, as the event said it.
    let log = std::fs::read_to_string(gate.root.join("mirrors").join("pushes.jsonl")).unwrap();
    let logged: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(logged, event);
    // Chunked: refused once one byte too many arrived.
    let mut request = format!(
        "POST /app/git-receive-pack HTTP/1.1\r\nHost: gate\r\n\
         Content-Type: application/x-git-receive-pack-request\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        PUSH_BODY_LIMIT + 1
    )
    .into_bytes();
    request.resize(
        request.len() + usize::try_from(PUSH_BODY_LIMIT).unwrap() + 1,
        b'P',
    );
    gate.refuses(&request, false, "413 Payload Too Large", refusal);
    assert_eq!(
        gate.event("push_refused")["reason"],
        "push too large: request body too large"
    );
}

#[test]
fn an_oversized_fetch_negotiation_is_answered_413() {
    let gate = start_gate();
    let request = format!(
        "POST /app/git-upload-pack HTTP/1.1\r\nHost: gate\r\n\
         Content-Type: application/x-git-upload-pack-request\r\nContent-Length: {}\r\n\r\n",
        FETCH_BODY_LIMIT + 1
    );
    gate.refuses(
        request.as_bytes(),
        false,
        "413 Payload Too Large",
        "refused: this request is larger than the 67108864 byte limit",
    );
}

/// A client that trickles its head in (or sends none) is cut off after 30 s: it holds a
/// connection, and nothing else, for no longer.
#[test]
fn a_head_not_sent_within_30_s_closes_the_connection() {
    let gate = start_gate();
    let before = gate.repositories();
    let started = Instant::now();
    let answer = gate.exchange(b"GET /health HTTP/1.1\r\nHost: gate\r\n", false);
    let waited = started.elapsed();
    assert_eq!(answer, "", "an answer to half a request");
    assert!(
        (Duration::from_secs(25)..Duration::from_secs(50)).contains(&waited),
        "closed after {waited:?}"
    );
    gate.left_nothing(&before);
}
