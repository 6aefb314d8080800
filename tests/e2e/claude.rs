//! Claude Code itself in a launched bottle: `claude -p` talks to the Anthropic stand-in on the
//! tests' internet (`contrib/testbed/upstream/anthropic.js`) through the bottle's key holder,
//! which puts the user's API key on its requests in place of the agent's placeholder; the
//! sidecar never sees that traffic, and the agent never holds the key.
//!
//! No switch quiets Claude Code here (no `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC`,
//! `DISABLE_AUTOUPDATER` or the like): a `-p` run of the pinned version sends its settings,
//! feature-flag, bootstrap and telemetry calls to api.anthropic.com as well, and the stand-in
//! answers each at once (404 for those it does not serve), so the session works as it is.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{fingerprint, harness, Bottle, DUMMY_API_KEY};

/// What the stand-in answers every prompt with; `ANSWER` in anthropic.js.
const ANSWER: &str = "Hello from the bot-bottle Anthropic stand-in.";
/// A prompt holding this makes the stand-in refuse streaming, so Claude Code falls back to a
/// plain JSON request; `NO_STREAM` in anthropic.js.
const NO_STREAM: &str = "[stand-in:no-stream]";
const PROMPT: &str = "Say hello to the bottle.";
const API_HOST: &str = "api.anthropic.com";
/// What `claude -p` in a bottle runs under: the test checks it, so `keys.rs` reuses it.
pub const CLAUDE_PROMPT: &str = PROMPT;
pub const CLAUDE_ANSWER: &str = ANSWER;
/// Generous: a run takes about 2 s here, most of it Claude Code's own start-up.
const CLAUDE_LIMIT: Duration = Duration::from_secs(120);

/// `claude -p PROMPT` in the agent, as the agent user in the workspace, cut off by `timeout`
/// inside the container so that a hung session fails the test instead of stalling it.
pub fn claude(bottle: &Bottle, prompt: &str) -> String {
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
    the_key_went_through_the_holder_and_nowhere_else(&h, &bottle);
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
                && r["credentials"] == serde_json::json!([fingerprint(DUMMY_API_KEY)])
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

fn the_key_went_through_the_holder_and_nowhere_else(h: &crate::support::Harness, bottle: &Bottle) {
    // The agent reaches the API past the sidecar: pipelock saw no tunnel to it, let alone
    // the key.
    let to_api = bottle.proxy_events_naming(API_HOST);
    assert!(to_api.is_empty(), "the sidecar saw {API_HOST}: {to_api:#?}");
    // The key: in no log of the bottle's, nor in what bot-bottle printed at launch.
    for container in [bottle.proxy(), bottle.key_holder()] {
        let log = h.engine.logs(&container).unwrap();
        assert!(
            !log.stdout.contains(DUMMY_API_KEY) && !log.stderr.contains(DUMMY_API_KEY),
            "the API key is in the log of {container}"
        );
    }
    let printed = [&bottle.start_output.stdout, &bottle.start_output.stderr]
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .concat();
    assert!(
        !printed.contains(DUMMY_API_KEY),
        "bot-bottle printed the API key"
    );
}
