//! A bounded bottle, tried from the attacker's side: a fork bomb in the agent stops at its
//! process limit while its sidecar serves allowed requests (to a client beside the agent, on its
//! network) and the host answers; a memory hog
//! is killed by the OOM killer in the agent's own cgroup; filling the scratch space stops at
//! its size. Where the engine cannot apply limits (rootless podman on cgroup v1), a bottle that
//! has them is refused, clearly, before anything is created.
//!
//! Each test reads the limit inside the agent before it tries anything, so a fork bomb never
//! runs unbounded, and the bomb is bounded in time inside the container too (`timeout`, which
//! kills its whole process group).

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use engine::{ContainerSpec, EnvVar, ExecSpec, NetworkAttachment};
use serde_json::Value;

use crate::support::{
    applies_limits, harness, manifest_with_resources, unique_name, wait_for, Bottle, Harness,
    Workspace, AGENT_IMAGE, TEST_LABEL,
};

/// The process limit the fork bomb meets.
const PIDS: u32 = 128;

/// `{{json .FIELD}}` of `container`'s inspect, from the engine CLI itself.
fn inspect(h: &Harness, container: &str, field: &str) -> Value {
    let out = Command::new(h.engine.program().as_str())
        .args([
            "inspect",
            "--format",
            &format!("{{{{json .{field}}}}}"),
            container,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inspect {container}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A cgroup file of the agent's, as the agent sees it (`v1` under the controller's directory,
/// `v2` at the top: one of them exists).
fn agent_cgroup(bottle: &Bottle<'_>, v1: &str, v2: &str) -> String {
    let out = bottle.agent_sh(&format!(
        "cat /sys/fs/cgroup/{v1} 2>/dev/null || cat /sys/fs/cgroup/{v2}"
    ));
    assert_eq!(out.status, 0, "reading the agent's cgroup: {}", out.stderr);
    out.stdout.trim().to_owned()
}

/// How many forks the agent's cgroup refused at its process limit (`max N` in `pids.events`).
fn forks_refused(bottle: &Bottle<'_>) -> u64 {
    let events = agent_cgroup(bottle, "pids/pids.events", "pids.events");
    events
        .lines()
        .find_map(|l| l.strip_prefix("max ")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no max count in pids.events: {events}"))
}

/// Seconds since the epoch, as the agent's `$EPOCHREALTIME` counts them (one clock).
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The processes on this host in the cgroup of the container `id`.
fn processes_of(id: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| std::fs::read_to_string(e.path().join("cgroup")).is_ok_and(|c| c.contains(id)))
        .count()
}

/// A container of the test's own beside the agent, on the bottle's internal network with the
/// agent's `HTTP_PROXY`, but outside the agent's cgroup: from it, [`CLIENT`] measures whether
/// the sidecar serves while the agent bombs, and not how much CPU the bomb leaves a process of
/// the agent's own (under load, a client in the agent was starved for seconds while the proxy
/// answered).
struct Probe<'h> {
    h: &'h Harness,
    name: String,
}

impl<'h> Probe<'h> {
    fn beside(bottle: &Bottle<'h>) -> Self {
        let h = bottle.h;
        let internal = bottle.launch["networks"][0].as_str().unwrap().to_owned();
        let proxy = h
            .engine
            .inspect_container(&bottle.proxy())
            .unwrap()
            .unwrap();
        let address = proxy.networks[&internal].ip.clone().unwrap();
        let agent_proxy = bottle.agent_sh("printf %s \"$HTTP_PROXY\"").stdout;
        let port = agent_proxy.rsplit(':').next().unwrap().to_owned();
        let probe = Probe {
            h,
            name: format!("{}-probe", bottle.slug),
        };
        let spec = ContainerSpec {
            networks: vec![NetworkAttachment {
                name: internal,
                aliases: Vec::new(),
                ip: None,
            }],
            env: vec![EnvVar::new(
                "HTTP_PROXY",
                format!("http://{address}:{port}"),
            )],
            labels: [(TEST_LABEL.to_owned(), bottle.slug.clone())].into(),
            entrypoint: Some(Vec::new()),
            cmd: vec!["sleep".to_owned(), "infinity".to_owned()],
            ..ContainerSpec::new(&probe.name, AGENT_IMAGE)
        };
        h.engine.create_container(&spec).unwrap();
        h.engine.start_container(&probe.name).unwrap();
        probe
    }
}

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        let _ = self.h.engine.remove_container(&self.name);
    }
}

