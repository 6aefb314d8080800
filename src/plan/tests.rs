//! [`super::build`] itself, one test per manifest feature: what each puts in the plan, given a
//! [`PlanInputs`] the test controls (a scratch directory, a fixed launch id, no engine). The
//! CLI tests (`tests/cli/dry_run.rs`) check the same plans through the binary and its output.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use super::{build, Destination, FileContent, Plan, PlanInputs, StepAction};
use crate::bottle::addresses::InternalAddresses;
use crate::bottle::{self, Role};
use crate::exit::UsageError;
use crate::manifest::{self, ManifestSource};
use crate::proxy_config::Mode;
use crate::{allowlist, defaults};

/// The launch id every plan here gets.
pub(crate) const LAUNCH_ID: &str = "0123456789abcdef";

/// A scratch directory standing for the user's project: the manifest, the files it names and
/// the stage root live in it; removed on drop.
pub(crate) struct Project {
    pub dir: Utf8PathBuf,
    _tmp: tempfile::TempDir,
}

impl Project {
    /// An empty project directory named `name` (the bottle's name when the manifest has none).
    pub fn new(name: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("bb-plan-")
            .tempdir()
            .unwrap();
        let root = Utf8PathBuf::from_path_buf(tmp.path().canonicalize().unwrap()).unwrap();
        let dir = root.join(name);
        std::fs::create_dir(&dir).unwrap();
        Project { dir, _tmp: tmp }
    }

