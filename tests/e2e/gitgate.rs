//! The git gate: from inside a launched bottle, the agent clones, commits and pushes to a git
//! server over SSH and over HTTPS through its gate; the gate refuses a push to the default
//! branch, a force-push and a commit carrying a GitHub token, each with a message; the SSH key
//! and the token are nowhere in the agent; and the agent cannot reach the git server itself.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use engine::{ContainerSpec, NetworkAttachment, Owner, Tarball};

use crate::support::{
    harness, manifest, unique_name, wait_for, Bottle, Harness, Workspace, GITSERVER_IMAGE,
    TEST_LABEL,
};

/// The name the git server answers to on the bottle's egress network.
pub(crate) const GIT_HOST: &str = "git.bottle.test";
/// The git server's HTTPS token (what the gate sends; the agent never sees it).
const TOKEN: &str = "bbe2e-https-token-5d1c0e7a9b";
/// The git server's SSH user's uid (contrib/testbed/build-images.sh).
const GIT_UID: u64 = 1001;

/// Keys made for one test, outside the bottle's workspace (whatever is in the workspace is the
/// agent's to read).
pub(crate) struct Keys {
    pub(crate) dir: PathBuf,
}

impl Keys {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("bot-bottle-{name}-keys"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for key in ["id", "host"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "bb-e2e", "-f"])
                .arg(dir.join(key))
                .output()
                .unwrap();
            assert!(out.status.success(), "ssh-keygen: {out:?}");
        }
        let host_pub = std::fs::read_to_string(dir.join("host.pub")).unwrap();
        let mut words = host_pub.split_whitespace();
        let (kind, key) = (words.next().unwrap(), words.next().unwrap());
        std::fs::write(
            dir.join("known_hosts"),
            format!("{GIT_HOST} {kind} {key}\n"),
        )
        .unwrap();
        std::fs::write(dir.join("token"), format!("{TOKEN}\n")).unwrap();
        Keys { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    /// A line of the private key's body: if it is anywhere in the agent, so is the key.
    fn identity_marker(&self) -> String {
        self.read("id")
            .lines()
            .nth(2)
            .expect("an OpenSSH private key has a body")
            .to_owned()
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The git server on the bottle's egress network, removed on drop (before the bottle, which
/// owns the network: declare it after the bottle).
pub(crate) struct GitServer<'h> {
    h: &'h Harness,
    pub(crate) name: String,
}

impl<'h> GitServer<'h> {
    pub(crate) fn start(h: &'h Harness, bottle: &Bottle<'_>, keys: &Keys) -> Self {
        Self::start_on(
            h,
            &format!("{}-gitserver", bottle.slug),
            NetworkAttachment {
                name: bottle.egress_network(),
                aliases: vec![GIT_HOST.to_owned()],
                ip: None,
            },
            &bottle.slug,
            keys,
        )
    }

    /// The git server `name` on `network`, labelled [`TEST_LABEL`]`=label`, serving the
    /// client key and host key of `keys`.
    pub(crate) fn start_on(
        h: &'h Harness,
        name: &str,
        network: NetworkAttachment,
        label: &str,
        keys: &Keys,
    ) -> Self {
        let server = GitServer {
            h,
            name: name.to_owned(),
        };
        let spec = ContainerSpec {
            networks: vec![network],
            labels: [(TEST_LABEL.to_owned(), label.to_owned())].into(),
            ..ContainerSpec::new(&server.name, GITSERVER_IMAGE)
        };
        h.engine.create_container(&spec).unwrap();
        let git = Owner::new(GIT_UID, GIT_UID);
        let mut tar = Tarball::new();
        tar.dir("etc/ssh", 0o755, Owner::ROOT).unwrap();
        tar.file(
            "etc/ssh/ssh_host_ed25519_key",
            keys.read("host").as_bytes(),
            0o600,
            Owner::ROOT,
        )
        .unwrap();
        tar.dir("home/git/.ssh", 0o700, git).unwrap();
        tar.file(
            "home/git/.ssh/authorized_keys",
            keys.read("id.pub").as_bytes(),
            0o600,
            git,
        )
        .unwrap();
        tar.dir("opt/gitserver", 0o755, Owner::ROOT).unwrap();
        tar.file("opt/gitserver/token", TOKEN.as_bytes(), 0o644, Owner::ROOT)
            .unwrap();
        h.engine
            .copy_tar_into(&server.name, "/", &tar.finish().unwrap())
            .unwrap();
        h.engine.start_container(&server.name).unwrap();
        wait_for(
            "the git server to serve SSH and HTTPS",
            Duration::from_secs(30),
            || {
                h.engine
                    .logs(&server.name)
                    .is_ok_and(|out| out.stdout.contains("\"listening\":\"https\""))
            },
        );
        server
    }

    fn address(&self, network: &str) -> String {
        let info = self
            .h
            .engine
            .inspect_container(&self.name)
            .unwrap()
            .unwrap();
        info.networks[network].ip.clone().unwrap()
    }

    /// The commit `git_ref` names in the server's repository at `repo`, or an empty string.
    pub(crate) fn rev(&self, repo: &str, git_ref: &str) -> String {
        let out = self.h.sh(
            &self.name,
            None,
            &format!("git -c 'safe.directory=*' -C /srv/git/{repo} rev-parse --verify -q {git_ref} || true"),
        );
        out.stdout.trim().to_owned()
    }
}

impl Drop for GitServer<'_> {
    fn drop(&mut self) {
        let _ = self.h.engine.remove_container(&self.name);
    }
}

