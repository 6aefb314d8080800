//! The key holder from the attacker's side: the agent holds only a placeholder, no other key
//! reaches the Anthropic API from the bottle, a subscription login is refreshed outside the
//! agent, and a login an earlier bot-bottle left in a state volume leaves it.

use serde_json::{json, Value};

use crate::claude::{claude, CLAUDE_ANSWER, CLAUDE_PROMPT};
use crate::support::{
    fingerprint, harness, unique_name, Bottle, Harness, DUMMY_API_KEY, FORWARDED_ENV,
    FORWARDED_VALUE,
};

/// The hosts the key holder answers for.
const HOSTS: [&str; 3] = ["api.anthropic.com", "platform.claude.com", "claude.ai"];
/// Someone else's key, shaped like a real one (pipelock's DLP would name it).
pub const FOREIGN_KEY: &str = "sk-ant-api03-bbE2eForeignKeyOfAnAttacker000000000-9f1e";
/// A subscription login whose access token has expired, as `claude` keeps it.
const EXPIRED_ACCESS: &str = "sk-ant-oat01-bbE2eDummyExpiredAccess0000000000000000-1c4b";
const REFRESH_TOKEN: &str = "sk-ant-ort01-bbE2eDummyRefreshNotReal000000000000000000-7d2e";

/// Every place in `container` that holds `secret`: its files (searched as root and as the
/// agent user, since root there holds no capability to read the user's private files), and
/// every process's environment and command line, as both. The processes are read out whole
/// and searched here, so that no searching process carries the secret on its own command line.
pub fn places_holding(h: &Harness, container: &str, secret: &str) -> Vec<String> {
    let mut found = h.files_holding(container, secret);
    for user in ["0", "node"] {
        let out = h.sh(
            container,
            Some(user),
            &format!(
                "grep -rlF -e '{secret}' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; true"
            ),
        );
        found.extend(out.stdout.lines().map(|l| format!("{l} (as {user})")));
        let procs = h.sh(
            container,
            Some(user),
            "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do \
               printf '\n== %s\n' \"$f\"; tr '\\0' '\\n' < \"$f\" 2>/dev/null; \
             done; true",
        );
        let mut current = String::new();
        for line in procs.stdout.lines() {
            if let Some(file) = line.strip_prefix("== ") {
                file.clone_into(&mut current);
            } else if line.contains(secret) {
                found.push(format!("{current} (as {user})"));
            }
        }
    }
    found
}

/// `curl` in the agent: the HTTP status of `args`, or `000` when no answer came.
fn status(bottle: &Bottle, args: &str) -> String {
    let out = bottle.agent_sh(&format!(
        "curl -sS -m 20 -o /dev/null -w '%{{http_code}}' {args}"
    ));
    out.stdout
}

#[test]
fn the_agent_holds_only_a_placeholder_and_the_api_gets_the_user_s_key() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "keys");
    let env = bottle.agent_sh("printf '%s' \"$ANTHROPIC_API_KEY\"");
    let placeholder = env.stdout;
    assert!(
        placeholder.starts_with("bot-bottle-placeholder-"),
        "the agent's ANTHROPIC_API_KEY is {placeholder:?}"
    );
    // A request with the placeholder reaches the stand-in with the user's key in its place.
    assert_eq!(
        status(
            &bottle,
            &format!("-H 'x-api-key: {placeholder}' https://api.anthropic.com/api/hello")
        ),
        "200"
    );
    let requests = bottle.upstream_requests();
    let hello: Vec<&Value> = requests
        .iter()
        .filter(|r| r["host"] == "api.anthropic.com" && r["path"] == "/api/hello")
        .collect();
    assert_eq!(hello.len(), 1, "{requests:#?}");
    assert_eq!(hello[0]["credentials"], json!([fingerprint(DUMMY_API_KEY)]));
    assert!(
        !requests.iter().any(|r| r["credentials"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(fingerprint(&placeholder))))),
        "the placeholder reached the API: {requests:#?}"
    );

    // The key is nowhere in the agent: not in a file (the state volume included), not in an
    // environment or command line. The forwarded variable shows the search finds what is there.
    let found = places_holding(&h, &bottle.agent(), DUMMY_API_KEY);
    assert!(found.is_empty(), "the agent holds the key: {found:?}");
    let control = places_holding(&h, &bottle.agent(), FORWARDED_VALUE);
    assert!(
        control.iter().any(|p| p.contains("environ")),
        "the search misses an environment: {control:?} ({FORWARDED_ENV})"
    );
}

