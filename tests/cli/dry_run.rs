//! `start --dry-run`, text and JSON, through the real binary.

use serde_json::{json, Value};

use crate::support::{bot_bottle, repo, stdout_of, Scratch};

fn dry_run_json(args: &[&str], cwd: &std::path::Path) -> Value {
    let out = bot_bottle(cwd)
        .args(["start", "--dry-run", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("dry-run --json prints one JSON document")
}

#[test]
fn json_plan_of_the_example_has_the_documented_fields() {
    let plan = dry_run_json(&["contrib/examples/project.toml"], &repo());
    assert_eq!(plan["schema"], "bot-bottle.plan/v1");
    assert_eq!(plan["bottle"]["name"], "Example Project");
    assert_eq!(plan["bottle"]["slug"], "example-project");
    assert_eq!(plan["containers"]["agent"], "bot-bottle-example-project");
    assert_eq!(
        plan["containers"]["proxy"],
        "bot-bottle-example-project-pipelock"
    );
    // Network names end in the launch's id: two launches never share one.
    let short_id = &plan["launch_id"].as_str().unwrap()[..8];
    assert_eq!(
        plan["networks"]["internal"],
        format!("bot-bottle-example-project-internal-{short_id}")
    );
    assert_eq!(
        plan["networks"]["egress"],
        format!("bot-bottle-example-project-egress-{short_id}")
    );
    assert_eq!(
        plan["engine"],
        Value::Null,
        "the CLI tests point at an engine that does not exist"
    );

    let tls = &plan["egress"]["tls_interception"];
    assert_eq!(tls["enabled"], true);
    assert_eq!(tls["ca_fingerprint"], Value::Null);
    assert_eq!(tls["passthrough_domains"], json!(["downloads.claude.ai"]));
    // The hosts of every kind's credential: pipelock refuses them; the example forwards
    // ANTHROPIC_API_KEY, unset here, and there is no login, so there is no key holder.
    assert_eq!(
        plan["egress"]["blocklist"],
        json!([
            "api.anthropic.com",
            "api.openai.com",
            "claude.ai",
            "generativelanguage.googleapis.com",
            "platform.claude.com"
        ])
    );
    assert_eq!(plan["agent"]["kind"]["name"], "claude-code");
    assert_eq!(plan["key_holder"], Value::Null);
    assert_eq!(plan["egress"]["internal_hosts"], json!([]));
    assert_eq!(
        tls["agent_ca_path"],
        "/usr/local/share/ca-certificates/bot-bottle-mitm.crt"
    );

    let allow = plan["egress"]["allowlist"].as_array().unwrap();
    assert!(allow.contains(&json!("registry.npmjs.org")));
    assert!(
        !allow.contains(&json!("api.anthropic.com")),
        "the key holder's"
    );
    assert_eq!(
        plan["egress"]["summary"],
        "7 hosts allowed (*.githubusercontent.com, api.github.com, downloads.claude.ai, +4 more)"
    );

    the_proxy_config_is_the_documented_one(&plan);

    let steps: Vec<_> = plan["provisioning"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["ca", "prompt", "skills", "ssh", "git"]);
    let actions: Vec<_> = plan["provisioning"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["run", "run", "run", "skip", "run"]);

    let env = &plan["agent"]["env"];
    assert_eq!(
        env["HTTPS_PROXY"],
        "http://bot-bottle-example-project-pipelock:8888"
    );
    assert_eq!(
        env["NODE_EXTRA_CA_CERTS"],
        "/usr/local/share/ca-certificates/bot-bottle-mitm.crt"
    );
    assert_eq!(env["SSL_CERT_FILE"], "/etc/ssl/certs/ca-certificates.crt");
    assert_eq!(
        env["REQUESTS_CA_BUNDLE"],
        "/etc/ssl/certs/ca-certificates.crt"
    );
    assert_eq!(
        plan["stage_dir"],
        "/run/user/4242/bot-bottle/example-project"
    );
}

#[test]
fn text_plan_of_the_example_names_every_part() {
    let out = bot_bottle(&repo())
        .args(["start", "--dry-run", "contrib/examples/project.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    for expected in [
        "bottle:            Example Project (slug example-project",
        "engine:            none found",
        "agent image:       localhost/bot-bottle/agent:latest",
        "proxy image:       localhost/bot-bottle/pipelock:2.3.0",
        "bot-bottle-example-project-internal-",
        " (internal: agent + sidecar)",
        "egress:            7 hosts allowed (",
        "tls interception:  on, per-bottle CA made at launch",
        "passthrough: downloads.claude.ai",
        "anthropic login:   none (no credential variable forwarded, no `default` login)",
        "  1. ca      copy the bottle CA's public cert",
        "  4. ssh     skip: no [ssh] section",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let ca = text.find("1. ca").unwrap();
    let git = text.find("5. git").unwrap();
    assert!(ca < git);
}

#[test]
fn json_manifest_uses_the_same_schema() {
    let plan = dry_run_json(&["contrib/examples/project.json"], &repo());
    assert_eq!(plan["bottle"]["slug"], "example-json");
    assert_eq!(
        plan["proxy"]["config"]["request_body_scanning"]["action"],
        "warn"
    );
}

#[test]
fn builtin_default_when_no_manifest_and_no_bottle_toml() {
    let dir = Scratch::new("builtin");
    let ws = dir.path().join("My Repo");
    std::fs::create_dir_all(&ws).unwrap();
    let plan = dry_run_json(&[], &ws);
    assert_eq!(plan["bottle"]["manifest"], Value::Null);
    assert_eq!(
        plan["bottle"]["slug"], "my-repo",
        "named after the workspace directory"
    );
    assert_eq!(plan["egress"]["allowlist"].as_array().unwrap().len(), 4);
    assert_eq!(plan["agent"]["workspace"], ws.to_str().unwrap());
}

#[test]
fn bottle_toml_in_the_current_directory_is_picked_up() {
    let dir = Scratch::new("cwd-manifest");
    dir.write("bottle.toml", "name = \"from-cwd\"\n");
    let plan = dry_run_json(&[], dir.path());
    assert_eq!(plan["bottle"]["slug"], "from-cwd");
}

#[test]
fn proxy_image_override_from_env() {
    let out = bot_bottle(&repo())
        .env("BOT_BOTTLE_PIPELOCK_IMAGE", "localhost/other/pipelock:test")
        .args([
            "start",
            "--dry-run",
            "--json",
            "contrib/examples/project.json",
        ])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["images"]["proxy"], "localhost/other/pipelock:test");
}

#[test]
fn forwarded_env_values_are_never_printed() {
    let dir = Scratch::new("env");
    dir.write(
        "bottle.toml",
        "[agent]\nenv = [\"BB_TEST_SECRET\", \"BB_TEST_UNSET\"]\n",
    );
    let secret = "sk-ant-api03-this-must-never-be-printed";
    for json in [true, false] {
        let mut cmd = bot_bottle(dir.path());
        cmd.env("BB_TEST_SECRET", secret)
            .env_remove("BB_TEST_UNSET")
            .args(["start", "--dry-run"]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let all = format!(
            "{}{}",
            stdout_of(&out),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success());
        assert!(!all.contains(secret), "the value leaked: {all}");
        assert!(all.contains("BB_TEST_SECRET"));
        if !json {
            assert!(
                all.contains("BB_TEST_UNSET (not set here, skipped)"),
                "{all}"
            );
        }
    }
}

#[test]
fn help_exists_for_every_command() {
    for args in [
        &["--help"][..],
        &["start", "--help"],
        &["stop", "--help"],
        &["attach", "--help"],
        &["exec", "--help"],
        &["list", "--help"],
        &["logs", "--help"],
        &["gc", "--help"],
        &["doctor", "--help"],
        &["image", "build", "--help"],
        &["image", "pull", "--help"],
        &["man", "--help"],
    ] {
        let out = bot_bottle(&repo()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(stdout_of(&out).contains("Usage: bot-bottle"));
    }
}

#[test]
fn git_upstreams_add_a_gate_that_holds_the_key() {
    let dir = Scratch::new("gate-plan");
    dir.write("id", "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n");
    dir.write("known_hosts", "git.example.com ssh-ed25519 AAAA\n");
    dir.write("token", "t\n");
    let manifest = dir.write(
        "bottle.toml",
        "name = \"g\"\n[ssh]\nidentity = \"id\"\nknown_hosts = \"known_hosts\"\n\
         [[git.upstreams]]\nname = \"app\"\nurl = \"git@git.example.com:org/app.git\"\n\
         [[git.upstreams]]\nname = \"web\"\nurl = \"https://git.example.com/org/web.git\"\n\
         token_file = \"token\"\npush_refs = [\"refs/heads/bot/*\"]\nallow_force_push = true\n",
    );
    let plan = dry_run_json(&[manifest.to_str().unwrap()], dir.path());
    let gate = &plan["gate"];
    assert_eq!(plan["containers"]["gate"], "bot-bottle-g-gitgate");
    assert_eq!(gate["container"], "bot-bottle-g-gitgate");
    assert_eq!(gate["url"], "http://bot-bottle-g-gitgate:8418");
    // The gate is on the internal network alone; its egress filter, on both, is its only way
    // out, to the upstreams' hosts and ports.
    assert_eq!(gate["networks"], json!([plan["networks"]["internal"]]));
    let filter = &gate["egress"];
    assert_eq!(filter["container"], "bot-bottle-g-gitegress");
    assert_eq!(
        filter["networks"],
        json!([plan["networks"]["internal"], plan["networks"]["egress"]])
    );
    assert_eq!(
        filter["allow"],
        json!(["git.example.com:22", "git.example.com:443"])
    );
    assert_eq!(gate["config"]["egress_proxy"], filter["listen"]);
    assert_eq!(gate["upstreams"][0]["port"], 22);
    assert_eq!(gate["upstream_hosts"], json!(["git.example.com"]));
    // It listens on its internal address only, which the agent's /etc/hosts maps its name to.
    assert_eq!(gate["privileges"]["cap_drop"], json!(["ALL"]));
    assert_eq!(gate["privileges"]["read_only_root"], true);
    assert_eq!(
        gate["volumes"],
        json!(["/etc/bot-bottle-gate", "/var/lib/bot-bottle-gate"])
    );
    // Its own limits: scratch for twice its largest push, memory for that on top.
    assert_eq!(gate["resources"]["pids"], 512);
    assert_eq!(gate["resources"]["scratch"]["bytes"], 100 << 20);
    assert_eq!(
        gate["resources"]["memory_bytes"],
        (1u64 << 30) + (100 << 20)
    );
    let address = gate["address"].as_str().unwrap();
    assert_eq!(gate["config"]["listen"], format!("{address}:8418"));
    assert_eq!(plan["agent"]["hosts"]["bot-bottle-g-gitgate"], address);
    let web = &gate["config"]["upstreams"][1];
    assert_eq!(web["transport"], "https");
    assert_eq!(web["token_file"], "/etc/bot-bottle-gate/tokens/web");
    assert_eq!(web["policy"]["push_refs"], json!(["refs/heads/bot/*"]));
    assert_eq!(web["policy"]["allow_force_push"], true);
    assert_eq!(
        gate["config"]["upstreams"][0]["policy"]["push_default_branch"],
        false
    );
    let files: Vec<&str> = gate["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"/etc/bot-bottle-gate/ssh/identity"),
        "{files:?}"
    );
    assert!(
        files.contains(&"/etc/bot-bottle-gate/tokens/web"),
        "{files:?}"
    );
    // The key goes to the gate, never into the agent, and the plan says so for each file.
    let destinations: Vec<(&str, &str)> = plan["host_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap(),
                f["destination"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        destinations,
        [
            ("git.upstreams[1].token_file", "git_gate"),
            ("ssh.identity", "git_gate"),
            ("ssh.known_hosts", "git_gate"),
        ]
    );
    let steps = plan["provisioning"].as_array().unwrap();
    let ssh = steps.iter().find(|s| s["step"] == "ssh").unwrap();
    assert_eq!(ssh["action"], "skip");
    let agent_files = serde_json::to_string(&plan["provisioning"]).unwrap();
    assert!(!agent_files.contains("id_bottle"), "{agent_files}");
    let git = steps.iter().find(|s| s["step"] == "git").unwrap();
    let gitconfig = git["files"][0]["content"]["text"].as_str().unwrap();
    assert!(
        gitconfig.contains(
            "[url \"http://bot-bottle-g-gitgate:8418/app\"]\n\tinsteadOf = \"git@git.example.com:org/app\"\n"
        ),
        "{gitconfig}"
    );
    let text = stdout_of(
        &bot_bottle(dir.path())
            .args(["start", "--dry-run"])
            .arg(&manifest)
            .output()
            .unwrap(),
    );
    assert!(
        text.contains(
            "git gate:          bot-bottle-g-gitgate (localhost/bot-bottle/gitgate:latest)"
        ),
        "{text}"
    );
    assert!(
        text.contains("upstream web: https://git.example.com/org/web.git (https, credential: the token in /etc/bot-bottle-gate/tokens/web)"),
        "{text}"
    );
    assert!(
        text.contains(
            "may push refs/heads/bot/*, not the default branch, force-push allowed, no deletion"
        ),
        "{text}"
    );
    assert!(
        text.contains("ssh     skip: ssh.identity and ssh.known_hosts go to the git gate"),
        "{text}"
    );
    assert!(plan["agent"]["env"]["NO_PROXY"]
        .as_str()
        .unwrap()
        .ends_with(",bot-bottle-g-gitgate"));
}

#[test]
fn no_gate_without_git_upstreams() {
    let dir = Scratch::new("no-gate-plan");
    let manifest = dir.write("bottle.toml", "name = \"n\"\n");
    let plan = dry_run_json(&[manifest.to_str().unwrap()], dir.path());
    assert_eq!(plan["gate"], Value::Null);
    assert_eq!(plan["containers"]["gate"], Value::Null);
}

#[test]
fn gate_image_override_from_env() {
    let dir = Scratch::new("gate-image-plan");
    let manifest = dir.write(
        "bottle.toml",
        "[[git.upstreams]]\nname = \"web\"\nurl = \"https://git.example.com/web.git\"\n",
    );
    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run", "--json"])
        .arg(&manifest)
        .env("BOT_BOTTLE_GATE_IMAGE", "localhost/other/gate:1")
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["gate"]["image"], "localhost/other/gate:1");
    assert_eq!(
        plan["gate"]["files"].as_array().unwrap().len(),
        2,
        "{plan:#}"
    );
}

/// The pipelock config in the plan: strict, intercepting, with bot-bottle's limits.
fn the_proxy_config_is_the_documented_one(plan: &Value) {
    let config = &plan["proxy"]["config"];
    assert_eq!(config["mode"], "strict");
    assert_eq!(config["enforce"], true);
    assert_eq!(config["api_allowlist"], plan["egress"]["allowlist"]);
    assert_eq!(config["forward_proxy"]["enabled"], true);
    // Only on the sidecar's address on the internal network, which the plan chose: never on
    // every interface, which would serve the egress network (and the host) too.
    let address = plan["proxy"]["address"].as_str().unwrap();
    assert_eq!(config["fetch_proxy"]["listen"], format!("{address}:8888"));
    assert_eq!(plan["proxy"]["listen"], format!("{address}:8888"));
    assert_eq!(plan["proxy"]["command"][4], format!("{address}:8888"));
    assert_eq!(
        plan["agent"]["hosts"][plan["containers"]["proxy"].as_str().unwrap()],
        address
    );
    let subnet = plan["networks"]["internal_subnet"].as_str().unwrap();
    let (network, prefix) = subnet.split_once('/').unwrap();
    assert_eq!(prefix, "28");
    let network: std::net::Ipv4Addr = network.parse().unwrap();
    let host = |n: u32| std::net::Ipv4Addr::from(u32::from(network) + n).to_string();
    assert_eq!(address, host(2));
    assert_eq!(plan["agent"]["address"], host(4));
    // No container holds a capability, or may gain one; the text plan says so too.
    // The sidecar's root filesystem is read-only too: it writes to a volume of its own (its
    // config) and its scratch.
    for (who, read_only_root) in [("agent", false), ("proxy", true)] {
        assert_eq!(
            plan[who]["privileges"],
            json!({
                "cap_drop": ["ALL"],
                "security_opts": ["no-new-privileges"],
                "read_only_root": read_only_root
            }),
            "{who}"
        );
    }
    assert_eq!(
        plan["proxy"]["volumes"],
        json!(["/etc/pipelock", "/var/lib/pipelock/flight-recorder"])
    );
    // Its metrics and stats on the sidecar's loopback only.
    assert_eq!(config["metrics_listen"], "127.0.0.1:8889");
    assert_eq!(config["request_body_scanning"]["action"], "block");
    assert_eq!(config["tls_interception"]["enabled"], true);
    assert_eq!(
        config["tls_interception"]["ca_key"],
        "/etc/pipelock/ca-key.pem"
    );
    assert_eq!(config["logging"]["output"], "stdout");
    assert_eq!(config["trusted_domains"], json!([]));
    assert_eq!(
        config["tls_interception"]["max_response_bytes"],
        128 * 1024 * 1024
    );
    assert_eq!(
        config["request_body_scanning"]["max_body_bytes"],
        32 * 1024 * 1024
    );
}

/// The workspace repository's `.git` gets its own mount, its config and hooks read-only (a
/// missing one is created empty at launch, never by the plan), and the plan shows each mount;
/// a workspace that is not a repository gets none.
#[test]
fn the_plan_shows_the_mounts_that_keep_git_config_and_hooks_from_the_agent() {
    let dir = Scratch::new("gitmeta");
    dir.write("bottle.toml", "name = \"gitmeta\"\n");
    dir.write(".git/config", "[core]\n");
    let ws = dir.path().canonicalize().unwrap();
    let ws = ws.to_str().unwrap();
    let plan = dry_run_json(&[], dir.path());
    let git = &plan["agent"]["git"];
    assert_eq!(git["repository"], "directory");
    let stage = plan["stage_dir"].as_str().unwrap();
    assert_eq!(git["snapshot"], format!("{stage}/git-files.json"));
    assert_eq!(
        git["mounts"],
        json!([
            {"source": format!("{ws}/.git"), "target": "/workspace/.git", "read_only": false, "create": null,
             "why": "a mount point of its own: it cannot be renamed or removed"},
            {"source": format!("{ws}/.git/config"), "target": "/workspace/.git/config", "read_only": true, "create": null,
             "why": "read-only: git on the host runs what it says"},
            {"source": format!("{ws}/.git/hooks"), "target": "/workspace/.git/hooks", "read_only": true, "create": "directory",
             "why": "read-only: git on the host runs what it says"},
        ])
    );
    assert!(
        !dir.path().join(".git/hooks").exists(),
        "the plan created it"
    );

    let out = bot_bottle(dir.path())
        .args(["start", "--dry-run"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    for line in [
        "workspace git:     a repository: .git mounted on its own (it cannot be moved or replaced), its config and hooks read-only;",
        &format!("  mount {ws}/.git -> /workspace/.git (read-write)\n"),
        &format!("  mount {ws}/.git/config -> /workspace/.git/config (read-only)\n"),
        &format!("  mount {ws}/.git/hooks -> /workspace/.git/hooks (read-only, missing: created empty at launch)\n"),
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }

    let not_a_repo = Scratch::new("gitmeta-none");
    not_a_repo.write("bottle.toml", "name = \"plain\"\n");
    let plan = dry_run_json(&[], not_a_repo.path());
    assert_eq!(plan["agent"]["git"]["repository"], "none");
    assert_eq!(plan["agent"]["git"]["mounts"], json!([]));
}

/// The CPUs this test process may use, as the plan counts them.
fn host_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap())
}

#[test]
fn every_container_has_limits_by_default_and_the_text_plan_names_them() {
    let dir = Scratch::new("resources-plan");
    let manifest = dir.write("bottle.toml", "name = \"r\"\n");
    let plan = dry_run_json(&[manifest.to_str().unwrap()], dir.path());
    let cpus = host_cpus();
    assert_eq!(
        plan["resources"],
        json!({"limits": "enforced", "host_cpus": cpus})
    );
    // The agent leaves the host one of its CPUs; /tmp is its scratch, a tmpfs it may run
    // programs from.
    assert_eq!(
        plan["agent"]["resources"],
        json!({
            "memory_bytes": 4u64 << 30,
            "cpus": f64::from(cpus.max(2) - 1),
            "pids": 4096,
            "scratch": {"path": "/tmp", "bytes": 1u64 << 30, "exec": true}
        })
    );
    assert_eq!(
        plan["proxy"]["resources"],
        json!({
            "memory_bytes": 512u64 << 20,
            "cpus": 1.0,
            "pids": 512,
            "scratch": {"path": "/tmp", "bytes": 64u64 << 20, "exec": false}
        })
    );
    let text = stdout_of(
        &bot_bottle(dir.path())
            .args(["start", "--dry-run"])
            .arg(&manifest)
            .output()
            .unwrap(),
    );
    assert!(
        text.contains("resources:         agent memory 4 GiB, ")
            && text.contains("4096 processes, /tmp 1 GiB; sidecar memory 512 MiB, 1 CPU, 512 processes, /tmp 64 MiB noexec"),
        "{text}"
    );
    assert!(
        text.contains("sidecar --cap-drop ALL --security-opt no-new-privileges --read-only"),
        "{text}"
    );
}

#[test]
fn the_manifest_sets_the_agent_s_limits_and_turns_them_off_only_explicitly() {
    let dir = Scratch::new("resources-set");
    let manifest = dir.write(
        "bottle.toml",
        "[resources]\nmemory = \"2g\"\ncpus = 1\npids = 256\nscratch = \"256m\"\n",
    );
    let plan = dry_run_json(&[manifest.to_str().unwrap()], dir.path());
    assert_eq!(
        plan["agent"]["resources"],
        json!({
            "memory_bytes": 2u64 << 30,
            "cpus": 1.0,
            "pids": 256,
            "scratch": {"path": "/tmp", "bytes": 256u64 << 20, "exec": true}
        })
    );
    // The sidecar keeps its own.
    assert_eq!(plan["proxy"]["resources"]["memory_bytes"], 512u64 << 20);

    // "unlimited" turns a kind off for every container; limits = "none" all three, and the
    // plan says so.
    let manifest = dir.write("bottle.toml", "[resources]\ncpus = \"unlimited\"\n");
    let plan = dry_run_json(&[manifest.to_str().unwrap()], dir.path());
    assert_eq!(plan["agent"]["resources"]["cpus"], Value::Null);
    assert_eq!(plan["proxy"]["resources"]["cpus"], Value::Null);
    assert_eq!(plan["proxy"]["resources"]["pids"], 512);
    let manifest = dir.write("bottle.toml", "[resources]\nlimits = \"none\"\n");
    let plan = dry_run_json(&[manifest.to_str().unwrap()], dir.path());
    assert_eq!(plan["resources"]["limits"], "none");
    for who in ["agent", "proxy"] {
        let r = &plan[who]["resources"];
        assert_eq!(
            (&r["memory_bytes"], &r["cpus"], &r["pids"]),
            (&Value::Null, &Value::Null, &Value::Null),
            "{who}"
        );
        assert!(r["scratch"]["bytes"].as_u64().unwrap() > 0, "{who}");
    }
    let text = stdout_of(
        &bot_bottle(dir.path())
            .args(["start", "--dry-run"])
            .arg(&manifest)
            .output()
            .unwrap(),
    );
    assert!(
        text.contains(
            "resources:         NO memory, CPU or process limit (resources.limits = \"none\")"
        ),
        "{text}"
    );
}

/// A dry run of `manifest` with `vars` set on the host (their values never shown).
fn dry_run_json_with(manifest: &str, vars: &[(&str, &str)]) -> Value {
    let mut command = bot_bottle(&repo());
    command.args(["start", "--dry-run", "--json", manifest]);
    for (name, value) in vars {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for (_, value) in vars {
        assert!(!text.contains(value), "the plan shows a credential");
    }
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_codex_example_plans_a_codex_agent_whose_openai_key_the_holder_keeps() {
    let plan = dry_run_json_with(
        "contrib/examples/codex.toml",
        &[("OPENAI_API_KEY", "sk-proj-cli-test-openai-key")],
    );
    let kind = &plan["agent"]["kind"];
    assert_eq!(kind["name"], "codex");
    assert_eq!(kind["package"], "@openai/codex");
    assert_eq!(kind["version"], "0.171.0");
    assert_eq!(kind["hosts"][0]["name"], "api.openai.com");
    assert_eq!(kind["hosts"][0]["role"], "key_holder");
    assert_eq!(kind["credential"]["header"], "authorization: Bearer");
    assert_eq!(
        plan["images"]["agent"],
        "localhost/bot-bottle/agent-codex:latest"
    );
    assert_eq!(plan["agent"]["command"], json!(["codex"]));
    let holder = &plan["key_holder"];
    assert_eq!(holder["hosts"], json!(["api.openai.com"]));
    assert_eq!(holder["credential"]["from"], "host_variable");
    assert_eq!(holder["credential"]["name"], "OPENAI_API_KEY");
    assert_eq!(holder["placeholder_variable"], "OPENAI_API_KEY");
    assert_eq!(
        holder["config"]["credential_headers"]["api.openai.com"],
        json!({"name": "authorization", "scheme": "Bearer"})
    );
    let env = &plan["agent"]["env"];
    assert!(env["OPENAI_API_KEY"]
        .as_str()
        .unwrap()
        .starts_with("bot-bottle-placeholder-"));
    assert_eq!(env["CODEX_HOME"], "/home/node/.codex");
    assert_eq!(
        env["CODEX_CA_CERTIFICATE"],
        "/etc/ssl/certs/ca-certificates.crt"
    );
    assert_eq!(plan["state_volume"]["target"], "/home/node/.codex");
    assert_eq!(plan["agent"]["forwarded_env"], json!([]));
    assert!(!plan["egress"]["allowlist"]
        .as_array()
        .unwrap()
        .contains(&json!("sentry.io")));
}

#[test]
fn the_gemini_example_plans_a_gemini_agent_and_its_text_names_the_kind_and_hosts() {
    let plan = dry_run_json_with(
        "contrib/examples/gemini.toml",
        &[("GEMINI_API_KEY", "AIzaSyCliTestGeminiKey0123456789abcdef")],
    );
    assert_eq!(plan["agent"]["kind"]["name"], "gemini");
    let holder = &plan["key_holder"];
    assert_eq!(
        holder["hosts"],
        json!(["generativelanguage.googleapis.com"])
    );
    assert_eq!(holder["placeholder_variable"], "GEMINI_API_KEY");
    assert_eq!(
        holder["config"]["credential_headers"]["generativelanguage.googleapis.com"],
        json!({"name": "x-goog-api-key"})
    );
    assert_eq!(
        plan["images"]["agent"],
        "localhost/bot-bottle/agent-gemini:latest"
    );
    assert_eq!(plan["state_volume"]["target"], "/home/node/.gemini");

    let out = bot_bottle(&repo())
        .args(["start", "--dry-run", "contrib/examples/gemini.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    for expected in [
        "agent kind:        gemini (Gemini CLI, npm @google/gemini-cli@0.61.0; its credential goes on as x-goog-api-key)",
        "agent hosts:       generativelanguage.googleapis.com [key holder: the Gemini API",
        "agent image:       localhost/bot-bottle/agent-gemini:latest",
        "gemini login:      none (no credential variable forwarded, no `default` login of the kind gemini): the agent reaches none of generativelanguage.googleapis.com; `bot-bottle login --kind gemini --api-key-stdin` makes one",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