pub(crate) fn gate_manifest(name: &str, keys: &Keys) -> String {
    format!(
        "{}\n[ssh]\nidentity = {:?}\nknown_hosts = {:?}\n\n\
         [git]\nuser_name = \"Bottle Agent\"\nuser_email = \"agent@bottle.test\"\n\n\
         [[git.upstreams]]\nname = \"app\"\nurl = \"git@{GIT_HOST}:/srv/git/ssh/app.git\"\n\
         push_refs = [\"refs/heads/*\"]\n\n\
         [[git.upstreams]]\nname = \"web\"\nurl = \"https://{GIT_HOST}/web.git\"\ntoken_file = {:?}\n",
        manifest(name, &["sleep", "infinity"]),
        keys.path("id"),
        keys.path("known_hosts"),
        keys.path("token"),
    )
}

/// Runs `script` in the agent; returns (success, stdout + stderr).
pub(crate) fn agent(bottle: &Bottle<'_>, script: &str) -> (bool, String) {
    let out = bottle.agent_sh(script);
    (out.status == 0, format!("{}{}", out.stdout, out.stderr))
}

/// Where `secret` is in the agent, as `user`: files (but /proc, /sys, /dev), then the
/// environment and command line of every process. The secret travels as octal escapes that the
/// shell's builtin printf decodes, and reaches grep on its stdin: neither this script's command
/// line nor grep's holds it.
pub(crate) fn find_in_agent(
    h: &Harness,
    bottle: &Bottle<'_>,
    secret: &str,
    user: Option<&str>,
) -> String {
    let escaped = secret.bytes().fold(String::new(), |mut text, b| {
        let _ = write!(text, "\\{b:03o}");
        text
    });
    let out = h.sh(
        &bottle.agent(),
        user,
        &format!(
            "s=$(printf '{escaped}'); \
             printf '%s\\n' \"$s\" | grep -rlsF -f - / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev; \
             for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do \
               printf '%s\\n' \"$s\" | grep -lsF -f - \"$f\"; done; true"
        ),
    );
    out.stdout.trim().to_owned()
}

