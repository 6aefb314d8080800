//! End-to-end: every `Engine` operation against the real engine named by `BOT_BOTTLE_ENGINE`
//! (docker, rootful podman or rootless podman), leaving no container or network behind.
//!
//! Unreachable engine or missing test image: a loud skip, or a failure when
//! `BOT_BOTTLE_E2E=required`. The image is `BOT_BOTTLE_TEST_IMAGE` (default
//! `localhost/bot-bottle-test/agent:latest`); it needs `sh`, `stat` and `cat`.

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use engine::detect;
use engine::{
    ContainerSpec, ContainerState, Engine, EnvVar, ExecSpec, NetworkAttachment, NetworkSpec, Owner,
    Tarball,
};

const TEST_LABEL: &str = "io.bot-bottle.test";
const DEFAULT_IMAGE: &str = "localhost/bot-bottle-test/agent:latest";

/// The engine and image to test with, or `None` (after a loud message) to skip.
fn setup() -> Option<(Box<dyn Engine>, String)> {
    let required = std::env::var("BOT_BOTTLE_E2E").is_ok_and(|v| v == "required");
    let skip = |why: String| {
        assert!(!required, "BOT_BOTTLE_E2E=required but {why}");
        eprintln!("\n!!!!! SKIPPING engine e2e test: {why} !!!!!\n");
        None
    };
    let choice = detect::choice_from_env();
    let engine = match detect::select_engine(choice.as_deref(), true) {
        Ok(engine) => engine,
        Err(err) => return skip(format!("no engine: {err:#}")),
    };
    if let Err(err) = engine.info() {
        return skip(format!("{} cannot be reached: {err:#}", engine.program()));
    }
    let image = std::env::var("BOT_BOTTLE_TEST_IMAGE").unwrap_or_else(|_| DEFAULT_IMAGE.into());
    match engine.image_exists(&image) {
        Ok(true) => Some((engine, image)),
        Ok(false) => skip(format!(
            "test image {image} is not present in {}",
            engine.program()
        )),
        Err(err) => skip(format!("looking for {image}: {err:#}")),
    }
}

/// Removes every container and network it was told about when dropped, test passing or not.
struct Cleanup<'a> {
    engine: &'a dyn Engine,
    containers: Vec<String>,
    networks: Vec<String>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for name in &self.containers {
            if let Err(err) = self.engine.remove_container(name) {
                eprintln!("cleanup: {err:#}");
            }
        }
        for name in &self.networks {
            if let Err(err) = self.engine.remove_network(name) {
                eprintln!("cleanup: {err:#}");
            }
        }
    }
}

fn random_id() -> String {
    format!(
        "{:012x}",
        RandomState::new().hash_one(std::process::id()) & 0xffff_ffff_ffff
    )
}

/// Polls `check` until it holds or `within` passes.
fn wait_until(within: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn exec(engine: &dyn Engine, container: &str, spec: &ExecSpec) -> String {
    let out = engine.exec(container, spec).expect("exec runs");
    assert_eq!(out.status, 0, "exec {:?} failed: {}", spec.argv, out.stderr);
    out.stdout
}

fn as_root(argv: &[&str]) -> ExecSpec {
    ExecSpec {
        user: Some("0".into()),
        ..ExecSpec::new(argv.iter().copied())
    }
}

/// One test's engine, image and unique label, with a guard over what it creates.
struct Run<'a> {
    engine: &'a dyn Engine,
    image: String,
    id: String,
    cleanup: Cleanup<'a>,
}

impl<'a> Run<'a> {
    fn new(engine: &'a dyn Engine, image: String) -> Self {
        Self {
            engine,
            image,
            id: random_id(),
            cleanup: Cleanup {
                engine,
                containers: Vec::new(),
                networks: Vec::new(),
            },
        }
    }

    /// A resource name unique to this run, remembered for cleanup.
    fn network(&mut self, suffix: &str) -> String {
        let name = format!("bbtest-{}-{suffix}", self.id);
        self.cleanup.networks.push(name.clone());
        name
    }

    fn container(&mut self, suffix: &str) -> String {
        let name = format!("bbtest-{}-{suffix}", self.id);
        self.cleanup.containers.push(name.clone());
        name
    }

    fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(TEST_LABEL.to_owned(), self.id.clone())])
    }

    fn label_filter(&self) -> String {
        format!("{TEST_LABEL}={}", self.id)
    }

    /// Runs the guard, then asserts that nothing carrying this run's label is left.
    fn finish(self) {
        let (engine, filter) = (self.engine, self.label_filter());
        drop(self.cleanup);
        assert!(
            engine.list_containers(&filter).unwrap().is_empty(),
            "containers left behind"
        );
        assert!(
            engine.list_networks(&filter).unwrap().is_empty(),
            "networks left behind"
        );
    }
}

fn create_networks(run: &mut Run) -> (String, String) {
    let (internal, bridge) = (run.network("int"), run.network("out"));
    for (name, is_internal) in [(&internal, true), (&bridge, false)] {
        let spec = NetworkSpec {
            name: name.clone(),
            internal: is_internal,
            labels: run.labels(),
            ..NetworkSpec::default()
        };
        run.engine.create_network(&spec).unwrap();
        let net = run
            .engine
            .inspect_network(name)
            .unwrap()
            .expect("network exists");
        assert_eq!((&net.name, net.internal), (name, is_internal));
        assert_eq!(net.labels[TEST_LABEL], run.id);
    }
    (internal, bridge)
}

/// A created container on both networks; a secret and a variable the engine reads itself.
fn create_container(run: &mut Run, internal: &str, bridge: &str) -> String {
    let container = run.container("ctr");
    let attach = |name: &str, alias: &str| NetworkAttachment {
        name: name.to_owned(),
        aliases: vec![alias.to_owned()],
        ip: None,
    };
    let spec = ContainerSpec {
        networks: vec![attach(internal, "alpha"), attach(bridge, "beta")],
        env: vec![
            EnvVar::new("BB_TOKEN", "s3cret value"),
            EnvVar::new("HOME", "/opt/bb"),
        ],
        labels: run.labels(),
        security_opts: vec!["no-new-privileges".into()],
        cap_drop: vec!["NET_RAW".into()],
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
        // PID 1 leaves at once on SIGTERM, so `stop` needs no kill.
        cmd: vec![
            "trap 'exit 0' TERM; echo hello-from-bottle; while :; do sleep 1 & wait $!; done"
                .into(),
        ],
        ..ContainerSpec::new(&container, &run.image)
    };
    run.engine.create_container(&spec).unwrap();
    let created = run
        .engine
        .inspect_container(&container)
        .unwrap()
        .expect("container exists");
    assert_eq!(created.state, ContainerState::Created);
    assert_eq!(created.labels[TEST_LABEL], run.id);
    assert!(created.networks[internal]
        .aliases
        .contains(&"alpha".to_owned()));
    assert!(created.networks[bridge]
        .aliases
        .contains(&"beta".to_owned()));
    container
}

/// Files reach the container before it starts, owners and modes as the tar says.
fn copy_files_before_start(engine: &dyn Engine, container: &str) {
    let mut tar = Tarball::new();
    tar.dir("bb", 0o750, Owner::new(1234, 4321))
        .unwrap()
        .file(
            "bb/config.yaml",
            b"mode: strict\n",
            0o640,
            Owner::new(1234, 4321),
        )
        .unwrap()
        .file("bb/ca.pem", b"-----CERT-----\n", 0o644, Owner::ROOT)
        .unwrap();
    engine
        .copy_tar_into(container, "/opt", &tar.finish().unwrap())
        .unwrap();
    engine.start_container(container).unwrap();
    let running = engine.inspect_container(container).unwrap().unwrap();
    assert_eq!(running.state, ContainerState::Running);

    assert_eq!(exec(engine, container, &as_root(&["id", "-u"])).trim(), "0");
    let files = ["/opt/bb", "/opt/bb/config.yaml", "/opt/bb/ca.pem"];
    let stat = exec(
        engine,
        container,
        &as_root(&[&["stat", "-c", "%n %u:%g %a"][..], &files].concat()),
    );
    assert_eq!(
        stat.lines().collect::<Vec<_>>(),
        [
            "/opt/bb 1234:4321 750",
            "/opt/bb/config.yaml 1234:4321 640",
            "/opt/bb/ca.pem 0:0 644"
        ]
    );
    let config = exec(engine, container, &as_root(&["cat", "/opt/bb/config.yaml"]));
    assert_eq!(config, "mode: strict\n");
}

