//! Claude Code itself in a launched bottle: `claude -p` talks to the Anthropic stand-in on the
//! egress network (`contrib/testbed/upstream/anthropic.js`) through the sidecar, which splices
//! api.anthropic.com and never sees the API key.
//!
//! No switch quiets Claude Code here (no `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC`,
//! `DISABLE_AUTOUPDATER` or the like): a `-p` run of the pinned version sends its settings,
//! feature-flag, bootstrap and telemetry calls to api.anthropic.com as well, and the stand-in
//! answers each at once (404 for those it does not serve), so the session works as it is.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{harness, Bottle, DUMMY_API_KEY};

/// What the stand-in answers every prompt with; `ANSWER` in anthropic.js.
const ANSWER: &str = "Hello from the bot-bottle Anthropic stand-in.";
/// A prompt holding this makes the stand-in refuse streaming, so Claude Code falls back to a
/// plain JSON request; `NO_STREAM` in anthropic.js.
const NO_STREAM: &str = "[stand-in:no-stream]";
const PROMPT: &str = "Say hello to the bottle.";
const API_HOST: &str = "api.anthropic.com";
/// Generous: a run takes about 2 s here, most of it Claude Code's own start-up.
const CLAUDE_LIMIT: Duration = Duration::from_secs(120);

/// `claude -p PROMPT` in the agent, as the agent user in the workspace, cut off by `timeout`
/// inside the container so that a hung session fails the test instead of stalling it.
fn claude(bottle: &Bottle, prompt: &str) -> String {
    let limit = CLAUDE_LIMIT.as_secs().to_string();
    let spec = engine::ExecSpec::new(["timeout", limit.as_str(), "claude", "-p", prompt]);
    let started = Instant::now();
    let out = bottle.h.engine.exec(&bottle.agent(), &spec).unwrap();
    eprintln!(
        "claude -p {prompt:?}: exit {} in {:.1?}",
        out.status,
        started.elapsed()
    );
    assert_eq!(
        out.status, 0,
        "claude -p failed (124 is the time limit)\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out.stdout
}

#[test]
fn claude_code_chats_through_a_launched_bottle() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "claude");

    // 1. Streamed (server-sent events), Claude Code's first choice.
    let said = claude(&bottle, PROMPT);
    assert_eq!(said.trim(), ANSWER, "claude -p printed {said:?}");
    // 2. Plain JSON, after the stand-in refuses the stream.
    let no_stream = format!("{PROMPT} {NO_STREAM}");
    let said = claude(&bottle, &no_stream);
    assert_eq!(
        said.trim(),
        ANSWER,
        "claude -p without streaming printed {said:?}"
    );

    the_stand_in_got_both_requests_with_the_key(&bottle, &no_stream);
    the_sidecar_spliced_and_never_saw_the_key(&h, &bottle);
}

fn the_stand_in_got_both_requests_with_the_key(bottle: &Bottle, no_stream: &str) {
    let requests = bottle.upstream_requests();
    let answered = |prompt: &str, stream: bool| {
        requests.iter().any(|r| {
            r["host"] == API_HOST
                && r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/v1/messages"))
                && r["prompt"] == prompt
                && r["stream"] == stream
                && r["status"] == 200
                && r["auth"] == "x-api-key"
        })
    };
    assert!(
        answered(PROMPT, true),
        "no streamed /v1/messages answer for {PROMPT:?}: {requests:#?}"
    );
    assert!(
        answered(no_stream, false),
        "no plain /v1/messages answer for {no_stream:?}: {requests:#?}"
    );
    // Whatever else Claude Code asked for went to the same host: nothing reached the upstream
    // under another name (but the harness's own readiness probe, on localhost).
    let elsewhere: Vec<&Value> = requests
        .iter()
        .filter(|r| r["host"] != API_HOST && r["host"] != "localhost")
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests to other hosts: {elsewhere:#?}"
    );
}

fn the_sidecar_spliced_and_never_saw_the_key(h: &crate::support::Harness, bottle: &Bottle) {
    let events = bottle.proxy_events();
    let to_api = |e: &&Value| {
        e["target"]
            .as_str()
            .is_some_and(|t| t.split(':').next() == Some(API_HOST))
    };
    assert!(
        events
            .iter()
            .filter(to_api)
            .any(|e| e["event"] == "tunnel_open"),
        "no CONNECT tunnel to {API_HOST} in {events:#?}"
    );
    let intercepted: Vec<&Value> = events
        .iter()
        .filter(to_api)
        .filter(|e| e["scanner"] == "tls_intercept")
        .collect();
    assert!(
        intercepted.is_empty(),
        "{API_HOST} is a passthrough host, yet: {intercepted:#?}"
    );
    let blocked: Vec<&Value> = events.iter().filter(|e| e["event"] == "blocked").collect();
    assert!(blocked.is_empty(), "the sidecar blocked: {blocked:#?}");

    // The key: in no event, nor anywhere else in the sidecar's log, nor in what bot-bottle
    // printed at launch.
    let log = h.engine.logs(&bottle.proxy()).unwrap();
    assert!(
        !log.stdout.contains(DUMMY_API_KEY) && !log.stderr.contains(DUMMY_API_KEY),
        "the API key is in the sidecar's log"
    );
    let printed = [&bottle.start_output.stdout, &bottle.start_output.stderr]
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .concat();
    assert!(
        !printed.contains(DUMMY_API_KEY),
        "bot-bottle printed the API key"
    );
}

