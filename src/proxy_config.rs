//! The pipelock v2.3.0 config a bottle's sidecar loads, as typed data.
//!
//! Pipelock parses its YAML with unknown fields rejected; JSON is valid YAML, so `serde_json`
//! writes the file and no hand-rolled YAML can be broken by a value. Only fields pipelock
//! v2.3.0 knows are modelled. The same type reads a running sidecar's config back (`allow`,
//! `deny`), refusing any field it does not model, so that what is written back is exactly what
//! was read with only the changed field changed.

use serde::{Deserialize, Serialize};

use crate::defaults;
use crate::manifest::{DlpAction, Hostname};

/// Pipelock cuts every CONNECT tunnel after 300 s by default. An interactive agent streams long
/// model responses and keeps connections alive between turns; cutting them mid-stream breaks
/// the session. One hour covers any single response while still reaping abandoned tunnels, and
/// intercepted traffic is scanned request by request whatever the tunnel's age.
pub const MAX_TUNNEL_SECONDS: u32 = 3600;
/// Pipelock's 120 s idle default drops a tunnel while the user reads or thinks; ten minutes of
/// silence is a fair sign the connection is abandoned.
pub const IDLE_TIMEOUT_SECONDS: u32 = 600;
/// Pipelock's default of 60 requests a minute per base domain is hit by a single
/// `npm install` or a burst of API calls; 600 still stops a runaway loop.
pub const MAX_REQUESTS_PER_MINUTE: u32 = 600;

const MIB: u64 = 1024 * 1024;
/// Pipelock reads every intercepted response whole before it scans it, and refuses one past
/// this size (403 `blocked: response too large for scanning`). Its 5 MiB default refuses
/// ordinary downloads: a package registry's metadata for a popular package, a release tarball.
/// 128 MiB lets those through; the cost is the sidecar's memory, which holds one such buffer
/// per response in flight. Claude Code's own updates (about 400 MB) are not intercepted at all
/// (see [`crate::defaults::TLS_PASSTHROUGH`]).
pub const MAX_RESPONSE_BYTES: u64 = 128 * MIB;
/// Pipelock refuses a request body past this size whatever the DLP action (it cannot scan
/// what it does not read): 403 `blocked: request body exceeds max_body_bytes (N)`. An agent
/// uploads little (git goes through the git gate); 32 MiB covers an attachment or a package
/// publish while keeping the scan of each body short.
pub const MAX_BODY_BYTES: u64 = 32 * MIB;

// The reasons above only hold while these stay above pipelock's defaults.
const _: () = assert!(
    MAX_TUNNEL_SECONDS > 300
        && IDLE_TIMEOUT_SECONDS > 120
        && MAX_REQUESTS_PER_MINUTE > 60
        && MAX_RESPONSE_BYTES > 5 * MIB
        && MAX_BODY_BYTES > 5 * MIB
);

/// Where pipelock serves `/metrics` and `/stats` ([`metrics_listen`]): this port on the
/// sidecar's own loopback. Left empty,
/// pipelock serves them on the proxy's listener, where the agent (and, before the proxy
/// listened on the internal network only, anyone on the egress network) could read which
/// hosts were refused and how often. Nothing of bot-bottle reads them; they stay for a user
/// who `exec`s into a sidecar that has the tools. (Pipelock refuses the proxy's port here.)
/// In a kube export the agent shares the pod's loopback, and the pod's filter keeps this port
/// to pipelock's uid.
pub const METRICS_PORT: u16 = 8889;

/// See [`METRICS_PORT`].
pub fn metrics_listen() -> String {
    format!("127.0.0.1:{METRICS_PORT}")
}

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelockConfig {
    /// `strict`: the only mode in which pipelock enforces `api_allowlist`.
    pub mode: Mode,
    pub enforce: bool,
    pub api_allowlist: Vec<String>,
    /// Allowed names that may resolve to private addresses; pipelock's SSRF guard refuses
    /// every other destination in a private range (IP literals always).
    pub trusted_domains: Vec<String>,
    /// See [`METRICS_PORT`]. Empty (and not written) in a config a bot-bottle before it wrote
    /// into a bottle that still runs: `allow` and `deny` read that back and keep it as it was
    /// (pipelock ignores a change of it on reload anyway).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub metrics_listen: String,
    pub fetch_proxy: FetchProxy,
    pub forward_proxy: ForwardProxy,
    pub dlp: Dlp,
    pub request_body_scanning: RequestBodyScanning,
    pub tls_interception: TlsInterception,
    pub logging: Logging,
    /// The bottle's flight record (see [`FlightRecorder`]); absent in a config written by a
    /// bot-bottle before it (a bottle still running), and in a kube export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight_recorder: Option<FlightRecorder>,
    /// Where pipelock also sends its events (`egress.events`); absent unless the manifest
    /// names a collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emit: Option<Emit>,
}

