//! The end-to-end harness: engine selection, a launched bottle with an "internet" upstream on
//! its egress network, and cleanup that runs whatever the test did.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use engine::{detect, ContainerSpec, Engine, ExecOutput, ExecSpec, NetworkAttachment, NetworkSpec};
use serde_json::Value;

pub const AGENT_IMAGE: &str = "localhost/bot-bottle-test/agent:latest";
pub const UPSTREAM_IMAGE: &str = "localhost/bot-bottle-test/upstream:latest";
pub const DOUBLE_IMAGE: &str = "localhost/bot-bottle-test/pipelock:2.3.0";
/// The git gate the testbed builds (it trusts the testbed CA), and the git server it reaches.
pub const GATE_IMAGE: &str = "localhost/bot-bottle-test/gitgate:latest";

/// The git gate image the tests run: [`GATE_IMAGE`], or the one `BOT_BOTTLE_GATE_IMAGE` names
/// (a gate built from a change to `gate/` before the testbed's images are rebuilt).
pub fn gate_image() -> String {
    std::env::var("BOT_BOTTLE_GATE_IMAGE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| GATE_IMAGE.to_owned())
}
pub const GITSERVER_IMAGE: &str = "localhost/bot-bottle-test/gitserver:latest";
/// Names the upstream answers to on the tests' internet (see [`Internet`]).
pub const UPSTREAM_ALIASES: &[&str] = &[
    "raw.githubusercontent.com",
    "api.anthropic.com",
    "platform.claude.com",
    "claude.ai",
    "api.openai.com",
    "generativelanguage.googleapis.com",
    "upstream.bottle.test",
    "passthrough.bottle.test",
    "denied.bottle.test",
];
/// The name the upstream also answers to on the bottle's own egress network, a private range
/// engines give their networks: an allowed host that resolves to a private address, which
/// pipelock's SSRF guard must refuse.
pub const PRIVATE_ALIAS: &str = "private.bottle.test";
/// A host variable the test manifests forward into the agent, with a value that must never
/// be printed.
pub const FORWARDED_ENV: &str = "BB_E2E_FORWARDED";
pub const FORWARDED_VALUE: &str = "forwarded-secret-7f3c9a1e";
/// The API key Claude Code reads, forwarded the same way. Shaped like a real Anthropic key, so
/// that pipelock's DLP would name it if it ever saw it in clear.
pub const API_KEY_ENV: &str = "ANTHROPIC_API_KEY";
pub const DUMMY_API_KEY: &str = "sk-ant-api03-bbE2eDummyKeyNotReal0000000000000000-4a7c1f";
/// Label on everything a test creates itself (the upstream), besides the bottle's own labels.
pub const TEST_LABEL: &str = "io.bot-bottle.test";
/// The port pipelock listens on in a sidecar.
pub const PROXY_PORT: u16 = 8888;

/// The engine under test and the binary, or `None` (after a loud message) when the end-to-end
/// tests cannot run here and are not required to.
pub struct Harness {
    pub engine: Box<dyn Engine>,
    pub bin: PathBuf,
    pub proxy_image: String,
    /// The git gate's image: [`GATE_IMAGE`], or `BOT_BOTTLE_GATE_IMAGE` (a gate built from this
    /// checkout, before the shared test images carry it).
    pub gate_image: String,
}

/// Whether the engine under test can apply memory, CPU and process limits: set by
/// [`harness`]. Where it cannot (rootless podman on cgroup v1), a launch refuses them, so the
/// tests' manifests turn them off, explicitly, as a user there would (see [`resources_table`]).
static APPLIES_LIMITS: OnceLock<bool> = OnceLock::new();

/// Whether the engine under test applies memory, CPU and process limits.
pub fn applies_limits() -> bool {
    *APPLIES_LIMITS
        .get()
        .expect("harness() runs before a manifest is made")
}

/// The `[resources]` table of the tests' manifests: none where the engine applies limits (the
/// defaults hold), `limits = "none"` where it cannot.
pub fn resources_table() -> &'static str {
    if applies_limits() {
        ""
    } else {
        "[resources]\nlimits = \"none\"\n\n"
    }
}