/// Whether the git gate's image and the git server's are there. When one is missing, a test
/// that needs them fails under `BOT_BOTTLE_E2E=required` and otherwise skips, loudly.
pub(crate) fn git_images_present(h: &Harness) -> bool {
    // The image the tests' bottles run (`Harness::bot_bottle` passes it on).
    let gate = &h.gate_image;
    if h.engine.image_exists(gate).unwrap_or(false)
        && h.engine.image_exists(GITSERVER_IMAGE).unwrap_or(false)
    {
        return true;
    }
    let required = std::env::var("BOT_BOTTLE_E2E").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "{gate} or {GITSERVER_IMAGE} is missing: run contrib/testbed/build-images.sh"
    );
    eprintln!("*** SKIPPING: {gate} or {GITSERVER_IMAGE} is missing ***");
    false
}

/// A launched bottle with git upstreams, its gate's name and the git server; `None` when the
/// images are missing and the tests may skip.
fn launched<'h>(h: &'h Harness, prefix: &str) -> Option<(Bottle<'h>, String, Keys)> {
    if !git_images_present(h) {
        return None;
    }
    let name = unique_name(prefix);
    let keys = Keys::new(&name);
    let ws = Workspace::new(&name, &gate_manifest(&name, &keys));
    // The keys and the token are kept out of the workspace, and allowed in the user's config.
    ws.allow_paths(&[&keys.dir]);
    h.approve(&ws);
    let start = h.start_detached(&ws);
    let bottle = Bottle::started(h, &name, ws, start);
    let gate = bottle.launch["gate_container"]
        .as_str()
        .expect("the launch report names the gate")
        .to_owned();
    Some((bottle, gate, keys))
}

#[test]
fn the_agent_pushes_through_its_gate_and_the_policy_holds() {
    let Some(h) = harness() else { return };
    let Some((bottle, gate, keys)) = launched(&h, "gitgate") else {
        return;
    };
    let server = GitServer::start(&h, &bottle, &keys);
    pushes_reach_the_upstream(&bottle, &server);
    the_policy_refuses(&h, &bottle, &server);
    secrets_stay_out_of_the_agent(&h, &bottle, &keys, &gate);
    no_way_to_the_server_but_the_gate(&bottle, &server);
    only_the_agent_reaches_the_gate(&h, &bottle, &server, &gate);
    audited_and_listed(&h, &bottle, &bottle.slug);
}

/// The gate's egress filter: its container, and its address on `network`.
fn filter_at(h: &Harness, bottle: &Bottle<'_>, network: &str) -> (String, String) {
    let name = format!("bot-bottle-{}-gitegress", bottle.slug);
    let info = h.engine.inspect_container(&name).unwrap().unwrap();
    let ip = info.networks[network].ip.clone().unwrap();
    (name, ip)
}

/// A shell script that asks `$1:$2` for a tunnel to `$3` and prints the answer's status line,
/// or `no connection`; within 10 s (bash's `/dev/tcp`: neither image has nc).
const ASK_TUNNEL: &str = r#"timeout 10 bash -c '{ printf "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" "$3" "$3" >&3; IFS= read -r line <&3; echo "${line%$(printf "\r")}"; } 3<>"/dev/tcp/$1/$2"' ask "$@" 2>/dev/null || echo "no connection""#;