/// Environment from create (both routes) and from exec; stdin bytes; failing commands.
fn exec_variants(engine: &dyn Engine, container: &str) {
    let env = ExecSpec {
        env: vec![EnvVar::new("BB_EXEC", "from exec")],
        ..ExecSpec::new([
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$BB_TOKEN\" \"$HOME\" \"$BB_EXEC\"",
        ])
    };
    assert_eq!(
        exec(engine, container, &env),
        "s3cret value|/opt/bb|from exec"
    );
    let stdin = ExecSpec {
        stdin: Some(b"bytes in\n".to_vec()),
        ..ExecSpec::new(["cat"])
    };
    assert_eq!(exec(engine, container, &stdin), "bytes in\n");
    let failing = ExecSpec::new(["sh", "-c", "echo no >&2; exit 3"]);
    let failed = engine.exec(container, &failing).unwrap();
    assert_eq!((failed.status, failed.stderr.trim()), (3, "no"));
    let interactive = ExecSpec::new(["sh", "-c", "exit 4"]);
    assert_eq!(engine.exec_interactive(container, &interactive).unwrap(), 4);
}

/// Listing by label finds exactly what this run made.
fn listings(run: &Run, container: &str, networks: [&str; 2]) {
    let ctrs = run.engine.list_containers(&run.label_filter()).unwrap();
    assert_eq!(
        ctrs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        [container]
    );
    assert_eq!(ctrs[0].state, ContainerState::Running);
    assert_eq!(ctrs[0].labels[TEST_LABEL], run.id);
    let nets = run.engine.list_networks(&run.label_filter()).unwrap();
    let mut names: Vec<_> = nets.iter().map(|n| n.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, networks);
}

/// Stop, wait, remove; every removal is idempotent.
fn stop_and_remove(engine: &dyn Engine, container: &str, networks: [&str; 2]) {
    engine
        .stop_container(container, Duration::from_secs(10))
        .unwrap();
    assert_eq!(engine.wait(container).unwrap(), 0);
    let exited = engine.inspect_container(container).unwrap().unwrap();
    assert_eq!(
        (exited.state, exited.exit_code),
        (ContainerState::Exited, 0)
    );
    engine.remove_container(container).unwrap();
    engine.remove_container(container).unwrap();
    engine
        .stop_container(container, Duration::from_secs(1))
        .unwrap();
    assert_eq!(engine.inspect_container(container).unwrap(), None);
    for net in networks {
        engine.remove_network(net).unwrap();
        engine.remove_network(net).unwrap();
        assert_eq!(engine.inspect_network(net).unwrap(), None);
    }
}

#[test]
fn full_container_lifecycle() {
    let Some((engine, image)) = setup() else {
        return;
    };
    let engine = engine.as_ref();
    let info = engine.info().unwrap();
    eprintln!(
        "engine: {} {} at {} rootless={}",
        info.kind,
        info.version,
        engine.program(),
        info.rootless
    );
    assert_eq!(info.kind, engine.kind());

    let mut run = Run::new(engine, image);
    let (internal, bridge) = create_networks(&mut run);
    let container = create_container(&mut run, &internal, &bridge);
    copy_files_before_start(engine, &container);
    exec_variants(engine, &container);
    listings(&run, &container, [&internal, &bridge]);
    wait_until(
        Duration::from_secs(10),
        "the container's first log line",
        || {
            engine
                .logs(&container)
                .unwrap()
                .stdout
                .contains("hello-from-bottle")
        },
    );
    stop_and_remove(engine, &container, [&internal, &bridge]);
    assert!(!engine
        .image_exists("localhost/bot-bottle-test/no-such-image:0")
        .unwrap());
    // The guard's removals are idempotent: finishing runs them again.
    run.finish();
}