pub fn harness() -> Option<Harness> {
    let required = std::env::var("BOT_BOTTLE_E2E").is_ok_and(|v| v == "required");
    let skip = |why: String| {
        assert!(
            !required,
            "BOT_BOTTLE_E2E=required but the end-to-end tests cannot run: {why}"
        );
        eprintln!("\n*** SKIPPING end-to-end test: {why} (set BOT_BOTTLE_E2E=required to fail instead) ***\n");
        None
    };
    let engine = match detect::select_engine(detect::choice_from_env().as_deref(), false) {
        Ok(engine) => engine,
        Err(e) => return skip(format!("{e:#}")),
    };
    let info = match engine.info() {
        Ok(info) => info,
        Err(e) => return skip(format!("{} is not answering: {e:#}", engine.program())),
    };
    let _ = APPLIES_LIMITS.set(info.limits == engine::LimitSupport::ALL);
    let proxy_image =
        std::env::var("BOT_BOTTLE_PIPELOCK_IMAGE").unwrap_or_else(|_| DOUBLE_IMAGE.to_owned());
    for image in [AGENT_IMAGE, UPSTREAM_IMAGE, proxy_image.as_str()] {
        if !engine.image_exists(image).unwrap_or(false) {
            return skip(format!(
                "image {image} is missing in {}; run contrib/testbed/build-images.sh",
                engine.program()
            ));
        }
    }
    let bin = std::env::var_os("BOT_BOTTLE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_bot-bottle")),
        PathBuf::from,
    );
    Some(Harness {
        engine,
        bin,
        proxy_image,
        gate_image: gate_image(),
    })
}

/// A unique bottle name for this test process.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "e2e-{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A private working directory holding the manifest, and beside it (never in it) the user's
/// bot-bottle config and state for the runs in it; both removed on drop.
pub struct Workspace(pub PathBuf);

impl Workspace {
    pub fn new(name: &str, manifest: &str) -> Self {
        Self::named(&format!("bot-bottle-{name}"), manifest)
    }

    /// A workspace in the directory `dir_name` under the temp dir.
    pub fn named(dir_name: &str, manifest: &str) -> Self {
        let dir = std::env::temp_dir().join(dir_name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bottle.toml"), manifest).unwrap();
        Workspace(dir)
    }
}

impl Workspace {
    /// The user's side of this workspace's runs: `config.toml` and the state directory
    /// (approvals), where a user's home would hold them.
    pub fn user_dir(&self) -> PathBuf {
        let mut dir = self.0.clone().into_os_string();
        dir.push(".user");
        PathBuf::from(dir)
    }

    /// Writes the user's config allowing `paths` outside the manifest's directory.
    pub fn allow_paths(&self, paths: &[&std::path::Path]) {
        let list: Vec<String> = paths
            .iter()
            .map(|p| format!("{:?}", p.to_str().unwrap()))
            .collect();
        std::fs::create_dir_all(self.user_dir()).unwrap();
        std::fs::write(
            self.user_dir().join("config.toml"),
            format!("allow_paths = [{}]\n", list.join(", ")),
        )
        .unwrap();
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_dir_all(self.user_dir());
    }
}

/// The manifest the tests launch: the test agent image, the upstream's test hostnames.
pub fn manifest(name: &str, command: &[&str]) -> String {
    manifest_forwarding(name, command, &[])
}

/// [`manifest`], forwarding `extra_env` as well as the usual variables.
pub fn manifest_forwarding(name: &str, command: &[&str], extra_env: &[&str]) -> String {
    manifest_parts(name, command, extra_env, resources_table())
}

/// [`manifest`] with `resources` as its `[resources]` table (written whole, header included).
pub fn manifest_with_resources(name: &str, command: &[&str], resources: &str) -> String {
    manifest_parts(name, command, &[], resources)
}

fn manifest_parts(name: &str, command: &[&str], extra_env: &[&str], resources: &str) -> String {
    let command: Vec<String> = command.iter().map(|a| format!("{a:?}")).collect();
    let env: Vec<String> = [FORWARDED_ENV, API_KEY_ENV]
        .iter()
        .chain(extra_env)
        .map(|name| format!("{name:?}"))
        .collect();
    format!(
        "name = \"{name}\"\n\n[agent]\nimage = \"{AGENT_IMAGE}\"\ncommand = [{}]\n\
         env = [{}]\n\n{}[egress]\n\
         allowlist = [\"upstream.bottle.test\", \"passthrough.bottle.test\", \"{PRIVATE_ALIAS}\"]\n\
         tls_passthrough_domains = [\"passthrough.bottle.test\"]\n",
        command.join(", "),
        env.join(", "),
        resources
    )
}

impl Harness {
    /// `bot-bottle ARGS` in `ws`, pointed at this engine and proxy image, and at the user's
    /// config and state beside `ws`.
    pub fn bot_bottle(&self, ws: &Workspace) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(&ws.0)
            .env("BOT_BOTTLE_CONFIG", ws.user_dir().join("config.toml"))
            .env("BOT_BOTTLE_STATE_DIR", ws.user_dir().join("state"))
            .env("BOT_BOTTLE_ENGINE", self.engine.program().as_str())
            .env("BOT_BOTTLE_PIPELOCK_IMAGE", &self.proxy_image)
            .env("BOT_BOTTLE_GATE_IMAGE", &self.gate_image)
            .env(FORWARDED_ENV, FORWARDED_VALUE)
            .env(API_KEY_ENV, DUMMY_API_KEY)
            .stdin(Stdio::null());
        cmd
    }