/// Where Claude Code refreshes its login; spliced by the sidecar like the API.
const TOKEN_HOST: &str = "platform.claude.com";
/// A refresh token shaped like Claude Code's: pipelock's DLP names it "Anthropic API Key".
const REFRESH_TOKEN: &str = "sk-ant-ort01-bbE2eDummyRefreshNotReal000000000000000000-7d2e";

/// A Claude Code login whose access token has expired, as `claude` keeps it in its config
/// directory (the state volume).
fn expired_login() -> String {
    serde_json::json!({
        "claudeAiOauth": {
            "accessToken": "sk-ant-oat01-bbE2eDummyExpiredAccess0000000000000000-1c4b",
            "refreshToken": REFRESH_TOKEN,
            "expiresAt": 1_000_000_000_000_u64,
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "pro"
        }
    })
    .to_string()
}

#[test]
fn claude_code_refreshes_its_login_through_a_launched_bottle() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "oauth");

    // The body that makes the refresh: the same one to an intercepted host is refused, which
    // is why the token endpoint is spliced.
    let body = format!(
        r#"{{"grant_type":"refresh_token","refresh_token":"{REFRESH_TOKEN}","client_id":"bb-e2e"}}"#
    );
    let post = |host: &str| {
        bottle.agent_sh(&format!(
            "curl -sS -m 20 -o /dev/null -w '%{{http_code}}' -H 'content-type: application/json' \
             --data '{body}' https://{host}/v1/oauth/token"
        ))
    };
    let intercepted = post("upstream.bottle.test");
    assert_eq!(intercepted.stdout, "403", "{}", intercepted.stderr);
    let spliced = post(TOKEN_HOST);
    assert_eq!(spliced.stdout, "200", "{}", spliced.stderr);

    // Claude Code itself, logged in with an expired token and no API key: it refreshes at the
    // token endpoint, then talks to the API with the new token.
    let write = engine::ExecSpec::new([
        "sh",
        "-c",
        "umask 077; printf '%s' \"$LOGIN\" > \"$CLAUDE_CONFIG_DIR/.credentials.json\"",
    ]);
    let write = engine::ExecSpec {
        env: vec![engine::EnvVar::new("LOGIN", expired_login())],
        ..write
    };
    let out = h.engine.exec(&bottle.agent(), &write).unwrap();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let limit = CLAUDE_LIMIT.as_secs().to_string();
    let spec = engine::ExecSpec::new([
        "env",
        "-u",
        "ANTHROPIC_API_KEY",
        "timeout",
        limit.as_str(),
        "claude",
        "-p",
        PROMPT,
    ]);
    let out = h.engine.exec(&bottle.agent(), &spec).unwrap();
    assert_eq!(
        (out.status, out.stdout.trim()),
        (0, ANSWER),
        "claude -p with an expired login\nstderr: {}\nupstream: {:#?}",
        out.stderr,
        bottle.upstream_requests()
    );

    let requests = bottle.upstream_requests();
    let refreshes = requests
        .iter()
        .filter(|r| {
            r["host"] == TOKEN_HOST
                && r["path"] == "/v1/oauth/token"
                && r["grant_type"] == "refresh_token"
                && r["refresh_token"] == "present"
                && r["status"] == 200
        })
        .count();
    assert!(
        refreshes >= 2,
        "the curl and Claude Code's refresh: {requests:#?}"
    );
    assert!(
        requests.iter().any(|r| r["host"] == API_HOST
            && r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/v1/messages"))
            && r["auth"] == "authorization"
            && r["status"] == 200),
        "no /v1/messages with the refreshed bearer token: {requests:#?}"
    );
    let events = bottle.proxy_events();
    let to_token_host: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["target"]
                .as_str()
                .is_some_and(|t| t.starts_with(TOKEN_HOST))
        })
        .collect();
    assert!(
        !to_token_host
            .iter()
            .any(|e| e["event"] == "blocked" || e["scanner"] == "tls_intercept"),
        "the token endpoint must be spliced: {to_token_host:#?}"
    );
}
