//! End-to-end tests of the double: the built binary on loopback, real TLS on both sides.

mod support;

use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

fn config_file(dir: &TempDir, value: &serde_json::Value) -> std::path::PathBuf {
    dir.write("pipelock.yaml", &value.to_string())
}

#[test]
fn forward_proxy_off_answers_405_and_health_answers_200() {
    let double = Double::start(None, &[]);
    let r = raw(
        double.addr,
        "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n",
    );
    assert_eq!(status(&r), 405, "{r}");
    assert_eq!(body(&r), "CONNECT not supported\n");
    assert!(r.contains("Content-Type: text/plain; charset=utf-8"), "{r}");
    let r = raw(
        double.addr,
        "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
    );
    assert_eq!(status(&r), 405, "{r}");
    assert_eq!(body(&r), "forward proxy not enabled\n");
    let r = raw(double.addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status(&r), 200, "{r}");
    double.wait_event(&[("event", "startup"), ("component", "pipelock")]);

    let ok = Command::new(BIN)
        .args(["healthcheck", "--addr", &double.addr.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn strict_allowlist_blocks_connect_and_plain_http() {
    let dir = TempDir::new("strict");
    let cfg = config_file(
        &dir,
        &json!({
            "version": 1,
            "mode": "strict",
            "api_allowlist": ["*.allowed.test"],
            "forward_proxy": {"enabled": true},
        }),
    );
    let double = Double::start(Some(&cfg), &[]);
    let refused = connect(double.addr, "other.test:443").unwrap_err();
    assert_eq!(status(&refused), 403, "{refused}");
    assert_eq!(
        body(&refused),
        "CONNECT blocked: domain not in allowlist: other.test\n"
    );
    let r = raw(
        double.addr,
        "GET http://other.test/x HTTP/1.1\r\nHost: other.test\r\n\r\n",
    );
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(body(&r), "blocked: domain not in allowlist: other.test\n");
    let event = double.wait_event(&[("event", "blocked"), ("target", "other.test:443")]);
    assert_eq!(event["scanner"], "allowlist");
    assert!(event["request_id"].is_string() && event["client_ip"] == "127.0.0.1");
}

#[test]
fn the_blocklist_refuses_an_allowed_host_in_strict_and_audit_mode() {
    for mode in ["strict", "audit"] {
        let dir = TempDir::new("blocklist");
        let cfg = config_file(
            &dir,
            &json!({
                "mode": mode,
                "api_allowlist": ["*.allowed.test"],
                "fetch_proxy": {"monitoring": {"blocklist": ["key.allowed.test"]}},
                "forward_proxy": {"enabled": true},
            }),
        );
        let double = Double::start(Some(&cfg), &[]);
        let refused = connect(double.addr, "key.allowed.test:443").unwrap_err();
        assert_eq!(status(&refused), 403, "{mode}: {refused}");
        assert_eq!(
            body(&refused),
            "CONNECT blocked: domain blocked: key.allowed.test matches key.allowed.test\n",
            "{mode}"
        );
        let event = double.wait_event(&[("event", "blocked"), ("target", "key.allowed.test:443")]);
        assert_eq!(event["scanner"], "blocklist");
    }
}

#[test]
fn plain_http_is_forwarded_and_body_dlp_blocks() {
    let upstream = Upstream::plain();
    let dir = TempDir::new("plain");
    let cfg = config_file(
        &dir,
        &json!({
            "mode": "strict",
            "api_allowlist": ["plain.test"],
            "forward_proxy": {"enabled": true},
            "ssrf": {"ip_allowlist": ["127.0.0.1/32"]},
            "request_body_scanning": {"enabled": true, "action": "block", "scan_headers": true},
            "logging": {"format": "json", "output": "stdout", "include_allowed": true, "include_blocked": true},
        }),
    );
    let double = Double::start(
        Some(&cfg),
        &[("PIPELOCK_DOUBLE_HOSTS", "plain.test=127.0.0.1")],
    );
    let port = upstream.addr.port();
    let r = raw(
        double.addr,
        &format!(
            "GET http://plain.test:{port}/hello?q=1 HTTP/1.1\r\nHost: plain.test:{port}\r\n\r\n"
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(
        body(&r).starts_with("upstream saw GET /hello?q=1 HTTP/1.1"),
        "{r}"
    );
    let event = double.wait_event(&[("event", "forward_http")]);
    assert_eq!(event["status_code"], 200);

    let secret = format!("token=ghp_{}", "A1b2C3d4".repeat(5));
    let r = raw(
        double.addr,
        &format!(
            "POST http://plain.test:{port}/up HTTP/1.1\r\nHost: plain.test:{port}\r\nContent-Length: {}\r\n\r\n{secret}",
            secret.len()
        ),
    );
    assert_eq!(status(&r), 403, "{r}");
    // No content type: the raw text is scanned, and `token=` is a credential pattern too.
    assert_eq!(
        body(&r),
        "blocked: request body contains secret: GitHub Token, Credential in URL\n"
    );
    let event = double.wait_event(&[("event", "body_dlp"), ("scanner", "body_dlp")]);
    assert_eq!(event["method"], "POST");

    // Header DLP answers before reading the body; the unread body must not reset the answer.
    let big = "x".repeat(2 * 1024 * 1024);
    let r = raw(
        double.addr,
        &format!(
            "POST http://plain.test:{port}/up HTTP/1.1\r\nHost: plain.test:{port}\r\nX-Api-Key: sk-ant-api03-{}\r\nContent-Length: {}\r\n\r\n{big}",
            "k".repeat(40),
            big.len()
        ),
    );
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(body(&r), "blocked: request header contains secret\n");
    double.wait_event(&[("event", "header_dlp")]);
}

/// Everything needed for the interception tests: the double's CA, an upstream with its own
/// test CA (trusted by the double through `SSL_CERT_FILE`), and the double itself.
struct Intercepting {
    _dir: TempDir,
    _upstream: Upstream,
    pki: TestPki,
    proxy_ca: String,
    double: Double,
    port: u16,
}

fn intercepting(extra: &serde_json::Value) -> Intercepting {
    let dir = TempDir::new("mitm");
    tls_init(&dir.path("ca"));
    let pki = TestPki::new(&["api.upstream.test", "api.pass.test"]);
    let roots = dir.write("upstream-ca.pem", &pki.ca_pem);
    let upstream = Upstream::tls(&pki);
    let mut cfg = json!({
        "version": 1,
        "mode": "strict",
        "enforce": true,
        "api_allowlist": ["*.upstream.test", "*.pass.test"],
        "fetch_proxy": {"listen": "127.0.0.1:8888", "monitoring": {"max_requests_per_minute": 600}},
        "forward_proxy": {"enabled": true, "max_tunnel_seconds": 300, "idle_timeout_seconds": 120, "sni_verification": true},
        "dlp": {"include_defaults": true, "scan_env": true},
        "request_body_scanning": {"enabled": true, "action": "block", "max_body_bytes": 5_242_880, "scan_headers": true},
        "tls_interception": {
            "enabled": true,
            "ca_cert": "ca/ca.pem",
            "ca_key": "ca/ca-key.pem",
            "passthrough_domains": ["*.pass.test"],
            "cert_ttl": "24h",
            "cert_cache_size": 100,
            "max_response_bytes": 5_242_880,
        },
        "logging": {"format": "json", "output": "stdout", "include_allowed": true, "include_blocked": true},
        "internal": ["10.0.0.0/8", "127.0.0.0/8"],
        // The test upstream is on loopback, which the SSRF guard refuses unless told.
        "ssrf": {"ip_allowlist": ["127.0.0.1/32"]},
    });
    merge(&mut cfg, extra);
    let cfg_path = config_file(&dir, &cfg);
    let double = Double::start(
        Some(&cfg_path),
        &[
            ("SSL_CERT_FILE", roots.to_str().unwrap()),
            (
                "PIPELOCK_DOUBLE_HOSTS",
                "api.upstream.test=127.0.0.1,api.pass.test=127.0.0.1",
            ),
        ],
    );
    let proxy_ca = std::fs::read_to_string(dir.path("ca/ca.pem")).unwrap();
    let port = upstream.addr.port();
    Intercepting {
        _dir: dir,
        _upstream: upstream,
        pki,
        proxy_ca,
        double,
        port,
    }
}

fn merge(base: &mut serde_json::Value, extra: &serde_json::Value) {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            match base.get_mut(k) {
                Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                _ => {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

#[test]
fn intercepted_request_reaches_the_upstream_and_events_are_logged() {
    let t = intercepting(&json!({}));
    let host = "api.upstream.test";
    let tunnel = connect(t.double.addr, &format!("{host}:{}", t.port)).unwrap();
    let mut tls = tls_client(tunnel, host, roots(&t.proxy_ca));
    let r = exchange(
        &mut tls,
        &format!("GET /v1/ok HTTP/1.1\r\nHost: {host}:{}\r\n\r\n", t.port),
    )
    .unwrap();
    assert_eq!(status(&r), 200, "{r}");
    assert!(
        body(&r).starts_with("upstream saw GET /v1/ok HTTP/1.1"),
        "{r}"
    );
    // The leaf was minted by the double's CA for this host.
    let leaf = tls.conn.peer_certificates().unwrap()[0].clone();
    assert_ne!(leaf, t.pki.leaf_der);

    let anomaly = t
        .double
        .wait_event(&[("event", "anomaly"), ("scanner", "tls_intercept")]);
    assert_eq!(anomaly["reason"], "TLS MITM interception active");
    t.double.wait_event(&[("event", "tunnel_open")]);
    let close = t.double.wait_event(&[("event", "tunnel_close")]);
    assert!(close["total_bytes"].as_u64().unwrap() > 0);
    assert!(close["duration_ms"].is_u64());
    assert!(
        !t.double.events().iter().any(|e| e["event"] == "allowed"),
        "pipelock logs no event for an intercepted request it lets through"
    );
}

#[test]
fn intercepted_body_dlp_and_authority_mismatch_are_blocked() {
    let t = intercepting(&json!({}));
    let host = "api.upstream.test";
    let authority = format!("{host}:{}", t.port);

    let tunnel = connect(t.double.addr, &authority).unwrap();
    let mut tls = tls_client(tunnel, host, roots(&t.proxy_ca));
    let secret = r#"{"k":"AKIAIOSFODNN7EXAMPLE"}"#;
    let r = exchange(
        &mut tls,
        &format!(
            "POST /v1/up HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{secret}",
            secret.len()
        ),
    )
    .unwrap();
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(
        body(&r),
        "blocked: request body contains secret: AWS Access ID\n"
    );
    let event = t
        .double
        .wait_event(&[("event", "blocked"), ("scanner", "body_dlp")]);
    assert_eq!(event["method"], "POST");

    let tunnel = connect(t.double.addr, &authority).unwrap();
    let mut tls = tls_client(tunnel, host, roots(&t.proxy_ca));
    let r = exchange(
        &mut tls,
        "GET / HTTP/1.1\r\nHost: elsewhere.upstream.test\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(body(&r), "authority mismatch: blocked\n");

    // The port counts too: a Host without one means 443, not the CONNECT target's port.
    let tunnel = connect(t.double.addr, &authority).unwrap();
    let mut tls = tls_client(tunnel, host, roots(&t.proxy_ca));
    let r = exchange(&mut tls, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n")).unwrap();
    assert_eq!(status(&r), 403, "{r}");
    let reason = format!("authority mismatch: {host} vs {authority}");
    t.double.wait_event(&[
        ("event", "blocked"),
        ("scanner", "tls_authority_mismatch"),
        ("reason", &reason),
    ]);
}

#[test]
fn sni_other_than_the_connect_host_is_refused() {
    let t = intercepting(&json!({}));
    let tunnel = connect(t.double.addr, &format!("api.upstream.test:{}", t.port)).unwrap();
    let mut tls = tls_client(tunnel, "other.upstream.test", roots(&t.proxy_ca));
    assert!(exchange(&mut tls, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").is_err());
    t.double.wait_event(&[("event", "sni_mismatch")]);
}

#[test]
fn passthrough_hosts_see_the_upstream_certificate() {
    let t = intercepting(&json!({}));
    let host = "api.pass.test";
    let tunnel = connect(t.double.addr, &format!("{host}:{}", t.port)).unwrap();
    // Trust only the upstream's CA: the handshake succeeds only if bytes are spliced.
    let mut tls = tls_client(tunnel, host, roots(&t.pki.ca_pem));
    let r = exchange(
        &mut tls,
        &format!("GET /p HTTP/1.1\r\nHost: {host}\r\n\r\n"),
    )
    .unwrap();
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(tls.conn.peer_certificates().unwrap()[0], t.pki.leaf_der);
    // The tunnel closes once both sides are done.
    drop(tls);
    t.double.wait_event(&[("event", "tunnel_close")]);
}

#[test]
fn tunnels_are_cut_after_max_tunnel_seconds() {
    let t = intercepting(&json!({"forward_proxy": {"max_tunnel_seconds": 1}}));
    let mut tunnel = connect(t.double.addr, &format!("api.pass.test:{}", t.port)).unwrap();
    let started = Instant::now();
    // Send nothing: the upstream waits for a ClientHello, the double must cut the tunnel.
    let mut buf = [0u8; 64];
    let n = tunnel.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "{took:?}"
    );
}

fn check(cfg: &std::path::Path) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("check")
        .arg("-c")
        .arg(cfg)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn strict_config_errors_fail_check_and_run() {
    let dir = TempDir::new("check");
    tls_init(&dir.path("ca"));
    let tls = json!({"enabled": true, "ca_cert": "ca/ca.pem", "ca_key": "ca/ca-key.pem"});
    let good = json!({"forward_proxy": {"enabled": true}, "tls_interception": tls});
    let (ok, err) = check(&config_file(&dir, &good));
    assert!(ok, "{err}");

    let cases = [
        (json!({"bogus": true}), "unknown field `bogus`"),
        (
            json!({"forward_proxy": {"enable": true}}),
            "unknown field `enable`",
        ),
        (
            json!({"tls_interception": {"enabled": true, "ca_cert": "ca/missing.pem", "ca_key": "ca/ca-key.pem"}}),
            "CA cert not found",
        ),
        (
            json!({"mode": "strict", "api_allowlist": []}),
            "api_allowlist",
        ),
        (
            json!({"fetch_proxy": {"monitoring": {"blocklist": [""]}}}),
            "empty blocklist entry",
        ),
    ];
    for (cfg, want) in cases {
        let (ok, err) = check(&config_file(&dir, &cfg));
        assert!(!ok && err.contains(want), "{cfg}: {err}");
    }

    // Key mode 0644 is too permissive; 0640 is fine.
    chmod(&dir.path("ca/ca-key.pem"), 0o644);
    let (ok, err) = check(&config_file(&dir, &good));
    assert!(!ok && err.contains("too permissive"), "{err}");
    chmod(&dir.path("ca/ca-key.pem"), 0o640);
    assert!(check(&config_file(&dir, &good)).0);

    // A PKCS#8 key (what openssl genpkey and rcgen write) is refused, like Go's ParseECPrivateKey.
    let key = rcgen::KeyPair::generate().unwrap();
    dir.write("ca/ca-key.pem", &key.serialize_pem());
    chmod(&dir.path("ca/ca-key.pem"), 0o600);
    let (ok, err) = check(&config_file(&dir, &good));
    assert!(!ok && err.contains("ParsePKCS8PrivateKey"), "{err}");

    // `run` exits 1 with the message on stderr.
    let out = Command::new(BIN)
        .args(["run", "--config"])
        .arg(config_file(&dir, &json!({"bogus": 1})))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field"));
}

#[test]
fn version_and_show_ca() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pipelock 2.3.0"));
    let dir = TempDir::new("show");
    tls_init(dir.0.path());
    let out = Command::new(BIN)
        .args(["tls", "show-ca", "--cert"])
        .arg(dir.path("ca.pem"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn config_reloads_on_file_change_and_sighup_and_refuses_a_downgrade() {
    let upstream = Upstream::plain();
    let port = upstream.addr.port();
    let dir = TempDir::new("reload");
    let config = |mode: &str, allow: &[&str]| {
        json!({
            "mode": mode,
            "api_allowlist": allow,
            "forward_proxy": {"enabled": true},
            "dlp": {"scan_env": true},
            "request_body_scanning": {"enabled": true},
            // The upstream is on loopback, which pipelock's SSRF guard refuses otherwise.
            "ssrf": {"ip_allowlist": ["127.0.0.0/8"]},
        })
        .to_string()
    };
    let cfg = dir.write("pipelock.yaml", &config("strict", &["a.test"]));
    let hosts = "a.test=127.0.0.1,b.test=127.0.0.1,c.test=127.0.0.1";
    let double = Double::start(Some(&cfg), &[("PIPELOCK_DOUBLE_HOSTS", hosts)]);
    let startup = double.wait_event(&[("event", "startup")]);
    assert_eq!(startup["config_hash"].as_str().map(str::len), Some(64));
    let status_of = |host: &str| match connect(double.addr, &format!("{host}:{port}")) {
        Ok(_) => 200,
        Err(refused) => status(&refused),
    };
    assert_eq!(status_of("b.test"), 403);

    // 1. A change of the file alone: reloaded, with pipelock's event.
    std::fs::write(&cfg, config("strict", &["a.test", "b.test"])).unwrap();
    let reloads = double.wait_events(&[("event", "config_reload")], 1);
    assert_eq!(reloads[0]["status"], "success");
    assert_eq!(reloads[0]["detail"], "mode=strict");
    assert_eq!(reloads[0]["message"], "configuration reloaded");
    assert_ne!(reloads[0]["config_hash"], startup["config_hash"]);
    assert_eq!(status_of("b.test"), 200, "b.test after it was allowed");

    // 2. SIGHUP alone: a file rewritten in place with the same size and time, which the
    // watcher cannot tell from the old one, is read again.
    let before = std::fs::metadata(&cfg).unwrap().modified().unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&cfg).unwrap();
    std::io::Write::write_all(
        &mut &file,
        config("strict", &["a.test", "c.test"]).as_bytes(),
    )
    .unwrap();
    file.set_modified(before).unwrap();
    drop(file);
    double.hup();
    let reloads = double.wait_events(&[("event", "config_reload")], 2);
    assert_ne!(reloads[1]["config_hash"], reloads[0]["config_hash"]);
    assert_eq!(status_of("c.test"), 200, "c.test after SIGHUP");
    assert_eq!(status_of("b.test"), 403, "b.test after it was removed");

    // 3. Leaving strict mode is a downgrade: refused (pipelock logs it twice), old config kept.
    std::fs::write(&cfg, config("audit", &["a.test"])).unwrap();
    let refused = double.wait_events(&[("event", "error"), ("method", "CONFIG_RELOAD")], 2);
    assert_eq!(
        refused[0]["error"],
        "rejected: security downgrade from strict mode"
    );
    assert_eq!(refused[0]["resource"], cfg.display().to_string());
    assert_eq!(status_of("b.test"), 403, "still strict");
    let reloads = double
        .events()
        .into_iter()
        .filter(|e| e["event"] == "config_reload")
        .count();
    assert_eq!(reloads, 2);
    // Request ids go on counting across reloads: one per CONNECT.
    let ids: Vec<String> = double
        .events()
        .iter()
        .filter(|e| e["event"] == "tunnel_open" || e["event"] == "blocked")
        .filter_map(|e| e["request_id"].as_str().map(str::to_owned))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
}

#[test]
fn private_destinations_are_refused_after_resolution() {
    // No exemption for loopback: the allowed name resolves to 127.0.0.1.
    let t = intercepting(&json!({"ssrf": {"ip_allowlist": []}}));
    let authority = format!("api.upstream.test:{}", t.port);
    let refused = connect(t.double.addr, &authority).unwrap_err();
    assert_eq!(status(&refused), 403, "{refused}");
    assert_eq!(
        body(&refused),
        "CONNECT blocked: SSRF blocked: api.upstream.test resolves to internal IP 127.0.0.1\n"
    );
    let event = t
        .double
        .wait_event(&[("event", "blocked"), ("scanner", "ssrf")]);
    assert_eq!(event["target"], authority.as_str());
    let r = raw(
        t.double.addr,
        &format!("GET http://{authority}/x HTTP/1.1\r\nHost: {authority}\r\n\r\n"),
    );
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(
        body(&r),
        "blocked: SSRF blocked: api.upstream.test resolves to internal IP 127.0.0.1\n"
    );

    // A trusted name may resolve to a private address.
    let t = intercepting(&json!({
        "ssrf": {"ip_allowlist": []},
        "trusted_domains": ["*.upstream.test"],
    }));
    connect(t.double.addr, &format!("api.upstream.test:{}", t.port)).unwrap();
}

#[test]
fn requests_past_the_rate_limit_get_429() {
    // The CONNECT and the request inside it count one each.
    let t = intercepting(&json!({"fetch_proxy": {"monitoring": {"max_requests_per_minute": 3}}}));
    let host = "api.upstream.test";
    let authority = format!("{host}:{}", t.port);
    let get = format!("GET /r HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    let mut tls = tls_client(
        connect(t.double.addr, &authority).unwrap(),
        host,
        roots(&t.proxy_ca),
    );
    assert_eq!(status(&exchange(&mut tls, &get).unwrap()), 200);
    let mut tls = tls_client(
        connect(t.double.addr, &authority).unwrap(),
        host,
        roots(&t.proxy_ca),
    );
    let r = exchange(&mut tls, &get).unwrap();
    assert_eq!(status(&r), 429, "{r}");
    assert_eq!(
        body(&r),
        "blocked: rate limit exceeded for api.upstream.test\n"
    );
    let refused = connect(t.double.addr, &authority).unwrap_err();
    assert_eq!(status(&refused), 429, "{refused}");
    assert_eq!(
        body(&refused),
        "CONNECT blocked: rate limit exceeded for api.upstream.test\n"
    );
    t.double
        .wait_event(&[("event", "blocked"), ("scanner", "ratelimit")]);
}

#[test]
fn size_limits_fail_closed() {
    let t = intercepting(&json!({
        "request_body_scanning": {"max_body_bytes": 16},
        "tls_interception": {"max_response_bytes": 20},
    }));
    let host = "api.upstream.test";
    let authority = format!("{host}:{}", t.port);
    let open = || {
        tls_client(
            connect(t.double.addr, &authority).unwrap(),
            host,
            roots(&t.proxy_ca),
        )
    };
    // The upstream's answer ("upstream saw GET …") is longer than 20 bytes.
    let r = exchange(
        &mut open(),
        &format!("GET /big HTTP/1.1\r\nHost: {authority}\r\n\r\n"),
    )
    .unwrap();
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(body(&r), "blocked: response too large for scanning\n");
    t.double
        .wait_event(&[("event", "blocked"), ("scanner", "tls_response_blocked")]);
    let body_text = "x".repeat(17);
    let r = exchange(
        &mut open(),
        &format!("POST /up HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 17\r\n\r\n{body_text}"),
    )
    .unwrap();
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(
        body(&r),
        "blocked: request body exceeds max_body_bytes (16)\n"
    );
}

/// Pipelock serves `/stats` and `/metrics` next to `/health` on the proxy's own listener, to
/// whoever reaches it, unless `metrics_listen` moves them to a listener of their own.
#[test]
fn metrics_and_stats_are_served_where_pipelock_serves_them() {
    let get = |addr, path: &str| raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
    let on_proxy = Double::start(None, &[]);
    let stats = get(on_proxy.addr, "/stats");
    assert_eq!(status(&stats), 200, "{stats}");
    let stats: serde_json::Value = serde_json::from_str(body(&stats)).unwrap();
    assert!(stats["requests"]["total"].is_u64(), "{stats}");
    let metrics = get(on_proxy.addr, "/metrics");
    assert_eq!(status(&metrics), 200, "{metrics}");
    assert!(
        body(&metrics).contains("pipelock_requests_total"),
        "{metrics}"
    );

    let dir = TempDir::new("metrics-listen");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let cfg = config_file(&dir, &json!({"metrics_listen": metrics_addr.to_string()}));
    let apart = Double::start(Some(&cfg), &[]);
    for path in ["/stats", "/metrics"] {
        let r = get(apart.addr, path);
        assert_eq!(status(&r), 404, "{path} on the proxy's listener: {r}");
        assert_eq!(body(&r), "404 page not found\n");
        let r = get(metrics_addr, path);
        assert_eq!(status(&r), 200, "{path} on metrics_listen: {r}");
    }
    let r = get(metrics_addr, "/health");
    assert_eq!(status(&r), 404, "{r}");
    let r = get(apart.addr, "/health");
    assert_eq!(status(&r), 200, "{r}");

    let clash = config_file(
        &dir,
        &json!({"metrics_listen": "127.0.0.1:8888", "fetch_proxy": {"listen": "0.0.0.0:8888"}}),
    );
    let out = Command::new(BIN)
        .args(["check", "--config"])
        .arg(&clash)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("collides with fetch_proxy.listen port 8888"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The flight record the double writes in pipelock's format: bot-bottle's verifier finds its
/// chain whole and each checkpoint signed by the key the config names, the last one written
/// at SIGTERM; a changed byte breaks it.
#[test]
fn the_flight_record_verifies_with_bot_bottle_s_verifier() {
    use bot_bottle::record::{flight, key};
    use std::os::unix::fs::PermissionsExt as _;

    let dir = TempDir::new("recorder");
    let signer = key::generate().unwrap();
    let key_file = dir.write("recorder-key", &flight::pipelock_private_key(&signer));
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let record_dir = dir.path("flight");
    let cfg = config_file(
        &dir,
        &json!({
            "mode": "strict",
            "api_allowlist": ["allowed.test"],
            "forward_proxy": {"enabled": true},
            "flight_recorder": {"enabled": true, "dir": record_dir, "checkpoint_interval": 2,
                "redact": true, "sign_checkpoints": true, "max_entries_per_file": 1_000_000_000,
                "signing_key_path": key_file},
        }),
    );
    let mut double = Double::start(Some(&cfg), &[]);
    for host in ["a.test", "b.test", "c.test"] {
        let refused = connect(double.addr, &format!("{host}:443")).unwrap_err();
        assert_eq!(status(&refused), 403, "{refused}");
    }
    double.wait_events(&[("event", "blocked")], 3);
    assert!(double.terminate().success());
    let text = std::fs::read_to_string(record_dir.join(flight::FILE)).unwrap();
    let entries = flight::parse(&text).unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "action_receipt",
            "action_receipt",
            "checkpoint",
            "action_receipt",
            "checkpoint"
        ]
    );
    assert_eq!(flight::chain_problems(&entries), Vec::<String>::new());
    let checkpoints = flight::checkpoints(&entries).unwrap();
    assert_eq!(
        flight::checkpoint_problems(&checkpoints, &signer.verifying_key()),
        Vec::<String>::new()
    );
    let changed = flight::parse(&text.replacen("b.test", "x.test", 1)).unwrap();
    assert_eq!(flight::chain_problems(&changed).len(), 1);
}