#[test]
fn no_other_key_reaches_the_anthropic_api_by_any_path_from_the_agent() {
    let Some(h) = harness() else { return };
    // A wildcard that covers the API, allowed live: pipelock's blocklist must still refuse it.
    let bottle = Bottle::launch_with(&h, "foreign", "approvable = [\"*.anthropic.com\"]\n");
    let out = h
        .bot_bottle(&bottle.ws)
        .args(["allow", &bottle.slug, "*.anthropic.com"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let placeholder = bottle.agent_sh("printf '%s' \"$ANTHROPIC_API_KEY\"").stdout;
    let before = bottle.upstream_requests().len();
    for host in HOSTS {
        let url = format!("https://{host}/v1/files");
        for (what, args) in [
            (
                "a foreign x-api-key",
                format!("-H 'x-api-key: {FOREIGN_KEY}' {url}"),
            ),
            (
                "a foreign bearer token",
                format!("-H 'authorization: Bearer {FOREIGN_KEY}' {url}"),
            ),
            (
                "the placeholder with a foreign key in the query",
                format!("-H 'x-api-key: {placeholder}' '{url}?api_key={FOREIGN_KEY}'"),
            ),
            (
                "the placeholder with a foreign key in another header",
                format!("-H 'x-api-key: {placeholder}' -H 'anthropic-key: {FOREIGN_KEY}' {url}"),
            ),
            (
                "a foreign key in a cookie",
                format!("-H 'cookie: sessionKey={FOREIGN_KEY}' {url}"),
            ),
            (
                "another Host than the name the holder verified",
                format!("-H 'x-api-key: {placeholder}' -H 'host: upstream.bottle.test' {url}"),
            ),
        ] {
            let got = status(&bottle, &args);
            assert!(
                got == "403" || got == "421",
                "{what} to {host}: {got} (the holder must refuse it)"
            );
        }
        // Around the holder: through the proxy, which refuses the host whatever the key.
        let proxy = format!("http://{}:8888", bottle.proxy());
        let through = bottle.agent_sh(&format!(
            "curl -sS -m 20 -o /dev/null -w '%{{http_connect}}' --noproxy '' -x {proxy} -H 'x-api-key: {FOREIGN_KEY}' {url}"
        ));
        assert_eq!(
            through.stdout, "403",
            "CONNECT to {host}: {}",
            through.stderr
        );
    }
    let events = bottle.proxy_events();
    assert!(
        events.iter().any(|e| e["event"] == "blocked"
            && e["scanner"] == "blocklist"
            && e["target"] == "api.anthropic.com:443"),
        "pipelock's blocklist did not refuse the API under an allowed wildcard: {events:#?}"
    );
    // The refresh of someone else's login is refused too (logging in happens outside).
    let refresh = format!(
        r#"{{"grant_type":"refresh_token","refresh_token":"{REFRESH_TOKEN}","client_id":"x"}}"#
    );
    assert_eq!(
        status(
            &bottle,
            &format!(
                "-H 'content-type: application/json' --data '{refresh}' https://platform.claude.com/v1/oauth/token"
            )
        ),
        "403"
    );
    // The stand-in saw none of it.
    let requests = bottle.upstream_requests();
    let foreign = fingerprint(FOREIGN_KEY);
    let reached: Vec<&Value> = requests
        .iter()
        .filter(|r| {
            r["credentials"]
                .as_array()
                .is_some_and(|c| c.contains(&json!(foreign)))
                || r["refresh_token_sha256"] == fingerprint(REFRESH_TOKEN)
        })
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

/// The manifest of a bottle that uses the stored login `login` (and forwards no key).
/// (With the engine's way with limits: none where it cannot apply them, as the harness's.)
fn login_manifest(name: &str, login: &str) -> String {
    format!(
        "name = \"{name}\"\n\n{}[agent]\nimage = \"{}\"\ncommand = [\"sleep\", \"infinity\"]\nlogin = \"{login}\"\n",
        crate::support::resources_table(),
        crate::support::AGENT_IMAGE
    )
}

#[test]
fn a_subscription_login_is_refreshed_by_the_holder_and_never_enters_the_agent() {
    let Some(h) = harness() else { return };
    let name = unique_name("oauth");
    let ws = crate::support::Workspace::new(&name, &login_manifest(&name, "e2e"));
    // Claude Code's login file, outside the workspace, handed to `login` and then removed.
    std::fs::create_dir_all(ws.user_dir()).unwrap();
    let file = ws.user_dir().join("credentials.json");
    let login = json!({"claudeAiOauth": {
        "accessToken": EXPIRED_ACCESS, "refreshToken": REFRESH_TOKEN,
        "expiresAt": 1_000_000_000_000_u64, "scopes": ["user:inference", "user:profile"],
        "subscriptionType": "pro"}});
    std::fs::write(&file, login.to_string()).unwrap();
    let out = h
        .bot_bottle(&ws)
        .args(["login", "e2e", "--from-claude-credentials"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&file).unwrap();
    let stored = ws.user_dir().join("state/logins/e2e.json");
    h.approve(&ws);
    let start = h.start_detached(&ws);
    let bottle = Bottle::started(&h, &name, ws, start);

    // Claude Code, with the placeholder only: the holder refreshes at the token endpoint,
    // then calls the API with the new token.
    let said = claude(&bottle, CLAUDE_PROMPT);
    assert_eq!(said.trim(), CLAUDE_ANSWER);
    let held: Value = serde_json::from_slice(
        &h.engine
            .read_file(
                &bottle.key_holder(),
                "/var/lib/bot-bottle-keys/credential.json",
                65536,
            )
            .unwrap(),
    )
    .unwrap();
    let new_access = held["access_token"].as_str().unwrap().to_owned();
    let new_refresh = held["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_access, EXPIRED_ACCESS, "the holder did not refresh");
    let requests = bottle.upstream_requests();
    assert!(
        requests.iter().any(|r| r["host"] == "platform.claude.com"
            && r["grant_type"] == "refresh_token"
            && r["refresh_token_sha256"] == fingerprint(REFRESH_TOKEN)
            && r["status"] == 200),
        "no refresh with the login's refresh token: {requests:#?}"
    );
    let messages: Vec<&Value> = requests
        .iter()
        .filter(|r| {
            r["host"] == "api.anthropic.com"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/v1/messages"))
        })
        .collect();
    assert!(!messages.is_empty(), "{requests:#?}");
    for m in &messages {
        assert_eq!(m["credentials"], json!([fingerprint(&new_access)]), "{m:#}");
    }
    // None of the login's tokens, old or new, is anywhere in the agent.
    for secret in [EXPIRED_ACCESS, REFRESH_TOKEN, &new_access, &new_refresh] {
        let found = places_holding(&h, &bottle.agent(), secret);
        assert!(found.is_empty(), "the agent holds a token: {found:?}");
    }
    // The refresh outlives the bottle: stop keeps it on the host. (The upstream sits on the
    // bottle's egress network: it goes first.)
    h.engine.remove_container(&bottle.upstream).unwrap();
    let out = h
        .bot_bottle(&bottle.ws)
        .args(["stop", &name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept: Value = serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
    assert_eq!(kept["access_token"], new_access.as_str());
}

#[test]
fn a_login_left_in_a_state_volume_moves_out_before_the_agent_starts() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "migrate");
    // What an earlier bot-bottle's `/login` in the agent left in the state volume.
    let login =
        json!({"claudeAiOauth": {"accessToken": EXPIRED_ACCESS, "refreshToken": REFRESH_TOKEN}});
    let out = bottle.agent_sh(&format!(
        "umask 077; printf '%s' '{login}' > \"$CLAUDE_CONFIG_DIR/.credentials.json\""
    ));
    assert_eq!(out.status, 0, "{}", out.stderr);
    // The upstream sits on the bottle's egress network: it goes first.
    h.engine.remove_container(&bottle.upstream).unwrap();
    let out = h
        .bot_bottle(&bottle.ws)
        .args(["stop", &bottle.slug])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let again = h.start_detached(&bottle.ws);
    let stderr = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("moved the Claude Code login the state volume"),
        "{stderr}"
    );
    let stored = bottle
        .ws
        .user_dir()
        .join(format!("state/logins/{}.json", bottle.slug));
    let kept: Value = serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
    assert_eq!(kept["kind"], "oauth");
    let agent = bottle.agent();
    for secret in [EXPIRED_ACCESS, REFRESH_TOKEN] {
        let found = places_holding(&h, &agent, secret);
        assert!(
            found.is_empty(),
            "the agent still holds the login: {found:?}"
        );
    }
    // The bottle still runs on the forwarded key; the moved login is used only when named.
    let env = h.sh(&agent, Some("node"), "printf '%s' \"$ANTHROPIC_API_KEY\"");
    assert!(env.stdout.starts_with("bot-bottle-placeholder-"));
}
