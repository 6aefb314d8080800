//! What crosses a launched bottle's egress: intercepted HTTPS with body DLP, clean traffic,
//! refused hosts, no way around the proxy, passthrough, and the CA key kept out of the agent.

use std::io::Read as _;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use std::os::unix::fs::MetadataExt as _;

use crate::support::{
    harness, scratch_files_holding, Bottle, Harness, FORWARDED_ENV, FORWARDED_VALUE, PRIVATE_ALIAS,
};

/// A GitHub token shape pipelock's DLP knows ("ghp_" and 36 letters or digits).
const GITHUB_TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
const BLOCKED_BODY: &str = "blocked: request body contains secret: GitHub Token\n";
const HELLO: &str = "hello from upstream\n";

/// Node has no built-in proxy support for https: open the CONNECT tunnel by hand, then TLS
/// over it, trusting what `NODE_EXTRA_CA_CERTS` adds. Prints `{connect}` or `{status, body}`.
const NODE_THROUGH_PROXY: &str = r"
const http = require('http'), https = require('https'), tls = require('tls');
const [method, host, path, body] = process.argv.slice(1);
const proxy = new URL(process.env.HTTPS_PROXY);
const c = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: host + ':443' });
c.on('connect', (res, socket) => {
  if (res.statusCode !== 200) { console.log(JSON.stringify({ connect: res.statusCode })); socket.destroy(); return; }
  const headers = body ? { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } : {};
  // With createConnection node uses no agent, so it needs the port to leave it out of Host.
  const q = https.request({ host, port: 443, path, method, headers,
      createConnection: () => tls.connect({ socket, servername: host }) }, (r) => {
    let data = ''; r.on('data', (d) => data += d);
    r.on('end', () => console.log(JSON.stringify({ status: r.statusCode, body: data })));
  });
  q.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); });
  if (body) q.write(body);
  q.end();
});
c.on('error', (e) => console.log(JSON.stringify({ error: e.message })));
c.end();
";

fn node(bottle: &Bottle, method: &str, host: &str, path: &str, body: &str) -> Value {
    let spec = engine::ExecSpec::new(["node", "-e", NODE_THROUGH_PROXY, method, host, path, body]);
    let out = bottle.h.engine.exec(&bottle.agent(), &spec).unwrap();
    assert_eq!(out.status, 0, "node failed: {}", out.stderr);
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|_| panic!("node printed {:?}", out.stdout))
}

/// `curl` in the agent; returns (exit status, "<http code>|<body>").
fn curl(bottle: &Bottle, args: &str) -> (i32, String) {
    let out = bottle.agent_sh(&format!("curl -sS -m 20 -o /tmp/body -w '%{{http_code}}|' {args}; rc=$?; cat /tmp/body 2>/dev/null; exit $rc"));
    (out.status, out.stdout)
}

#[test]
fn traffic_through_a_launched_bottle() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "egress");
    secrets_in_intercepted_bodies_are_refused(&bottle);
    clean_traffic_reaches_the_upstream(&bottle);
    nothing_else_gets_out(&h, &bottle);
    the_ca_key_stays_in_the_sidecar(&h, &bottle);
    forwarded_env_and_workspace(&h, &bottle);
}

#[test]
fn an_internal_host_is_reached_when_the_manifest_names_it() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch_with(
        &h,
        "internal",
        &format!("internal_hosts = [\"{PRIVATE_ALIAS}\"]\n"),
    );
    let plan = h
        .bot_bottle(&bottle.ws)
        .args(["start", "--dry-run", "--json", "bottle.toml"])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(
        plan["egress"]["internal_hosts"],
        serde_json::json!([PRIVATE_ALIAS])
    );
    assert_eq!(
        plan["proxy"]["config"]["trusted_domains"],
        serde_json::json!([PRIVATE_ALIAS])
    );
    for url in [
        format!("http://{PRIVATE_ALIAS}/hello"),
        format!("https://{PRIVATE_ALIAS}/hello"),
    ] {
        let (rc, got) = curl(&bottle, &url);
        assert_eq!(
            (rc, got.as_str()),
            (0, format!("200|{HELLO}").as_str()),
            "{url}"
        );
    }
    // Only by name: the same address as an IP literal is still refused.
    let upstream = h
        .engine
        .inspect_container(&bottle.upstream)
        .unwrap()
        .unwrap();
    let ip = upstream.networks[&bottle.egress_network()]
        .ip
        .clone()
        .unwrap();
    let (_, got) = curl(&bottle, &format!("http://{ip}/hello"));
    assert!(got.starts_with("403|blocked: "), "{got}");
    // DLP still holds on it.
    let (_, got) = curl(
        &bottle,
        &format!("-X POST --data 'token={GITHUB_TOKEN}' https://{PRIVATE_ALIAS}/echo"),
    );
    assert_eq!(got, format!("403|{BLOCKED_BODY}"));
}