/// A client that asks the proxy for an allowed page, four times a second for `seconds`,
/// without starting a process (bash's `/dev/tcp`, its `read -t` for the pauses); it prints one
/// `TIME STATUS-LINE` a request when it ends, and makes `/tmp/bb-client-ready` once it runs.
const CLIENT: &str = r#"set -u
mkfifo /tmp/bb-pace && exec 4<>/tmp/bb-pace || exit 3
proxy=${HTTP_PROXY#http://}; host=${proxy%:*}; port=${proxy##*:}
end=$(( ${EPOCHREALTIME%.*} + $1 ))
: > /tmp/bb-client-ready
out=""
while (( ${EPOCHREALTIME%.*} < end )); do
  t=$EPOCHREALTIME; line="no answer"
  { printf 'GET http://upstream.bottle.test/hello HTTP/1.1\r\nHost: upstream.bottle.test\r\nConnection: close\r\n\r\n' >&3 &&
    read -r -t 5 line <&3; } 3<>"/dev/tcp/$host/$port"
  out+="$t ${line%$'\r'}"$'\n'
  read -r -t 0.25 -u 4 _
done
printf '%s' "$out"
"#;

/// The fork bomb, bounded: `timeout` runs it in a process group of its own and kills the whole
/// group after `$1` seconds; its own child is a `sleep` that outlives the bomb's start, so it
/// is there to be killed. Prints when it started and ended, and the bomb's complaints.
const BOMB: &str = r#"echo "start $EPOCHREALTIME"
timeout -s KILL "$1" sh -c 'bomb() { bomb | bomb & }; (bomb) & exec sleep 600' 2>/tmp/bb-bomb.err
echo "end $EPOCHREALTIME"
sort -u /tmp/bb-bomb.err | head -n 3
"#;

#[test]
fn a_fork_bomb_in_the_agent_stops_at_its_process_limit_while_the_proxy_serves() {
    let Some(h) = harness() else { return };
    if !applies_limits() {
        eprintln!("{} cannot apply limits here: see limits_the_engine_cannot_apply_are_refused_before_anything_is_created", h.engine.kind());
        return;
    }
    let bottle = Bottle::launch_with_resources(
        &h,
        "forkbomb",
        &format!("[resources]\npids = {PIDS}\nmemory = \"512m\"\nscratch = \"16m\"\n\n"),
    );
    // The limit is there before anything tries it: without it, no bomb.
    assert_eq!(
        agent_cgroup(&bottle, "pids/pids.max", "pids.max"),
        PIDS.to_string(),
        "the agent's process limit"
    );
    let agent = bottle.agent();
    let id = h.engine.inspect_container(&agent).unwrap().unwrap().id;
    let probe = Probe::beside(&bottle);
    let client_spec = ExecSpec::new(["bash", "-c", CLIENT, "client", "14"]);
    let bomb_spec = ExecSpec::new(["bash", "-c", BOMB, "bomb", "6"]);
    let (client, bomb, samples) = std::thread::scope(|scope| {
        let client = scope.spawn(|| h.engine.exec(&probe.name, &client_spec).unwrap());
        wait_for("the client to run", Duration::from_secs(20), || {
            h.sh(&probe.name, None, "test -e /tmp/bb-client-ready")
                .status
                == 0
        });
        let bomb = scope.spawn(|| h.engine.exec(&agent, &bomb_spec).unwrap());
        // From the host, while it runs: how many processes the agent holds, and whether the
        // host still starts one of its own at once.
        let mut samples = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !bomb.is_finished() && Instant::now() < deadline {
            let count = processes_of(&id);
            let started = Instant::now();
            let host = Command::new("true").status().is_ok_and(|s| s.success());
            samples.push((now(), count, host, started.elapsed()));
            std::thread::sleep(Duration::from_millis(50));
        }
        (client.join().unwrap(), bomb.join().unwrap(), samples)
    });

    // The bomb met the limit: it could not fork, and never held more than the limit.
    assert!(
        bomb.stdout.contains("Cannot fork"),
        "the bomb never failed to fork: {}{}",
        bomb.stdout,
        bomb.stderr
    );
    // The kernel refused forks for the agent's limit: its cgroup counts each (`max N` in
    // `pids.events`). Unlike the host's sampling, which sees the processes every 50 ms, it
    // cannot miss a peak: a bomb that grows to the limit in milliseconds and dies back, as a
    // shell's does when every fork fails, still counts.
    let refused = forks_refused(&bottle);
    assert!(
        refused > 0,
        "no fork was refused at the agent's process limit"
    );
    let most = samples.iter().map(|s| s.1).max().unwrap_or(0);
    assert!(
        most <= PIDS as usize,
        "the agent held {most} processes during the bomb (limit {PIDS})"
    );
    // The host answered throughout.
    for (_, _, host, took) in &samples {
        assert!(
            *host && *took < Duration::from_secs(2),
            "the host could not start a process in time during the bomb ({took:?})"
        );
    }
    // The proxy served allowed requests while the bomb ran (from a second after it started,
    // when it has long filled the agent's process table, until it was killed).
    let time = |word: &str| -> f64 {
        bomb.stdout
            .lines()
            .find_map(|l| l.strip_prefix(word)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {word} time: {}", bomb.stdout))
    };
    let (first, last) = (time("start ") + 1.0, time("end "));
    let answers: Vec<(f64, &str)> = client
        .stdout
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(t, line)| Some((t.parse().ok()?, line)))
        .collect();
    let served_during = answers
        .iter()
        .filter(|(t, line)| (first..=last).contains(t) && line.starts_with("HTTP/1.1 200"))
        .count();
    let busy = samples.iter().filter(|s| s.1 >= PIDS as usize / 2).count();
    eprintln!(
        "fork bomb: {refused} fork(s) refused at the limit, at most {most} processes seen from the host, {busy} of {} samples at half the limit or more; \
         {served_during} of {} requests answered 200 from {first:.2} to {last:.2}",
        samples.len(),
        answers.len()
    );
    assert!(
        served_during >= 4,
        "the proxy served {served_during} allowed request(s) during the bomb ({first}..{last}); \
         the client saw: {}{}",
        client.stdout,
        client.stderr
    );
    // And once it is over, the agent starts processes again.
    wait_for(
        "the agent to start a process",
        Duration::from_secs(20),
        || bottle.agent_sh("true").status == 0,
    );
}

#[test]
fn a_memory_hog_is_killed_in_the_agent_and_nothing_else_is() {
    let Some(h) = harness() else { return };
    if !applies_limits() {
        eprintln!("{} cannot apply limits here", h.engine.kind());
        return;
    }
    let bottle = Bottle::launch_with_resources(
        &h,
        "memhog",
        "[resources]\nmemory = \"256m\"\nscratch = \"16m\"\n\n",
    );
    assert_eq!(
        agent_cgroup(&bottle, "memory/memory.limit_in_bytes", "memory.max"),
        (256u64 << 20).to_string(),
        "the agent's memory limit"
    );
    // 768 MiB in buffers it writes to (node's heap limit does not count buffers); without a
    // limit it gets them and says so.
    let hog = bottle.agent_sh(
        "timeout 120 node -e 'const a = []; for (let i = 0; i < 48; i++) a.push(Buffer.alloc(16 << 20, 1)); console.log(`allocated ${a.length * 16} MiB`)'; echo \"status $?\"",
    );
    assert!(
        hog.stdout.contains("status 137") && !hog.stdout.contains("allocated"),
        "the hog was not killed: {}{}",
        hog.stdout,
        hog.stderr
    );
    // By the OOM killer of the agent's own cgroup.
    let oom = bottle.agent_sh(
        "grep -h '^oom_kill ' /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null",
    );
    let kills: u64 = oom
        .stdout
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(kills >= 1, "no OOM kill in the agent's cgroup: {oom:?}");
    // Nothing else was: the agent and its sidecar run on, neither killed, and the proxy serves.
    for container in [bottle.agent(), bottle.proxy()] {
        let state = inspect(&h, &container, "State");
        assert_eq!(state["Running"], true, "{container}: {state}");
        assert_eq!(state["OOMKilled"], false, "{container}: {state}");
    }
    let served = bottle.agent_sh(
        "curl -sS -m 20 -o /dev/null -w '%{http_code}' http://upstream.bottle.test/hello",
    );
    assert_eq!(served.stdout, "200", "{}", served.stderr);
}

#[test]
fn filling_the_scratch_space_stops_at_its_size() {
    let Some(h) = harness() else { return };
    // A tmpfs needs no cgroup: this holds where limits are off too.
    let table = if applies_limits() {
        "[resources]\nscratch = \"16m\"\n\n"
    } else {
        "[resources]\nlimits = \"none\"\nscratch = \"16m\"\n\n"
    };
    let bottle = Bottle::launch_with_resources(&h, "scratch", table);
    let mount = bottle.agent_sh("grep ' /tmp ' /proc/mounts");
    assert!(
        mount.stdout.starts_with("tmpfs /tmp tmpfs ") && mount.stdout.contains("size=16384k"),
        "/tmp is not the plan's 16 MiB tmpfs: {mount:?}"
    );
    // Four times its size, in one go.
    let fill = bottle.agent_sh(
        "dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; echo \"status $?\"; stat -c 'size %s' /tmp/fill; rm -f /tmp/fill",
    );
    assert!(
        fill.stdout.contains("No space left on device")
            && fill.stdout.contains("status 1")
            && fill.stdout.contains(&format!("size {}", 16u64 << 20)),
        "{}{}",
        fill.stdout,
        fill.stderr
    );
}

#[test]
fn limits_the_engine_cannot_apply_are_refused_before_anything_is_created() {
    let Some(h) = harness() else { return };
    let name = unique_name("limits");
    // The defaults: memory, CPU and process limits on every container.
    let ws = h.approved(
        &name,
        &manifest_with_resources(&name, &["sleep", "infinity"], ""),
    );
    if applies_limits() {
        each_container_gets_the_plan_s_limits(&h, &name, ws);
        return;
    }
    let out = h.start_detached(&ws);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for says in [
        &format!(
            "rootless {} cannot apply this bottle's memory, cpu, pids limits here",
            h.engine.kind()
        ),
        "cgroup v2",
        "Delegate=memory pids cpu",
        "limits = \"none\"",
    ] {
        assert!(stderr.contains(says), "{says}: {stderr}");
    }
    assert!(h.leftovers(&name).is_empty(), "{:?}", h.leftovers(&name));
    assert_eq!(h.state_volume(&name), None);
    // doctor names it with its fix.
    let doctor = h
        .bot_bottle(&ws)
        .args(["doctor", "--json", "bottle.toml"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "resource limits")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(check["ok"], false, "{check}");
    assert!(
        check["fix"].as_str().unwrap().contains("limits = \"none\""),
        "{check}"
    );
}

/// Where the engine applies them: each container of a default bottle has the plan's limits as
/// the engine recorded them, the sidecar a read-only root, and none an unconfined seccomp.
fn each_container_gets_the_plan_s_limits(h: &Harness, name: &str, ws: Workspace) {
    let plan: Value = serde_json::from_slice(
        &h.bot_bottle(&ws)
            .args(["start", "--dry-run", "--json", "bottle.toml"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let out = h.start_detached(&ws);
    let bottle = Bottle::started(h, name, ws, out);
    for (container, who) in [(bottle.agent(), "agent"), (bottle.proxy(), "proxy")] {
        let limits = &plan[who]["resources"];
        let config = inspect(h, &container, "HostConfig");
        assert_eq!(config["Memory"], limits["memory_bytes"], "{who}");
        assert_eq!(
            config["MemorySwap"], limits["memory_bytes"],
            "{who}: no swap"
        );
        assert_eq!(config["PidsLimit"], limits["pids"], "{who}");
        let cpus = limits["cpus"].as_f64().unwrap();
        let nano = config["NanoCpus"].as_f64().unwrap();
        assert!((nano - cpus * 1e9).abs() < 1.0, "{who}: {nano} for {cpus}");
        assert_eq!(
            config["ReadonlyRootfs"], plan[who]["privileges"]["read_only_root"],
            "{who}"
        );
        let opts: BTreeSet<String> = config["SecurityOpt"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_str().map(str::to_lowercase))
            .collect();
        assert!(
            !opts.iter().any(|o| o.contains("unconfined")),
            "{who}: {opts:?}"
        );
        // The kernel says each runs under a seccomp filter (mode 2).
        let pid = inspect(h, &container, "State.Pid");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        assert!(status.contains("Seccomp:\t2"), "{who}: {status}");
    }
    // The sidecar writes nowhere but its own volume and scratch: its image's files are not
    // its to change (the gate's, which has a shell, is tried in gitgate.rs).
    assert_eq!(
        inspect(h, &bottle.proxy(), "HostConfig.ReadonlyRootfs"),
        true
    );
}
