//! The parsers of both engines run against output captured from the real engines
//! (`tests/fixtures/`: docker 20.10, podman 4.3 rootful and rootless), one table per engine.
//!
//! The captures come from two networks `bbfix-int` (internal) and `bbfix-br`, and a container
//! `bbfix-c` on both with aliases `alpha` and `beta`, labelled `io.bot-bottle.test=fixture` and
//! `role=x,y`, inspected created, running and exited (killed after `stop -t 1`: 137); and an
//! isolated network `bbfix-iso` (each dialect's `ISOLATED_NETWORK_FLAGS`).

use crate::cli::Dialect;
use crate::docker::Docker;
use crate::inspect::{parse_container_inspect, ContainerInfo, ContainerState};
use crate::interface::{EngineKind, LimitSupport};
use crate::podman::Podman;

/// One engine's captures.
struct Captures {
    version: &'static str,
    info: &'static str,
    info_rootless: Option<&'static str>,
    network_internal: &'static str,
    network_isolated: &'static str,
    network_bridge: &'static str,
    network_ls: &'static str,
    ps: &'static str,
    container_created: &'static str,
    container_running: &'static str,
    /// A bottle's pipelock sidecar, with its two volumes.
    container_volumes: &'static str,
    container_exited: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../tests/fixtures/", $name))
    };
}

const DOCKER: Captures = Captures {
    version: "20.10.24+dfsg1",
    info: fixture!("docker-info.json"),
    info_rootless: None,
    network_internal: fixture!("docker-network-inspect-internal.json"),
    network_isolated: fixture!("docker-network-inspect-isolated.json"),
    network_bridge: fixture!("docker-network-inspect-bridge.json"),
    network_ls: fixture!("docker-network-ls.ndjson"),
    ps: fixture!("docker-ps.ndjson"),
    container_created: fixture!("docker-container-inspect-created.json"),
    container_running: fixture!("docker-container-inspect-running.json"),
    container_volumes: fixture!("docker-container-inspect-volumes.json"),
    container_exited: fixture!("docker-container-inspect-exited.json"),
};

const PODMAN: Captures = Captures {
    version: "4.3.1",
    info: fixture!("podman-info-rootful.json"),
    info_rootless: Some(fixture!("podman-info-rootless.json")),
    network_internal: fixture!("podman-network-inspect-internal.json"),
    network_isolated: fixture!("podman-network-inspect-isolated.json"),
    network_bridge: fixture!("podman-network-inspect-bridge.json"),
    network_ls: fixture!("podman-network-ls.json"),
    ps: fixture!("podman-ps.json"),
    container_created: fixture!("podman-container-inspect-created.json"),
    container_running: fixture!("podman-container-inspect-running.json"),
    container_volumes: fixture!("podman-container-inspect-volumes.json"),
    container_exited: fixture!("podman-container-inspect-exited.json"),
};

fn check_info<D: Dialect>(captures: &Captures) {
    let info = D::parse_info(captures.info).unwrap();
    assert_eq!(
        (info.kind, info.version.as_str(), info.rootless),
        (D::KIND, captures.version, false)
    );
    // Both captures come from this cgroup v1 host, where root applies every limit.
    assert_eq!(
        (info.cgroup_version, info.limits),
        (Some(1), LimitSupport::ALL)
    );
    if let Some(rootless) = captures.info_rootless {
        let rootless = D::parse_info(rootless).unwrap();
        assert!(rootless.rootless);
        // Rootless podman on cgroup v1 applies none (it drops them with a warning).
        assert_eq!(
            (rootless.cgroup_version, rootless.limits),
            (Some(1), LimitSupport::default())
        );
    }
}

fn check_networks<D: Dialect>(captures: &Captures) {
    let internal = D::parse_network_inspect(captures.network_internal)
        .unwrap()
        .unwrap();
    assert_eq!(
        (internal.name.as_str(), internal.internal),
        ("bbfix-int", true)
    );
    assert_eq!(internal.labels["io.bot-bottle.test"], "fixture");
    assert_eq!(internal.subnets.len(), 1);
    // A plain internal network still gives the host an address (and podman its DNS).
    assert!(!internal.isolated);
    let isolated = D::parse_network_inspect(captures.network_isolated)
        .unwrap()
        .unwrap();
    assert_eq!(
        (isolated.name.as_str(), isolated.internal, isolated.isolated),
        ("bbfix-iso", true, true)
    );
    assert_eq!(isolated.subnets.len(), 1);
    let bridge = D::parse_network_inspect(captures.network_bridge)
        .unwrap()
        .unwrap();
    assert_eq!(
        (bridge.name.as_str(), bridge.internal, bridge.isolated),
        ("bbfix-br", false, false)
    );
    assert_eq!(D::parse_network_inspect("[]").unwrap(), None);

    let listed = D::parse_network_list(captures.network_ls).unwrap();
    let names: Vec<_> = listed.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["bbfix-br", "bbfix-int"]);
    assert!(listed
        .iter()
        .all(|n| n.labels["io.bot-bottle.test"] == "fixture"));
    assert!(D::parse_network_list("").unwrap().is_empty());
}