    /// Writes `contents` to `rel` in the project, making its directories.
    pub fn write(&self, rel: &str, contents: &str) -> Utf8PathBuf {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn stage_root(&self) -> Utf8PathBuf {
        self.dir.parent().unwrap().join("stage")
    }

    /// What `start` would gather, here: no engine, no overrides, nothing set in the host's
    /// environment, an hour's CA.
    pub fn inputs(&self, source: ManifestSource) -> PlanInputs {
        PlanInputs {
            source,
            manifest_sha256: None,
            cwd: self.dir.clone(),
            engine: None,
            proxy_image_override: None,
            gate_image_override: None,
            stage_root: self.stage_root(),
            env_is_set: |_| false,
            ca_validity_seconds: 3600,
            launch_id: LAUNCH_ID.to_owned(),
            allowed_paths: Vec::new(),
            config_file: "/nonexistent/bot-bottle/config.toml".into(),
            user_paths: Vec::new(),
            learn: false,
            logins: crate::login::Store::in_state_dir(&self.dir.join(".state")),
            host_cpus: 2,
        }
    }

    /// The plan of `toml` as `bottle.toml` in the project, with `edit` made to the inputs.
    pub fn try_plan_with(
        &self,
        toml: &str,
        edit: impl FnOnce(&mut PlanInputs),
    ) -> Result<Plan, UsageError> {
        let source = ManifestSource::File(self.write("bottle.toml", toml));
        let (manifest, digest) = manifest::load_with_digest(&source).unwrap();
        let mut inputs = self.inputs(source);
        inputs.manifest_sha256 = digest;
        edit(&mut inputs);
        build(&manifest, &inputs)
    }

    pub fn plan(&self, toml: &str) -> Plan {
        self.try_plan_with(toml, |_| {}).unwrap()
    }

    pub fn plan_with(&self, toml: &str, edit: impl FnOnce(&mut PlanInputs)) -> Plan {
        self.try_plan_with(toml, edit).unwrap()
    }
}

fn hosts(plan_hosts: &[crate::manifest::Hostname]) -> Vec<&str> {
    plan_hosts
        .iter()
        .map(crate::manifest::Hostname::as_str)
        .collect()
}

fn step<'p>(plan: &'p Plan, name: &str) -> &'p super::ProvisionStep {
    plan.provisioning
        .iter()
        .find(|s| s.step == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

fn agent_paths(step: &super::ProvisionStep) -> Vec<&str> {
    step.files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn the_built_in_manifest_plans_a_bare_bottle_named_after_the_directory() {
    let project = Project::new("my-repo");
    let source = ManifestSource::Builtin;
    let (manifest, digest) = manifest::load_with_digest(&source).unwrap();
    let plan = build(&manifest, &project.inputs(source)).unwrap();

    assert_eq!(plan.schema, super::JSON_SCHEMA);
    assert_eq!(plan.bottle.name, "my-repo");
    assert_eq!(plan.bottle.slug(), "my-repo");
    assert_eq!((&plan.bottle.manifest, digest), (&None, None));
    assert_eq!(plan.launch_id, LAUNCH_ID);
    assert_eq!(plan.images.agent, defaults::AGENT_IMAGE);
    assert_eq!(plan.images.proxy, defaults::PROXY_IMAGE);
    assert_eq!(plan.agent.command, crate::agents::DEFAULT.command);
    assert_eq!(plan.agent.workspace, project.dir);
    assert_eq!(plan.agent.workspace_allowed_by, "current directory");
    assert_eq!(plan.agent.userns, None);
    assert!(plan.gate.is_none() && plan.containers.gate.is_none());
    // Only the hosts Claude Code needs, and nothing to copy but the CA.
    assert!(!plan.egress.allowlist.is_empty());
    assert!(plan.egress.allowlist.iter().all(allowlist::is_builtin));
    assert!(plan.egress.approvable.is_empty() && plan.egress.internal_hosts.is_empty());
    assert!(plan.egress.lock.is_none() && plan.egress.learn.is_none());
    assert!(plan.host_files.is_empty());
    let actions: Vec<_> = plan
        .provisioning
        .iter()
        .map(|s| (s.step, s.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("ca", StepAction::Run),
            ("prompt", StepAction::Skip),
            ("skills", StepAction::Skip),
            ("ssh", StepAction::Skip),
            ("git", StepAction::Skip),
        ]
    );
    assert_eq!(plan.proxy.config.mode, Mode::Strict);
    assert_eq!(
        plan.proxy.config.api_allowlist,
        hosts(&plan.egress.allowlist)
    );
}

#[test]
fn the_name_makes_the_slug_and_the_slug_every_name_path_and_label() {
    let project = Project::new("dir");
    let plan = project.plan("name = \"My Project!\"\n");
    assert_eq!(plan.bottle.name, "My Project!");
    let slug = plan.bottle.slug();
    assert_eq!(slug, "my-project");
    assert_eq!(
        plan.bottle.manifest.as_deref(),
        Some(project.dir.join("bottle.toml").as_path())
    );
    assert!(plan
        .bottle
        .manifest_sha256
        .as_deref()
        .is_some_and(|d| d.starts_with("sha256:")));

    // The identity is the one a later command finds by the name.
    let stage_root = project.stage_root();
    assert_eq!(
        plan.bottle.identity,
        bottle::Bottle::in_root(&stage_root, slug.to_owned())
    );
    assert_eq!(plan.bottle.stage_dir(), stage_root.join("my-project"));
    assert_eq!(plan.stage_dir, plan.bottle.stage_dir());
    assert_eq!(plan.bottle.lock_path(), stage_root.join("my-project.lock"));
    assert_eq!(
        plan.agent.git.snapshot,
        plan.bottle.stage_dir().join(crate::gitwatch::FILE)
    );

    assert_eq!(plan.containers.agent, "bot-bottle-my-project");
    assert_eq!(plan.containers.proxy, "bot-bottle-my-project-pipelock");
    assert_eq!(plan.containers.proxy, plan.bottle.proxy());
    assert_eq!(
        plan.networks.internal,
        "bot-bottle-my-project-internal-01234567"
    );
    assert_eq!(
        plan.networks.egress,
        "bot-bottle-my-project-egress-01234567"
    );
    assert!(plan.state_volume.name.starts_with("bot-bottle-my-project-"));
    assert!(plan.state_volume.name.ends_with("-claude"));
    assert_eq!(plan.state_volume.workspace, project.dir);

    // Each resource's labels: the bottle, its role, this launch.
    for (labels, role) in [
        (&plan.agent.labels, Role::Agent),
        (&plan.proxy.labels, Role::Proxy),
        (&plan.state_volume.labels, Role::State),
        (&plan.networks.labels, Role::Network),
    ] {
        assert_eq!(*labels, bottle::labels(slug, role, LAUNCH_ID), "{role}");
        assert_eq!(labels[bottle::LABEL_ROLE], role.as_label());
    }
}

#[test]
fn without_a_name_the_workspace_directory_names_the_bottle() {
    let project = Project::new("Some_Dir");
    let plan = project.plan("");
    assert_eq!(plan.bottle.name, "Some_Dir");
    assert_eq!(plan.bottle.slug(), "some-dir");
}

#[test]
fn a_name_with_nothing_to_make_a_slug_of_is_refused_naming_the_field() {
    let project = Project::new("p");
    let err = project
        .try_plan_with("name = \"!!!\"\n", |_| {})
        .unwrap_err();
    assert!(err.0.contains("bottle.toml: name: "), "{err}");
    assert!(err.0.contains("no letters or digits"), "{err}");
}

#[test]
fn egress_allowlist_passthrough_internal_hosts_and_approvable() {
    let project = Project::new("p");
    let plan = project.plan(
        "[egress]\n\
         allowlist = [\"registry.npmjs.org\", \"*.example.org\", \"git.corp.test\"]\n\
         tls_passthrough_domains = [\"registry.npmjs.org\"]\n\
         internal_hosts = [\"git.corp.test\"]\n\
         approvable = [\"pypi.org\", \"b.example.net\", \"pypi.org\"]\n\
         dlp_action = \"warn\"\n",
    );
    let egress = &plan.egress;
    let allow = hosts(&egress.allowlist);
    for host in ["registry.npmjs.org", "*.example.org", "git.corp.test"] {
        assert!(allow.contains(&host), "{host} not in {allow:?}");
    }
    assert!(egress.allowlist.iter().any(allowlist::is_builtin));
    assert!(
        !allow.contains(&"pypi.org"),
        "approvable is not allowed yet"
    );
    assert_eq!(hosts(&egress.approvable), ["b.example.net", "pypi.org"]);
    assert_eq!(hosts(&egress.internal_hosts), ["git.corp.test"]);
    let passthrough = hosts(&egress.tls_interception.passthrough_domains);
    assert!(passthrough.contains(&"registry.npmjs.org"));
    assert!(
        passthrough.contains(&"downloads.claude.ai"),
        "always spliced"
    );
    // The hosts of the user's Anthropic credential are the key holder's, and pipelock's
    // blocklist keeps the agent from them.
    assert!(!allow.contains(&"api.anthropic.com"), "{allow:?}");
    // Every kind's credential hosts, in every bottle.
    assert_eq!(
        hosts(&egress.blocklist),
        [
            "api.anthropic.com",
            "api.openai.com",
            "claude.ai",
            "generativelanguage.googleapis.com",
            "platform.claude.com"
        ]
    );
    assert_eq!(
        plan.proxy.config.fetch_proxy.monitoring.blocklist,
        hosts(&egress.blocklist)
    );
    // The CA may sign for the allowlist's and the approvable hosts' domains (a wildcard's
    // base), nothing else.
    let permitted = egress
        .tls_interception
        .ca_permitted_domains
        .as_ref()
        .unwrap();
    assert!(
        !permitted.iter().any(|d| d == "example.net"),
        "{permitted:?}"
    );
    for domain in [
        "example.org",
        "pypi.org",
        "b.example.net",
        "registry.npmjs.org",
    ] {
        assert!(
            permitted.iter().any(|d| d == domain),
            "{domain} not in {permitted:?}"
        );
    }
    // Pipelock gets exactly that.
    let config = &plan.proxy.config;
    assert_eq!(config.api_allowlist, allow);
    assert_eq!(config.trusted_domains, ["git.corp.test"]);
    assert_eq!(config.tls_interception.passthrough_domains, passthrough);
    assert_eq!(
        config.request_body_scanning.action,
        crate::manifest::DlpAction::Warn
    );
}

#[test]
fn an_internal_host_not_on_the_allowlist_is_refused() {
    let project = Project::new("p");
    let err = project
        .try_plan_with("[egress]\ninternal_hosts = [\"git.corp.test\"]\n", |_| {})
        .unwrap_err();
    assert!(
        err.0
            .starts_with(&format!("{}: ", project.dir.join("bottle.toml"))),
        "{err}"
    );
    assert!(err.0.contains("git.corp.test"), "{err}");
}

const LOCK: &str = "schema = \"bot-bottle.lock/v1\"\nbottle = \"p\"\n\
    learned_at = \"2026-01-01T00:00:00Z\"\n\n[[host]]\nname = \"locked.example.com\"\n";

#[test]
fn a_lock_beside_the_manifest_widens_the_allowlist_and_is_shown() {
    let project = Project::new("p");
    let lock_path = project.write("bottle.lock", LOCK);
    let plan = project.plan("[egress]\nallowlist = [\"a.example.org\"]\n");
    let lock = plan.egress.lock.as_ref().expect("the lock is planned");
    assert_eq!(lock.path, lock_path);
    assert_eq!(lock.sha256, crate::ca::sha256_of(LOCK.as_bytes()));
    assert_eq!(hosts(&lock.hosts), ["locked.example.com"]);
    let allow = hosts(&plan.egress.allowlist);
    assert!(allow.contains(&"locked.example.com") && allow.contains(&"a.example.org"));
    assert!(plan
        .proxy
        .config
        .api_allowlist
        .contains(&"locked.example.com".to_owned()));

    // A lock that is not one stops the plan, naming the file.
    project.write(
        "bottle.lock",
        "schema = \"bot-bottle.lock/v1\"\nbogus = 1\n",
    );
    let err = project.try_plan_with("", |_| {}).unwrap_err();
    assert!(err.0.contains(lock_path.as_str()), "{err}");
}

#[test]
fn a_learn_run_reaches_every_host_and_replaces_the_lock() {
    let project = Project::new("p");
    let lock_path = project.write("bottle.lock", LOCK);
    let plan = project.plan_with("[egress]\nallowlist = [\"a.example.org\"]\n", |i| {
        i.learn = true;
    });
    let learn = plan.egress.learn.as_ref().expect("a learn plan");
    assert_eq!(learn.lock_path, lock_path);
    assert_eq!(
        learn.replaces.as_deref(),
        Some(crate::ca::sha256_of(LOCK.as_bytes()).as_str())
    );
    // The lock it replaces is not allowed; the CA may sign for any name; pipelock audits.
    assert!(plan.egress.lock.is_none());
    assert!(!hosts(&plan.egress.allowlist).contains(&"locked.example.com"));
    assert!(plan.egress.tls_interception.ca_permitted_domains.is_none());
    assert_eq!(plan.proxy.config.mode, Mode::Audit);
    assert!(plan.proxy.config.enforce);

    // Without a lock yet, it replaces nothing.
    std::fs::remove_file(&lock_path).unwrap();
    let plan = project.plan_with("", |i| i.learn = true);
    assert_eq!(plan.egress.learn.unwrap().replaces, None);
}

#[test]
fn forwarded_env_is_named_with_whether_the_host_has_it_never_its_value() {
    let project = Project::new("p");
    let plan = project.plan_with("[agent]\nenv = [\"SET_VAR\", \"UNSET_VAR\"]\n", |i| {
        i.env_is_set = |name| name == "SET_VAR";
    });
    let forwarded: Vec<_> = plan
        .agent
        .forwarded_env
        .iter()
        .map(|f| (f.name.as_str(), f.set_on_host))
        .collect();
    assert_eq!(forwarded, [("SET_VAR", true), ("UNSET_VAR", false)]);
    // The variables bot-bottle sets itself: proxy routing through the sidecar, the CA.
    let env = &plan.agent.env;
    let proxy_url = format!("http://{}:{}", plan.containers.proxy, defaults::PROXY_PORT);
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        assert_eq!(env[var], proxy_url, "{var}");
    }
    assert_eq!(env["NO_PROXY"], "localhost,127.0.0.1,::1");
    assert_eq!(env["NODE_EXTRA_CA_CERTS"], defaults::AGENT_CA_CERT_PATH);
    assert!(!env.contains_key("SET_VAR"));
}

#[test]
fn the_prompt_is_copied_to_claude_md_in_the_agent() {
    let project = Project::new("p");
    let prompt = project.write("prompt.md", "Be brief.\n");
    let plan = project.plan("prompt = \"prompt.md\"\n");
    let step = step(&plan, "prompt");
    assert_eq!(step.action, StepAction::Run);
    assert_eq!(step.sources, std::slice::from_ref(&prompt));
    let home = &plan.agent.home;
    let claude_md = format!("{home}/.claude/CLAUDE.md");
    let file = step.files.iter().find(|f| f.path == claude_md).unwrap();
    assert!(matches!(&file.content, FileContent::HostFile(s) if s.path == prompt));
    let found = &plan.host_files[0];
    assert_eq!(
        (found.field.as_str(), &found.resolved, found.destination),
        ("prompt", &prompt, Destination::Agent)
    );
    assert_eq!(found.allowed_by, "manifest directory");

    // A prompt outside the manifest's directory, not allowed by the user: refused.
    let err = project
        .try_plan_with("prompt = \"../elsewhere.md\"\n", |_| {})
        .unwrap_err();
    assert!(err.0.contains("prompt"), "{err}");
}

#[test]
fn skills_are_copied_under_claude_skills_by_directory_name() {
    let project = Project::new("p");
    project.write("skills/review/SKILL.md", "# Review\n");
    project.write("skills/review/notes/a.txt", "a\n");
    let plan = project.plan("skills = [\"skills/review\"]\n");
    let step = step(&plan, "skills");
    assert_eq!(step.action, StepAction::Run);
    let home = &plan.agent.home;
    let paths = agent_paths(step);
    for expected in [
        format!("{home}/.claude/skills/review/SKILL.md"),
        format!("{home}/.claude/skills/review/notes/a.txt"),
    ] {
        assert!(
            paths.contains(&expected.as_str()),
            "{expected} not in {paths:?}"
        );
    }
    assert_eq!(plan.host_files[0].field, "skills[0]");
    assert_eq!(plan.host_files[0].destination, Destination::Agent);

    // Two skills of one name would land in one place.
    project.write("other/review/SKILL.md", "# Other\n");
    let err = project
        .try_plan_with("skills = [\"skills/review\", \"other/review\"]\n", |_| {})
        .unwrap_err();
    assert!(err.0.contains("skills: two skill directories"), "{err}");
}

#[test]
fn ssh_without_upstreams_goes_into_the_agent_s_home() {
    let project = Project::new("p");
    project.write("id_ed25519", "not really a key\n");
    project.write("known_hosts", "example.com ssh-ed25519 AAAA\n");
    let plan = project.plan("[ssh]\nidentity = \"id_ed25519\"\nknown_hosts = \"known_hosts\"\n");
    assert!(plan.gate.is_none());
    let step = step(&plan, "ssh");
    assert_eq!(step.action, StepAction::Run);
    let home = &plan.agent.home;
    let paths = agent_paths(step);
    assert!(
        paths.contains(&format!("{home}/.ssh/known_hosts").as_str()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&format!("{home}/.ssh/config").as_str()),
        "{paths:?}"
    );
    let identity = step
        .files
        .iter()
        .find(|f| matches!(&f.content, FileContent::HostFile(s) if s.path.ends_with("id_ed25519")))
        .expect("the identity is copied");
    assert_eq!(identity.mode, 0o600);
    let fields: Vec<_> = plan
        .host_files
        .iter()
        .map(|f| (f.field.as_str(), f.destination))
        .collect();
    assert_eq!(
        fields,
        [
            ("ssh.identity", Destination::Agent),
            ("ssh.known_hosts", Destination::Agent)
        ]
    );
}

#[test]
fn git_upstreams_plan_a_gate_that_gets_the_credentials() {
    let project = Project::new("p");
    project.write("token", "t0ken\n");
    project.write("id_ed25519", "not really a key\n");
    project.write("known_hosts", "git.example.org ssh-ed25519 AAAA\n");
    let plan = project.plan_with(
        "name = \"g\"\n\
         [ssh]\nidentity = \"id_ed25519\"\nknown_hosts = \"known_hosts\"\n\
         [git]\nuser_name = \"Bot\"\n\
         [[git.upstreams]]\nname = \"web\"\nurl = \"https://git.example.com/web.git\"\n\
         token_file = \"token\"\n\
         [[git.upstreams]]\nname = \"ops\"\nurl = \"ssh://git@git.example.org/ops.git\"\n",
        |i| i.gate_image_override = Some("localhost/my-gate:1".to_owned()),
    );
    let gate = plan.gate.as_ref().expect("a gate");
    assert_eq!(gate.container, "bot-bottle-g-gitgate");
    assert_eq!(gate.container, plan.bottle.gate());
    assert_eq!(
        plan.containers.gate.as_deref(),
        Some(gate.container.as_str())
    );
    assert_eq!(gate.image, "localhost/my-gate:1");
    // On the internal network alone: its only way out is its egress filter, which reaches the
    // upstreams' hosts and ports and nothing else, for the gate's address alone.
    assert_eq!(gate.networks, std::slice::from_ref(&plan.networks.internal));
    assert_eq!(gate.labels, bottle::labels("g", Role::Gate, LAUNCH_ID));
    let filter = &gate.egress;
    assert_eq!(filter.container, "bot-bottle-g-gitegress");
    assert_eq!(
        filter.networks,
        [plan.networks.internal.clone(), plan.networks.egress.clone()]
    );
    assert_eq!(
        filter.labels,
        bottle::labels("g", Role::GateEgress, LAUNCH_ID)
    );
    assert_eq!(filter.allow, ["git.example.com:443", "git.example.org:22"]);
    assert_eq!(
        gate.config.egress_proxy.as_deref(),
        Some(filter.listen.as_str())
    );
    assert_eq!(
        filter.command,
        [
            "egress",
            "--listen",
            filter.listen.as_str(),
            "--client",
            gate.address.as_str(),
            "--allow",
            "git.example.com:443",
            "--allow",
            "git.example.org:22"
        ]
    );
    assert!(filter.privileges.read_only_root && filter.resources.pids.is_some());
    let names: Vec<_> = gate.upstreams.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["web", "ops"]);
    assert_eq!(gate.upstream_hosts, ["git.example.com", "git.example.org"]);

    // The credentials go to the gate, never into the agent.
    let sources: Vec<&Utf8Path> = gate
        .files
        .iter()
        .filter_map(|f| match &f.content {
            FileContent::HostFile(s) => Some(s.path.as_path()),
            _ => None,
        })
        .collect();
    for name in ["token", "id_ed25519", "known_hosts"] {
        assert!(
            sources.contains(&project.dir.join(name).as_path()),
            "{name} not in {sources:?}"
        );
    }
    assert_eq!(step(&plan, "ssh").action, StepAction::Skip);
    assert!(plan.provisioning.iter().flat_map(|s| &s.sources).all(|s| ![
        "token",
        "id_ed25519",
        "known_hosts"
    ]
    .contains(&s.file_name().unwrap())));
    assert!(plan
        .host_files
        .iter()
        .all(|f| f.destination == Destination::GitGate));
    // The agent reaches the gate directly, by the name its /etc/hosts maps.
    assert_eq!(plan.agent.hosts[&gate.container], gate.address);
    assert!(plan.agent.env["NO_PROXY"].ends_with(&format!(",{}", gate.container)));

    // Two upstreams of one name are refused, naming the field.
    let err = project
        .try_plan_with(
            "[[git.upstreams]]\nname = \"a\"\nurl = \"https://x.example.com/a.git\"\n\
             [[git.upstreams]]\nname = \"a\"\nurl = \"https://x.example.com/b.git\"\n",
            |_| {},
        )
        .unwrap_err();
    assert!(err.0.contains("git.upstreams[1].name"), "{err}");
}

