//! `bot-bottle export kube` played by `podman kube play` on the testbed images: the exported
//! pod's egress behaves as a launched bottle's (the allowlist, DLP's 403, the CA key kept out
//! of the agent), the agent's own ways out (direct TCP, DNS, the host) fail while the same
//! attempts from the proxy's uid succeed, the key holder puts the user's key on the agent's
//! requests to the Anthropic stand-in while the agent holds only a placeholder and reaches the
//! stand-in no other way, and `podman kube down` plus removing the `ConfigMap` and Secret
//! leftovers it names leaves nothing.
//!
//! docker has no `kube play`: on docker these tests say so and return (the podman runs of the
//! suite cover them, rootful and rootless).

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use engine::{EngineKind, NetworkAttachment};
use serde_json::Value;

use crate::keys::{places_holding, FOREIGN_KEY};
use crate::support::{
    applies_limits, fingerprint, harness, resources_table, unique_name, wait_for, Harness,
    Internet, Workspace, AGENT_IMAGE, DUMMY_API_KEY,
};

/// The init image the testbed builds for the podman setups (Debian with iptables).
const KUBE_INIT_IMAGE: &str = "localhost/bot-bottle-test/kube-init:latest";
const GITHUB_TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
const BLOCKED_BODY: &str = "blocked: request body contains secret: GitHub Token\n";
const HELLO: &str = "hello from upstream\n";
/// pipelock's uid in an exported pod: the one uid the pod's packet filter lets out.
const PROXY_UID: &str = "65532";
/// The key holder's uid in an exported pod: the filter lets it out to HTTPS and DNS.
const KEYS_UID: &str = "65531";

/// The harness, when the engine is podman with the kube init image.
fn kube_harness() -> Option<Harness> {
    let h = harness()?;
    if h.engine.kind() == EngineKind::Docker {
        eprintln!(
            "\n*** NOT APPLICABLE on docker: `podman kube play` plays the exported pod; docker has no such command (the podman runs cover it) ***\n"
        );
        return None;
    }
    if !h.engine.image_exists(KUBE_INIT_IMAGE).unwrap_or(false) {
        let why = format!(
            "image {KUBE_INIT_IMAGE} is missing in {}; run contrib/testbed/build-images.sh",
            h.engine.program()
        );
        assert!(
            std::env::var("BOT_BOTTLE_E2E").map_or(true, |v| v != "required"),
            "BOT_BOTTLE_E2E=required but the end-to-end tests cannot run: {why}"
        );
        eprintln!("\n*** SKIPPING end-to-end test: {why} ***\n");
        return None;
    }
    Some(h)
}

/// A podman network of the test's own on a /28 of TEST-NET-3 (pipelock refuses upstreams on
/// private addresses), the upstream on it under the test hostnames, and a played export; all
/// removed on drop, and checked gone.
struct Played<'h> {
    h: &'h Harness,
    ws: Workspace,
    slug: String,
    network: Internet<'h>,
    upstream: String,
    yaml: PathBuf,
    /// The export as its YAML documents.
    objects: Vec<Value>,
}

impl<'h> Played<'h> {
    fn new(h: &'h Harness, prefix: &str) -> Self {
        let slug = unique_name(prefix);
        let manifest = format!(
            "name = \"{slug}\"\n\n[agent]\nimage = \"{AGENT_IMAGE}\"\ncommand = [\"sleep\", \"infinity\"]\n\
             env = [\"BB_E2E_KUBE_UNSET\", \"ANTHROPIC_API_KEY\"]\n\n{}[egress]\n\
             allowlist = [\"upstream.bottle.test\", \"passthrough.bottle.test\"]\n\
             tls_passthrough_domains = [\"passthrough.bottle.test\"]\n",
            // podman cannot play limits it cannot apply (rootless on cgroup v1: the container
            // fails to start), so there the export is made without, explicitly.
            resources_table()
        );
        let ws = h.approved(&slug, &manifest);
        // With a gateway: the test asks the host there for DNS, as a pod's resolver would be.
        let network = Internet::create(h, format!("{slug}-net"), false);
        let mut played = Played {
            h,
            yaml: ws.0.join("bottle.yaml"),
            ws,
            upstream: format!("{slug}-upstream"),
            slug,
            network,
            objects: Vec::new(),
        };
        played.start_upstream();
        played.export_and_play();
        played
    }

    fn podman(&self, args: &[&str]) -> std::process::Output {
        Command::new(self.h.engine.program().as_str())
            .args(args)
            .output()
            .unwrap()
    }

