//! The one argument-vector builder both drivers share: pure functions from typed options to argv.
//!
//! Where docker and podman really differ the caller passes the difference in (a
//! [`crate::cli::Dialect`] constant); nothing here runs anything.

use std::time::Duration;

use camino::Utf8Path;

use crate::interface::{
    BuildSpec, ContainerSpec, EnvVar, ExecSpec, Limits, Mount, NetworkAttachment, NetworkSpec,
    VolumeSpec,
};

/// The Go template both engines accept for JSON output (podman turns it into one array).
pub const JSON_FORMAT: &str = "{{json .}}";

/// How `create` attaches a container to its networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateNetworks {
    /// Only the first network, its aliases as `--network-alias`; the rest are connected later
    /// (docker before 25 takes one `--network` at create).
    First,
    /// Every network as `--network NAME:alias=A,alias=B` (podman).
    All,
}

/// Whether the engine CLI itself reads this environment variable, so it cannot be used to carry
/// a container's value (the engine would change behaviour: `HOME` moves rootless podman's
/// storage, a proxy variable reroutes pulls). Such variables travel in a private env file
/// ([`crate::envfile`]): never inline, where every local user could read them in `/proc`.
pub fn engine_reads_env(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "HOME",
        "PATH",
        "USER",
        "LOGNAME",
        "SHELL",
        "TMPDIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "FTP_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "DBUS_SESSION_BUS_ADDRESS",
        "NOTIFY_SOCKET",
        "GODEBUG",
        "GOMAXPROCS",
        "GOGC",
        "GOTRACEBACK",
    ];
    const PREFIXES: &[&str] = &[
        "XDG_",
        "DOCKER_",
        "CONTAINER_",
        "CONTAINERS_",
        "PODMAN_",
        "BUILDAH_",
        "STORAGE_",
        "REGISTRY_",
        "LD_",
    ];
    let upper = name.to_ascii_uppercase();
    EXACT.contains(&upper.as_str()) || PREFIXES.iter().any(|p| upper.starts_with(p))
}

/// `FLAG NAME` for each variable that travels in the engine CLI's environment ([`child_env`]);
/// the ones the engine reads itself go in an env file instead, never on the command line.
pub fn env_flags(flag: &str, env: &[EnvVar]) -> Vec<String> {
    env.iter()
        .filter(|var| !engine_reads_env(&var.name))
        .flat_map(|var| [flag.to_owned(), var.name.clone()])
        .collect()
}

/// The `NAME=value` pairs to put in the engine CLI's environment to go with [`env_flags`].
pub fn child_env(env: &[EnvVar]) -> Vec<(String, String)> {
    env.iter()
        .filter(|var| !engine_reads_env(&var.name))
        .map(|var| (var.name.clone(), var.value.clone()))
        .collect()
}

fn labels<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<String> {
    labels
        .into_iter()
        .flat_map(|(key, value)| ["--label".to_owned(), format!("{key}={value}")])
        .collect()
}

fn repeated(flag: &str, values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|value| [flag.to_owned(), value.clone()])
        .collect()
}

fn optional(flag: &str, value: Option<&String>) -> Vec<String> {
    value
        .map(|value| vec![flag.to_owned(), value.clone()])
        .unwrap_or_default()
}

fn switch(flag: &str, on: bool) -> Option<String> {
    on.then(|| flag.to_owned())
}

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

/// `info --format {{json .}}`.
pub fn info() -> Vec<String> {
    owned(&["info", "--format", JSON_FORMAT])
}

/// `image inspect --format {{.Id}} IMAGE`.
pub fn image_inspect(image: &str) -> Vec<String> {
    owned(&["image", "inspect", "--format", "{{.Id}}", image])
}

/// `image inspect --format {{json .RepoDigests}} IMAGE`.
pub fn image_digests(image: &str) -> Vec<String> {
    owned(&[
        "image",
        "inspect",
        "--format",
        "{{json .RepoDigests}}",
        image,
    ])
}