/// Pipelock's `emit`: its audit events sent on, from the sidecar, to an OTLP collector and a
/// syslog server. Every field pipelock validates is written (severities `info`: every event;
/// pipelock's timeout and queue defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otlp: Option<EmitOtlp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syslog: Option<EmitSyslog>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmitOtlp {
    pub endpoint: String,
    pub min_severity: String,
    pub timeout_seconds: u32,
    pub queue_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmitSyslog {
    pub address: String,
    pub min_severity: String,
    pub facility: String,
    pub tag: String,
}

/// Pipelock's flight recorder, on in every bottle: a hash-chained record of its decisions
/// and signed action receipts, with checkpoints signed by a key made for this bottle that only
/// the sidecar holds. `stop` collects it into the bottle's signed record (`src/record`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlightRecorder {
    pub enabled: bool,
    pub dir: String,
    /// Entries between signed checkpoints (pipelock: 1000). Fewer entries unsigned at any time.
    pub checkpoint_interval: u32,
    /// Pipelock's DLP redacts a credential from an entry before it is written (its default).
    pub redact: bool,
    pub sign_checkpoints: bool,
    /// Never rotate: the record is one file whose name the launch knows.
    pub max_entries_per_file: u32,
    /// Pipelock's key file format, 0600 (`src/record/flight.rs` writes it).
    pub signing_key_path: String,
}

/// Entries per file before pipelock starts another: more than a bottle writes, so that its
/// whole record is one file (`evidence-proxy-0.jsonl`) whose name the launch knows.
pub const RECORDER_MAX_ENTRIES_PER_FILE: u32 = 1_000_000_000;

/// Entries between two signed checkpoints in a bottle's flight record.
pub const RECORDER_CHECKPOINT_INTERVAL: u32 = 100;

impl FlightRecorder {
    pub fn for_bottle() -> Self {
        FlightRecorder {
            enabled: true,
            dir: defaults::PROXY_RECORDER_DIR.to_owned(),
            checkpoint_interval: RECORDER_CHECKPOINT_INTERVAL,
            redact: true,
            sign_checkpoints: true,
            max_entries_per_file: RECORDER_MAX_ENTRIES_PER_FILE,
            signing_key_path: defaults::PROXY_RECORDER_KEY_PATH.to_owned(),
        }
    }
}

/// Pipelock's mode: `strict` (it enforces `api_allowlist`) or, in a learn run, `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Strict,
    Audit,
}