    /// Approves `ws`'s manifest, deliberately, as a user would before `start -y`.
    pub fn approve(&self, ws: &Workspace) {
        let out = self
            .bot_bottle(ws)
            .args(["approve", "bottle.toml"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "approve failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A workspace holding `manifest`, approved.
    pub fn approved(&self, name: &str, manifest: &str) -> Workspace {
        let ws = Workspace::new(name, manifest);
        self.approve(&ws);
        ws
    }

    /// `start -y --detach --json bottle.toml` in `ws`.
    pub fn start_detached(&self, ws: &Workspace) -> Output {
        self.bot_bottle(ws)
            .args(["start", "-y", "--detach", "--json", "bottle.toml"])
            .output()
            .unwrap()
    }

    /// Everything labelled for `slug`: containers and networks, by name.
    pub fn leftovers(&self, slug: &str) -> Vec<String> {
        let label = format!("io.bot-bottle.bottle={slug}");
        let mut left: Vec<String> = self
            .engine
            .list_containers(&label)
            .unwrap()
            .into_iter()
            .map(|c| format!("container {}", c.name))
            .collect();
        left.extend(
            self.engine
                .list_networks(&label)
                .unwrap()
                .into_iter()
                .map(|n| format!("network {}", n.name)),
        );
        left
    }

    /// The bottle's Claude Code state volume (one per bottle name and workspace: the tests
    /// launch a name in one workspace), found by its label, if it exists.
    pub fn state_volume(&self, slug: &str) -> Option<String> {
        let mut names = self.state_volumes(slug);
        assert!(
            names.len() <= 1,
            "{slug} has several state volumes: {names:?}"
        );
        names.pop()
    }

    /// Every state volume labelled for `slug`.
    pub fn state_volumes(&self, slug: &str) -> Vec<String> {
        self.engine
            .list_volumes(&format!("io.bot-bottle.bottle={slug}"))
            .unwrap_or_else(|e| panic!("{e:#}"))
            .into_iter()
            .map(|v| v.name)
            .collect()
    }

    /// Removes the bottle's state volumes: kept by design when a bottle ends, so a test that
    /// launched one removes it itself.
    pub fn remove_state_volume(&self, slug: &str) {
        for name in self.state_volumes(slug) {
            self.engine.remove_volume(&name).unwrap();
        }
    }

    /// Starts the testbed upstream `name` on `network`, answering to `aliases` there, labelled
    /// for the test `slug`, and waits until it serves HTTPS.
    pub fn start_upstream(&self, name: &str, networks: Vec<NetworkAttachment>, slug: &str) {
        let spec = ContainerSpec {
            networks,
            labels: [(TEST_LABEL.to_owned(), slug.to_owned())].into(),
            ..ContainerSpec::new(name, UPSTREAM_IMAGE)
        };
        self.engine.create_container(&spec).unwrap();
        self.engine.start_container(name).unwrap();
        wait_for(
            "the upstream to serve HTTPS",
            Duration::from_secs(30),
            || {
                self.sh(name, None, "curl -skf https://localhost/hello")
                    .status
                    == 0
            },
        );
    }

    /// The files in `container` (searched as root, `/proc`, `/sys` and `/dev` left out) that
    /// hold `line`.
    pub fn files_holding(&self, container: &str, line: &str) -> Vec<String> {
        let found = self.sh(
            container,
            Some("0"),
            &format!("grep -rlF -e '{line}' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; echo rc=$?"),
        );
        // grep -l lists every file holding the line; exit 2 only means some file was
        // unreadable (docker's bind-mounted /etc/hostname and friends), so judge by the
        // listing, and by a 0 exit, which means grep found it.
        let mut listed: Vec<String> = found
            .stdout
            .lines()
            .filter(|l| !l.starts_with("rc="))
            .map(str::to_owned)
            .collect();
        if listed.is_empty() && found.stdout.contains("rc=0") {
            listed.push(format!("(grep found it: {})", found.stdout));
        }
        listed
    }

    /// Runs a shell script in `container` (as its default user unless `user` is given).
    pub fn sh(&self, container: &str, user: Option<&str>, script: &str) -> ExecOutput {
        let spec = ExecSpec {
            user: user.map(str::to_owned),
            ..ExecSpec::new(["sh", "-c", script])
        };
        self.engine.exec(container, &spec).unwrap()
    }
}

/// The tests' stand-in for the internet: a network of the test's own on a documentation range
/// (RFC 5737's TEST-NET-3), where the upstream plays remote hosts at public-looking addresses
/// and the bottle's sidecar is connected as a real one would reach them through its egress
/// network's route. Real pipelock refuses every destination in the private ranges engines give
/// their networks (its SSRF guard), so the remote side must not sit on one. The network is
/// `--internal`: nothing on it is routed off the host. Removed on drop.
pub struct Internet<'h> {
    h: &'h Harness,
    pub name: String,
    pub subnet: String,
}

impl<'h> Internet<'h> {
    /// Creates `name` on the first free /28 of this engine's share of 203.0.113.0/24 (tests
    /// run side by side, and docker and rootful podman share the host's routes, so each engine
    /// takes its own half).
    /// `internal: false` gives the network a gateway on the host, for a test that needs one.
    pub fn create(h: &'h Harness, name: String, internal: bool) -> Self {
        let first = match h.engine.kind() {
            engine::EngineKind::Docker => 128,
            engine::EngineKind::Podman => 0,
        };
        let mut refusals = Vec::new();
        for block in (first..first + 128).step_by(16) {
            let subnet = format!("203.0.113.{block}/28");
            let spec = NetworkSpec {
                name: name.clone(),
                internal,
                subnet: Some(subnet.clone()),
                labels: [(TEST_LABEL.to_owned(), name.clone())].into(),
                ..NetworkSpec::default()
            };
            // A range another test holds is refused: take the next one.
            match h.engine.create_network(&spec) {
                Ok(()) => return Internet { h, name, subnet },
                Err(e) => refusals.push(format!("{e:#}")),
            }
        }
        panic!("no free /28 for the test internet {name}: {refusals:#?}");
    }
}

impl Drop for Internet<'_> {
    fn drop(&mut self) {
        let _ = self.h.engine.remove_network(&self.name);
    }
}

/// A detached bottle plus an upstream container on the tests' internet; all removed on drop
/// (upstream first: a network with a container on it cannot be removed; the internet last,
/// once the sidecar connected to it is gone).
pub struct Bottle<'h> {
    pub h: &'h Harness,
    pub ws: Workspace,
    pub slug: String,
    pub launch: Value,
    pub start_output: Output,
    pub upstream: String,
    /// Dropped with the fields, after `Drop::drop` stopped the bottle.
    pub internet: Option<Internet<'h>>,
}

