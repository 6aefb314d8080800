//! The gate on this host, without containers: a local bare repository stands in for the
//! upstream, the host's git for the agent. Clone and push go through; the policy's refusals
//! reach the pusher with their reasons, leave the upstream as it was, and are audit events.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

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

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `git ARGS` in `dir`, untouched by the host's and the user's git config and proxies.
fn git(home: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .expect("git runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn must(home: &Path, dir: &Path, args: &[&str]) -> String {
    let (ok, out) = git(home, dir, args);
    assert!(ok, "git {args:?}: {out}");
    out
}

fn start_gate(root: &Path, upstream: &Path) -> Gate {
    let config = json!({
        "listen": "127.0.0.1:0",
        "upstreams": [{
            "name": "app",
            "url": upstream.to_str().unwrap(),
            "transport": "ssh",
            "token_file": null,
            "policy": {
                "push_refs": ["refs/heads/*"],
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
    let root = std::env::temp_dir().join(format!("bot-bottle-gate-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let _scratch = Scratch(root.clone());
    let home = root.as_path();

    let upstream = root.join("up.git");
    must(
        home,
        &root,
        &["init", "-q", "--bare", "-b", "main", "up.git"],
    );
    must(home, &root, &["init", "-q", "-b", "main", "seed"]);
    let seed = root.join("seed");
    std::fs::write(seed.join("README"), "seed\n").unwrap();
    must(home, &seed, &["add", "."]);
    must(home, &seed, &["commit", "-qm", "seed"]);
    must(
        home,
        &seed,
        &["push", "-q", upstream.to_str().unwrap(), "main"],
    );
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
    refused(&["push", "origin", "topic"], "its message or author");
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
}