#[test]
fn a_running_container_is_removed_at_once() {
    let Some((engine, image)) = setup() else {
        return;
    };
    let mut run = Run::new(engine.as_ref(), image);
    let container = run.container("rm");
    let spec = ContainerSpec {
        labels: run.labels(),
        // PID 1 ignores SIGTERM: removal must kill, not wait out a stop timeout.
        entrypoint: Some(vec!["sleep".into()]),
        cmd: vec!["infinity".into()],
        ..ContainerSpec::new(&container, &run.image)
    };
    engine.create_container(&spec).unwrap();
    engine.start_container(&container).unwrap();
    let started = Instant::now();
    engine.remove_container(&container).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "rm took {:?}",
        started.elapsed()
    );
    run.finish();
}

#[test]
fn a_signal_reaches_the_main_process_and_a_file_comes_back_out() {
    let Some((engine, image)) = setup() else {
        return;
    };
    let mut run = Run::new(engine.as_ref(), image);
    let container = run.container("hup");
    // As pipelock does on SIGHUP: the main process acts on it, and keeps running.
    let script = "trap 'echo reloaded >>/tmp/hup' HUP; echo started >/tmp/hup; \
                  while :; do sleep 0.1; done";
    let spec = ContainerSpec {
        labels: run.labels(),
        entrypoint: Some(vec!["sh".into()]),
        cmd: vec!["-c".into(), script.into()],
        ..ContainerSpec::new(&container, &run.image)
    };
    engine.create_container(&spec).unwrap();
    engine.start_container(&container).unwrap();
    let read = || {
        engine
            .read_file(&container, "/tmp/hup", 1024)
            .unwrap_or_default()
    };
    wait_until(Duration::from_secs(20), "the script to start", || {
        read() == b"started\n"
    });
    engine.signal_container(&container, "HUP").unwrap();
    wait_until(Duration::from_secs(20), "the script to see SIGHUP", || {
        read() == b"started\nreloaded\n"
    });
    let state = engine.inspect_container(&container).unwrap().unwrap().state;
    assert_eq!(state, ContainerState::Running, "SIGHUP must not stop it");
    // Not a regular file, too large, missing: errors, not garbage.
    assert!(engine.read_file(&container, "/tmp", 1 << 20).is_err());
    assert!(engine.read_file(&container, "/tmp/hup", 4).is_err());
    assert!(engine.read_file(&container, "/tmp/none", 1024).is_err());
    // A directory's files, as the flight recorder's are read; an empty one is no files.
    let made = engine
        .exec(
            &container,
            &ExecSpec::new([
                "sh",
                "-c",
                "mkdir /tmp/rec /tmp/empty && printf x >/tmp/rec/a && printf yz >/tmp/rec/b",
            ]),
        )
        .unwrap();
    assert_eq!(made.status, 0, "{}", made.stderr);
    let files = engine
        .read_dir_files(&container, "/tmp/rec", None, 1024)
        .unwrap();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        [
            ("a".to_owned(), b"x".to_vec()),
            ("b".to_owned(), b"yz".to_vec())
        ]
    );
    assert!(engine
        .read_dir_files(&container, "/tmp/empty", None, 1024)
        .unwrap()
        .is_empty());
    assert!(engine
        .read_dir_files(&container, "/tmp/rec", None, 2)
        .is_err());
    assert!(engine
        .read_dir_files(&container, "/tmp/none", None, 1024)
        .is_err());
    run.finish();
}

#[test]
fn a_stopped_container_s_volume_reads_the_same_by_name_as_through_the_container() {
    let Some((engine, image)) = setup() else {
        return;
    };
    let mut run = Run::new(engine.as_ref(), image);
    let container = run.container("vol");
    // As the flight recorder's: an anonymous volume written while it runs, read once stopped.
    let spec = ContainerSpec {
        labels: run.labels(),
        mounts: vec![engine::Mount::Anonymous {
            target: "/data".into(),
        }],
        entrypoint: Some(vec!["sh".into()]),
        cmd: vec![
            "-c".into(),
            "printf x >/data/a && printf yz >/data/b && exec sleep 600".into(),
        ],
        ..ContainerSpec::new(&container, &run.image)
    };
    engine.create_container(&spec).unwrap();
    engine.start_container(&container).unwrap();
    let volume = || {
        engine
            .inspect_container(&container)
            .unwrap()
            .unwrap()
            .volumes
            .get("/data")
            .cloned()
    };
    let name = volume().expect("the volume at /data, by name");
    wait_until(Duration::from_secs(20), "the files to be written", || {
        engine
            .read_dir_files(&container, "/data", None, 1024)
            .is_ok_and(|f| f.len() == 2)
    });
    engine
        .stop_container(&container, Duration::from_secs(0))
        .unwrap();
    let by_name = engine
        .read_dir_files(&container, "/data", Some(&name), 1024)
        .unwrap();
    let through = engine
        .read_dir_files(&container, "/data", None, 1024)
        .unwrap();
    assert_eq!(
        by_name.into_iter().collect::<Vec<_>>(),
        [
            ("a".to_owned(), b"x".to_vec()),
            ("b".to_owned(), b"yz".to_vec())
        ]
    );
    assert_eq!(through.len(), 2);
    assert!(engine
        .read_dir_files(&container, "/data", Some(&name), 2)
        .is_err());
    run.finish();
}