#[test]
fn the_workspace_is_the_manifest_s_or_the_current_directory() {
    let project = Project::new("p");
    std::fs::create_dir(project.dir.join("ws")).unwrap();
    let plan = project.plan("[agent]\nworkspace = \"ws\"\n");
    assert_eq!(plan.agent.workspace, project.dir.join("ws"));
    assert_eq!(plan.agent.workspace_allowed_by, "manifest directory");
    assert_eq!(plan.agent.workdir, defaults::AGENT_WORKDIR);
    assert_eq!(plan.state_volume.workspace, project.dir.join("ws"));
    // Named after its workspace, the bottle is named after `ws`.
    assert_eq!(plan.bottle.slug(), "ws");
    // Another workspace, another state volume for the same name.
    let here = project.plan("");
    assert_ne!(plan.state_volume.name, here.state_volume.name);

    let err = project
        .try_plan_with("[agent]\nworkspace = \"..\"\n", |_| {})
        .unwrap_err();
    assert!(err.0.contains("agent.workspace"), "{err}");
}

#[test]
fn the_agent_image_and_command_can_be_overridden() {
    let project = Project::new("p");
    let plan = project.plan_with(
        "[agent]\nimage = \"localhost/my-agent:2\"\ncommand = [\"bash\", \"-l\"]\n",
        |i| i.proxy_image_override = Some("localhost/my-pipelock:1".to_owned()),
    );
    assert_eq!(plan.images.agent, "localhost/my-agent:2");
    assert_eq!(plan.images.proxy, "localhost/my-pipelock:1");
    assert_eq!(plan.agent.command, ["bash", "-l"]);

    let err = project
        .try_plan_with("[agent]\ncommand = []\n", |_| {})
        .unwrap_err();
    assert!(err.0.ends_with("agent.command: must not be empty"), "{err}");
}