impl<'h> Bottle<'h> {
    pub fn launch(h: &'h Harness, prefix: &str) -> Self {
        Self::launch_with(h, prefix, "")
    }

    /// [`Bottle::launch`] with `extra` appended to the manifest (its last table is `[egress]`).
    pub fn launch_with(h: &'h Harness, prefix: &str, extra: &str) -> Self {
        let name = unique_name(prefix);
        let manifest = manifest(&name, &["sleep", "infinity"]) + extra;
        Self::launch_manifest(h, &name, &manifest)
    }

    /// [`Bottle::launch`] with `resources` as the manifest's `[resources]` table.
    pub fn launch_with_resources(h: &'h Harness, prefix: &str, resources: &str) -> Self {
        let name = unique_name(prefix);
        let manifest = manifest_with_resources(&name, &["sleep", "infinity"], resources);
        Self::launch_manifest(h, &name, &manifest)
    }

    fn launch_manifest(h: &'h Harness, name: &str, manifest: &str) -> Self {
        let ws = h.approved(name, manifest);
        let start_output = h.start_detached(&ws);
        Self::started(h, name, ws, start_output)
    }

    /// The bottle `name` that a `start --detach --json` in `ws` launched, with its upstream.
    pub fn started(h: &'h Harness, name: &str, ws: Workspace, start_output: Output) -> Self {
        let mut bottle = Bottle {
            h,
            slug: name.to_owned(),
            launch: Value::Null,
            upstream: format!("{name}-upstream"),
            ws,
            start_output,
            internet: None,
        };
        assert!(
            bottle.start_output.status.success(),
            "start failed: {}",
            String::from_utf8_lossy(&bottle.start_output.stderr)
        );
        bottle.launch = serde_json::from_slice(&bottle.start_output.stdout)
            .expect("start --json prints its report");
        bottle.start_upstream();
        bottle
    }

