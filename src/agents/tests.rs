use std::collections::BTreeMap;

use super::*;

#[test]
fn every_kind_is_named_once_and_the_default_is_claude_code() {
    assert_eq!(DEFAULT.name, "claude-code");
    assert!(std::ptr::eq(KINDS[0], DEFAULT));
    let mut names = names();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), KINDS.len());
    for kind in KINDS {
        assert!(std::ptr::eq(AgentKind::named(kind.name).unwrap(), *kind));
    }
    let unknown = AgentKind::named("aider").unwrap_err();
    assert!(unknown.contains("\"aider\""), "{unknown}");
    assert!(unknown.contains("claude-code, codex, gemini"), "{unknown}");
}

#[test]
fn every_kind_s_hosts_are_valid_host_names_and_one_role_each() {
    for kind in KINDS {
        assert!(
            kind.hosts_of(Role::KeyHolder).next().is_some(),
            "{kind}: a kind without a key holder host has no API"
        );
        let mut seen = BTreeMap::new();
        for host in kind.hosts {
            // That each is a valid host name is checked where host names are
            // (`manifest::hostname`), which reads this table.
            assert!(
                !host.why.trim().is_empty(),
                "{kind}: {} says why",
                host.name
            );
            assert!(
                seen.insert(host.name, host.role).is_none(),
                "{kind}: {}",
                host.name
            );
        }
    }
}

#[test]
fn no_host_is_held_by_one_kind_and_plain_for_another() {
    // A host one kind's holder answers for must be a key holder host in every kind that names
    // it: pipelock refuses it in every bottle, so an allowlist entry would be dead.
    let held = key_holder_hosts();
    for kind in KINDS {
        for host in kind.hosts {
            if held.contains(&host.name) {
                assert_eq!(host.role, Role::KeyHolder, "{kind}: {}", host.name);
            }
        }
    }
    // And no two kinds hold the same host with different ways of putting the key on.
    for a in KINDS {
        for b in KINDS {
            if a.hosts_of(Role::KeyHolder)
                .any(|h| b.hosts_of(Role::KeyHolder).any(|g| g == h))
            {
                assert_eq!(a.credential.header, b.credential.header, "{a} and {b}");
            }
        }
    }
}

#[test]
fn the_claude_code_kind_is_what_a_bottle_was_before_kinds() {
    let claude = DEFAULT;
    let held: Vec<_> = claude.hosts_of(Role::KeyHolder).collect();
    assert_eq!(held, bot_bottle_gate::keys::HOSTS);
    assert_eq!(claude.command, ["claude"]);
    assert_eq!(claude.state_dir, ".claude");
    assert_eq!(claude.image(), crate::defaults::AGENT_IMAGE);
    assert_eq!(
        claude.hosts_of(Role::Passthrough).collect::<Vec<_>>(),
        ["downloads.claude.ai"]
    );
}

#[test]
fn each_kind_s_env_points_it_at_the_bottle_ca_and_its_state() {
    for kind in KINDS {
        let env: BTreeMap<&str, String> = kind
            .env
            .iter()
            .map(|(name, value)| (*name, value.value(kind, "/home/node")))
            .collect();
        // That a forwardable name never carries the CA is checked where names are
        // (`manifest::names`), which reads this table.
        let trusts_the_ca = env.values().any(|v| {
            v == crate::defaults::AGENT_CA_CERT_PATH || v == crate::defaults::AGENT_CA_BUNDLE_PATH
        });
        assert!(trusts_the_ca, "{kind}: {env:?}");
        assert!(kind.state_dir.starts_with('.') && !kind.state_dir.contains('/'));
    }
    let codex = AgentKind::named("codex").unwrap();
    assert_eq!(
        codex.env,
        [
            ("CODEX_CA_CERTIFICATE", EnvValue::CaBundle),
            ("CODEX_HOME", EnvValue::StateDir)
        ]
    );
    let gemini = AgentKind::named("gemini").unwrap();
    assert_eq!(
        gemini.env,
        [
            ("NODE_EXTRA_CA_CERTS", EnvValue::CaCert),
            ("GEMINI_CLI_TRUST_WORKSPACE", EnvValue::Fixed("true"))
        ]
    );
}

/// Settings files are root's, outside the home (and so the state volume), and Codex's points
/// it at its own key-holder host with the key from the variable the agent's placeholder is in.
#[test]
fn each_kind_s_settings_live_outside_the_home_and_codex_s_api_is_its_key_holder_s() {
    for kind in KINDS {
        for file in kind.settings {
            assert!(file.path.starts_with("/etc/"), "{kind}: {}", file.path);
            assert!(!file.why.is_empty());
        }
    }
    let codex = AgentKind::named("codex").unwrap();
    let config: toml::Value = toml::from_str(codex.settings[0].content).unwrap();
    let provider = &config["model_providers"][config["model_provider"].as_str().unwrap()];
    let base = provider["base_url"].as_str().unwrap();
    let held: Vec<&str> = codex
        .hosts
        .iter()
        .filter(|h| h.role == Role::KeyHolder)
        .map(|h| h.name)
        .collect();
    assert!(
        held.iter()
            .any(|h| base.starts_with(&format!("https://{h}/"))),
        "{base} is not a key-holder host of codex: {held:?}"
    );
    assert_eq!(
        provider["env_key"].as_str(),
        Some(codex.credential.api_key_variable)
    );
    assert_eq!(provider["supports_websockets"].as_bool(), Some(false));
    let gemini = AgentKind::named("gemini").unwrap();
    let settings: serde_json::Value = serde_json::from_str(gemini.settings[0].content).unwrap();
    assert_eq!(settings["privacy"]["usageStatisticsEnabled"], false);
}

#[test]
fn each_kind_s_credential_variables_are_its_own() {
    for kind in KINDS {
        let spec = &kind.credential;
        assert!(kind.credential_variable(spec.api_key_variable) == Some(CredentialKind::ApiKey));
        if let Some(oauth) = spec.oauth_variable {
            assert_eq!(kind.credential_variable(oauth), Some(CredentialKind::Oauth));
        }
        for (var, _) in spec.variables {
            assert!(std::ptr::eq(
                kind_of_credential_variable(var).unwrap(),
                *kind
            ));
        }
    }
    assert_eq!(
        AgentKind::named("codex")
            .unwrap()
            .credential
            .header
            .describe(),
        "authorization: Bearer"
    );
    assert_eq!(
        AgentKind::named("gemini")
            .unwrap()
            .credential
            .header
            .describe(),
        "x-goog-api-key"
    );
}

#[test]
fn each_kind_has_an_image_of_its_own() {
    let mut images: Vec<String> = KINDS.iter().map(|k| k.image()).collect();
    images.sort();
    images.dedup();
    assert_eq!(images.len(), KINDS.len());
    assert_eq!(
        AgentKind::named("codex").unwrap().image(),
        "localhost/bot-bottle/agent-codex:latest"
    );
}