#[test]
fn rootless_podman_maps_the_invoking_user_to_the_agent_user() {
    let project = Project::new("p");
    let plan = project.plan_with("", |i| {
        i.engine = Some(super::EngineSummary {
            kind: "podman".to_owned(),
            program: "/usr/bin/podman".into(),
            version: None,
            rootless: Some(true),
            reachable: None,
        });
    });
    assert_eq!(
        plan.agent.userns.as_deref(),
        Some(
            format!(
                "keep-id:uid={},gid={}",
                defaults::AGENT_UID,
                defaults::AGENT_GID
            )
            .as_str()
        )
    );
}

#[test]
fn every_container_sits_at_the_launch_s_internal_address() {
    let project = Project::new("p");
    project.write("token", "t\n");
    let plan = project.plan(
        "[[git.upstreams]]\nname = \"web\"\nurl = \"https://git.example.com/web.git\"\n\
         token_file = \"token\"\n",
    );
    let addresses = InternalAddresses::for_launch(LAUNCH_ID);
    assert_eq!(plan.networks.internal_subnet, addresses.subnet);
    assert_eq!(plan.proxy.address, addresses.proxy.to_string());
    assert_eq!(plan.agent.address, addresses.agent.to_string());
    let gate = plan.gate.as_ref().unwrap();
    assert_eq!(gate.address, addresses.gate.to_string());
    // Pipelock listens there only, and the agent's /etc/hosts maps the sidecars' names there.
    let listen = format!("{}:{}", addresses.proxy, defaults::PROXY_PORT);
    assert_eq!(plan.proxy.listen, listen);
    assert_eq!(plan.proxy.config.fetch_proxy.listen, listen);
    assert_eq!(
        plan.proxy.command,
        [
            "run",
            "--config",
            defaults::PROXY_CONFIG_PATH,
            "--listen",
            listen.as_str()
        ]
    );
    assert_eq!(
        plan.agent.hosts,
        [
            (plan.containers.proxy.clone(), addresses.proxy.to_string()),
            (gate.container.clone(), addresses.gate.to_string()),
        ]
        .into()
    );
    // Another launch, (almost always) another subnet.
    let other = project.plan_with("", |i| i.launch_id = "fedcba9876543210".to_owned());
    assert_ne!(
        other.networks.internal_subnet,
        plan.networks.internal_subnet
    );
}