#[test]
fn a_gate_steered_by_the_agent_reaches_its_upstreams_only() {
    let Some(h) = harness() else { return };
    let Some((bottle, gate, keys)) = launched(&h, "gatereach") else {
        return;
    };
    let server = GitServer::start(&h, &bottle, &keys);
    let egress = bottle.egress_network();
    let internal = bottle.launch["networks"][0].as_str().unwrap().to_owned();
    let (_, filter_ip) = filter_at(&h, &bottle, &internal);
    let port = bot_bottle_gate::config::EGRESS_PORT.to_string();
    // What root in the gate does (a flaw in git, ssh or the gate, steered by what the agent
    // pushes): `sh` there stands for it.
    let in_gate = |script: &str, args: &[&str]| {
        let mut argv = vec!["sh", "-c", script, "sh"];
        argv.extend(args);
        let spec = engine::ExecSpec {
            user: Some("0".to_owned()),
            ..engine::ExecSpec::new(argv)
        };
        h.engine.exec(&gate, &spec).unwrap()
    };
    let tunnel = |target: &str| {
        in_gate(ASK_TUNNEL, &[&filter_ip, &port, target])
            .stdout
            .trim()
            .to_owned()
    };

    // Control: its upstreams, through its filter, as its git reaches them.
    for target in [format!("{GIT_HOST}:22"), format!("{GIT_HOST}:443")] {
        assert!(
            tunnel(&target).starts_with("HTTP/1.1 200"),
            "the gate's tunnel to {target}: {}",
            tunnel(&target)
        );
    }
    // Anything else, through the filter: another host on the network (the tests' upstream,
    // under its name there), another port of the upstream's host, the upstream by address.
    let server_ip = server.address(&egress);
    let upstream_ip = h
        .engine
        .inspect_container(&bottle.upstream)
        .unwrap()
        .unwrap()
        .networks[&egress]
        .ip
        .clone()
        .unwrap();
    for target in [
        format!("{}:443", crate::support::PRIVATE_ALIAS),
        format!("{GIT_HOST}:80"),
        format!("{server_ip}:443"),
        format!("{upstream_ip}:443"),
    ] {
        let answer = tunnel(&target);
        assert!(
            answer.starts_with("HTTP/1.1 403"),
            "the gate's filter opened {target}: {answer}"
        );
    }
    // And around it: no route (it is not on the egress network), no resolver; git on its own
    // reaches nothing, and through the filter, as the gate's own git goes, is refused.
    let direct = in_gate(
        "for to in \"$1/443\" \"$1/22\" \"$2/443\"; do \
           timeout 5 bash -c \"echo > /dev/tcp/$to\" 2>/dev/null && echo \"reached $to\"; done; \
         getent hosts \"$3\" && echo resolved; \
         git ls-remote \"https://$4/web.git\" 2>&1 | tail -n 1; \
         git -c http.proxy=\"http://$5\" ls-remote \"https://$4/web.git\" 2>&1 | tail -n 1; true",
        &[
            &server_ip,
            &upstream_ip,
            GIT_HOST,
            crate::support::PRIVATE_ALIAS,
            &format!("{filter_ip}:{port}"),
        ],
    );
    let lines: Vec<&str> = direct.stdout.lines().collect();
    assert!(
        lines.len() == 2 && lines[0].contains("Could not resolve host") && lines[1].contains("403"),
        "the gate reached out: {}",
        direct.stdout
    );
    // The agent, on the same internal network, gets no tunnel at all.
    let from_agent = h.sh(
        &bottle.agent(),
        None,
        &format!("set -- {filter_ip} {port} {GIT_HOST}:443; {ASK_TUNNEL}"),
    );
    assert!(
        !from_agent.stdout.contains("HTTP/1.1 200"),
        "the agent got a tunnel from the gate's filter: {}",
        from_agent.stdout
    );
    // Each refusal is in the bottle's audit log, with the filter's events.
    let logs = h
        .bot_bottle(&bottle.ws)
        .args(["logs", "--json", &bottle.slug])
        .output()
        .unwrap();
    assert!(logs.status.success());
    let refused = String::from_utf8_lossy(&logs.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["verdict"] == "egress_refused")
        .count();
    assert!(
        refused >= 5,
        "logs shows {refused} refusals of the gate's filter:\n{}",
        String::from_utf8_lossy(&logs.stdout)
    );
}