fn secrets_in_intercepted_bodies_are_refused(bottle: &Bottle) {
    // 1. A credential in an intercepted HTTPS body is refused by pipelock, from curl and node.
    let (_, got) = curl(
        bottle,
        &format!("-X POST --data 'token={GITHUB_TOKEN}' https://upstream.bottle.test/echo"),
    );
    assert_eq!(got, format!("403|{BLOCKED_BODY}"), "curl POST with a token");
    let got = node(
        bottle,
        "POST",
        "upstream.bottle.test",
        "/echo",
        &format!("token={GITHUB_TOKEN}"),
    );
    assert_eq!(got["status"], 403, "node POST with a token: {got}");
    // node sends text/plain, which pipelock scans whole, so `token=` is named as well (curl's
    // form body is scanned field by field).
    assert_eq!(
        got["body"],
        "blocked: request body contains secret: GitHub Token, Credential in URL\n"
    );
    let events = bottle.proxy_events();
    let has = |event: &str, scanner: &str| {
        events
            .iter()
            .any(|e| e["event"] == event && e["scanner"] == scanner)
    };
    assert!(
        has("anomaly", "tls_intercept"),
        "no tls_intercept event in {events:?}"
    );
    assert!(
        has("blocked", "body_dlp"),
        "no body_dlp block in {events:?}"
    );
    // The same events, as a user reads them.
    let logs = bottle
        .h
        .bot_bottle(&bottle.ws)
        .args(["logs", &bottle.slug])
        .output()
        .unwrap();
    assert!(
        logs.status.success(),
        "{}",
        String::from_utf8_lossy(&logs.stderr)
    );
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("blocked") && l.contains("body_dlp")),
        "bot-bottle logs: {text}"
    );
}

fn clean_traffic_reaches_the_upstream(bottle: &Bottle) {
    // 2. Clean HTTPS to an allowed host returns the upstream's content, trusted, from both.
    let (rc, got) = curl(bottle, "https://upstream.bottle.test/hello");
    assert_eq!(
        (rc, got.as_str()),
        (0, format!("200|{HELLO}").as_str()),
        "curl GET"
    );
    let (rc, got) = curl(bottle, "https://raw.githubusercontent.com/hello");
    assert_eq!(
        (rc, got.as_str()),
        (0, format!("200|{HELLO}").as_str()),
        "curl GET to a built-in host"
    );
    let got = node(bottle, "GET", "upstream.bottle.test", "/hello", "");
    assert_eq!(
        (got["status"].as_i64(), got["body"].as_str()),
        (Some(200), Some(HELLO)),
        "node GET: {got}"
    );
    let issuer = bottle
        .agent_sh(
            "curl -sv -o /dev/null https://upstream.bottle.test/hello 2>&1 | grep -i 'issuer:'",
        )
        .stdout;
    assert!(
        issuer.contains(&format!("bot-bottle {} egress CA", bottle.slug)),
        "intercepted leaf issuer: {issuer}"
    );
    let (_, echoed) = curl(
        bottle,
        "-X POST --data 'just words' https://upstream.bottle.test/echo",
    );
    assert_eq!(echoed, "200|just words", "a clean POST passes");
}

