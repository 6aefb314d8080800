//! What the agent or a cloned repository writes cannot widen the next bottle: a manifest the
//! agent edited does not launch without the user's approval, workspace paths reach the engine
//! as they are, and a bottle name's login is its workspace's alone. And what the threat model
//! says of the CA key's place on the host and of root in the agent.

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::PathBuf;
use std::process::Command;

use engine::VolumeSpec;

use crate::support::{harness, manifest, unique_name, Bottle, Harness, Purge, Workspace};

#[test]
fn a_workspace_path_with_a_comma_is_mounted_as_it_is() {
    let Some(h) = harness() else { return };
    let name = unique_name("comma");
    // Unquoted, the comma would end the mount's source and start an option of its own.
    let ws = Workspace::named(
        &format!("bot-bottle-{name},readonly=true"),
        &manifest(&name, &["sleep", "infinity"]),
    );
    std::fs::write(ws.0.join("marker"), "comma-marker\n").unwrap();
    h.approve(&ws);
    let out = h.start_detached(&ws);
    let bottle = Bottle::started(&h, &name, ws, out);
    let seen = bottle.agent_sh("cat /workspace/marker");
    assert_eq!(seen.stdout, "comma-marker\n", "{}", seen.stderr);
}

#[test]
fn the_agent_edits_its_manifest_and_the_next_start_refuses() {
    let Some(h) = harness() else { return };
    let name = unique_name("edit");
    let ws = Workspace::new(&name, &manifest(&name, &["sleep", "infinity"]));
    // The agent (uid 1000) may write the manifest whatever uid the test runs as: on a rootful
    // engine the host's ownership shows through.
    std::fs::set_permissions(ws.0.join("bottle.toml"), Permissions::from_mode(0o666)).unwrap();
    h.approve(&ws);
    let out = h.start_detached(&ws);
    let bottle = Bottle::started(&h, &name, ws, out);

    // Inside: widen the next bottle's egress and env through the mounted manifest.
    let edit = bottle.agent_sh(
        "cd /workspace && new=$(sed -e 's/allowlist = \\[/allowlist = [\"evil.bottle.test\", /' \
         -e 's/env = \\[/env = [\"AWS_SECRET_ACCESS_KEY\", /' bottle.toml) && \
         printf '%s\\n' \"$new\" > bottle.toml && grep -c evil.bottle.test bottle.toml",
    );
    assert_eq!(
        edit.stdout.trim(),
        "1",
        "the agent could not edit: {}",
        edit.stderr
    );

    // The upstream the harness put on the egress network first, as the bottle's drop does.
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
    let out = h.start_detached(&bottle.ws);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the edited manifest launched: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for change in [
        "+ egress.allowlist: evil.bottle.test  (widens egress)",
        "+ env: AWS_SECRET_ACCESS_KEY  (widens env)",
    ] {
        assert!(stderr.contains(change), "no {change:?} in: {stderr}");
    }
    let left = h.leftovers(&name);
    assert!(left.is_empty(), "the refused start created {left:?}");
}