/// `tag SOURCE TARGET`.
pub fn tag(source: &str, target: &str) -> Vec<String> {
    owned(&["tag", source, target])
}

/// `volume create [--label K=V]… NAME`.
pub fn volume_create(spec: &VolumeSpec) -> Vec<String> {
    let mut args = owned(&["volume", "create"]);
    args.extend(labels(&spec.labels));
    args.push(spec.name.clone());
    args
}

/// `volume inspect NAME`.
pub fn volume_inspect(name: &str) -> Vec<String> {
    owned(&["volume", "inspect", name])
}

/// `volume ls --filter label=LABEL --format {{json .}}`.
pub fn volume_ls(label: &str) -> Vec<String> {
    owned(&[
        "volume",
        "ls",
        "--filter",
        &format!("label={label}"),
        "--format",
        JSON_FORMAT,
    ])
}

/// `volume rm NAME`.
pub fn volume_rm(name: &str) -> Vec<String> {
    owned(&["volume", "rm", name])
}

/// `pull IMAGE`.
pub fn pull(image: &str) -> Vec<String> {
    owned(&["pull", image])
}

/// `build EXTRA… --tag T [--file F] [--build-arg NAME]… [--label K=V]… CONTEXT`.
pub fn build(spec: &BuildSpec, extra: &[&str]) -> Vec<String> {
    let mut args = owned(&["build"]);
    args.extend(owned(extra));
    args.extend(["--tag".to_owned(), spec.tag.clone()]);
    if let Some(file) = &spec.file {
        args.extend(["--file".to_owned(), file.to_string()]);
    }
    args.extend(env_flags("--build-arg", &spec.build_args));
    args.extend(labels(&spec.labels));
    args.push(spec.context.to_string());
    args
}

/// `network create [--internal | ISOLATED…] [--label K=V]… NAME`; `isolated` is the dialect's
/// way of making an isolated network.
pub fn network_create(spec: &NetworkSpec, isolated: &[&str]) -> Vec<String> {
    let mut args = owned(&["network", "create"]);
    if spec.isolated {
        args.extend(owned(isolated));
    } else {
        args.extend(switch("--internal", spec.internal));
    }
    if let Some(subnet) = &spec.subnet {
        args.extend(["--subnet".to_owned(), subnet.clone()]);
    }
    args.extend(labels(&spec.labels));
    args.push(spec.name.clone());
    args
}

/// `network connect [--alias A]… [--ip IP] NETWORK CONTAINER`.
pub fn network_connect(net: &NetworkAttachment, container: &str) -> Vec<String> {
    let mut args = owned(&["network", "connect"]);
    args.extend(repeated("--alias", &net.aliases));
    if let Some(ip) = &net.ip {
        args.extend(["--ip".to_owned(), ip.clone()]);
    }
    args.extend([net.name.clone(), container.to_owned()]);
    args
}

/// `network rm NAME`.
pub fn network_rm(names: &[String]) -> Vec<String> {
    let mut args = owned(&["network", "rm"]);
    args.extend(names.iter().cloned());
    args
}

/// `network inspect NAME`.
pub fn network_inspect(name: &str) -> Vec<String> {
    owned(&["network", "inspect", name])
}

/// `network ls --filter label=LABEL --format {{json .}}`.
pub fn network_ls(label: &str) -> Vec<String> {
    owned(&[
        "network",
        "ls",
        "--filter",
        &format!("label={label}"),
        "--format",
        JSON_FORMAT,
    ])
}