fn nothing_else_gets_out(h: &Harness, bottle: &Bottle) {
    // 3. Hosts off the allowlist are refused; nothing bypasses the proxy; passthrough splices.
    let out = bottle.agent_sh(
        "curl -sS -m 20 -o /dev/null -w '%{http_connect}' https://denied.bottle.test/hello",
    );
    assert_ne!(out.status, 0);
    assert_eq!(
        out.stdout, "403",
        "CONNECT to a host off the allowlist: {}",
        out.stderr
    );
    let (_, got) = curl(bottle, "http://denied.bottle.test/hello");
    assert_eq!(
        got,
        "403|blocked: domain not in allowlist: denied.bottle.test\n"
    );
    private_addresses_are_refused_by_the_proxy(bottle);
    let upstream = h
        .engine
        .inspect_container(&bottle.upstream)
        .unwrap()
        .unwrap();
    for network in [bottle.internet(), &bottle.egress_network()] {
        let ip = upstream.networks[network]
            .ip
            .clone()
            .expect("the upstream has an address");
        let direct = bottle.agent_sh(&format!("curl -sS -m 5 --noproxy '*' http://{ip}/hello"));
        assert_ne!(
            direct.status, 0,
            "the agent reached the upstream at {ip} without the proxy: {}",
            direct.stdout
        );
    }
    let direct = bottle.agent_sh("curl -sS -m 5 --noproxy '*' https://upstream.bottle.test/hello");
    assert_ne!(
        direct.status, 0,
        "the agent resolved and reached a host without the proxy"
    );
    let spliced =
        bottle.agent_sh("curl -sS -m 20 -o /dev/null https://passthrough.bottle.test/hello 2>&1");
    assert_ne!(
        spliced.status, 0,
        "the agent must not trust the upstream's own CA: {}",
        spliced.stdout
    );
    assert!(
        spliced.stdout.contains("SSL certificate problem"),
        "{}",
        spliced.stdout
    );
    let spliced = bottle.agent_sh(
        "curl -skv -m 20 -o /dev/null https://passthrough.bottle.test/hello 2>&1 | grep -i 'issuer:'",
    );
    assert!(
        spliced.stdout.contains("bot-bottle testbed CA"),
        "passthrough shows the upstream's own cert: {}",
        spliced.stdout
    );
    let (rc, got) = curl(bottle, "-k https://passthrough.bottle.test/hello");
    assert_eq!(
        (rc, got.as_str()),
        (0, format!("200|{HELLO}").as_str()),
        "passthrough reaches the upstream"
    );
    let events = bottle.proxy_events();
    assert!(
        !events.iter().any(|e| e["scanner"] == "tls_intercept"
            && e["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("passthrough."))),
        "a passthrough host was intercepted: {events:?}"
    );
}

/// An allowed name that resolves to a private address (here the upstream's address on the
/// bottle's own egress network) is refused by pipelock's SSRF guard, over CONNECT and plain
/// HTTP, and the upstream never sees the request.
fn private_addresses_are_refused_by_the_proxy(bottle: &Bottle) {
    let out = bottle.agent_sh(&format!(
        "curl -sS -m 20 -o /dev/null -w '%{{http_connect}}' https://{PRIVATE_ALIAS}/hello"
    ));
    assert_ne!(out.status, 0);
    assert_eq!(
        out.stdout, "403",
        "CONNECT to a private address: {}",
        out.stderr
    );
    let (_, got) = curl(bottle, &format!("http://{PRIVATE_ALIAS}/hello"));
    let refused = format!("403|blocked: SSRF blocked: {PRIVATE_ALIAS} resolves to internal IP ");
    assert!(
        got.starts_with(&refused),
        "plain HTTP to a private address: {got}"
    );
    let events = bottle.proxy_events();
    assert!(
        events.iter().any(|e| e["event"] == "blocked"
            && e["scanner"] == "ssrf"
            && e["target"]
                .as_str()
                .is_some_and(|t| t.starts_with(PRIVATE_ALIAS))),
        "no ssrf block of the CONNECT in {events:?}"
    );
    let reached: Vec<Value> = bottle
        .upstream_requests()
        .into_iter()
        .filter(|r| {
            r["host"]
                .as_str()
                .is_some_and(|h| h.starts_with(PRIVATE_ALIAS))
        })
        .collect();
    assert!(reached.is_empty(), "the upstream answered {reached:?}");
}

fn the_ca_key_stays_in_the_sidecar(h: &Harness, bottle: &Bottle) {
    // 4. The fingerprint printed is the agent's CA; the CA key is nowhere but the sidecar.
    let stderr = String::from_utf8_lossy(&bottle.start_output.stderr).into_owned();
    let fingerprint = bottle.launch["ca_fingerprint"].as_str().unwrap().to_owned();
    assert!(
        stderr.contains(&format!("bot-bottle: mitm ca fingerprint: {fingerprint}\n")),
        "{stderr}"
    );
    let cert = bottle
        .agent_sh("cat /usr/local/share/ca-certificates/bot-bottle-mitm.crt")
        .stdout;
    assert_eq!(
        fingerprint,
        sha256_of_pem(&cert),
        "printed fingerprint vs the cert in the agent"
    );

    let key = read_from_container(h, &bottle.proxy(), "/etc/pipelock/ca-key.pem");
    assert!(
        key.starts_with("-----BEGIN EC PRIVATE KEY-----\n"),
        "the sidecar holds a SEC1 key"
    );
    let key_line = key.lines().nth(1).unwrap().to_owned();
    let listed = h.files_holding(&bottle.agent(), &key_line);
    assert!(
        listed.is_empty(),
        "the CA key is in the agent's filesystem: {listed:?}"
    );
    let env = bottle.agent_sh("env").stdout;
    assert!(
        !env.contains(&key_line),
        "the CA key is in the agent's environment"
    );
    let printed = format!(
        "{}{stderr}",
        String::from_utf8_lossy(&bottle.start_output.stdout)
    );
    assert!(
        !printed.contains(&key_line),
        "bot-bottle printed the CA key"
    );
    let spooled = scratch_files_holding(&key_line);
    assert!(
        spooled.is_empty(),
        "a copy of the CA key is on the host: {spooled:?}"
    );
    let stage = std::path::PathBuf::from(bottle.launch["stage_dir"].as_str().unwrap());
    for entry in std::fs::read_dir(&stage).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            !text.contains(&key_line),
            "the CA key is in the stage directory"
        );
    }
}