    /// Every container names its image by the digest the engine knows for the tag the plan
    /// gave (podman records one even for a local build), so the pod runs the images as
    /// approved, not whatever the tag names when a node pulls.
    fn images_are_pinned(&self) {
        let pod = self
            .objects
            .iter()
            .find(|o| o["kind"] == "Pod")
            .expect("the export has a Pod");
        let spec = &pod["spec"];
        let containers: Vec<&Value> = spec["initContainers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(spec["containers"].as_array().unwrap())
            .collect();
        for c in &containers {
            let image = c["image"].as_str().unwrap();
            assert!(image.contains("@sha256:"), "{} names {image}", c["name"]);
            assert_eq!(c["imagePullPolicy"], "IfNotPresent", "{}", c["name"]);
        }
        let agent = containers.iter().find(|c| c["name"] == "agent").unwrap();
        let digests = self.h.engine.image_digests(AGENT_IMAGE).unwrap();
        assert!(
            digests.iter().any(|d| agent["image"] == d.as_str()),
            "{} is none of {digests:?}",
            agent["image"]
        );
    }

    fn start_upstream(&self) {
        let aliases = [
            "upstream.bottle.test",
            "passthrough.bottle.test",
            "denied.bottle.test",
            "api.anthropic.com",
            "platform.claude.com",
            "claude.ai",
        ];
        let networks = vec![NetworkAttachment {
            name: self.network.name.clone(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            ip: None,
        }];
        self.h.start_upstream(&self.upstream, networks, &self.slug);
    }

    fn export_and_play(&mut self) {
        let out = self
            .h
            .bot_bottle(&self.ws)
            .env("BOT_BOTTLE_KUBE_INIT_IMAGE", KUBE_INIT_IMAGE)
            .args(["export", "kube", "bottle.toml", "--output", "bottle.yaml"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "export kube failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "export printed the objects though --output was given"
        );
        let mode = std::fs::metadata(&self.yaml).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the export holds the CA key: its mode");
        let text = std::fs::read_to_string(&self.yaml).unwrap();
        self.objects = serde_saphyr::from_multiple(&text).expect("the export is YAML");
        self.images_are_pinned();
        let play = self.podman(&[
            "kube",
            "play",
            "--network",
            &self.network.name,
            self.yaml.to_str().unwrap(),
        ]);
        assert!(
            play.status.success(),
            "podman kube play failed: {}",
            String::from_utf8_lossy(&play.stderr)
        );
        let agent = self.agent();
        wait_for(
            "the agent to reach its proxy",
            Duration::from_secs(30),
            || {
                self.h
                    .sh(
                        &agent,
                        None,
                        "curl -sf --noproxy '*' -o /dev/null \"$HTTPS_PROXY/health\"",
                    )
                    .status
                    == 0
            },
        );
        // The key holder answers its health path itself, through the name and certificate the
        // agent uses.
        wait_for(
            "the agent to reach the key holder",
            Duration::from_secs(30),
            || {
                self.h
                    .sh(
                        &agent,
                        None,
                        "curl -sf -o /dev/null https://api.anthropic.com/.well-known/bot-bottle-keys/health",
                    )
                    .status
                    == 0
            },
        );
    }

    fn agent(&self) -> String {
        format!("bot-bottle-{}-agent", self.slug)
    }

    /// Names of the export's objects of `kind`.
    fn named(&self, kind: &str) -> Vec<String> {
        self.objects
            .iter()
            .filter(|o| o["kind"] == kind)
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The CA key, as the export's Secret holds it.
    fn ca_key(&self) -> String {
        let secret = self
            .objects
            .iter()
            .find(|o| o["kind"] == "Secret" && o["data"].get("ca-key.pem").is_some())
            .expect("a Secret with the CA key");
        let encoded = secret["data"]["ca-key.pem"].as_str().unwrap();
        let decoded = Command::new("base64")
            .arg("-d")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child.stdin.take().unwrap().write_all(encoded.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        String::from_utf8(decoded.stdout).unwrap()
    }

    /// `curl` in the agent as `user` (the agent's by default); (exit status, "<code>|<body>").
    fn curl(&self, user: Option<&str>, args: &str) -> (i32, String) {
        let out = self.h.sh(
            &self.agent(),
            user,
            &format!("curl -sS -m 10 -o /tmp/body -w '%{{http_code}}|' {args}; rc=$?; cat /tmp/body 2>/dev/null; rm -f /tmp/body; exit $rc"),
        );
        (out.status, out.stdout)
    }

    /// The Anthropic stand-in's log so far: one JSON object per request it answered.
    fn upstream_requests(&self) -> Vec<Value> {
        let out = self.h.engine.logs(&self.upstream).unwrap();
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r.get("status").is_some())
            .collect()
    }

    /// The names of the volumes podman mounted in the pod's container `name`.
    fn mounted_volumes(&self, name: &str) -> Vec<String> {
        let out = self.podman(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{.Name}}\n{{end}}",
            &format!("bot-bottle-{}-{name}", self.slug),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn upstream_ip(&self) -> String {
        let info = self
            .h
            .engine
            .inspect_container(&self.upstream)
            .unwrap()
            .unwrap();
        info.networks[&self.network.name]
            .ip
            .clone()
            .expect("the upstream has an address")
    }
}

impl Drop for Played<'_> {
    fn drop(&mut self) {
        let yaml = self.yaml.to_str().unwrap().to_owned();
        let down = self.podman(&["kube", "down", &yaml]);
        let mut left = Vec::new();
        if self
            .podman(&["pod", "exists", &format!("bot-bottle-{}", self.slug)])
            .status
            .success()
        {
            left.push("the pod".to_owned());
        }
        let containers = self.podman(&[
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            &format!("name=^bot-bottle-{}-", self.slug),
        ]);
        left.extend(
            String::from_utf8_lossy(&containers.stdout)
                .lines()
                .map(|c| format!("container {c}")),
        );
        // podman 4.3 keeps what it made of each ConfigMap and Secret (a volume each, and the
        // Secrets in its secret store): exactly those, which the README says to remove.
        let volumes = self.volumes();
        let mut expected: Vec<String> = self.named("ConfigMap");
        expected.extend(self.named("Secret"));
        expected.sort();
        let mut kept_secrets = self.secrets();
        kept_secrets.sort();
        let _ = self.h.engine.remove_container(&self.upstream);
        for volume in &volumes {
            let _ = self.podman(&["volume", "rm", volume]);
        }
        for secret in &kept_secrets {
            let _ = self.podman(&["secret", "rm", secret]);
        }
        let _ = self.h.engine.remove_network(&self.network.name);
        if std::thread::panicking() {
            return;
        }
        assert!(
            down.status.success(),
            "podman kube down failed: {}",
            String::from_utf8_lossy(&down.stderr)
        );
        assert!(left.is_empty(), "podman kube down left {left:?}");
        assert_eq!(volumes, expected, "volumes left after kube down");
        let mut secrets = self.named("Secret");
        secrets.sort();
        assert_eq!(kept_secrets, secrets, "secrets left after kube down");
        let mut after = self.volumes();
        after.extend(self.secrets());
        assert!(after.is_empty(), "left after removing them: {after:?}");
        assert!(
            !self
                .podman(&["network", "exists", &self.network.name])
                .status
                .success(),
            "the test network is still there"
        );
    }
}

impl Played<'_> {
    fn volumes(&self) -> Vec<String> {
        let out = self.podman(&["volume", "ls", "--format", "{{.Name}}"]);
        let prefix = format!("bot-bottle-{}-", self.slug);
        let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|v| v.starts_with(&prefix))
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    fn secrets(&self) -> Vec<String> {
        let out = self.podman(&["secret", "ls", "--format", "{{.Name}}"]);
        let prefix = format!("bot-bottle-{}-", self.slug);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|v| v.starts_with(&prefix))
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn an_exported_bottle_played_by_podman() {
    let Some(h) = kube_harness() else { return };
    let played = Played::new(&h, "kube");
    egress_is_the_bottle_s(&played);
    the_agent_has_no_other_way_out(&played);
    the_ca_key_stays_in_the_sidecar(&played);
    let placeholder = the_agent_holds_only_a_placeholder(&played);
    the_key_holder_alone_reaches_the_api(&played, &placeholder);
    limits_and_privileges_are_the_bottle_s(&played);
}

/// The pod's containers have the plan's memory and CPU limits and scratch, no capability and
/// none to gain, the runtime's default seccomp profile, and the sidecar a read-only root: in
/// the export, and as podman played it (its limits only where it can apply them).
fn limits_and_privileges_are_the_bottle_s(played: &Played) {
    let pod = played.objects.iter().find(|o| o["kind"] == "Pod").unwrap();
    let spec = &pod["spec"];
    assert_eq!(
        spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let containers = spec["containers"].as_array().unwrap();
    let by_name = |name: &str| containers.iter().find(|c| c["name"] == name).unwrap();
    for (name, memory, read_only) in [("agent", "4Gi", false), ("proxy", "512Mi", true)] {
        let c = by_name(name);
        if applies_limits() {
            assert_eq!(c["resources"]["limits"]["memory"], memory, "{name}: {c}");
            assert!(c["resources"]["limits"]["cpu"].is_string(), "{name}: {c}");
        } else {
            assert_eq!(
                c["resources"],
                Value::Null,
                "limits = \"none\": {name}: {c}"
            );
        }
        let security = &c["securityContext"];
        assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert_eq!(security["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(security["readOnlyRootFilesystem"], read_only, "{name}");
        let tmp = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == "/tmp")
            .unwrap_or_else(|| panic!("{name} has no /tmp: {c}"));
        let volume = spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == tmp["name"])
            .unwrap();
        assert_eq!(volume["emptyDir"]["medium"], "Memory", "{volume}");
        assert!(volume["emptyDir"]["sizeLimit"].is_string(), "{volume}");
    }
    // As played: under a seccomp filter, and the agent may write its /tmp.
    let status = played.h.sh(
        &played.agent(),
        None,
        "grep '^Seccomp:' /proc/self/status && touch /tmp/mine && echo wrote",
    );
    assert_eq!(status.stdout, "Seccomp:\t2\nwrote\n", "{}", status.stderr);
    let proxy = format!("bot-bottle-{}-proxy", played.slug);
    let config = |container: &str| -> Value {
        let out = played.podman(&["inspect", "--format", "{{json .HostConfig}}", container]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(config(&proxy)["ReadonlyRootfs"], true);
    if applies_limits() {
        assert_eq!(config(&played.agent())["Memory"], 4u64 << 30);
        assert_eq!(config(&proxy)["Memory"], 512u64 << 20);
    }
}

fn egress_is_the_bottle_s(played: &Played) {
    let (rc, got) = played.curl(None, "https://upstream.bottle.test/hello");
    assert_eq!(
        (rc, got.as_str()),
        (0, format!("200|{HELLO}").as_str()),
        "an allowed host"
    );
    let out = played.h.sh(
        &played.agent(),
        None,
        "curl -sS -m 10 -o /dev/null -w '%{http_connect}' https://denied.bottle.test/hello",
    );
    assert_eq!(
        out.stdout, "403",
        "CONNECT to a host off the allowlist: {}",
        out.stderr
    );
    let (_, got) = played.curl(
        None,
        &format!("-X POST --data 'token={GITHUB_TOKEN}' https://upstream.bottle.test/echo"),
    );
    assert_eq!(
        got,
        format!("403|{BLOCKED_BODY}"),
        "a credential in a POST body"
    );
    let (_, echoed) = played.curl(
        None,
        "-X POST --data 'just words' https://upstream.bottle.test/echo",
    );
    assert_eq!(echoed, "200|just words", "a clean POST passes");
    // The agent runs as its user, with no capabilities; the variable the manifest forwards
    // comes from a Secret nobody made, so it is simply unset.
    let env = played.h.sh(
        &played.agent(),
        None,
        "id -u; grep CapEff /proc/self/status; printenv BB_E2E_KUBE_UNSET; echo rc=$?",
    );
    assert_eq!(env.stdout, "1000\nCapEff:\t0000000000000000\nrc=1\n");
}

fn the_agent_has_no_other_way_out(played: &Played) {
    // Each escape is tried as the agent (it must fail) and, as the control that shows the way
    // exists and only the pod's packet filter closes it, as pipelock's uid in the same
    // container (it must succeed). Without the filter's owner rule the agent's tries would
    // succeed as the control's do: they share the network namespace.
    let ip = played.upstream_ip();
    let direct = format!("--noproxy '*' http://{ip}/hello");
    let (rc, got) = played.curl(None, &direct);
    assert_ne!(
        rc, 0,
        "the agent reached the upstream at {ip} directly: {got}"
    );
    assert_eq!(
        played.curl(Some(PROXY_UID), &direct),
        (0, format!("200|{HELLO}")),
        "control: pipelock's uid reaches the upstream directly"
    );

    let lookup = "getent hosts upstream.bottle.test";
    let agent_dns = played.h.sh(&played.agent(), None, lookup);
    assert_ne!(
        agent_dns.status, 0,
        "the agent resolved a name: {}",
        agent_dns.stdout
    );
    let proxy_dns = played.h.sh(&played.agent(), Some(PROXY_UID), lookup);
    assert!(
        proxy_dns.stdout.contains(&ip),
        "control: pipelock's uid resolves through the network's DNS: {proxy_dns:?}"
    );

    // The host, at the network's gateway, where aardvark-dns answers: a DNS query straight
    // to it, from node.
    let gateway = crate::support::first_host(&played.network.subnet);
    let ask = |user: Option<&str>| {
        played.h.sh(
            &played.agent(),
            user,
            &format!(
                "node -e \"const r = new (require('dns').promises.Resolver)({{timeout: 2000, tries: 1}}); \
                 r.setServers(['{gateway}']); r.resolve4('upstream.bottle.test').then(\
                 (a) => console.log(a.join()), (e) => {{ console.log(e.code); process.exit(1); }})\""
            ),
        )
    };
    let agent_query = ask(None);
    assert_ne!(
        agent_query.status, 0,
        "the agent's DNS query to the host got an answer: {}",
        agent_query.stdout
    );
    let proxy_query = ask(Some(PROXY_UID));
    assert_eq!(
        proxy_query.stdout.trim(),
        ip,
        "control: the same query as pipelock's uid: {proxy_query:?}"
    );

    // Nothing on the network may use the pod's proxy: it listens on loopback, and the pod
    // refuses connections from outside.
    let pod_ip = played.h.sh(&played.agent(), None, "hostname -I").stdout;
    let pod_ip = pod_ip
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let from_outside = played.h.sh(
        &played.upstream,
        None,
        &format!("curl -sS -m 5 -x http://{pod_ip}:8888 http://upstream.bottle.test/hello"),
    );
    assert_ne!(
        from_outside.status, 0,
        "a neighbour used the pod's proxy: {}",
        from_outside.stdout
    );

    // Pipelock's metrics and stats, on the pod's loopback, which the agent shares: only
    // pipelock's uid may read them.
    let stats = "--noproxy '*' http://127.0.0.1:8889/stats";
    let (rc, got) = played.curl(None, stats);
    assert_ne!(rc, 0, "the agent read pipelock's stats: {got}");
    let (rc, got) = played.curl(Some(PROXY_UID), stats);
    assert!(
        rc == 0 && got.starts_with("200|{"),
        "control: pipelock's uid reads its stats: {rc} {got}"
    );
}

fn the_ca_key_stays_in_the_sidecar(played: &Played) {
    let key = played.ca_key();
    assert!(
        key.starts_with("-----BEGIN EC PRIVATE KEY-----\n"),
        "the Secret holds a SEC1 key"
    );
    let key_line = key.lines().nth(1).unwrap().to_owned();
    let listed = played.h.files_holding(&played.agent(), &key_line);
    assert!(
        listed.is_empty(),
        "the CA key is in the agent's filesystem: {listed:?}"
    );
    let env = played.h.sh(&played.agent(), None, "env").stdout;
    assert!(
        !env.contains(&key_line),
        "the CA key is in the agent's environment"
    );
    // The agent trusts the bottle CA the way a launched agent does.
    let issuer = played.h.sh(
        &played.agent(),
        None,
        "curl -sv -o /dev/null https://upstream.bottle.test/hello 2>&1 | grep -i 'issuer:'",
    );
    assert!(
        issuer
            .stdout
            .contains(&format!("bot-bottle {} egress CA", played.slug)),
        "intercepted leaf issuer: {}",
        issuer.stdout
    );
}

/// The agent's placeholder, checked to be all it holds.
fn the_agent_holds_only_a_placeholder(played: &Played) -> String {
    let agent = played.agent();
    let placeholder = played
        .h
        .sh(&agent, None, "printf '%s' \"$ANTHROPIC_API_KEY\"")
        .stdout;
    assert!(
        placeholder.starts_with("bot-bottle-placeholder-"),
        "the agent's ANTHROPIC_API_KEY is {placeholder:?}"
    );
    // The key is nowhere in the agent: not in a file, an environment or a command line; the
    // same search finds the placeholder in the agent's environment.
    let found = places_holding(played.h, &agent, DUMMY_API_KEY);
    assert!(found.is_empty(), "the agent holds the key: {found:?}");
    let control = places_holding(played.h, &agent, &placeholder);
    assert!(
        control.iter().any(|p| p.contains("environ")),
        "the search misses an environment: {control:?}"
    );
    // No Secret of the pod is mounted in the agent; the key holder's is mounted in the holder.
    let secrets = played.named("Secret");
    let credential = format!("bot-bottle-{}-credential", played.slug);
    assert!(secrets.contains(&credential), "{secrets:?}");
    let in_agent = played.mounted_volumes("agent");
    assert!(
        !in_agent.iter().any(|v| secrets.contains(v)),
        "a Secret is mounted in the agent: {in_agent:?}"
    );
    let in_holder = played.mounted_volumes("keys");
    assert!(
        in_holder.contains(&credential),
        "control: the key holder mounts its Secret: {in_holder:?}"
    );
    // The holder keeps its credential where only its uid reads it, and may rewrite it there
    // (after an OAuth refresh): a directory of its own, a file of mode 0600.
    let kept = played.h.sh(
        &format!("bot-bottle-{}-keys", played.slug),
        None,
        "cd /var/lib/bot-bottle-keys && stat -c '%a %u %n' . credential.json key.pem && id -u",
    );
    assert_eq!(
        kept.stdout,
        format!("700 {KEYS_UID} .\n600 {KEYS_UID} credential.json\n600 {KEYS_UID} key.pem\n{KEYS_UID}\n"),
        "{}",
        kept.stderr
    );
    placeholder
}

fn the_key_holder_alone_reaches_the_api(played: &Played, placeholder: &str) {
    let agent = played.agent();

    // With the placeholder, the agent's request reaches the stand-in with the user's key.
    let status = |args: &str| {
        played
            .h
            .sh(
                &agent,
                None,
                &format!("curl -sS -m 20 -o /dev/null -w '%{{http_code}}' {args}"),
            )
            .stdout
    };
    assert_eq!(
        status(&format!(
            "-H 'x-api-key: {placeholder}' https://api.anthropic.com/api/hello"
        )),
        "200"
    );
    let requests = played.upstream_requests();
    let hello: Vec<&Value> = requests
        .iter()
        .filter(|r| r["host"] == "api.anthropic.com" && r["path"] == "/api/hello")
        .collect();
    assert_eq!(hello.len(), 1, "{requests:#?}");
    assert_eq!(
        hello[0]["credentials"],
        serde_json::json!([fingerprint(DUMMY_API_KEY)]),
        "the stand-in got another credential than the user's key"
    );

    // A foreign key is refused by the holder; around the holder, the proxy refuses the host
    // and the pod's filter the agent's direct connection to the stand-in.
    let before = played.upstream_requests().len();
    for host in ["api.anthropic.com", "platform.claude.com", "claude.ai"] {
        let got = status(&format!(
            "-H 'x-api-key: {FOREIGN_KEY}' https://{host}/v1/files"
        ));
        assert_eq!(got, "403", "a foreign key to {host}");
        let through = played.h.sh(
            &agent,
            None,
            &format!(
                "curl -sS -m 20 -o /dev/null -w '%{{http_connect}}' --noproxy '' -x \"$HTTPS_PROXY\" \
                 -H 'x-api-key: {FOREIGN_KEY}' https://{host}/v1/files"
            ),
        );
        assert_eq!(
            through.stdout, "403",
            "CONNECT to {host}: {}",
            through.stderr
        );
    }
    let ip = played.upstream_ip();
    let direct = |user: Option<&str>, key: &str| {
        played.curl(
            user,
            &format!(
                "-k --noproxy '*' --resolve api.anthropic.com:443:{ip} -H 'x-api-key: {key}' \
                 https://api.anthropic.com/api/hello"
            ),
        )
    };
    let (rc, got) = direct(None, FOREIGN_KEY);
    assert_ne!(
        rc, 0,
        "the agent reached the stand-in at {ip} directly: {got}"
    );
    let requests = played.upstream_requests();
    let foreign = serde_json::json!(fingerprint(FOREIGN_KEY));
    assert!(
        !requests.iter().any(|r| r["credentials"]
            .as_array()
            .is_some_and(|c| c.contains(&foreign))),
        "a foreign key reached the stand-in: {requests:#?}"
    );
    assert_eq!(
        requests.len(),
        before,
        "the stand-in got requests: {:#?}",
        &requests[before..]
    );
    // Control: the same connection as the holder's uid goes through (without a key), so the
    // filter's owner rule alone stops the agent's.
    let (rc, got) = direct(Some(KEYS_UID), "none");
    assert_eq!(
        (rc, got.split('|').next().unwrap_or_default()),
        (0, "200"),
        "control: the holder's uid reaches the stand-in: {got}"
    );
}