/// The flag and value of a mount: `--tmpfs TARGET:OPTIONS` for a tmpfs, else `--mount VALUE`.
///
/// `--mount`'s value: docker and podman (4.x) both split it with Go's CSV reader, so a
/// `key=value` field holding a comma, a quote or a line break is written as a quoted CSV
/// field (quotes doubled); any other is written as it is. A path with a comma would otherwise
/// end the field and start another option (`/home/me/a,readonly=false`).
fn mount(mount: &Mount) -> [String; 2] {
    let (kind, source, target, read_only) = match mount {
        Mount::Bind {
            source,
            target,
            read_only,
        } => ("bind", Some(source.as_str()), target, *read_only),
        Mount::Volume {
            name,
            target,
            read_only,
        } => ("volume", Some(name.as_str()), target, *read_only),
        Mount::Anonymous { target } => ("volume", None, target, false),
        Mount::Tmpfs {
            target,
            size_bytes,
            mode,
            exec,
        } => {
            let exec = if *exec { "exec" } else { "noexec" };
            return [
                "--tmpfs".to_owned(),
                format!("{target}:rw,{exec},nosuid,nodev,size={size_bytes},mode={mode:o}"),
            ];
        }
    };
    let mut fields = vec![format!("type={kind}")];
    fields.extend(source.map(|s| format!("source={s}")));
    fields.push(format!("target={target}"));
    if read_only {
        fields.push("readonly=true".to_owned());
    }
    let value = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    ["--mount".to_owned(), value]
}

/// `--memory B --memory-swap B` (the same: no swap on top), `--cpus N`, `--pids-limit N`:
/// the same flags on docker and podman.
fn limits(limits: &Limits) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(bytes) = limits.memory_bytes {
        args.extend([
            "--memory".to_owned(),
            bytes.to_string(),
            "--memory-swap".to_owned(),
            bytes.to_string(),
        ]);
    }
    if let Some(milli) = limits.cpus_milli {
        args.extend(["--cpus".to_owned(), cpus(milli)]);
    }
    if let Some(pids) = limits.pids {
        args.extend(["--pids-limit".to_owned(), pids.to_string()]);
    }
    args
}

/// Thousandths of a CPU as `--cpus` takes them: `1500` is `1.5`, `2000` is `2`.
pub fn cpus(milli: u32) -> String {
    let fraction = format!("{:03}", milli % 1000);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        (milli / 1000).to_string()
    } else {
        format!("{}.{fraction}", milli / 1000)
    }
}

/// One field of a CSV record, quoted only when it has to be.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn create_networks(networks: &[NetworkAttachment], style: CreateNetworks) -> Vec<String> {
    match style {
        CreateNetworks::First => networks
            .first()
            .map(|first| {
                let mut args = vec!["--network".to_owned(), first.name.clone()];
                args.extend(repeated("--network-alias", &first.aliases));
                if let Some(ip) = &first.ip {
                    args.extend(["--ip".to_owned(), ip.clone()]);
                }
                args
            })
            .unwrap_or_default(),
        CreateNetworks::All => networks
            .iter()
            .flat_map(|net| {
                let options: Vec<String> = net
                    .aliases
                    .iter()
                    .map(|a| format!("alias={a}"))
                    .chain(net.ip.iter().map(|ip| format!("ip={ip}")))
                    .collect();
                let value = if options.is_empty() {
                    net.name.clone()
                } else {
                    format!("{}:{}", net.name, options.join(","))
                };
                ["--network".to_owned(), value]
            })
            .collect(),
    }
}