impl Mode {
    /// Its name in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Strict => "strict",
            Mode::Audit => "audit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchProxy {
    pub listen: String,
    pub monitoring: Monitoring,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    pub max_requests_per_minute: u32,
    /// Hosts refused in every mode, whatever the allowlist says: the key holder's
    /// ([`crate::allowlist::blocklist`]). Empty (and not written) in a config an earlier
    /// bot-bottle wrote into a bottle that still runs, which `allow` and `deny` keep as it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocklist: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardProxy {
    /// Off by default in pipelock: CONNECT would get a 405.
    pub enabled: bool,
    pub max_tunnel_seconds: u32,
    pub idle_timeout_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dlp {
    pub include_defaults: bool,
    /// Scans pipelock's own environment for leaked values; the sidecar gets no secrets.
    pub scan_env: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBodyScanning {
    /// Explicit: pipelock's loader has read an omitted boolean as false in some versions.
    pub enabled: bool,
    pub action: DlpAction,
    pub max_body_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsInterception {
    pub enabled: bool,
    /// Always explicit: an empty path makes pipelock look under `$HOME/.pipelock`.
    pub ca_cert: String,
    pub ca_key: String,
    pub passthrough_domains: Vec<String>,
    pub max_response_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    pub format: String,
    /// Audit events go to stdout, where `logs` on the sidecar finds them.
    pub output: String,
    pub include_allowed: bool,
    pub include_blocked: bool,
}

impl PipelockConfig {
    /// The config for a bottle allowing `allowlist` but never `blocklist`, splicing
    /// `passthrough`, letting `internal` resolve to private addresses, with `dlp_action` for
    /// credentials found in request bodies, listening on `listen` (see [`listen_address`]).
    pub fn for_bottle(
        allowlist: &[Hostname],
        blocklist: &[Hostname],
        passthrough: &[Hostname],
        internal: &[Hostname],
        dlp_action: DlpAction,
        listen: String,
    ) -> Self {
        let names = |hosts: &[Hostname]| hosts.iter().map(|h| h.as_str().to_owned()).collect();
        PipelockConfig {
            mode: Mode::Strict,
            enforce: true,
            api_allowlist: names(allowlist),
            trusted_domains: names(internal),
            metrics_listen: metrics_listen(),
            fetch_proxy: FetchProxy {
                listen,
                monitoring: Monitoring {
                    max_requests_per_minute: MAX_REQUESTS_PER_MINUTE,
                    blocklist: names(blocklist),
                },
            },
            forward_proxy: ForwardProxy {
                enabled: true,
                max_tunnel_seconds: MAX_TUNNEL_SECONDS,
                idle_timeout_seconds: IDLE_TIMEOUT_SECONDS,
            },
            dlp: Dlp {
                include_defaults: true,
                scan_env: true,
            },
            request_body_scanning: RequestBodyScanning {
                enabled: true,
                action: dlp_action,
                max_body_bytes: MAX_BODY_BYTES,
            },
            tls_interception: TlsInterception {
                enabled: true,
                ca_cert: defaults::PROXY_CA_CERT_PATH.to_owned(),
                ca_key: defaults::PROXY_CA_KEY_PATH.to_owned(),
                passthrough_domains: names(passthrough),
                max_response_bytes: MAX_RESPONSE_BYTES,
            },
            logging: Logging {
                format: "json".to_owned(),
                output: "stdout".to_owned(),
                include_allowed: true,
                include_blocked: true,
            },
            flight_recorder: Some(FlightRecorder::for_bottle()),
            emit: None,
        }
    }

    /// This config sending pipelock's events to `sinks` too (none: unchanged).
    #[must_use]
    pub fn with_events(mut self, sinks: &crate::manifest::EventSinks) -> Self {
        let otlp = sinks.otlp.as_ref().map(|endpoint| EmitOtlp {
            endpoint: endpoint.as_str().to_owned(),
            min_severity: "info".to_owned(),
            timeout_seconds: 10,
            queue_size: 256,
        });
        let syslog = sinks.syslog.as_ref().map(|address| EmitSyslog {
            address: address.as_str().to_owned(),
            min_severity: "info".to_owned(),
            facility: "local0".to_owned(),
            tag: "pipelock".to_owned(),
        });
        self.emit = (otlp.is_some() || syslog.is_some()).then_some(Emit { otlp, syslog });
        self
    }

    /// This config for a learn run: `audit` mode, in which pipelock v2.3.0 lets every host
    /// through (it enforces `api_allowlist` only in `strict`), while `enforce` stays on, so
    /// DLP still blocks credentials. (`api_allowlist` has no wildcard for "any host", and
    /// `enforce: false` would turn DLP blocking off too.)
    #[must_use]
    pub fn learning(mut self) -> Self {
        self.mode = Mode::Audit;
        self
    }

    /// The file's contents: pretty JSON (valid YAML) with a trailing newline.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the config serialises");
        text.push('\n');
        text
    }
}

/// Where pipelock listens in the sidecar: its address `ip` on the bottle's internal network,
/// and nowhere else (see [`crate::bottle::addresses`]). The image's CMD listens on all
/// interfaces, and a `run --config` of our own that named no address would bind 127.0.0.1.
pub fn listen_address(ip: impl std::fmt::Display) -> String {
    format!("{ip}:{}", defaults::PROXY_PORT)
}

/// The sidecar's command (the image's entrypoint is `/pipelock`), listening on `listen`.
pub fn sidecar_command(listen: &str) -> Vec<String> {
    [
        "run",
        "--config",
        defaults::PROXY_CONFIG_PATH,
        "--listen",
        listen,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn hosts(names: &[&str]) -> Vec<Hostname> {
        names.iter().map(|h| Hostname::parse(h).unwrap()).collect()
    }

    fn rendered(action: DlpAction) -> Value {
        let cfg = PipelockConfig::for_bottle(
            &hosts(&["a.com", "*.b.org", "git.corp.example"]),
            &hosts(&["key.b.org"]),
            &hosts(&["a.com"]),
            &hosts(&["git.corp.example"]),
            action,
            listen_address("10.192.0.2"),
        );
        serde_json::from_str(&cfg.render()).unwrap()
    }

    #[test]
    fn block_config_is_exactly_this() {
        assert_eq!(
            rendered(DlpAction::Block),
            json!({
                "mode": "strict",
                "enforce": true,
                "api_allowlist": ["a.com", "*.b.org", "git.corp.example"],
                "trusted_domains": ["git.corp.example"],
                "metrics_listen": "127.0.0.1:8889",
                "fetch_proxy": {"listen": "10.192.0.2:8888", "monitoring": {"max_requests_per_minute": 600, "blocklist": ["key.b.org"]}},
                "forward_proxy": {"enabled": true, "max_tunnel_seconds": 3600, "idle_timeout_seconds": 600},
                "dlp": {"include_defaults": true, "scan_env": true},
                "request_body_scanning": {"enabled": true, "action": "block", "max_body_bytes": 33_554_432},
                "tls_interception": {
                    "enabled": true,
                    "ca_cert": "/etc/pipelock/ca.pem",
                    "ca_key": "/etc/pipelock/ca-key.pem",
                    "passthrough_domains": ["a.com"],
                    "max_response_bytes": 134_217_728
                },
                "logging": {"format": "json", "output": "stdout", "include_allowed": true, "include_blocked": true},
                "flight_recorder": {"enabled": true, "dir": "/var/lib/pipelock/flight-recorder",
                    "checkpoint_interval": 100, "redact": true, "sign_checkpoints": true,
                    "max_entries_per_file": 1_000_000_000,
                    "signing_key_path": "/etc/pipelock/recorder-key"}
            })
        );
    }

    #[test]
    fn warn_config_differs_only_in_the_action() {
        let mut warn = rendered(DlpAction::Warn);
        assert_eq!(warn["request_body_scanning"]["action"], "warn");
        warn["request_body_scanning"]["action"] = json!("block");
        assert_eq!(warn, rendered(DlpAction::Block));
    }

    #[test]
    fn a_learn_config_differs_only_in_the_mode() {
        let block = PipelockConfig::for_bottle(
            &hosts(&["a.com"]),
            &hosts(&["key.a.com"]),
            &[],
            &[],
            DlpAction::Block,
            listen_address("10.192.0.2"),
        );
        let learn = block.clone().learning();
        assert_eq!(learn.mode, Mode::Audit);
        assert!(learn.enforce);
        assert_eq!(
            PipelockConfig {
                mode: Mode::Strict,
                ..learn
            },
            block
        );
    }

    #[test]
    fn a_rendered_config_reads_back_as_itself_and_renders_to_the_same_bytes() {
        let config = PipelockConfig::for_bottle(
            &hosts(&["a.com", "*.b.org"]),
            &hosts(&["key.b.org"]),
            &hosts(&["a.com"]),
            &[],
            DlpAction::Warn,
            listen_address("10.192.0.2"),
        );
        for config in [config.clone(), config.learning()] {
            let text = config.render();
            let read: PipelockConfig = serde_json::from_str(&text).unwrap();
            assert_eq!(read, config);
            // `allow` and `deny` rewrite what they read: byte for byte the same form.
            assert_eq!(read.render(), text);
        }
    }

    #[test]
    fn a_config_with_a_field_bot_bottle_does_not_model_is_refused() {
        let mut value: Value = serde_json::from_str(&rendered_config().render()).unwrap();
        value["tls_interception"]["extra"] = json!(true);
        let err = serde_json::from_value::<PipelockConfig>(value).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
        let mut value: Value = serde_json::from_str(&rendered_config().render()).unwrap();
        value["mode"] = json!("balanced");
        assert!(serde_json::from_value::<PipelockConfig>(value).is_err());
    }

    #[test]
    fn a_config_written_before_metrics_listen_and_the_blocklist_reads_back_and_keeps_its_form() {
        let mut value: Value = serde_json::from_str(&rendered_config().render()).unwrap();
        value.as_object_mut().unwrap().remove("metrics_listen");
        value["fetch_proxy"]["monitoring"]
            .as_object_mut()
            .unwrap()
            .remove("blocklist");
        let read: PipelockConfig = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(read.metrics_listen, "");
        assert!(read.fetch_proxy.monitoring.blocklist.is_empty());
        // Written back without the key, as it was.
        let written: Value = serde_json::from_str(&read.render()).unwrap();
        assert_eq!(written, value);
    }

    fn rendered_config() -> PipelockConfig {
        PipelockConfig::for_bottle(
            &hosts(&["a.com"]),
            &hosts(&["key.a.com"]),
            &[],
            &[],
            DlpAction::Block,
            listen_address("10.192.0.2"),
        )
    }

    #[test]
    fn sidecar_listens_on_its_internal_address_only() {
        assert_eq!(
            sidecar_command(&listen_address("10.192.0.2")),
            [
                "run",
                "--config",
                "/etc/pipelock/pipelock.yaml",
                "--listen",
                "10.192.0.2:8888"
            ]
        );
    }
}
