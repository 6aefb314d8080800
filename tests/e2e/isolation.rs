//! No way out but the proxy, tried from inside a launched bottle as an attacker would: DNS for
//! an outside name, the host's own services at every host address and at the gateway an engine
//! would use, UDP, a "public" address, another bottle, the cloud metadata address, IPv6, and
//! the host through the proxy itself. Each attempt must fail, and the host must see nothing.

use std::fmt::Write as _;
use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use crate::support::{first_host, harness, host_addresses, Bottle, LeakWatch, PUBLIC_V4};

/// Resolves one marked name per resolver with node's resolver (UDP, falling back to TCP) and
/// libc's (`getent`), and prints what each answered.
const DNS_TRIES: &str = r"
const dns = require('dns');
const [marker, ...servers] = process.argv.slice(1);
let n = 0;
for (const server of ['default', ...servers]) {
  const r = new dns.Resolver({ timeout: 1500, tries: 1 });
  if (server !== 'default') r.setServers([server]);
  const name = `${marker}r${n++}.example.com`;
  r.resolve4(name, (err, addrs) => console.log(`${server} ${err ? err.code : 'ANSWERED ' + addrs}`));
}
";

#[test]
fn the_agent_reaches_nothing_but_its_proxy() {
    let Some(h) = harness() else { return };
    let watch = LeakWatch::start();
    let bottle = Bottle::launch(&h, "isolation");
    let other = Bottle::launch(&h, "isolation-other");
    let internal = bottle.launch["networks"][0].as_str().unwrap().to_owned();
    let subnet = h
        .engine
        .inspect_network(&internal)
        .unwrap()
        .unwrap()
        .subnets[0]
        .clone();
    let gateway = first_host(&subnet);

    dns_never_leaves(&bottle, &watch, &gateway);
    host_services_are_out_of_reach(&h, &bottle, &other, &gateway);
    no_ipv6_in_the_agent(&bottle);

    if let Some((hits, rules)) = watch.hits() {
        assert_eq!(hits, 0, "packets that would have left the host:\n{rules}");
    }
}

fn dns_never_leaves(bottle: &Bottle, watch: &LeakWatch, gateway: &str) {
    let host_resolvers: Vec<String> = std::fs::read_to_string("/etc/resolv.conf")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver"))
        .map(|s| s.trim().to_owned())
        .collect();
    let mut servers = vec![
        gateway.to_owned(),
        "127.0.0.11".to_owned(),
        PUBLIC_V4.to_owned(),
    ];
    servers.extend(host_resolvers);
    let mut argv = vec!["node", "-e", DNS_TRIES, watch.marker.as_str()];
    argv.extend(servers.iter().map(String::as_str));
    let out = bottle
        .h
        .engine
        .exec(&bottle.agent(), &engine::ExecSpec::new(argv))
        .unwrap();
    assert_eq!(out.status, 0, "node: {}", out.stderr);
    assert_eq!(
        out.stdout.lines().count(),
        servers.len() + 1,
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("ANSWERED"),
        "a resolver answered: {}",
        out.stdout
    );
    let getent = bottle.agent_sh(&format!("getent hosts {}libc.example.com", watch.marker));
    assert_ne!(
        getent.status, 0,
        "libc resolved an outside name: {}",
        getent.stdout
    );
}

fn host_services_are_out_of_reach(
    h: &crate::support::Harness,
    bottle: &Bottle,
    other: &Bottle,
    gateway: &str,
) {
    // A service on the host's wildcard address, as a dev server or database would listen.
    let tcp = TcpListener::bind("[::]:0")
        .or_else(|_| TcpListener::bind("0.0.0.0:0"))
        .unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    tcp.set_nonblocking(true).unwrap();
    let udp = UdpSocket::bind("0.0.0.0:0").unwrap();
    let udp_port = udp.local_addr().unwrap().port();

    // Every host address, where an engine would put the gateway (without isolation it is the
    // host's), the cloud metadata address and a "public" one.
    let mut targets = host_addresses();
    targets.push(gateway.to_owned());
    targets.push("169.254.169.254".to_owned());
    targets.push(PUBLIC_V4.to_owned());
    // Another bottle's proxy, on both of its networks.
    let other_proxy = h.engine.inspect_container(&other.proxy()).unwrap().unwrap();
    let other_proxies: Vec<String> = other_proxy
        .networks
        .values()
        .filter_map(|e| e.ip.clone())
        .collect();
    // Each attempt in the background with its own deadline, so a dead address costs no more
    // than one timeout in all.
    let tcp_try = |t: &str, port: u16| {
        format!("(timeout 4 bash -c 'echo hi >/dev/tcp/{t}/{port}' 2>/dev/null && echo 'OPEN tcp {t}:{port}') &\n")
    };
    let mut script = String::new();
    for t in &targets {
        let host = if t.contains(':') {
            format!("[{t}]")
        } else {
            t.clone()
        };
        script += &tcp_try(t, tcp_port);
        let _ = write!(
            script,
            "(timeout 4 bash -c 'echo hi >/dev/udp/{t}/{udp_port}' 2>/dev/null) &\n\
             (curl -s -m 4 --noproxy '*' -o /dev/null http://{host}:{tcp_port}/ && echo 'OPEN curl {t}') &\n"
        );
    }
    for t in &other_proxies {
        script += &tcp_try(t, crate::support::PROXY_PORT);
    }
    script += "wait\n";
    let out = bottle.h.sh(&bottle.agent(), None, &script);
    assert!(
        !out.stdout.contains("OPEN"),
        "the agent reached past its proxy:\n{}",
        out.stdout
    );
    match tcp.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the host service accepted a connection from {from}"),
        Err(e) => panic!("accept: {e}"),
    }
    assert_no_datagram_but_canary(&udp);

    // Through the proxy: the host and private addresses are refused, not fetched.
    for t in host_addresses().iter().filter(|t| !t.contains(':')) {
        let got = bottle.agent_sh(&format!(
            "curl -sS -m 10 -o /dev/null -w '%{{http_code}}' http://{t}:{tcp_port}/; echo; \
             curl -sS -m 10 -o /dev/null -w '%{{http_connect}}' https://{t}:{tcp_port}/; echo"
        ));
        let codes: Vec<&str> = got.stdout.lines().collect();
        assert_eq!(
            codes,
            ["403", "403"],
            "the proxy let the agent reach {t}: {}",
            got.stderr
        );
    }
    match tcp.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => {
            panic!("the host service accepted a connection through the proxy from {from}")
        }
        Err(e) => panic!("accept: {e}"),
    }
}

