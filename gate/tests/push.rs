//! The gate on this host, without containers: a local bare repository stands in for the
//! upstream, the host's git for the agent. Clone and push go through; the policy's refusals
//! reach the pusher with their reasons, leave the upstream as it was, and are audit events.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

mod support;
use support::{git, must};

struct Gate {
    child: Child,
    events: BufReader<ChildStdout>,
    url: String,
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_gate(root: &Path, upstream: &Path) -> Gate {
    start_gate_pushing(root, upstream, &["refs/heads/*"])
}

/// A gate whose upstream's policy lets the bottle push `push_refs`.
fn start_gate_pushing(root: &Path, upstream: &Path, push_refs: &[&str]) -> Gate {
    let config = json!({
        "listen": "127.0.0.1:0",
        "upstreams": [{
            "name": "app",
            "url": upstream.to_str().unwrap(),
            "transport": "ssh",
            "token_file": null,
            "policy": {
                "push_refs": push_refs,
                "push_default_branch": false,
                "allow_force_push": false,
                "allow_delete": false,
                "max_push_bytes": 3_000_000
            }
        }]
    });
    let config_path = root.join("config.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bot-bottle-gate"))
        .arg("serve")
        .env("BOT_BOTTLE_GATE_CONFIG", &config_path)
        .env("BOT_BOTTLE_GATE_REPOS", root.join("mirrors"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", root)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut events = BufReader::new(child.stdout.take().unwrap());
    // The first event says where it listens: it is ready once it is printed.
    let mut line = String::new();
    events.read_line(&mut line).unwrap();
    let listening: Value = serde_json::from_str(&line).expect("a listening event");
    assert_eq!(listening["event"], "listening", "{line}");
    let url = format!("http://{}/app", listening["listen"].as_str().unwrap());
    Gate { child, events, url }
}

#[test]
fn pushes_go_upstream_and_the_policy_refuses_with_reasons() {
    let (_scratch, root) = scratch("policy");
    let home = root.as_path();
    let upstream = seeded_upstream(&root, "main");
    let upstream_rev = |r: &str| {
        git(home, &upstream, &["rev-parse", "--verify", "-q", r])
            .1
            .trim()
            .to_owned()
    };

    let mut gate = start_gate(&root, &upstream);
    must(home, &root, &["clone", "-q", &gate.url, "work"]);
    let work = root.join("work");
    must(home, &work, &["checkout", "-q", "-b", "topic"]);
    std::fs::write(work.join("a"), "a\n").unwrap();
    must(home, &work, &["add", "."]);
    must(home, &work, &["commit", "-qm", "a"]);
    must(home, &work, &["push", "-q", "origin", "topic"]);
    let head = must(home, &work, &["rev-parse", "HEAD"]);
    assert_eq!(upstream_rev("refs/heads/topic"), head.trim());

    let main = upstream_rev("refs/heads/main");
    let refused = |args: &[&str], reason: &str| {
        let (ok, out) = git(home, &work, args);
        assert!(!ok, "git {args:?} went through: {out}");
        assert!(
            out.contains(reason),
            "git {args:?}: no {reason:?} in: {out}"
        );
        assert!(out.contains("bot-bottle git gate refused"), "{out}");
    };
    refused(&["push", "origin", "topic:main"], "default branch");
    refused(&["push", "origin", ":topic"], "deleting a ref");
    refused(
        &["push", "origin", "topic:refs/tags/v1"],
        "may push only to refs/heads/*",
    );
    must(home, &work, &["commit", "-q", "--amend", "-m", "rewritten"]);
    refused(&["push", "-f", "origin", "topic"], "force-push");
    must(home, &work, &["reset", "-q", "--hard", "origin/topic"]);

    let token = format!("ghp_{}", "Zq7RbX2mKp".repeat(4));
    std::fs::write(work.join("config"), format!("token = {token}\n")).unwrap();
    must(home, &work, &["add", "."]);
    must(home, &work, &["commit", "-qm", "config"]);
    refused(&["push", "origin", "topic"], "GitHub Token");
    must(home, &work, &["reset", "-q", "--hard", "origin/topic"]);
    must(
        home,
        &work,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("note {token}"),
        ],
    );
    refused(&["push", "origin", "topic"], "in its message or headers");
    must(home, &work, &["reset", "-q", "--hard", "origin/topic"]);

    // Pushes over git's 1 MiB post buffer arrive chunked: 1.5 MB that do not compress go
    // through, 3.5 MB are over the 3 MB limit.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut noise = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                // xorshift64: no pattern zlib can use.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[3]
            })
            .collect()
    };
    std::fs::write(work.join("big.bin"), noise(1_500_000)).unwrap();
    must(home, &work, &["add", "."]);
    must(home, &work, &["commit", "-qm", "big"]);
    must(home, &work, &["push", "-q", "origin", "topic"]);
    let topic = must(home, &work, &["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(upstream_rev("refs/heads/topic"), topic);
    std::fs::write(work.join("bigger.bin"), noise(3_500_000)).unwrap();
    must(home, &work, &["add", "."]);
    must(home, &work, &["commit", "-qm", "bigger"]);
    refused(&["push", "origin", "topic"], "over this bottle's limit");

    assert_eq!(upstream_rev("refs/heads/main"), main);
    assert_eq!(upstream_rev("refs/heads/topic"), topic);
    assert_eq!(upstream_rev("refs/tags/v1"), "");

    let _ = gate.child.kill();
    let _ = gate.child.wait();
    let events: Vec<Value> = (&mut gate.events)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    let count = |name: &str| events.iter().filter(|e| e["event"] == name).count();
    assert_eq!(count("push"), 2, "{events:#?}");
    assert_eq!(count("push_refused"), 7, "{events:#?}");
    assert!(events.iter().all(|e| e["source"] == "git-gate"));
    assert!(
        !serde_json::to_string(&events).unwrap().contains(&token),
        "an audit event repeats the token"
    );
    // The push log keeps every verdict, the refusals too, as the events said them (for the
    // bottle's signed record).
    let log = std::fs::read_to_string(root.join("mirrors").join("pushes.jsonl")).unwrap();
    let logged: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let judged: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "push" || e["event"] == "push_refused")
        .collect();
    assert_eq!(logged.iter().collect::<Vec<_>>(), judged);
    assert!(logged.iter().any(|e| e["event"] == "push_refused"
        && e["ref"] == "refs/heads/main"
        && e["reason"].as_str().is_some()));
    let mode = std::fs::metadata(root.join("mirrors").join("pushes.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// A scratch directory for one test, removed on drop.
fn scratch(test: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("bot-bottle-gate-{test}-"))
        .tempdir()
        .unwrap();
    let root = dir.path().to_owned();
    (dir, root)
}

/// A bare upstream `up.git` whose default branch is `branch`, with one commit on it.
fn seeded_upstream(root: &Path, branch: &str) -> PathBuf {
    let upstream = root.join("up.git");
    must(
        root,
        root,
        &["init", "-q", "--bare", "-b", branch, "up.git"],
    );
    must(root, root, &["init", "-q", "-b", branch, "seed"]);
    let seed = root.join("seed");
    std::fs::write(seed.join("README"), "seed\n").unwrap();
    must(root, &seed, &["add", "."]);
    must(root, &seed, &["commit", "-qm", "seed"]);
    must(
        root,
        &seed,
        &["push", "-q", upstream.to_str().unwrap(), branch],
    );
    upstream
}

/// POSTs `body` to the gate's `path` below the upstream's URL, as a client that skipped the
/// ref advertisement would, and returns the whole answer.
fn raw_post(gate: &Gate, path: &str, content_type: &str, body: &[u8]) -> String {
    let rest = gate.url.strip_prefix("http://").unwrap();
    let (addr, base) = rest.split_once('/').unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "POST /{base}/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(body).unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn pkt_line(text: &str) -> Vec<u8> {
    format!("{:04x}{text}", text.len() + 4).into_bytes()
}

#[test]
fn a_push_that_skips_the_advertisement_meets_the_upstream_s_default_branch() {
    let (_scratch, root) = scratch("raw-post");
    // Not git's init default: the mirror must learn it from the upstream.
    let upstream = seeded_upstream(&root, "trunk");
    let trunk = must(&root, &upstream, &["rev-parse", "refs/heads/trunk"]);
    let gate = start_gate(&root, &upstream);

    // A commit on top of trunk, made beside the gate, and its pack.
    must(
        &root,
        &root,
        &["clone", "-q", upstream.to_str().unwrap(), "side"],
    );
    let side = root.join("side");
    must(
        &root,
        &side,
        &["commit", "-q", "--allow-empty", "-m", "onto trunk"],
    );
    let new = must(&root, &side, &["rev-parse", "HEAD"]).trim().to_owned();
    let mut pack = Command::new("git")
        .current_dir(&side)
        .args(["pack-objects", "--stdout", "--revs", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(pack.stdin.take().unwrap(), "{new}").unwrap();
    let pack = pack.wait_with_output().unwrap().stdout;

    // Straight to receive-pack, as the creation of trunk: no GET of info/refs came first.
    let zero = "0".repeat(40);
    let mut body = pkt_line(&format!(
        "{zero} {new} refs/heads/trunk\0report-status side-band-64k\n"
    ));
    body.extend_from_slice(b"0000");
    body.extend_from_slice(&pack);
    let answer = raw_post(
        &gate,
        "git-receive-pack",
        "application/x-git-receive-pack-request",
        &body,
    );
    assert!(
        answer.contains("default branch"),
        "the push was not refused as one to the default branch: {answer}"
    );
    assert_eq!(
        must(&root, &upstream, &["rev-parse", "refs/heads/trunk"]),
        trunk,
        "the upstream's default branch moved"
    );

    // A clone through the gate checks out the upstream's default branch.
    must(&root, &root, &["clone", "-q", &gate.url, "work"]);
    let head = must(&root, &root.join("work"), &["symbolic-ref", "HEAD"]);
    assert_eq!(head.trim(), "refs/heads/trunk");
}

#[test]
fn an_upstream_with_no_default_branch_takes_no_push() {
    let (_scratch, root) = scratch("no-default");
    // Empty: its first branch would become its default.
    must(
        &root,
        &root,
        &["init", "-q", "--bare", "-b", "trunk", "up.git"],
    );
    let upstream = root.join("up.git");
    let gate = start_gate(&root, &upstream);
    must(&root, &root, &["init", "-q", "-b", "topic", "work"]);
    let work = root.join("work");
    must(
        &root,
        &work,
        &["commit", "-q", "--allow-empty", "-m", "first"],
    );
    let (ok, out) = git(&root, &work, &["push", &gate.url, "topic"]);
    assert!(
        !ok,
        "a push to an upstream with no default branch went through: {out}"
    );
    assert!(out.contains("has no default branch"), "{out}");
    let (_, refs) = git(&root, &upstream, &["for-each-ref"]);
    assert_eq!(refs, "", "the upstream got a ref");
}

/// Credentials where no diff shows them: in a commit's extra header (a signature, say, which
/// `git log` shows no more than any other header it does not know) and in an annotated tag,
/// its own or one it names. Each push is refused and the upstream gets nothing; a clean
/// annotated tag goes through.
#[test]
fn credentials_in_commit_headers_and_annotated_tags_are_refused() {
    let (_scratch, root) = scratch("objects");
    let home = root.as_path();
    let upstream = seeded_upstream(&root, "main");
    let gate = start_gate_pushing(&root, &upstream, &["refs/heads/*", "refs/tags/*"]);
    must(home, &root, &["clone", "-q", &gate.url, "work"]);
    let work = root.join("work");
    let token = format!("ghp_{}", "Zq7RbX2mKp".repeat(4));
    let refused = |args: &[&str], reason: &str| {
        let (ok, out) = git(home, &work, args);
        assert!(!ok, "git {args:?} went through: {out}");
        assert!(
            out.contains(reason),
            "git {args:?}: no {reason:?} in: {out}"
        );
        assert!(out.contains("GitHub Token"), "{out}");
        assert!(
            !out.contains(&token),
            "the refusal repeats the token: {out}"
        );
    };
    let upstream_refs = || git(home, &upstream, &["for-each-ref", "--format=%(refname)"]).1;
    let before = upstream_refs();

    // A commit made by hand, as anyone can, with the token in a gpgsig header and in a header
    // of its own: its tree, parent, author, committer and message are clean.
    let tree = must(home, &work, &["rev-parse", "HEAD^{tree}"]);
    let parent = must(home, &work, &["rev-parse", "HEAD"]);
    for header in [
        format!("gpgsig -----BEGIN PGP SIGNATURE-----\n \n {token}\n -----END PGP SIGNATURE-----"),
        format!("x-note {token}"),
    ] {
        let raw = format!(
            "tree {}\nparent {}\nauthor t <t@example.invalid> 1700000000 +0000\n\
             committer t <t@example.invalid> 1700000000 +0000\n{header}\n\nclean message\n",
            tree.trim(),
            parent.trim()
        );
        let file = root.join("commit.raw");
        std::fs::write(&file, raw).unwrap();
        let commit = must(
            home,
            &work,
            &["hash-object", "-t", "commit", "-w", file.to_str().unwrap()],
        );
        must(
            home,
            &work,
            &["update-ref", "refs/heads/signed", commit.trim()],
        );
        refused(&["push", "origin", "signed"], "in its message or headers");
    }

    // An annotated tag of a commit the upstream has, the token in its message.
    must(
        home,
        &work,
        &["tag", "-a", "leaky", "-m", &format!("release {token}")],
    );
    refused(&["push", "origin", "refs/tags/leaky"], "annotated tag");
    // A clean tag that names that tag: the push carries both.
    must(home, &work, &["tag", "-a", "outer", "leaky", "-m", "clean"]);
    refused(&["push", "origin", "refs/tags/outer"], "annotated tag");
    assert_eq!(upstream_refs(), before, "the upstream got a ref");

    must(home, &work, &["tag", "-a", "v1", "-m", "a clean release"]);
    must(home, &work, &["push", "-q", "origin", "refs/tags/v1"]);
    let tagged = git(home, &upstream, &["cat-file", "-t", "refs/tags/v1"]).1;
    assert_eq!(tagged.trim(), "tag");
}