/// The gate listens on its address on the internal network only. Another local user's
/// container on its egress network (here the git server's) and, on rootful engines, the host
/// (which has an address on that network) must not reach it: they could clone the private
/// upstreams with the bottle's credentials. The agent does, through the name its `/etc/hosts`
/// maps. (The internal address is tried from nowhere else: nothing routes to it.)
fn only_the_agent_reaches_the_gate(
    h: &Harness,
    bottle: &Bottle<'_>,
    server: &GitServer<'_>,
    gate: &str,
) {
    let port = bot_bottle_gate::config::PORT;
    let health = |host: &str| {
        format!("curl -sS -m 5 --noproxy '*' -o /dev/null -w '%{{http_code}}' http://{host}:{port}/health; echo \" rc=$?\"")
    };
    let (ok, out) = agent(bottle, &health(gate));
    assert!(
        ok && out.starts_with("200 rc=0"),
        "control: the agent reaches its gate: {out}"
    );
    // It is not on the egress network at all; its egress filter is, and answers there
    // neither: it listens on its internal address alone.
    let egress = bottle.egress_network();
    let info = h.engine.inspect_container(gate).unwrap().unwrap();
    assert!(
        !info.networks.contains_key(&egress),
        "the gate is on the egress network: {:?}",
        info.networks.keys()
    );
    let (_, ip) = filter_at(h, bottle, &egress);
    let port = bot_bottle_gate::config::EGRESS_PORT;
    let from_server = h.sh(
        &server.name,
        None,
        &format!("timeout 5 bash -c 'echo > /dev/tcp/{ip}/{port}' 2>&1; echo \" rc=$?\""),
    );
    assert!(
        !from_server.stdout.ends_with(" rc=0\n"),
        "a container on the egress network reached the gate's filter at {ip}: {}",
        from_server.stdout
    );
    if crate::support::is_root() {
        let addr = std::net::SocketAddr::new(ip.parse().unwrap(), port);
        let reached = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3));
        assert!(
            reached.is_err(),
            "the host reached the bottle's gate's filter at {addr}"
        );
    }
}

/// Over SSH and over HTTPS: clone, commit, push a branch; the server has it.
fn pushes_reach_the_upstream(bottle: &Bottle<'_>, server: &GitServer<'_>) {
    // Over SSH, with the key only the gate holds; over HTTPS, with its token.
    for (url, dir, branch, repo) in [
        (
            format!("git@{GIT_HOST}:/srv/git/ssh/app.git"),
            "app",
            "bot/feature",
            "ssh/app.git",
        ),
        (
            format!("https://{GIT_HOST}/web.git"),
            "web",
            "bot/web",
            "https/web.git",
        ),
    ] {
        let (ok, out) = agent(
            bottle,
            &format!(
                "set -e; cd /tmp && git clone -q {url} {dir} && cd {dir} && \
                 git checkout -q -b {branch} && echo change > change.txt && git add . && \
                 git commit -qm 'a change' && git push -q origin {branch} 2>&1 && git rev-parse HEAD"
            ),
        );
        assert!(
            ok,
            "clone and push of {url} through the gate failed:\n{out}"
        );
        let pushed = out.lines().last().unwrap_or("").trim().to_owned();
        assert_eq!(server.rev(repo, &format!("refs/heads/{branch}")), pushed);
    }
}

/// A push to the default branch, a force-push and a commit carrying a GitHub token are each
/// refused with a reason, and nothing reaches the server.
fn the_policy_refuses(h: &Harness, bottle: &Bottle<'_>, server: &GitServer<'_>) {
    // The default branch is protected.
    let main_before = server.rev("ssh/app.git", "refs/heads/main");
    let (ok, out) = agent(bottle, "cd /tmp/app && git push origin HEAD:main 2>&1");
    assert!(!ok, "a push to main went through:\n{out}");
    assert!(out.contains("default branch"), "no reason given:\n{out}");
    assert_eq!(server.rev("ssh/app.git", "refs/heads/main"), main_before);

    // Without push_refs, only branches under bot/.
    let (ok, out) = agent(bottle, "cd /tmp/web && git push origin HEAD:topic 2>&1");
    assert!(!ok, "a push outside bot/ went through:\n{out}");
    assert!(
        out.contains("may push only to refs/heads/bot/*"),
        "no reason given:\n{out}"
    );
    assert_eq!(server.rev("https/web.git", "refs/heads/topic"), "");

    // No force-push.
    let (ok, out) = agent(
        bottle,
        "cd /tmp/app && git commit -q --amend -m rewritten && git push -f origin bot/feature 2>&1",
    );
    assert!(!ok, "a force-push went through:\n{out}");
    assert!(out.contains("force-push"), "no reason given:\n{out}");

    // No credentials in pushed commits.
    let github_token = format!("ghp_{}", "Zq7RbX2mKp".repeat(4));
    let (ok, out) = agent(
        bottle,
        &format!(
            "cd /tmp/app && git reset -q --hard origin/bot/feature && \
             echo 'token = \"{github_token}\"' > config.txt && git add . && git commit -qm config && \
             git push origin bot/feature 2>&1"
        ),
    );
    assert!(!ok, "a commit with a GitHub token went through:\n{out}");
    assert!(out.contains("GitHub Token"), "no reason given:\n{out}");
    assert!(
        !out.contains(&github_token),
        "the refusal repeats the token:\n{out}"
    );
    let on_server = h.sh(
        &server.name,
        None,
        &format!("grep -rl {github_token} /srv/git || true"),
    );
    assert_eq!(on_server.stdout.trim(), "", "the token reached the server");
}