#[test]
fn engine_kind_matches_what_detection_found() {
    let Some((engine, _)) = setup() else {
        return;
    };
    let found = detect::probe(detect::choice_from_env().as_deref(), false)
        .unwrap()
        .expect("setup found it");
    assert_eq!(found.kind, engine.kind());
}

/// Removes a volume when dropped, test passing or not.
struct VolumeCleanup<'a>(&'a dyn Engine, String);

impl Drop for VolumeCleanup<'_> {
    fn drop(&mut self) {
        if let Err(err) = self.0.remove_volume(&self.1) {
            eprintln!("cleanup: {err:#}");
        }
    }
}

#[test]
fn volume_lifecycle() {
    let Some((engine, _image)) = setup() else {
        return;
    };
    let engine = engine.as_ref();
    let name = format!("bbe2e-vol-{}", random_id());
    let _cleanup = VolumeCleanup(engine, name.clone());
    assert_eq!(engine.inspect_volume(&name).unwrap(), None);
    let labels = BTreeMap::from([(TEST_LABEL.to_owned(), name.clone())]);
    engine
        .create_volume(&engine::VolumeSpec {
            name: name.clone(),
            labels: labels.clone(),
        })
        .unwrap();
    let info = engine.inspect_volume(&name).unwrap().expect("created");
    assert_eq!(info.labels, labels);
    let listed = engine
        .list_volumes(&format!("{TEST_LABEL}={name}"))
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, name);
    assert_eq!(listed[0].labels, labels);
    engine.remove_volume(&name).unwrap();
    assert_eq!(engine.inspect_volume(&name).unwrap(), None);
    // Removing a missing volume is success: the engine says it is missing.
    engine.remove_volume(&name).unwrap();
}

#[test]
fn removal_by_label_takes_the_labelled_containers_and_nothing_else() {
    let Some((engine, image)) = setup() else {
        return;
    };
    let mut run = Run::new(engine.as_ref(), image.clone());
    let ours = [run.container("ours-a"), run.container("ours-b")];
    // Carries the same label key with another value, and one more label: it must stay.
    let other = run.container("other");
    let sleeper = |name: &str, labels: BTreeMap<String, String>| ContainerSpec {
        labels,
        entrypoint: Some(vec!["sleep".into()]),
        cmd: vec!["infinity".into()],
        ..ContainerSpec::new(name, &image)
    };
    let mut other_labels = BTreeMap::from([(TEST_LABEL.to_owned(), format!("{}-x", run.id))]);
    other_labels.insert("io.bot-bottle.test.extra".to_owned(), run.id.clone());
    for name in &ours {
        engine
            .create_container(&sleeper(name, run.labels()))
            .unwrap();
    }
    engine.start_container(&ours[0]).unwrap();
    engine
        .create_container(&sleeper(&other, other_labels))
        .unwrap();
    assert_eq!(
        engine
            .remove_containers_labelled(&run.label_filter())
            .unwrap(),
        2
    );
    for name in &ours {
        assert!(
            engine.inspect_container(name).unwrap().is_none(),
            "{name} stays"
        );
    }
    assert!(
        engine.inspect_container(&other).unwrap().is_some(),
        "a container with another label value went too"
    );
    assert_eq!(
        engine
            .remove_containers_labelled(&run.label_filter())
            .unwrap(),
        0
    );
    run.finish();
}
