//! The egress lock and learn runs in the plan, `egress.approvable`, and the policy commands'
//! usage errors, through the real binary.

use serde_json::{json, Value};

use crate::support::{bot_bottle, stderr_of, stdout_of, Scratch};

const MANIFEST: &str = "name = \"p\"\n\n[egress]\nallowlist = [\"a.example.com\"]\n";
const LOCK: &str =
    "schema = \"bot-bottle.lock/v1\"\nbottle = \"p\"\nlearned_at = \"2026-12-02T00:31:09Z\"\n\n\
[[host]]\nname = \"registry.npmjs.org\"\nfirst_used = \"2026-12-02T00:25:05Z\"\ncount = 12\n\n\
[[host]]\nname = \"*.lock.example.org\"\n";

fn plan(dir: &Scratch, extra: &[&str]) -> Value {
    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run", "--json"])
        .args(extra)
        .arg("bottle.toml")
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", stderr_of(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn has(list: &Value, item: &str) -> bool {
    list.as_array().unwrap().contains(&json!(item))
}

#[test]
fn a_lock_beside_the_manifest_joins_the_allowlist_and_shows_its_hash() {
    let dir = Scratch::new("lock");
    dir.write("bottle.toml", MANIFEST);
    let lock_path = dir.write("bottle.lock", LOCK);
    let plan = plan(&dir, &[]);
    let egress = &plan["egress"];
    assert_eq!(egress["lock"]["path"], lock_path.to_str().unwrap());
    let hash = egress["lock"]["sha256"].as_str().unwrap();
    assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
    assert_eq!(
        egress["lock"]["hosts"],
        json!(["*.lock.example.org", "registry.npmjs.org"])
    );
    for host in ["registry.npmjs.org", "*.lock.example.org", "a.example.com"] {
        assert!(has(&egress["allowlist"], host), "{host}");
        assert!(
            has(&plan["proxy"]["config"]["api_allowlist"], host),
            "{host}"
        );
    }
    let permitted = &egress["tls_interception"]["ca_permitted_domains"];
    assert!(has(permitted, "lock.example.org") && has(permitted, "registry.npmjs.org"));
    assert_eq!(egress["learn"], Value::Null);
    assert_eq!(plan["proxy"]["config"]["mode"], "strict");

    let text = bot_bottle(dir.path())
        .args(["start", "--dry-run", "bottle.toml"])
        .output()
        .unwrap();
    let text = stdout_of(&text);
    let line = text
        .lines()
        .find(|l| l.starts_with("egress lock:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(hash) && line.contains("2 hosts allowed on top of the manifest's"),
        "{line}"
    );

    // Without a lock the plan says so.
    std::fs::remove_file(&lock_path).unwrap();
    let plan = self::plan(&dir, &[]);
    assert_eq!(plan["egress"]["lock"], Value::Null);
    assert!(!has(&plan["egress"]["allowlist"], "registry.npmjs.org"));
}

#[test]
fn a_learn_plan_reaches_every_host_and_replaces_the_lock() {
    let dir = Scratch::new("learn");
    dir.write("bottle.toml", MANIFEST);
    // A broken lock does not stop a learn run, which replaces it.
    let lock_path = dir.write("bottle.lock", "not a lock");
    let plan = plan(&dir, &["--learn"]);
    let egress = &plan["egress"];
    assert_eq!(plan["proxy"]["config"]["mode"], "audit");
    assert_eq!(plan["proxy"]["config"]["enforce"], true);
    assert_eq!(
        plan["proxy"]["config"]["request_body_scanning"]["action"],
        "block"
    );
    assert_eq!(
        egress["tls_interception"]["ca_permitted_domains"],
        Value::Null
    );
    assert_eq!(egress["lock"], Value::Null);
    assert_eq!(egress["learn"]["lock_path"], lock_path.to_str().unwrap());
    assert!(egress["learn"]["replaces"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let text = bot_bottle(dir.path())
        .args(["start", "--learn", "--dry-run", "bottle.toml"])
        .output()
        .unwrap();
    let text = stdout_of(&text);
    assert!(
        text.contains("learn run: every host is reachable"),
        "{text}"
    );
    assert!(
        text.contains("not name-constrained to any domain"),
        "{text}"
    );
}

#[test]
fn approvable_hosts_widen_the_ca_not_the_allowlist() {
    let dir = Scratch::new("approvable");
    dir.write(
        "bottle.toml",
        &format!("{MANIFEST}approvable = [\"later.example.net\", \"*.docs.example.net\"]\n"),
    );
    let plan = plan(&dir, &[]);
    let egress = &plan["egress"];
    assert_eq!(
        egress["approvable"],
        json!(["*.docs.example.net", "later.example.net"])
    );
    assert!(!has(&egress["allowlist"], "later.example.net"));
    let permitted = &egress["tls_interception"]["ca_permitted_domains"];
    assert!(has(permitted, "later.example.net") && has(permitted, "docs.example.net"));
}

#[test]
fn a_bad_lock_exits_2_naming_file_line_and_field() {
    let dir = Scratch::new("badlock");
    dir.write("bottle.toml", MANIFEST);
    let lock = dir.write(
        "bottle.lock",
        &LOCK.replace("\"registry.npmjs.org\"", "\"https://evil.example\""),
    );
    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run", "bottle.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "{}:6:8: host[0].name: invalid hostname",
            lock.display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // A symlink is never followed: the agent could point it anywhere.
    std::fs::remove_file(&lock).unwrap();
    let elsewhere = dir.write("elsewhere.lock", LOCK);
    std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run", "bottle.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("not a regular file"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn policy_commands_check_their_arguments_before_the_engine() {
    let dir = Scratch::new("policy-args");
    for args in [
        &["allow", "b", "https://x.example"][..],
        &["deny", "b", "x.example:443"],
        &["allow", "b"],
        &["policy", "log"],
        &["policy", "frobnicate", "b"],
    ] {
        let out = bot_bottle(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
    }
    // Well-formed, but no engine here: exit 1, naming what is missing.
    let out = bot_bottle(dir.path())
        .args(["allow", "b", "x.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("engine"), "{}", stderr_of(&out));
}