fn check_containers<D: Dialect>(captures: &Captures) {
    let listed = D::parse_container_list(captures.ps).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), &listed[0].state),
        ("bbfix-c", &ContainerState::Running)
    );
    assert_eq!(listed[0].labels["role"], "x,y");
    assert_eq!(listed[0].labels["io.bot-bottle.test"], "fixture");
    assert!(D::parse_container_list("").unwrap().is_empty());

    let inspect = |json| -> ContainerInfo { parse_container_inspect(json).unwrap().unwrap() };
    let created = inspect(captures.container_created);
    assert_eq!(
        (created.name.as_str(), &created.state),
        ("bbfix-c", &ContainerState::Created)
    );
    assert_eq!(created.labels["role"], "x,y");
    assert_eq!(
        created.networks.keys().collect::<Vec<_>>(),
        ["bbfix-br", "bbfix-int"]
    );
    assert_eq!(created.networks["bbfix-int"].aliases[0], "alpha");
    assert_eq!(created.networks["bbfix-br"].aliases[0], "beta");
    let running = inspect(captures.container_running);
    assert_eq!(running.state, ContainerState::Running);
    // The image id, `sha256:`-prefixed on both engines (podman prints the bare hex).
    assert!(
        running.image.starts_with("sha256:") && running.image.len() == 71,
        "{}",
        running.image
    );
    assert!(running.networks["bbfix-br"].ip.is_some());
    assert!(running.volumes.is_empty());
    // Each volume by where it is mounted (both anonymous here: named by a hex id).
    let sidecar = inspect(captures.container_volumes);
    assert_eq!(
        sidecar.volumes.keys().collect::<Vec<_>>(),
        ["/etc/pipelock", "/var/lib/pipelock/flight-recorder"]
    );
    assert!(sidecar
        .volumes
        .values()
        .all(|name| name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())));
    let exited = inspect(captures.container_exited);
    assert_eq!(
        (exited.state, exited.exit_code),
        (ContainerState::Exited, 137)
    );
}

#[test]
fn docker_captures() {
    assert_eq!(Docker::KIND, EngineKind::Docker);
    check_info::<Docker>(&DOCKER);
    check_networks::<Docker>(&DOCKER);
    check_containers::<Docker>(&DOCKER);
}

#[test]
fn podman_captures() {
    assert_eq!(Podman::KIND, EngineKind::Podman);
    check_info::<Podman>(&PODMAN);
    check_networks::<Podman>(&PODMAN);
    check_containers::<Podman>(&PODMAN);
}

/// `volume ls --filter label=… --format {{json .}}` and `ps` creation times, captured from
/// docker 20.10 and podman 4.3.
#[test]
fn volume_listings_and_creation_times() {
    let docker = r#"{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"a=b,io.bot-bottle.test=x","Links":"N/A","Mountpoint":"/var/lib/docker/volumes/bbdaily-v2/_data","Name":"bbdaily-v2","Scope":"local","Size":"N/A","Status":"N/A"}
"#;
    let podman = r#"[
  {
    "Name": "bbdaily-v2",
    "Driver": "local",
    "Mountpoint": "/var/lib/containers/storage/volumes/bbdaily-v2/_data",
    "CreatedAt": "2026-12-02T00:12:28.613827148Z",
    "Labels": {
      "a": "b",
      "io.bot-bottle.test": "x"
    },
    "Scope": "local",
    "Options": {},
    "MountCount": 0,
    "NeedsCopyUp": true,
    "NeedsChown": true
  }
]
"#;
    for volumes in [
        Docker::parse_volume_list(docker).unwrap(),
        Podman::parse_volume_list(podman).unwrap(),
    ] {
        assert_eq!(volumes.len(), 1);
        assert_eq!(volumes[0].name, "bbdaily-v2");
        assert_eq!(volumes[0].labels["io.bot-bottle.test"], "x");
        assert_eq!(volumes[0].labels["a"], "b");
    }
    assert!(Podman::parse_volume_list("[]\n").unwrap().is_empty());
    assert!(Docker::parse_volume_list("").unwrap().is_empty());

    let docker_ps = r#"{"Command":"\"sleep infinity\"","CreatedAt":"2026-12-02 00:13:38 +0000 UTC","ID":"94d9b70979e9","Image":"localhost/bot-bottle-test/agent:latest","Labels":"io.bot-bottle.bottle=x,io.bot-bottle.testbed.inputs=290fd4f5","LocalVolumes":"0","Mounts":"","Names":"bbdaily-cap","Networks":"bridge","Platform":null,"Ports":"","RunningFor":"1 second ago","Size":"0B (virtual 664MB)","State":"created","Status":"Created"}
"#;
    let rows = Docker::parse_container_list(docker_ps).unwrap();
    assert_eq!(rows[0].created, Some(1_796_170_418));
    let podman_ps = r#"[{"AutoRemove":false,"Command":["infinity"],"CreatedAt":"2 seconds ago","Exited":false,"ExitedAt":-62135596800,"ExitCode":0,"Id":"03e9","Image":"img","Labels":{"io.bot-bottle.bottle":"x"},"Mounts":[],"Names":["c"],"Networks":["n"],"Pid":1,"Pod":"","PodName":"","Ports":null,"Size":null,"StartedAt":1796170346,"State":"running","Status":"Up 2 seconds ago","Created":1796170346}]"#;
    let rows = Podman::parse_container_list(podman_ps).unwrap();
    assert_eq!(rows[0].created, Some(1_796_170_346));
}