#[test]
fn two_workspaces_of_one_bottle_name_do_not_share_a_login() {
    let Some(h) = harness() else { return };
    let name = unique_name("one-name");
    let bottle = manifest(&name, &["sleep", "infinity"]);
    let (a, b) = (
        Workspace::named(&format!("bot-bottle-{name}-a"), &bottle),
        Workspace::named(&format!("bot-bottle-{name}-b"), &bottle),
    );
    let _purge = Purge(&h, &a, name.clone());
    // An earlier bot-bottle's volume, named by the bottle alone: never mounted, but named.
    let legacy = format!("bot-bottle-{name}-claude");
    h.engine
        .create_volume(&VolumeSpec {
            name: legacy.clone(),
            labels: [("io.bot-bottle.bottle".to_owned(), name.clone())].into(),
        })
        .unwrap();
    let agent = format!("bot-bottle-{name}");
    let launch = |ws: &Workspace| {
        h.approve(ws);
        let out = h
            .bot_bottle(ws)
            .args(["start", "-y", "--detach", "bottle.toml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    let stop = |ws: &Workspace| {
        let out = h.bot_bottle(ws).args(["stop", &name]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let marker = |expect: bool| {
        let out = h.sh(&agent, None, "cat \"$CLAUDE_CONFIG_DIR/marker\"");
        assert_eq!(out.status == 0, expect, "{}{}", out.stdout, out.stderr);
    };

    let said = launch(&a);
    assert!(
        said.contains(&format!("the state volume {legacy}")) && said.contains("is not mounted"),
        "{said}"
    );
    assert_eq!(
        h.sh(&agent, None, "echo a > \"$CLAUDE_CONFIG_DIR/marker\"")
            .status,
        0
    );
    stop(&a);

    // The same name in another workspace: a volume of its own, without a's login.
    launch(&b);
    marker(false);
    stop(&b);

    // Back in the first: its own state is there.
    launch(&a);
    marker(true);
    stop(&a);
    let mut volumes = h.state_volumes(&name);
    volumes.sort();
    assert_eq!(volumes.len(), 3, "{volumes:?}");
    assert!(volumes.contains(&legacy), "{volumes:?}");

    // `rm` takes every state volume of the name, the old one too.
    let out = h.bot_bottle(&a).args(["rm", &name]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(h.state_volumes(&name), Vec::<String>::new());
}

/// `inspect --format TEMPLATE NAME`, trimmed.
fn inspect(h: &Harness, name: &str, template: &str) -> String {
    let out = Command::new(h.engine.program().as_str())
        .args(["inspect", "--format", template, name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_ca_key_lives_in_the_sidecar_s_own_volume_until_the_bottle_goes() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "ca-volume");
    // The sidecar's root filesystem is read-only: the tar stream lands in its config
    // directory, a volume of its own, a directory in the engine's storage on the host, owned
    // by root (rootful) or by you (rootless), mode 0600.
    let mounts: serde_json::Value =
        serde_json::from_str(&inspect(&h, &bottle.proxy(), "{{json .Mounts}}")).unwrap();
    let volume = mounts
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/etc/pipelock")
        .unwrap_or_else(|| panic!("no volume at /etc/pipelock: {mounts:#}"));
    assert_eq!(volume["Type"], "volume", "{volume}");
    let source = PathBuf::from(volume["Source"].as_str().unwrap());
    let key_file = source.join("ca-key.pem");
    let meta = std::fs::metadata(&key_file)
        .unwrap_or_else(|e| panic!("the key is not at {}: {e}", key_file.display()));
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), std::fs::metadata("/proc/self").unwrap().uid());
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        key.starts_with("-----BEGIN EC PRIVATE KEY-----\n"),
        "{key_file:?}"
    );
    // Nowhere in its layer, which is read-only.
    let upper = PathBuf::from(inspect(
        &h,
        &bottle.proxy(),
        "{{.GraphDriver.Data.UpperDir}}",
    ));
    assert!(!upper.join("etc/pipelock/ca-key.pem").exists());
    // Removing the bottle removes the volume with the container, and the key with it.
    drop(bottle);
    assert!(!source.exists(), "{} outlived the bottle", source.display());
}

#[test]
fn the_agent_and_root_in_it_hold_no_capability() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "caps");
    let status = |user: Option<&str>| {
        let out = h.sh(
            &bottle.agent(),
            user,
            "grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status",
        );
        assert_eq!(out.status, 0, "{}", out.stderr);
        out.stdout
    };
    // The agent's user: no capability, and no way to gain one (no setuid binary works).
    let agent = status(None);
    assert!(agent.contains("CapEff:\t0000000000000000"), "{agent}");
    assert!(agent.contains("NoNewPrivs:\t1"), "{agent}");
    assert_eq!(
        h.sh(&bottle.agent(), None, "id -u").stdout.trim(),
        "1000",
        "the agent runs as its user"
    );
    // Root in the agent (`exec -u 0`, or an exploit): no capability either, on every engine
    // (podman would give it its default set), none in the bounding set to gain, and
    // no-new-privileges.
    let root = status(Some("0"));
    assert!(root.contains("NoNewPrivs:\t1"), "{root}");
    assert!(root.contains("CapEff:\t0000000000000000"), "{root}");
    assert!(root.contains("CapBnd:\t0000000000000000"), "{root}");
    // What those capabilities would allow, tried as root on a file only the agent user may
    // read: taking it (CAP_CHOWN) and reading it anyway (CAP_DAC_OVERRIDE). Both must fail;
    // with podman's default set both succeed.
    let made = h.sh(
        &bottle.agent(),
        None,
        "echo s > /tmp/mine && chmod 600 /tmp/mine && echo made",
    );
    assert_eq!(made.stdout.trim(), "made", "{}", made.stderr);
    let root_tries = h.sh(
        &bottle.agent(),
        Some("0"),
        "chown 0:0 /tmp/mine 2>/dev/null && echo CHOWNED; \
         cat /tmp/mine 2>/dev/null && echo READ; \
         echo done",
    );
    assert_eq!(
        root_tries.stdout.trim(),
        "done",
        "root in the agent used a capability: {}",
        root_tries.stdout
    );
}