#[test]
fn the_ca_lifetime_is_the_inputs_and_what_the_ca_is_made_with() {
    let project = Project::new("p");
    let plan = project.plan_with("", |i| i.ca_validity_seconds = 7200);
    let tls = &plan.egress.tls_interception;
    assert_eq!(tls.ca_validity_seconds, 7200);
    assert_eq!(tls.ca_validity(), Duration::from_secs(7200));
    assert!(tls.enabled && tls.ca_fingerprint.is_none());
    assert_eq!(tls.agent_ca_path, defaults::AGENT_CA_CERT_PATH);
}

/// The key holder's hosts as the agent's `/etc/hosts` maps them.
fn mapped_to<'p>(plan: &'p Plan, address: &str) -> Vec<&'p str> {
    plan.agent
        .hosts
        .iter()
        .filter(|(_, ip)| *ip == address)
        .map(|(name, _)| name.as_str())
        .collect()
}

#[test]
fn without_a_credential_there_is_no_key_holder_and_the_agent_reaches_no_anthropic_host() {
    let project = Project::new("p");
    let plan = project.plan("[agent]\nenv = [\"ANTHROPIC_API_KEY\"]\n");
    assert!(plan.key_holder.is_none() && plan.containers.key_holder.is_none());
    let holder = InternalAddresses::for_launch(LAUNCH_ID)
        .key_holder
        .to_string();
    assert!(mapped_to(&plan, &holder).is_empty());
    assert!(!plan.agent.env.contains_key("ANTHROPIC_API_KEY"));
    // Unset on the host: forwarded (and skipped at launch) as any other variable.
    assert_eq!(plan.agent.forwarded_env.len(), 1);
    assert!(!plan.agent.env["NO_PROXY"].contains("anthropic"));
    // Pipelock refuses them all the same.
    assert_eq!(
        plan.proxy.config.fetch_proxy.monitoring.blocklist,
        crate::agents::key_holder_hosts()
            .iter()
            .map(|h| (*h).to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_forwarded_api_key_goes_to_the_key_holder_and_the_agent_gets_a_placeholder() {
    let project = Project::new("p");
    let plan = project.plan_with("[agent]\nenv = [\"ANTHROPIC_API_KEY\", \"OTHER\"]\n", |i| {
        i.env_is_set = |_| true;
    });
    let holder = plan.key_holder.as_ref().expect("a key holder");
    let address = InternalAddresses::for_launch(LAUNCH_ID).key_holder;
    assert_eq!(holder.address, address.to_string());
    assert_eq!(holder.container, format!("bot-bottle-p-keys"));
    assert_eq!(holder.image, defaults::GATE_IMAGE);
    assert_eq!(
        holder.labels,
        bottle::labels("p", Role::KeyHolder, LAUNCH_ID)
    );
    assert_eq!(
        holder.credential,
        super::keys::CredentialSource::HostVariable {
            name: crate::manifest::EnvName::parse("ANTHROPIC_API_KEY").unwrap(),
            kind: crate::login::Kind::ApiKey,
        }
    );
    assert_eq!(holder.config.listen, format!("{address}:443"));
    assert!(holder.config.placeholder_refresh.is_none());
    // The key is not forwarded; the agent holds the placeholder under its name.
    let forwarded: Vec<&str> = plan
        .agent
        .forwarded_env
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(forwarded, ["OTHER"]);
    assert_eq!(
        plan.agent.env["ANTHROPIC_API_KEY"],
        super::keys::placeholder(LAUNCH_ID)
    );
    // Its hosts lead to the holder, past the proxy, and the bottle CA may sign for them.
    let mut mapped = mapped_to(&plan, &address.to_string());
    mapped.sort_unstable();
    assert_eq!(
        mapped,
        ["api.anthropic.com", "claude.ai", "platform.claude.com"]
    );
    for host in bot_bottle_gate::keys::HOSTS {
        assert!(plan.agent.env["NO_PROXY"].split(',').any(|h| h == host));
        assert!(crate::ca::subtrees_permit(
            plan.egress
                .tls_interception
                .ca_permitted_domains
                .as_ref()
                .unwrap(),
            host
        ));
    }
}

#[test]
fn a_stored_subscription_login_is_held_and_a_named_login_must_exist() {
    use bot_bottle_gate::keys::{Credential, OAuthCredential, Secret};
    let project = Project::new("p");
    let store = crate::login::Store::in_state_dir(&project.dir.join(".state"));
    let login = Credential::OAuth(OAuthCredential {
        access_token: Secret::new("sk-ant-oat01-unit"),
        refresh_token: Some(Secret::new("sk-ant-ort01-unit")),
        expires_at: None,
        scopes: vec!["user:inference".to_owned()],
        subscription_type: None,
    });
    let work = crate::login::LoginName::parse("work").unwrap();
    store.write(&work, &login, false).unwrap();

    let plan = project.plan("[agent]\nlogin = \"work\"\n");
    let holder = plan.key_holder.as_ref().expect("a key holder");
    assert_eq!(holder.placeholder_variable, "CLAUDE_CODE_OAUTH_TOKEN");
    assert!(matches!(
        &holder.credential,
        super::keys::CredentialSource::Login { name, kind: crate::login::Kind::Oauth, refreshable: true, .. }
            if name == &work
    ));
    assert!(holder.config.placeholder_refresh.is_some());
    assert!(!plan.agent.env.values().any(|v| v.contains("sk-ant-")));
    let text = serde_json::to_string(&plan).unwrap();
    assert!(
        !text.contains("sk-ant-oat01-unit"),
        "the plan shows the token"
    );

    // No `default` login: a bottle without `agent.login` has no holder.
    assert!(project.plan("").key_holder.is_none());
    let err = project
        .try_plan_with("[agent]\nlogin = \"home\"\n", |_| {})
        .unwrap_err();
    assert!(
        err.0
            .contains("bottle.toml: agent.login: no login \"home\""),
        "{err}"
    );
}

#[test]
fn egress_events_go_to_the_named_collectors_only() {
    let project = Project::new("p");
    let none = project.plan("");
    assert_eq!(
        none.proxy.config.emit, None,
        "off unless a collector is named"
    );
    let plan = project.plan(
        "[egress.events]\notlp = \"https://otel.corp.test:4318\"\nsyslog = \"udp://logs.corp.test:514\"\n",
    );
    assert_eq!(
        plan.egress.events.named(),
        [
            "otlp https://otel.corp.test:4318",
            "syslog udp://logs.corp.test:514"
        ]
    );
    let emit = serde_json::to_value(plan.proxy.config.emit.as_ref().unwrap()).unwrap();
    assert_eq!(
        emit,
        serde_json::json!({
            "otlp": {"endpoint": "https://otel.corp.test:4318", "min_severity": "info",
                     "timeout_seconds": 10, "queue_size": 256},
            "syslog": {"address": "udp://logs.corp.test:514", "min_severity": "info",
                       "facility": "local0", "tag": "pipelock"},
        })
    );
    // A collector that is not one is a manifest error naming the file, line and field.
    let source = ManifestSource::File(project.write(
        "bottle.toml",
        "[egress.events]\nsyslog = \"udp://logs.corp.test\"\n",
    ));
    let err = manifest::load_with_digest(&source).unwrap_err().to_string();
    assert!(
        err.contains("bottle.toml:2:10: egress.events.syslog: invalid syslog address")
            && err.contains("it needs a port"),
        "{err}"
    );
}

#[test]
fn a_codex_bottle_holds_an_openai_key_for_api_openai_com_only() {
    use bot_bottle_gate::keys::{Credential, Secret};
    let project = Project::new("p");
    let store = crate::login::Store::in_state_dir(&project.dir.join(".state"));
    let codex = crate::agents::AgentKind::named("codex").unwrap();
    let key = Credential::ApiKey(Secret::new("sk-proj-unit-openai-key"));
    let work = crate::login::LoginName::parse("oai").unwrap();
    store.write_for(codex, &work, &key, false).unwrap();

    let plan = project.plan("[agent]\nkind = \"codex\"\nlogin = \"oai\"\n");
    assert!(std::ptr::eq(plan.agent.kind, codex));
    assert_eq!(plan.agent.command, ["codex"]);
    assert_eq!(plan.images.agent, "localhost/bot-bottle/agent-codex:latest");
    assert_eq!(plan.state_volume.target, "/home/node/.codex");
    assert!(
        plan.state_volume.name.ends_with("-codex"),
        "{}",
        plan.state_volume.name
    );
    assert_eq!(plan.agent.env["CODEX_HOME"], "/home/node/.codex");
    assert_eq!(
        plan.agent.env["CODEX_CA_CERTIFICATE"],
        crate::defaults::AGENT_CA_BUNDLE_PATH
    );
    assert!(!plan.agent.env.contains_key("CLAUDE_CONFIG_DIR"));
    let holder = plan.key_holder.as_ref().expect("a key holder");
    assert_eq!(holder.hosts, ["api.openai.com"]);
    assert_eq!(holder.placeholder_variable, "OPENAI_API_KEY");
    // `codex exec` reads CODEX_API_KEY: the placeholder is there too.
    for variable in ["OPENAI_API_KEY", "CODEX_API_KEY"] {
        assert_eq!(
            plan.agent.env[variable],
            holder.config.placeholder.expose(),
            "{variable}"
        );
    }
    let header = &holder.config.credential_headers["api.openai.com"];
    assert_eq!(
        (header.name.as_str(), header.scheme.as_deref()),
        ("authorization", Some("Bearer"))
    );
    assert_eq!(plan.agent.hosts["api.openai.com"], holder.address);
    assert!(!plan.agent.hosts.contains_key("api.anthropic.com"));
    // Not Claude Code's hosts; every kind's credential hosts blocked.
    assert!(!hosts(&plan.egress.allowlist).contains(&"statsig.anthropic.com"));
    assert!(hosts(&plan.egress.blocklist).contains(&"api.anthropic.com"));
    assert!(hosts(&plan.egress.blocklist).contains(&"api.openai.com"));
    let text = serde_json::to_string(&plan).unwrap();
    assert!(
        !text.contains("sk-proj-unit-openai-key"),
        "the plan shows the key"
    );
    assert_eq!(
        serde_json::to_value(&plan).unwrap()["agent"]["kind"]["name"],
        "codex"
    );
}

#[test]
fn a_gemini_bottle_takes_its_key_from_the_host_variable_and_puts_it_on_as_x_goog_api_key() {
    let project = Project::new("p");
    let plan = project.plan_with(
        "[agent]\nkind = \"gemini\"\nenv = [\"GEMINI_API_KEY\"]\n",
        |inputs| inputs.env_is_set = |name| name == "GEMINI_API_KEY",
    );
    let holder = plan.key_holder.as_ref().expect("a key holder");
    assert_eq!(holder.hosts, ["generativelanguage.googleapis.com"]);
    assert_eq!(holder.placeholder_variable, "GEMINI_API_KEY");
    assert!(
        plan.agent.forwarded_env.is_empty(),
        "the key is not forwarded"
    );
    assert!(!plan.agent.env.contains_key("CODEX_API_KEY"));
    let header = &holder.config.credential_headers["generativelanguage.googleapis.com"];
    assert_eq!(
        (header.name.as_str(), header.scheme.as_deref()),
        ("x-goog-api-key", None)
    );
    assert_eq!(
        plan.agent.env["NODE_EXTRA_CA_CERTS"],
        crate::defaults::AGENT_CA_CERT_PATH
    );
    assert_eq!(plan.state_volume.target, "/home/node/.gemini");
}

#[test]
fn a_login_or_a_credential_variable_of_another_kind_is_refused_naming_both() {
    use bot_bottle_gate::keys::{Credential, Secret};
    let project = Project::new("p");
    let store = crate::login::Store::in_state_dir(&project.dir.join(".state"));
    let claude_key = Credential::ApiKey(Secret::new("sk-ant-api03-unit"));
    store
        .write(
            &crate::login::LoginName::parse("ant").unwrap(),
            &claude_key,
            false,
        )
        .unwrap();
    let err = project
        .try_plan_with("[agent]\nkind = \"codex\"\nlogin = \"ant\"\n", |_| {})
        .unwrap_err();
    assert!(
        err.0.contains("bottle.toml: agent.login: login ant"),
        "{err}"
    );
    assert!(
        err.0.contains("agent kind claude-code") && err.0.contains("agent.kind is codex"),
        "{err}"
    );
    let err = project
        .try_plan_with(
            "[agent]\nkind = \"gemini\"\nenv = [\"ANTHROPIC_API_KEY\"]\n",
            |_| {},
        )
        .unwrap_err();
    assert!(err.0.contains("agent.env: ANTHROPIC_API_KEY"), "{err}");
    assert!(
        err.0.contains("claude-code") && err.0.contains("gemini"),
        "{err}"
    );
    // A default login of another kind is not this bottle's: no holder, no error.
    store
        .write(&crate::login::LoginName::default_name(), &claude_key, false)
        .unwrap();
    assert!(project
        .plan("[agent]\nkind = \"codex\"\n")
        .key_holder
        .is_none());
    let source = ManifestSource::File(project.write("bottle.toml", "[agent]\nkind = \"aider\"\n"));
    let err = manifest::load_with_digest(&source).unwrap_err();
    assert!(
        err.0
            .contains("bottle.toml:2:8: agent.kind: unknown agent kind"),
        "{err}"
    );
    assert!(
        err.0.contains("\"aider\"") && err.0.contains("claude-code, codex, gemini"),
        "{err}"
    );
}

#[test]
fn a_prompt_goes_to_the_kind_s_instructions_file_and_skills_only_where_read() {
    let project = Project::new("p");
    project.write("AGENT.md", "be brief");
    let plan = project.plan("prompt = \"AGENT.md\"\n[agent]\nkind = \"codex\"\n");
    assert!(agent_paths(step(&plan, "prompt")).contains(&"/home/node/.codex/AGENTS.md"));
    let plan = project.plan("prompt = \"AGENT.md\"\n[agent]\nkind = \"gemini\"\n");
    assert!(agent_paths(step(&plan, "prompt")).contains(&"/home/node/.gemini/GEMINI.md"));
    std::fs::create_dir_all(project.dir.join("skills/s")).unwrap();
    project.write("skills/s/SKILL.md", "x");
    let err = project
        .try_plan_with(
            "skills = [\"skills/s\"]\n[agent]\nkind = \"gemini\"\n",
            |_| {},
        )
        .unwrap_err();
    assert!(err.0.contains("skills: the agent kind gemini"), "{err}");
}

#[test]
fn with_a_key_holder_no_credential_variable_of_the_kind_is_forwarded() {
    let project = Project::new("p");
    let plan = project.plan_with(
        "[agent]\nenv = [\"ANTHROPIC_API_KEY\", \"CLAUDE_CODE_OAUTH_TOKEN\", \"OTHER\"]\n",
        |inputs| inputs.env_is_set = |_| true,
    );
    assert_eq!(
        plan.key_holder.as_ref().unwrap().placeholder_variable,
        "ANTHROPIC_API_KEY"
    );
    let forwarded: Vec<&str> = plan
        .agent
        .forwarded_env
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        forwarded,
        ["OTHER"],
        "a second credential went to the agent"
    );
}