    pub fn agent(&self) -> String {
        self.launch["agent_container"].as_str().unwrap().to_owned()
    }

    pub fn proxy(&self) -> String {
        self.launch["proxy_container"].as_str().unwrap().to_owned()
    }

    /// The key holder (every test bottle forwards the dummy API key, so every one has it).
    pub fn key_holder(&self) -> String {
        self.launch["key_holder_container"]
            .as_str()
            .expect("a key holder")
            .to_owned()
    }

    pub fn egress_network(&self) -> String {
        self.launch["networks"][1].as_str().unwrap().to_owned()
    }

    /// The tests' internet network.
    pub fn internet(&self) -> &str {
        &self
            .internet
            .as_ref()
            .expect("the upstream is started")
            .name
    }

    fn start_upstream(&mut self) {
        let internet = start_upstream(self.h, &self.slug, Some(&self.egress_network()));
        self.internet = Some(internet);
    }

    /// The sidecar's log so far (pipelock's audit events are JSON lines on stdout).
    pub fn proxy_events(&self) -> Vec<Value> {
        let out = self.h.engine.logs(&self.proxy()).unwrap();
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The sidecar's events so far that name `host` (as a CONNECT target or in a URL).
    pub fn proxy_events_naming(&self, host: &str) -> Vec<Value> {
        self.proxy_events()
            .into_iter()
            .filter(|e| {
                e["target"]
                    .as_str()
                    .or(e["url"].as_str())
                    .is_some_and(|t| t.contains(host))
            })
            .collect()
    }

    /// The upstream's log so far: one JSON object per request it answered.
    pub fn upstream_requests(&self) -> Vec<Value> {
        let out = self.h.engine.logs(&self.upstream).unwrap();
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r.get("status").is_some())
            .collect()
    }

    /// Runs `script` in the agent as the agent user.
    pub fn agent_sh(&self, script: &str) -> ExecOutput {
        self.h.sh(&self.agent(), None, script)
    }
}

/// Starts the upstream `<slug>-upstream` on a new test internet, and on the bottle's egress
/// network (`egress`, when given: a bottle's teardown cannot remove it while the upstream is
/// on it), and connects the bottle's sidecar to the internet; waits until it serves. The
/// caller removes the upstream before the internet goes.
pub fn start_upstream<'h>(h: &'h Harness, slug: &str, egress: Option<&str>) -> Internet<'h> {
    let internet = Internet::create(h, format!("{slug}-internet"), true);
    // On the internet it answers to the public names; on the bottle's egress network (a
    // private range) only to the private one.
    let mut networks = vec![NetworkAttachment {
        name: internet.name.clone(),
        aliases: UPSTREAM_ALIASES.iter().map(|a| (*a).to_owned()).collect(),
        ip: None,
    }];
    networks.extend(egress.map(|name| NetworkAttachment {
        name: name.to_owned(),
        aliases: vec![PRIVATE_ALIAS.to_owned()],
        ip: None,
    }));
    h.engine
        .connect_network(
            &NetworkAttachment::new(&internet.name),
            &format!("bot-bottle-{slug}-pipelock"),
        )
        .unwrap();
    // The key holder reaches the Anthropic stand-in directly, as it would the real API.
    let holder = format!("bot-bottle-{slug}-keys");
    if h.engine.inspect_container(&holder).unwrap().is_some() {
        h.engine
            .connect_network(&NetworkAttachment::new(&internet.name), &holder)
            .unwrap();
    }
    h.start_upstream(&format!("{slug}-upstream"), networks, slug);
    internet
}