fn forwarded_env_and_workspace(h: &Harness, bottle: &Bottle) {
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&bottle.start_output.stdout),
        String::from_utf8_lossy(&bottle.start_output.stderr)
    );
    // 5. Forwarded variables arrive with their value, which is never printed.
    let forwarded = bottle.agent_sh(&format!("printenv {FORWARDED_ENV}")).stdout;
    assert_eq!(forwarded.trim(), FORWARDED_VALUE);
    assert!(
        !printed.contains(FORWARDED_VALUE),
        "bot-bottle printed a forwarded value"
    );

    // 6. The agent can write the workspace; on rootless podman the files are the user's.
    if h.engine.info().unwrap().rootless {
        let wrote = bottle.agent_sh("touch /workspace/written-by-agent");
        assert_eq!(
            wrote.status, 0,
            "the agent cannot write its workspace: {}",
            wrote.stderr
        );
        let meta = std::fs::metadata(bottle.ws.0.join("written-by-agent")).unwrap();
        let me = std::fs::metadata("/proc/self").unwrap();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (me.uid(), me.gid()),
            "owner of what the agent wrote"
        );
    }
}

fn sha256_of_pem(pem: &str) -> String {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("a PEM cert");
    let digest = Sha256::digest(&parsed.contents);
    format!("sha256:{}", base16ct::lower::encode_string(&digest))
}

/// Reads one file out of a container with `cp CTR:PATH -` (a tar stream), which needs no shell
/// in the image.
fn read_from_container(h: &crate::support::Harness, container: &str, path: &str) -> String {
    let out = std::process::Command::new(h.engine.program().as_str())
        .args(["cp", &format!("{container}:{path}"), "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cp out of {container}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut archive = tar::Archive::new(out.stdout.as_slice());
    let mut entry = archive
        .entries()
        .unwrap()
        .next()
        .expect("one file")
        .unwrap();
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    text
}