/// `create --name N … [EXTRA]… IMAGE [ENTRYPOINT-REST]… [CMD]…`.
///
/// `--entrypoint` takes one word on docker, so a longer entrypoint is split: its first word
/// goes to `--entrypoint`, the rest lead the command. `extra` is the dialect's own flags;
/// `env_file` holds the variables the engine reads itself (see [`crate::envfile`]).
pub fn create(
    spec: &ContainerSpec,
    networks: CreateNetworks,
    extra: &[&str],
    env_file: Option<&Utf8Path>,
) -> Vec<String> {
    let mut args = owned(&["create", "--name", &spec.name]);
    args.extend(optional("--hostname", spec.hostname.as_ref()));
    for (name, ip) in &spec.extra_hosts {
        args.extend(["--add-host".to_owned(), format!("{name}:{ip}")]);
    }
    args.extend(repeated("--dns", &spec.dns));
    for (name, value) in &spec.sysctls {
        args.extend(["--sysctl".to_owned(), format!("{name}={value}")]);
    }
    args.extend(optional("--userns", spec.userns.as_ref()));
    args.extend(optional("--user", spec.user.as_ref()));
    args.extend(optional("--workdir", spec.workdir.as_ref()));
    args.extend(switch("--tty", spec.tty));
    args.extend(switch("--interactive", spec.interactive));
    args.extend(switch("--read-only", spec.read_only));
    args.extend(switch("--init", spec.init));
    args.extend(create_networks(&spec.networks, networks));
    args.extend(env_file_flag(env_file));
    args.extend(env_flags("--env", &spec.env));
    args.extend(labels(&spec.labels));
    for m in &spec.mounts {
        args.extend(mount(m));
    }
    args.extend(limits(&spec.limits));
    args.extend(repeated("--security-opt", &spec.security_opts));
    args.extend(repeated("--cap-drop", &spec.cap_drop));
    args.extend(repeated("--cap-add", &spec.cap_add));
    let mut tail = Vec::new();
    if let Some(entrypoint) = &spec.entrypoint {
        let (first, rest) = entrypoint
            .split_first()
            .map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
        args.extend(["--entrypoint".to_owned(), first.to_owned()]);
        tail.extend(rest.iter().cloned());
    }
    args.extend(owned(extra));
    args.push(spec.image.clone());
    args.extend(tail);
    args.extend(spec.cmd.iter().cloned());
    args
}

/// `cp [EXTRA]… - CONTAINER:DIR`: a tar stream on stdin unpacked into `DIR`.
pub fn copy_tar_into(container: &str, dir: &str, extra: &[&str]) -> Vec<String> {
    let mut args = owned(&["cp"]);
    args.extend(owned(extra));
    args.extend(["-".to_owned(), format!("{container}:{dir}")]);
    args
}

/// `cp CONTAINER:PATH -`: the file at `PATH` as a tar stream on stdout.
/// `volume export NAME`: the volume's files as a tar on stdout.
pub fn volume_export(name: &str) -> Vec<String> {
    vec!["volume".to_owned(), "export".to_owned(), name.to_owned()]
}

pub fn copy_out(container: &str, path: &str) -> Vec<String> {
    vec![
        "cp".to_owned(),
        format!("{container}:{path}"),
        "-".to_owned(),
    ]
}

/// `kill --signal SIGNAL NAME`.
pub fn kill(name: &str, signal: &str) -> Vec<String> {
    owned(&["kill", "--signal", signal, name])
}

/// `start NAME`.
pub fn start(name: &str) -> Vec<String> {
    owned(&["start", name])
}

fn env_file_flag(env_file: Option<&Utf8Path>) -> Vec<String> {
    env_file
        .map(|path| vec!["--env-file".to_owned(), path.to_string()])
        .unwrap_or_default()
}

/// `exec [--interactive] [--tty] [--user U] [--workdir W] [--env-file F] [--env NAME]…
/// CONTAINER ARGV…`.
pub fn exec(container: &str, spec: &ExecSpec, env_file: Option<&Utf8Path>) -> Vec<String> {
    let mut args = owned(&["exec"]);
    args.extend(switch(
        "--interactive",
        spec.interactive || spec.stdin.is_some(),
    ));
    args.extend(switch("--tty", spec.tty));
    args.extend(optional("--user", spec.user.as_ref()));
    args.extend(optional("--workdir", spec.workdir.as_ref()));
    args.extend(env_file_flag(env_file));
    args.extend(env_flags("--env", &spec.env));
    args.push(container.to_owned());
    args.extend(spec.argv.iter().cloned());
    args
}

/// `stop -t SECONDS NAME` (`-t` works on old and new docker and on podman; rounded up).
pub fn stop(name: &str, timeout: Duration) -> Vec<String> {
    let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    owned(&["stop", "-t", &seconds.to_string(), name])
}

/// `rm --force --volumes [EXTRA]… NAME`: the container's anonymous volumes go with it (a
/// named volume never does).
pub fn rm(name: &str, extra: &[&str]) -> Vec<String> {
    let mut args = owned(&["rm", "--force", "--volumes"]);
    args.extend(owned(extra));
    args.push(name.to_owned());
    args
}