impl Drop for Bottle<'_> {
    fn drop(&mut self) {
        let _ = self.h.engine.remove_container(&self.upstream);
        let out = self
            .h
            .bot_bottle(&self.ws)
            .args(["stop", "--purge", &self.slug])
            .output()
            .unwrap();
        if !std::thread::panicking() {
            let mut left = self.h.leftovers(&self.slug);
            left.extend(self.h.state_volume(&self.slug));
            assert!(
                out.status.success(),
                "stop failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(left.is_empty(), "stop left {left:?}");
        }
    }
}

/// Runs `stop --purge NAME` in a workspace when dropped, whatever the test did.
pub struct Purge<'h>(pub &'h Harness, pub &'h Workspace, pub String);

impl Drop for Purge<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .bot_bottle(self.1)
            .args(["stop", "--purge", &self.2])
            .output();
    }
}

/// The first 16 hex digits of `value`'s SHA-256: how the Anthropic stand-in logs each
/// credential a request carried (`credentials`), so a test can tell whose arrived.
pub fn fingerprint(value: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(value.as_bytes());
    base16ct::lower::encode_string(&digest[..8])
}

/// Polls `condition` until it holds, failing the test after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Host-side firewall counters for traffic that must never leave the host: DNS queries naming
/// `marker` (TCP or UDP, any destination), and anything at all sent to the documentation ranges
/// the tests use as "public" addresses. The rules DROP what they count, so even a broken bottle
/// sends nothing off this machine. Removed on drop.
pub struct LeakWatch {
    pub marker: String,
    rules: Vec<(&'static str, Vec<String>)>,
    /// Whether this process installed the counters (it must be root to).
    here: bool,
}

/// IPv4 range the tests use for "a public address" (TEST-NET-2: never routed on the internet).
pub const PUBLIC_V4_NET: &str = "198.51.100.0/24";
pub const PUBLIC_V4: &str = "198.51.100.7";
const PUBLIC_V6_NET: &str = "2001:db8::/32";

impl LeakWatch {
    /// Installs the counters when this process is root. A rootless run cannot: it must be
    /// watched from outside (`BOT_BOTTLE_E2E_LEAK_WATCH=outside`, set by `contrib/ci/test-all.sh`,
    /// whose counters match every `bbleak` marker and fail the run on any hit).
    pub fn start() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let marker = format!(
            "bbleak{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut watch = LeakWatch {
            marker: marker.clone(),
            rules: Vec::new(),
            here: is_root(),
        };
        if !watch.here {
            let outside = std::env::var("BOT_BOTTLE_E2E_LEAK_WATCH").is_ok_and(|v| v == "outside");
            let required = std::env::var("BOT_BOTTLE_E2E").is_ok_and(|v| v == "required");
            assert!(
                outside || !required,
                "not root, so no host firewall counters here, and BOT_BOTTLE_E2E_LEAK_WATCH=outside does not say someone else counts"
            );
            return watch;
        }
        let comment = ["-m", "comment", "--comment", &marker].map(str::to_owned);
        // "Leaving the host" is going out of an interface that carries a default route; frames
        // bridged between two containers also pass FORWARD (br_netfilter) and do not count.
        for (tool, family) in [("iptables", "-4"), ("ip6tables", "-6")] {
            for out in uplinks(family) {
                for chain in ["OUTPUT", "FORWARD"] {
                    let head: Vec<String> = [chain, "-o", &out].map(str::to_owned).to_vec();
                    for proto in ["udp", "tcp"] {
                        let mut rule = head.clone();
                        rule.extend(
                            [
                                "-p", proto, "--dport", "53", "-m", "string", "--algo", "bm",
                                "--string", &marker,
                            ]
                            .map(str::to_owned),
                        );
                        rule.extend(comment.clone());
                        rule.extend(["-j".to_owned(), "DROP".to_owned()]);
                        watch.insert(tool, rule);
                    }
                    let net = if tool == "iptables" {
                        PUBLIC_V4_NET
                    } else {
                        PUBLIC_V6_NET
                    };
                    let mut rule = head.clone();
                    rule.extend(["-d".to_owned(), net.to_owned()]);
                    rule.extend(comment.clone());
                    rule.extend(["-j".to_owned(), "DROP".to_owned()]);
                    watch.insert(tool, rule);
                }
            }
        }
        watch
    }

    fn insert(&mut self, tool: &'static str, rule: Vec<String>) {
        let out = Command::new(tool)
            .args(["-w", "-I"])
            .args(&rule)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool} -I {rule:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.rules.push((tool, rule));
    }