/// Sends a canary from this process and reads until it arrives: any datagram before it came
/// from the agent.
fn assert_no_datagram_but_canary(udp: &UdpSocket) {
    let port = udp.local_addr().unwrap().port();
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"canary", ("127.0.0.1", port))
        .unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = udp.recv_from(&mut buf).expect("the canary arrives");
    assert_eq!(
        &buf[..n],
        b"canary",
        "the host received a datagram from the agent ({from})"
    );
}

fn no_ipv6_in_the_agent(bottle: &Bottle) {
    let out = bottle.agent_sh("cat /proc/net/if_inet6 2>/dev/null");
    assert!(
        out.stdout.trim().is_empty(),
        "the agent has IPv6 addresses: {}",
        out.stdout
    );
}

/// Pipelock listens on its address on the bottle's internal network and nowhere else: tried
/// as another local user would, from a container on the sidecar's other networks (its egress
/// network and the tests' internet, where the upstream sits) and, on rootful engines, from the
/// host, which routes to the egress network. Each must fail to reach the proxy, while the
/// agent uses it; and even the agent cannot read pipelock's stats and metrics there. (The
/// internal address is tried from nowhere else: no route leads to it, so a packet for it would
/// follow the default route off this machine.)
#[test]
fn only_its_agent_reaches_a_bottle_s_proxy() {
    let Some(h) = harness() else { return };
    let bottle = Bottle::launch(&h, "listen");
    let internal = bottle.launch["networks"][0].as_str().unwrap().to_owned();
    let sidecar = h
        .engine
        .inspect_container(&bottle.proxy())
        .unwrap()
        .unwrap();
    let elsewhere: Vec<String> = sidecar
        .networks
        .iter()
        .filter(|(name, _)| **name != internal)
        .filter_map(|(_, endpoint)| endpoint.ip.clone())
        .collect();
    assert_eq!(
        elsewhere.len(),
        2,
        "egress and internet: {:?}",
        sidecar.networks
    );

    // The control: the agent's proxy serves it.
    let proxy = bottle.proxy();
    let through = |ip: &str| {
        format!(
            "curl -sS -m 5 -o /dev/null -w '%{{http_code}}' -x http://{ip}:{port} http://upstream.bottle.test/hello; echo \" rc=$?\"",
            port = crate::support::PROXY_PORT
        )
    };
    let agent = bottle.agent_sh(&through(&proxy));
    assert_eq!(agent.stdout.trim(), "200 rc=0", "{}", agent.stderr);

    // A neighbour on the egress network and on the internet, at each of the sidecar's
    // addresses there.
    let mut script = String::new();
    for ip in &elsewhere {
        let _ = writeln!(script, "echo {ip} $({})", through(ip));
    }
    let neighbour = h.sh(&bottle.upstream, None, &script);
    for line in neighbour.stdout.lines() {
        assert!(
            !line.contains(" 200 ") && !line.ends_with("rc=0"),
            "a container beside the bottle used its proxy: {line}\n{}",
            neighbour.stdout
        );
    }
    assert_eq!(neighbour.stdout.lines().count(), 2, "{}", neighbour.stdout);

    // The host, on the egress network, where it has an address of its own (a rootless
    // engine's networks are in a namespace of their own, out of its reach anyway).
    if crate::support::is_root() {
        let egress = bottle.egress_network();
        let ip = sidecar.networks[&egress].ip.clone().unwrap();
        let addr = std::net::SocketAddr::new(ip.parse().unwrap(), crate::support::PROXY_PORT);
        let reached = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3));
        assert!(
            reached.is_err(),
            "the host reached the bottle's proxy at {addr}"
        );
    }

    // Pipelock's stats and metrics are not served where the agent reaches it.
    for path in ["/stats", "/metrics"] {
        let got = bottle.agent_sh(&format!(
            "curl -sS -m 5 --noproxy '*' -o /dev/null -w '%{{http_code}}' http://{proxy}:{port}{path}",
            port = crate::support::PROXY_PORT
        ));
        assert_eq!(
            got.stdout, "404",
            "the agent read pipelock's {path}: {}",
            got.stderr
        );
    }
}