/// `rm --force --volumes [EXTRA]… --filter label=LABEL`: every container carrying `LABEL`
/// (podman), with its anonymous volumes.
pub fn rm_labelled(label: &str, extra: &[&str]) -> Vec<String> {
    let mut args = owned(&["rm", "--force", "--volumes"]);
    args.extend(owned(extra));
    args.push("--filter".to_owned());
    args.push(format!("label={label}"));
    args
}

/// `container inspect NAME`.
pub fn container_inspect(name: &str) -> Vec<String> {
    owned(&["container", "inspect", name])
}

/// `ps --all --filter label=LABEL --format {{json .}}`.
pub fn ps(label: &str) -> Vec<String> {
    owned(&[
        "ps",
        "--all",
        "--filter",
        &format!("label={label}"),
        "--format",
        JSON_FORMAT,
    ])
}

/// `logs [--follow] NAME`.
pub fn logs(name: &str, follow: bool) -> Vec<String> {
    let mut args = owned(&["logs"]);
    args.extend(switch("--follow", follow));
    args.push(name.to_owned());
    args
}

/// `wait NAME`.
pub fn wait(name: &str) -> Vec<String> {
    owned(&["wait", name])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn full_spec() -> ContainerSpec {
        ContainerSpec {
            name: "bb-agent".into(),
            image: "localhost/agent:1".into(),
            networks: vec![
                NetworkAttachment {
                    name: "bb-int".into(),
                    aliases: vec!["agent".into(), "a2".into()],
                    ip: Some("10.200.0.4".into()),
                },
                NetworkAttachment {
                    name: "bb-out".into(),
                    aliases: vec![],
                    ip: None,
                },
            ],
            env: vec![
                EnvVar::new("TOKEN", "s3cret"),
                EnvVar::new("HOME", "/home/agent"),
            ],
            labels: BTreeMap::from([("io.bot-bottle.role".into(), "agent".into())]),
            mounts: vec![
                Mount::Bind {
                    source: "/src".into(),
                    target: "/work".into(),
                    read_only: true,
                },
                Mount::Volume {
                    name: "cache".into(),
                    target: "/cache".into(),
                    read_only: false,
                },
                Mount::Tmpfs {
                    target: "/tmp".into(),
                    size_bytes: 1 << 20,
                    mode: 0o1777,
                    exec: true,
                },
                Mount::Anonymous {
                    target: "/etc/x".into(),
                },
            ],
            user: Some("1000:1000".into()),
            workdir: Some("/work".into()),
            hostname: Some("bottle".into()),
            extra_hosts: vec![("proxy".into(), "10.0.0.2".into())],
            dns: vec!["10.0.0.2".into()],
            sysctls: vec![("net.ipv6.conf.all.disable_ipv6".into(), "1".into())],
            userns: Some("keep-id:uid=1000,gid=1000".into()),
            tty: true,
            interactive: true,
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            cmd: vec!["exec claude".into()],
            security_opts: vec!["no-new-privileges".into()],
            cap_drop: vec!["ALL".into()],
            cap_add: vec!["CHOWN".into()],
            read_only: true,
            init: true,
            limits: Limits {
                memory_bytes: Some(64 << 20),
                cpus_milli: Some(1500),
                pids: Some(100),
            },
        }
    }

    #[test]
    fn create_docker_style_takes_first_network_only() {
        assert_eq!(
            create(
                &full_spec(),
                CreateNetworks::First,
                &[],
                Some(Utf8Path::new("/run/env-x"))
            ),
            owned(&[
                "create",
                "--name",
                "bb-agent",
                "--hostname",
                "bottle",
                "--add-host",
                "proxy:10.0.0.2",
                "--dns",
                "10.0.0.2",
                "--sysctl",
                "net.ipv6.conf.all.disable_ipv6=1",
                "--userns",
                "keep-id:uid=1000,gid=1000",
                "--user",
                "1000:1000",
                "--workdir",
                "/work",
                "--tty",
                "--interactive",
                "--read-only",
                "--init",
                "--network",
                "bb-int",
                "--network-alias",
                "agent",
                "--network-alias",
                "a2",
                "--ip",
                "10.200.0.4",
                "--env-file",
                "/run/env-x",
                "--env",
                "TOKEN",
                "--label",
                "io.bot-bottle.role=agent",
                "--mount",
                "type=bind,source=/src,target=/work,readonly=true",
                "--mount",
                "type=volume,source=cache,target=/cache",
                "--tmpfs",
                "/tmp:rw,exec,nosuid,nodev,size=1048576,mode=1777",
                "--mount",
                "type=volume,target=/etc/x",
                "--memory",
                "67108864",
                "--memory-swap",
                "67108864",
                "--cpus",
                "1.5",
                "--pids-limit",
                "100",
                "--security-opt",
                "no-new-privileges",
                "--cap-drop",
                "ALL",
                "--cap-add",
                "CHOWN",
                "--entrypoint",
                "/bin/sh",
                "localhost/agent:1",
                "-c",
                "exec claude",
            ])
        );
    }

    #[test]
    fn mount_fields_with_a_comma_or_quote_are_quoted_as_csv() {
        // Both engines split `--mount` with Go's CSV reader (docker 28.2, podman 4.3.1): a
        // comma in a path must sit in a quoted field, and a quote in it is doubled.
        let bind = |source: &str| Mount::Bind {
            source: source.into(),
            target: "/workspace".into(),
            read_only: false,
        };
        let value = |m: &Mount| mount(m)[1].clone();
        assert_eq!(
            value(&bind("/home/me/a,b=c")),
            "type=bind,\"source=/home/me/a,b=c\",target=/workspace"
        );
        assert_eq!(
            value(&bind("/home/me/q\"x")),
            "type=bind,\"source=/home/me/q\"\"x\",target=/workspace"
        );
        assert_eq!(
            value(&bind("/home/me/plain")),
            "type=bind,source=/home/me/plain,target=/workspace"
        );
        let volume = Mount::Volume {
            name: "v".into(),
            target: "/in,side".into(),
            read_only: true,
        };
        assert_eq!(
            value(&volume),
            "type=volume,source=v,\"target=/in,side\",readonly=true"
        );
    }

    #[test]
    fn a_sidecar_s_scratch_is_noexec_and_limits_leave_out_what_is_not_asked_for() {
        let tmpfs = Mount::Tmpfs {
            target: "/tmp".into(),
            size_bytes: 64 << 20,
            mode: 0o1777,
            exec: false,
        };
        assert_eq!(
            mount(&tmpfs),
            [
                "--tmpfs",
                "/tmp:rw,noexec,nosuid,nodev,size=67108864,mode=1777"
            ]
        );
        let only_pids = Limits {
            pids: Some(64),
            ..Limits::default()
        };
        assert_eq!(limits(&only_pids), owned(&["--pids-limit", "64"]));
        assert!(limits(&Limits::default()).is_empty());
        assert_eq!(
            [cpus(1500), cpus(2000), cpus(250), cpus(1)],
            ["1.5", "2", "0.25", "0.001"]
        );
    }

    #[test]
    fn create_podman_style_takes_all_networks_with_aliases() {
        let args = create(
            &full_spec(),
            CreateNetworks::All,
            &["--http-proxy=false"],
            None,
        );
        let start = args.iter().position(|a| a == "--network").unwrap();
        assert_eq!(
            args[start..start + 4],
            owned(&[
                "--network",
                "bb-int:alias=agent,alias=a2,ip=10.200.0.4",
                "--network",
                "bb-out"
            ])
        );
        assert!(!args.contains(&"--network-alias".to_owned()));
        let image = args.iter().position(|a| a == "localhost/agent:1").unwrap();
        assert_eq!(args[image - 1], "--http-proxy=false");
    }

    #[test]
    fn create_minimal_and_cleared_entrypoint() {
        let mut spec = ContainerSpec::new("c", "img");
        assert_eq!(
            create(&spec, CreateNetworks::First, &[], None),
            owned(&["create", "--name", "c", "img"])
        );
        spec.entrypoint = Some(vec![]);
        spec.cmd = vec!["true".into()];
        assert_eq!(
            create(&spec, CreateNetworks::All, &[], None),
            owned(&["create", "--name", "c", "--entrypoint", "", "img", "true"])
        );
    }

    #[test]
    fn env_values_stay_off_the_command_line() {
        let env = vec![
            EnvVar::new("ANTHROPIC_API_KEY", "sk-1"),
            EnvVar::new("https_proxy", "http://pipelock:8888"),
            EnvVar::new("XDG_CONFIG_HOME", "/x"),
        ];
        let flags = env_flags("--env", &env);
        // The names the engine reads itself go in the env file, not on the command line.
        assert_eq!(flags, owned(&["--env", "ANTHROPIC_API_KEY"]));
        assert!(!flags
            .iter()
            .any(|f| f.contains("sk-1") || f.contains("pipelock")));
        assert_eq!(
            child_env(&env),
            vec![("ANTHROPIC_API_KEY".to_owned(), "sk-1".to_owned())]
        );
    }

    #[test]
    fn network_commands() {
        let spec = NetworkSpec {
            name: "bb-int".into(),
            internal: true,
            labels: BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
            ..NetworkSpec::default()
        };
        assert_eq!(
            network_create(&spec, &["--isolate-me"]),
            owned(&[
                "network",
                "create",
                "--internal",
                "--label",
                "a=1",
                "--label",
                "b=2",
                "bb-int"
            ])
        );
        assert_eq!(
            network_create(
                &NetworkSpec {
                    name: "n".into(),
                    ..NetworkSpec::default()
                },
                &["--isolate-me"]
            ),
            owned(&["network", "create", "n"])
        );
        // An isolated network is made the dialect's way (which includes --internal).
        assert_eq!(
            network_create(
                &NetworkSpec {
                    name: "n".into(),
                    internal: true,
                    isolated: true,
                    ..NetworkSpec::default()
                },
                &["--internal", "--isolate-me"]
            ),
            owned(&["network", "create", "--internal", "--isolate-me", "n"])
        );
        assert_eq!(
            network_create(
                &NetworkSpec {
                    name: "n".into(),
                    internal: true,
                    subnet: Some("203.0.113.16/28".into()),
                    ..NetworkSpec::default()
                },
                &["--isolate-me"]
            ),
            owned(&[
                "network",
                "create",
                "--internal",
                "--subnet",
                "203.0.113.16/28",
                "n"
            ])
        );
        assert_eq!(
            network_connect(
                &NetworkAttachment {
                    aliases: vec!["x".into()],
                    ..NetworkAttachment::new("n")
                },
                "c"
            ),
            owned(&["network", "connect", "--alias", "x", "n", "c"])
        );
        assert_eq!(
            network_connect(&NetworkAttachment::at("n", "10.200.0.3"), "c"),
            owned(&["network", "connect", "--ip", "10.200.0.3", "n", "c"])
        );
        assert_eq!(network_rm(&owned(&["n"])), owned(&["network", "rm", "n"]));
        assert_eq!(
            network_rm(&owned(&["n", "m"])),
            owned(&["network", "rm", "n", "m"])
        );
        assert_eq!(
            network_ls("io.bot-bottle.test=1"),
            owned(&[
                "network",
                "ls",
                "--filter",
                "label=io.bot-bottle.test=1",
                "--format",
                "{{json .}}"
            ])
        );
    }

    #[test]
    fn volume_commands() {
        let spec = VolumeSpec {
            name: "v".into(),
            labels: BTreeMap::from([("a".into(), "1".into())]),
        };
        assert_eq!(
            volume_create(&spec),
            owned(&["volume", "create", "--label", "a=1", "v"])
        );
        assert_eq!(volume_inspect("v"), owned(&["volume", "inspect", "v"]));
        assert_eq!(volume_rm("v"), owned(&["volume", "rm", "v"]));
        assert_eq!(
            volume_ls("k=v"),
            owned(&[
                "volume",
                "ls",
                "--filter",
                "label=k=v",
                "--format",
                "{{json .}}"
            ])
        );
    }

    #[test]
    fn exec_with_stdin_is_interactive() {
        let spec = ExecSpec {
            user: Some("0".into()),
            env: vec![EnvVar::new("K", "v")],
            workdir: Some("/".into()),
            stdin: Some(b"x".to_vec()),
            ..ExecSpec::new(["cat"])
        };
        assert_eq!(
            exec("c", &spec, Some(Utf8Path::new("/run/e"))),
            owned(&[
                "exec",
                "--interactive",
                "--user",
                "0",
                "--workdir",
                "/",
                "--env-file",
                "/run/e",
                "--env",
                "K",
                "c",
                "cat"
            ])
        );
        let tty = ExecSpec {
            tty: true,
            interactive: true,
            ..ExecSpec::new(["bash"])
        };
        assert_eq!(
            exec("c", &tty, None),
            owned(&["exec", "--interactive", "--tty", "c", "bash"])
        );
    }

    #[test]
    fn container_lifecycle_commands() {
        assert_eq!(
            copy_tar_into("c", "/etc/x", &[]),
            owned(&["cp", "-", "c:/etc/x"])
        );
        assert_eq!(
            copy_tar_into("c", "/", &["--archive=false"]),
            owned(&["cp", "--archive=false", "-", "c:/"])
        );
        assert_eq!(
            copy_out("c", "/etc/x.yaml"),
            owned(&["cp", "c:/etc/x.yaml", "-"])
        );
        assert_eq!(kill("c", "HUP"), owned(&["kill", "--signal", "HUP", "c"]));
        assert_eq!(start("c"), owned(&["start", "c"]));
        assert_eq!(
            stop("c", Duration::from_millis(1500)),
            owned(&["stop", "-t", "2", "c"])
        );
        assert_eq!(stop("c", Duration::ZERO), owned(&["stop", "-t", "0", "c"]));
        assert_eq!(
            rm("c", &["--time", "0"]),
            owned(&["rm", "--force", "--volumes", "--time", "0", "c"])
        );
        assert_eq!(
            rm_labelled("k=v", &["--time", "0"]),
            owned(&[
                "rm",
                "--force",
                "--volumes",
                "--time",
                "0",
                "--filter",
                "label=k=v"
            ])
        );
        assert_eq!(
            ps("k=v"),
            owned(&[
                "ps",
                "--all",
                "--filter",
                "label=k=v",
                "--format",
                "{{json .}}"
            ])
        );
        assert_eq!(logs("c", true), owned(&["logs", "--follow", "c"]));
        assert_eq!(wait("c"), owned(&["wait", "c"]));
        assert_eq!(
            container_inspect("c"),
            owned(&["container", "inspect", "c"])
        );
    }

    #[test]
    fn image_commands() {
        assert_eq!(info(), owned(&["info", "--format", "{{json .}}"]));
        assert_eq!(
            image_inspect("i"),
            owned(&["image", "inspect", "--format", "{{.Id}}", "i"])
        );
        assert_eq!(pull("i"), owned(&["pull", "i"]));
        assert_eq!(tag("a", "b"), owned(&["tag", "a", "b"]));
        assert_eq!(
            image_digests("i"),
            owned(&["image", "inspect", "--format", "{{json .RepoDigests}}", "i"])
        );
        let spec = BuildSpec {
            tag: "t".into(),
            context: "/ctx".into(),
            file: Some("/ctx/Containerfile".into()),
            build_args: vec![EnvVar::new("V", "1")],
            labels: BTreeMap::from([("k".into(), "v".into())]),
            progress: false,
        };
        assert_eq!(
            build(&spec, &["--layers=false"]),
            owned(&[
                "build",
                "--layers=false",
                "--tag",
                "t",
                "--file",
                "/ctx/Containerfile",
                "--build-arg",
                "V",
                "--label",
                "k=v",
                "/ctx",
            ])
        );
    }
}