fn secrets_stay_out_of_the_agent(h: &Harness, bottle: &Bottle<'_>, keys: &Keys, gate: &str) {
    // The private key and the token are nowhere in the agent: files, environments, command
    // lines of every process. Root in the agent has no capabilities, so it cannot read the
    // agent user's private files: look as both. The search must find what is there.
    let control = "seeded by the testbed git server";
    assert!(
        find_in_agent(h, bottle, control, None).contains("/tmp/app/README"),
        "the search does not find what is there"
    );
    for (what, secret) in [
        ("private key", keys.identity_marker()),
        ("token", TOKEN.to_owned()),
    ] {
        for user in [Some("0"), None] {
            let found = find_in_agent(h, bottle, &secret, user);
            assert_eq!(found, "", "the {what} is in the agent: {found}");
        }
    }
    let (_, out) = agent(bottle, "ls -a ~/.ssh 2>&1; cat ~/.gitconfig");
    assert!(
        !out.contains("id_bottle"),
        "an identity in the agent:\n{out}"
    );
    // But the gate has it.
    let in_gate = h.engine.exec(
        gate,
        &engine::ExecSpec::new(["cat", "/etc/bot-bottle-gate/ssh/identity"]),
    );
    assert!(in_gate.is_ok_and(|o| o.stdout.contains(&keys.identity_marker())));
}

fn no_way_to_the_server_but_the_gate(bottle: &Bottle<'_>, server: &GitServer<'_>) {
    // The agent reaches the git server only through the gate: not directly, not through its
    // proxy.
    let ip = server.address(&bottle.egress_network());
    let (ok, out) = agent(
        bottle,
        &format!(
            "timeout 5 bash -c 'echo > /dev/tcp/{ip}/22' 2>&1 || \
             timeout 5 bash -c 'echo > /dev/tcp/{ip}/443' 2>&1 || \
             curl -sS -m 10 -o /dev/null https://{GIT_HOST}/web.git/info/refs 2>&1"
        ),
    );
    assert!(
        !ok,
        "the agent reached the git server without the gate:\n{out}"
    );
}

fn audited_and_listed(h: &Harness, bottle: &Bottle<'_>, name: &str) {
    // Every push and refusal is in the bottle's audit log.
    let logs = h
        .bot_bottle(&bottle.ws)
        .args(["logs", "--json", name])
        .output()
        .unwrap();
    assert!(logs.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&logs.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|line| line["event"].clone())
        .filter(|e| e["source"] == "git-gate")
        .collect();
    let count = |event: &str| events.iter().filter(|e| e["event"] == event).count();
    assert_eq!(count("push"), 2, "{events:?}");
    assert_eq!(count("push_refused"), 4, "{events:?}");

    // `list` knows the gate.
    let list = h
        .bot_bottle(&bottle.ws)
        .args(["list", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let row = rows["bottles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["bottle"] == name)
        .expect("list shows the bottle");
    assert_eq!(row["gate"], "running");
}