    /// Packets the rules caught so far (each one would have left the host), with the rules that
    /// caught them; `None` when they are counted outside this process.
    pub fn hits(&self) -> Option<(u64, String)> {
        if !self.here {
            return None;
        }
        let mut total = 0;
        let mut report = String::new();
        for tool in ["iptables", "ip6tables"] {
            for chain in ["OUTPUT", "FORWARD"] {
                let out = Command::new(tool)
                    .args(["-w", "-L", chain, "-v", "-x", "-n"])
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                for line in text
                    .lines()
                    .filter(|l| l.contains(&format!("/* {} */", self.marker)))
                {
                    let packets: u64 = line
                        .split_whitespace()
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    if packets > 0 {
                        total += packets;
                        let _ = writeln!(report, "{tool} {chain}: {line}");
                    }
                }
            }
        }
        Some((total, report))
    }
}

impl Drop for LeakWatch {
    fn drop(&mut self) {
        for (tool, rule) in &self.rules {
            let _ = Command::new(tool).args(["-w", "-D"]).args(rule).output();
        }
    }
}

/// The interfaces that carry a default route for `family` (`-4` or `-6`).
fn uplinks(family: &str) -> Vec<String> {
    let out = Command::new("ip")
        .args([family, "-j", "route", "show", "default"])
        .output()
        .unwrap();
    let routes: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let mut devs: Vec<String> = routes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["dev"].as_str().map(str::to_owned))
        .collect();
    devs.sort();
    devs.dedup();
    devs
}

pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The host's own addresses (all interfaces but loopback), as `ip -j addr` lists them: IPv4
/// ones plain, IPv6 link-local ones with the scope the agent would use (`%eth0`).
pub fn host_addresses() -> Vec<String> {
    let out = Command::new("ip").args(["-j", "addr"]).output().unwrap();
    assert!(out.status.success(), "ip -j addr failed");
    let ifaces: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut addrs = Vec::new();
    for iface in ifaces.as_array().unwrap() {
        if iface["ifname"] == "lo" {
            continue;
        }
        for info in iface["addr_info"].as_array().into_iter().flatten() {
            let Some(local) = info["local"].as_str() else {
                continue;
            };
            match (info["family"].as_str(), info["scope"].as_str()) {
                (Some("inet6"), Some("link")) => addrs.push(format!("{local}%eth0")),
                (Some("inet" | "inet6"), _) => addrs.push(local.to_owned()),
                _ => {}
            }
        }
    }
    addrs
}

/// The first host address of an IPv4 subnet ("10.89.0.0/24" → "10.89.0.1"): where an engine
/// would put the network's gateway.
pub fn first_host(subnet: &str) -> String {
    let base = subnet.split('/').next().unwrap();
    let ip: std::net::Ipv4Addr = base.parse().unwrap();
    std::net::Ipv4Addr::from(u32::from(ip) + 1).to_string()
}

/// Files this user can read in the host's scratch places (`/tmp`, `/var/tmp`, `/dev/shm`,
/// `$XDG_RUNTIME_DIR`, `$TMPDIR`, three levels down) that hold `needle`: where an engine CLI
/// or bot-bottle would leave a spooled copy of something secret. Mounts below a place (a
/// container's `/proc`, whose `kmsg` blocks a reader) are not entered, and empty files not read.
pub fn scratch_files_holding(needle: &str) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt as _;

    let mut roots: Vec<PathBuf> = ["/tmp", "/var/tmp", "/dev/shm"]
        .into_iter()
        .map(PathBuf::from)
        .collect();
    roots.extend(std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from));
    roots.push(std::env::temp_dir());
    roots.sort();
    roots.dedup();
    let mut found = Vec::new();
    let mut pending: Vec<(PathBuf, u64, usize)> = roots
        .into_iter()
        .filter_map(|root| Some((std::fs::metadata(&root).ok()?.dev(), root)))
        .map(|(dev, root)| (root, dev, 0))
        .collect();
    while let Some((dir, dev, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.dev() != dev {
                continue;
            }
            let path = entry.path();
            if kind.is_dir() && depth < 3 {
                pending.push((path, dev, depth + 1));
            } else if kind.is_file()
                && (1..4 << 20).contains(&meta.len())
                && std::fs::read(&path)
                    .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
            {
                found.push(path);
            }
        }
    }
    found
}
