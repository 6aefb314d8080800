//! Config file: strict parsing of the pipelock v2.3.0 fields the double supports, defaults,
//! validation (including the CA file checks), all before the proxy starts.
//!
//! The file is parsed as JSON. bot-bottle writes JSON, which is valid YAML, so the files it
//! gives real pipelock load here unchanged; YAML-only syntax is rejected with a parse error.
//! Every struct denies unknown fields, like pipelock's `yaml.v3` `KnownFields(true)`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use ipnet::IpNet;

use crate::ca::LoadedCa;
use crate::proxy::ssrf::{Guard, CORE};

const MIB: i64 = 1024 * 1024;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<i64>,
    mode: Option<String>,
    enforce: Option<bool>,
    api_allowlist: Option<Vec<String>>,
    fetch_proxy: Option<RawFetchProxy>,
    forward_proxy: Option<RawForwardProxy>,
    dlp: Option<RawDlp>,
    request_body_scanning: Option<RawBodyScanning>,
    tls_interception: Option<RawTlsInterception>,
    logging: Option<RawLogging>,
    internal: Option<Vec<String>>,
    trusted_domains: Option<Vec<String>>,
    ssrf: Option<RawSsrf>,
    metrics_listen: Option<String>,
    flight_recorder: Option<RawFlightRecorder>,
    emit: Option<RawEmit>,
}

/// `emit`: read strictly and checked as pipelock checks it; the double sends nothing.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEmit {
    instance_id: Option<String>,
    webhook: Option<RawWebhook>,
    syslog: Option<RawSyslog>,
    otlp: Option<RawOtlp>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: Option<String>,
    min_severity: Option<String>,
    auth_token: Option<String>,
    timeout_seconds: Option<i64>,
    queue_size: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSyslog {
    address: Option<String>,
    min_severity: Option<String>,
    facility: Option<String>,
    tag: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOtlp {
    endpoint: Option<String>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    timeout_seconds: Option<i64>,
    min_severity: Option<String>,
    queue_size: Option<i64>,
    gzip: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFlightRecorder {
    enabled: Option<bool>,
    dir: Option<String>,
    checkpoint_interval: Option<i64>,
    retention_days: Option<i64>,
    redact: Option<bool>,
    sign_checkpoints: Option<bool>,
    max_entries_per_file: Option<i64>,
    raw_escrow: Option<bool>,
    escrow_public_key: Option<String>,
    signing_key_path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSsrf {
    ip_allowlist: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetchProxy {
    listen: Option<String>,
    monitoring: Option<RawMonitoring>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMonitoring {
    max_requests_per_minute: Option<i64>,
    blocklist: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawForwardProxy {
    enabled: Option<bool>,
    max_tunnel_seconds: Option<i64>,
    idle_timeout_seconds: Option<i64>,
    sni_verification: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDlp {
    include_defaults: Option<bool>,
    scan_env: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBodyScanning {
    enabled: Option<bool>,
    action: Option<String>,
    max_body_bytes: Option<i64>,
    scan_headers: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTlsInterception {
    enabled: Option<bool>,
    ca_cert: Option<String>,
    ca_key: Option<String>,
    passthrough_domains: Option<Vec<String>>,
    cert_ttl: Option<String>,
    cert_cache_size: Option<i64>,
    max_response_bytes: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLogging {
    format: Option<String>,
    output: Option<String>,
    include_allowed: Option<bool>,
    include_blocked: Option<bool>,
}

/// Operating mode; only `strict` enforces `api_allowlist`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Strict,
    Balanced,
    Audit,
}

/// What a DLP hit in a request body or header does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Warn,
    Block,
}

/// `forward_proxy` section after defaults.
#[derive(Clone, Debug)]
pub struct ForwardProxy {
    pub enabled: bool,
    pub max_tunnel: Duration,
    pub idle_timeout: Duration,
    pub sni_verification: bool,
}

/// `request_body_scanning` section after defaults.
#[derive(Clone, Debug)]
pub struct BodyScanning {
    pub enabled: bool,
    pub action: Action,
    pub max_body_bytes: usize,
    pub scan_headers: bool,
}

/// `tls_interception` section after defaults, with the CA loaded when enabled.
#[derive(Clone)]
pub struct TlsInterception {
    pub enabled: bool,
    pub passthrough_domains: Vec<String>,
    pub cert_ttl: Duration,
    pub cert_cache_size: usize,
    /// Intercepted responses are buffered for scanning up to this size; larger ones are
    /// refused.
    pub max_response_bytes: usize,
    pub ca: Option<Arc<LoadedCa>>,
}

/// `logging` section after defaults.
#[derive(Clone, Debug)]
pub struct Logging {
    pub json: bool,
    pub include_allowed: bool,
    pub include_blocked: bool,
}

/// A loaded, validated configuration.
#[derive(Clone)]
pub struct Config {
    pub mode: Mode,
    pub enforce: bool,
    pub api_allowlist: Vec<String>,
    /// `fetch_proxy.monitoring.blocklist`: hosts refused in every mode, after the allowlist
    /// (`*.x.com` also matches `x.com`, as in the allowlist).
    pub blocklist: Vec<String>,
    pub listen: String,
    /// `metrics_listen`: where `/metrics` and `/stats` are served instead of the proxy's own
    /// listener (`None`: there, next to `/health`). A reload keeps the one it started with.
    pub metrics_listen: Option<String>,
    /// `fetch_proxy.monitoring.max_requests_per_minute`, per base domain.
    pub max_requests_per_minute: usize,
    pub forward_proxy: ForwardProxy,
    pub dlp_include_defaults: bool,
    pub body: BodyScanning,
    pub tls: TlsInterception,
    pub logging: Logging,
    pub ssrf: Guard,
    /// `flight_recorder`, when enabled (a reload keeps the recorder it started with, as
    /// pipelock refuses to change its signing key at runtime).
    pub flight_recorder: Option<crate::recorder::Settings>,
}

impl Config {
    /// pipelock's `Defaults()`, used by `run` without `--config`.
    pub fn defaults() -> Self {
        resolve(RawConfig::default(), Path::new("."), false)
            .expect("defaults are valid: interception is off")
    }
}

/// Reads, parses, defaults and validates a config file, loading the CA when interception is on.
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config {}", path.display()))?;
    let raw: RawConfig = serde_json::from_str(&text).with_context(|| {
        format!(
            "parsing config {} (the double reads JSON only)",
            path.display()
        )
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    resolve(raw, dir, true).map_err(|err| err.context("invalid config"))
}

/// `forward_proxy` after defaults.
fn resolve_forward_proxy(fwd: &RawForwardProxy) -> Result<ForwardProxy> {
    Ok(ForwardProxy {
        enabled: fwd.enabled.unwrap_or(false),
        max_tunnel: seconds(
            fwd.max_tunnel_seconds,
            300,
            "forward_proxy.max_tunnel_seconds",
        )?,
        idle_timeout: seconds(
            fwd.idle_timeout_seconds,
            120,
            "forward_proxy.idle_timeout_seconds",
        )?,
        sni_verification: fwd.sni_verification.unwrap_or(true),
    })
}

fn resolve(raw: RawConfig, config_dir: &Path, from_file: bool) -> Result<Config> {
    // pipelock reads `version` but does not act on it; any integer is accepted.
    let _ = raw.version;
    let mode = match raw.mode.as_deref().unwrap_or("balanced") {
        "strict" => Mode::Strict,
        "balanced" | "" => Mode::Balanced,
        "audit" => Mode::Audit,
        other => bail!("invalid mode {other:?}: must be strict, balanced, or audit"),
    };
    let api_allowlist = raw.api_allowlist.unwrap_or_default();
    if mode == Mode::Strict && api_allowlist.is_empty() {
        bail!("strict mode requires a non-empty api_allowlist");
    }
    let fetch = raw.fetch_proxy.unwrap_or_default();
    let listen = fetch
        .listen
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "127.0.0.1:8888".into());
    let metrics_listen = raw.metrics_listen.filter(|l| !l.is_empty());
    if let Some(metrics) = &metrics_listen {
        let port = |addr: &str| addr.rsplit_once(':').map(|(_, p)| p.to_owned());
        let Some(metrics_port) = port(metrics) else {
            bail!("invalid metrics_listen {metrics:?}: missing port in address");
        };
        if port(&listen).as_deref() == Some(metrics_port.as_str()) {
            bail!(
                "metrics_listen port {metrics_port} collides with fetch_proxy.listen port {metrics_port}"
            );
        }
    }
    let monitoring = fetch.monitoring.unwrap_or_default();
    let max_rpm = monitoring.max_requests_per_minute.unwrap_or(0);
    let blocklist = monitoring.blocklist.unwrap_or_default();
    if blocklist.iter().any(String::is_empty) {
        bail!("empty blocklist entry");
    }
    if max_rpm < 0 {
        bail!("fetch_proxy.monitoring.max_requests_per_minute must not be negative");
    }

    let forward_proxy = resolve_forward_proxy(&raw.forward_proxy.unwrap_or_default())?;

    let dlp = raw.dlp.unwrap_or_default();
    warn_if_omitted(from_file, dlp.scan_env.is_none(), "dlp.scan_env");
    let body_raw = raw.request_body_scanning.unwrap_or_default();
    warn_if_omitted(
        from_file,
        body_raw.enabled.is_none(),
        "request_body_scanning.enabled",
    );
    let body_enabled = body_raw.enabled.unwrap_or(true);
    let action = match body_raw.action.as_deref().unwrap_or("warn") {
        "warn" | "" => Action::Warn,
        "block" => Action::Block,
        other if body_enabled => {
            bail!("invalid request_body_scanning.action {other:?}: must be warn or block")
        }
        _ => Action::Warn,
    };
    let max_body_bytes = positive(
        body_raw.max_body_bytes,
        5 * MIB,
        "request_body_scanning.max_body_bytes",
    )?;
    let body = BodyScanning {
        enabled: body_enabled,
        action,
        max_body_bytes: usize::try_from(max_body_bytes)
            .context("request_body_scanning.max_body_bytes is too large")?,
        scan_headers: body_raw.scan_headers.unwrap_or(true),
    };

    let tls = resolve_tls(raw.tls_interception.unwrap_or_default(), config_dir)?;

    let logging = resolve_logging(&raw.logging.unwrap_or_default())?;

    let ssrf = resolve_ssrf(raw.internal, raw.ssrf, raw.trusted_domains)?;

    check_emit(&raw.emit.unwrap_or_default())?;

    Ok(Config {
        mode,
        enforce: raw.enforce.unwrap_or(true),
        api_allowlist,
        blocklist,
        listen,
        metrics_listen,
        // pipelock resets 0 to its default of 60.
        max_requests_per_minute: usize::try_from(if max_rpm == 0 { 60 } else { max_rpm })
            .context("fetch_proxy.monitoring.max_requests_per_minute is too large")?,
        forward_proxy,
        dlp_include_defaults: dlp.include_defaults.unwrap_or(true),
        body,
        tls,
        logging,
        ssrf,
        flight_recorder: resolve_recorder(raw.flight_recorder.unwrap_or_default(), config_dir)?,
    })
}

/// pipelock's `validateEmit` for the sinks bot-bottle writes (syslog, OTLP), after its defaults
/// (severity `warn`, OTLP timeout 10 s and queue 256, facility `local0`): a sink named needs a
/// URL of its scheme with a host (a syslog address a port) and a known severity.
fn check_emit(emit: &RawEmit) -> Result<()> {
    let _ = (&emit.instance_id, &emit.webhook);
    if let Some(webhook) = &emit.webhook {
        let _ = (
            &webhook.url,
            &webhook.min_severity,
            &webhook.auth_token,
            webhook.timeout_seconds,
            webhook.queue_size,
        );
    }
    let severity = |s: &Option<String>, field: &str| -> Result<()> {
        match s.as_deref() {
            None | Some("" | "info" | "warn" | "critical") => Ok(()),
            other => bail!(
                "invalid {field} {:?}: must be info, warn, or critical",
                other.unwrap_or_default()
            ),
        }
    };
    if let Some(syslog) = emit
        .syslog
        .as_ref()
        .filter(|s| s.address.as_deref().is_some_and(|a| !a.is_empty()))
    {
        let address = syslog.address.as_deref().unwrap_or_default();
        let host = address
            .strip_prefix("udp://")
            .or_else(|| address.strip_prefix("tcp://"));
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            bail!(
                "invalid emit.syslog.address {address:?}: must be udp:// or tcp:// with host:port"
            );
        };
        if host
            .rsplit_once(':')
            .is_none_or(|(_, port)| port.parse::<u16>().is_err())
        {
            bail!(
                "invalid emit.syslog.address {address:?}: must include port (e.g. udp://host:514)"
            );
        }
        severity(&syslog.min_severity, "emit.syslog.min_severity")?;
        let _ = (&syslog.facility, &syslog.tag);
    }
    if let Some(otlp) = emit
        .otlp
        .as_ref()
        .filter(|o| o.endpoint.as_deref().is_some_and(|e| !e.is_empty()))
    {
        let endpoint = otlp.endpoint.as_deref().unwrap_or_default();
        let host = endpoint
            .strip_prefix("https://")
            .or_else(|| endpoint.strip_prefix("http://"));
        if host.is_none_or(|h| h.is_empty() || h.starts_with('/')) {
            bail!(
                "invalid emit.otlp.endpoint {endpoint:?}: must be http:// or https:// with a host"
            );
        }
        severity(&otlp.min_severity, "emit.otlp.min_severity")?;
        let _ = (
            &otlp.headers,
            otlp.gzip,
            otlp.timeout_seconds,
            otlp.queue_size,
        );
    }
    Ok(())
}

/// pipelock's `validateFlightRecorder` and defaults (checkpoints every 1000 entries, files of
/// 10000, signed checkpoints and redaction on unless written false). `retention_days` and
/// `redact` are read, not acted on; raw escrow is not supported.
fn resolve_recorder(
    raw: RawFlightRecorder,
    config_dir: &Path,
) -> Result<Option<crate::recorder::Settings>> {
    let _ = (raw.redact, raw.escrow_public_key.as_ref());
    if !raw.enabled.unwrap_or(false) {
        return Ok(None);
    }
    let dir = raw.dir.filter(|d| !d.is_empty());
    let Some(dir) = dir else {
        bail!("flight_recorder.dir is required when enabled");
    };
    let non_negative = |value: Option<i64>, name: &str| -> Result<i64> {
        let value = value.unwrap_or(0);
        if value < 0 {
            bail!("flight_recorder.{name} must be non-negative");
        }
        Ok(value)
    };
    let interval = non_negative(raw.checkpoint_interval, "checkpoint_interval")?;
    let _ = non_negative(raw.retention_days, "retention_days")?;
    let per_file = non_negative(raw.max_entries_per_file, "max_entries_per_file")?;
    if raw.raw_escrow.unwrap_or(false) {
        bail!("flight_recorder.raw_escrow: not supported by the double");
    }
    let path = |p: String| {
        let p = PathBuf::from(p);
        if p.is_relative() {
            config_dir.join(p)
        } else {
            p
        }
    };
    Ok(Some(crate::recorder::Settings {
        dir: path(dir),
        checkpoint_interval: if interval == 0 {
            1000
        } else {
            interval.unsigned_abs()
        },
        sign_checkpoints: raw.sign_checkpoints.unwrap_or(true),
        max_entries_per_file: if per_file == 0 {
            10_000
        } else {
            per_file.unsigned_abs()
        },
        signing_key_path: raw.signing_key_path.filter(|p| !p.is_empty()).map(path),
    }))
}

fn resolve_ssrf(
    internal: Option<Vec<String>>,
    ssrf: Option<RawSsrf>,
    trusted_domains: Option<Vec<String>>,
) -> Result<Guard> {
    let internal = match internal {
        Some(list) => cidrs(&list, "internal")?,
        None => Guard::default_internal(),
    };
    let ip_allowlist = cidrs(
        &ssrf.unwrap_or_default().ip_allowlist.unwrap_or_default(),
        "ssrf.ip_allowlist",
    )?;
    let trusted_domains = trusted_domains.unwrap_or_default();
    for domain in &trusted_domains {
        if domain.parse::<IpAddr>().is_ok() || domain.trim().is_empty() {
            bail!("invalid trusted_domains entry {domain:?}: must be a hostname");
        }
    }
    Ok(Guard {
        internal,
        core: Guard::parse_all(CORE),
        trusted_domains,
        ip_allowlist,
    })
}

fn resolve_logging(log: &RawLogging) -> Result<Logging> {
    let json = match log.format.as_deref().unwrap_or("json") {
        "json" | "" => true,
        "text" => false,
        other => bail!("invalid logging.format {other:?}: must be json or text"),
    };
    match log.output.as_deref().unwrap_or("stdout") {
        "stdout" | "" => {}
        "file" | "both" => {
            bail!("logging.output file/both needs logging.file, which the double does not support")
        }
        other => bail!("invalid logging.output {other:?}: must be stdout, file, or both"),
    }
    Ok(Logging {
        json,
        include_allowed: log.include_allowed.unwrap_or(true),
        include_blocked: log.include_blocked.unwrap_or(true),
    })
}

fn resolve_tls(raw: RawTlsInterception, config_dir: &Path) -> Result<TlsInterception> {
    let enabled = raw.enabled.unwrap_or(false);
    let ttl_text = raw.cert_ttl.filter(|t| !t.is_empty());
    let cert_ttl = parse_go_duration(ttl_text.as_deref().unwrap_or("24h"))
        .with_context(|| "tls_interception.cert_ttl".to_string())?;
    let cert_cache_size = raw.cert_cache_size.filter(|n| *n != 0).unwrap_or(10_000);
    let max_response_bytes = raw
        .max_response_bytes
        .filter(|n| *n != 0)
        .unwrap_or(5 * MIB);
    let home_file = |name: &str| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".pipelock")
            .join(name)
    };
    let place = |given: Option<String>, name: &str| match given.filter(|p| !p.is_empty()) {
        Some(p) if Path::new(&p).is_absolute() => PathBuf::from(p),
        Some(p) => config_dir.join(p),
        None => home_file(name),
    };
    let ca_cert = place(raw.ca_cert, "ca.pem");
    let ca_key = place(raw.ca_key, "ca-key.pem");
    let mut ca = None;
    if enabled {
        if cert_ttl.is_zero() {
            bail!("tls_interception.cert_ttl must be positive");
        }
        if cert_cache_size <= 0 {
            bail!("tls_interception.cert_cache_size must be > 0");
        }
        if max_response_bytes <= 0 {
            bail!("tls_interception.max_response_bytes must be > 0");
        }
        ca = Some(Arc::new(crate::ca::load(&ca_cert, &ca_key)?));
    }
    Ok(TlsInterception {
        enabled,
        passthrough_domains: raw.passthrough_domains.unwrap_or_default(),
        cert_ttl,
        cert_cache_size: usize::try_from(cert_cache_size.max(1)).unwrap_or(10_000),
        max_response_bytes: usize::try_from(max_response_bytes.max(1))
            .context("tls_interception.max_response_bytes is too large")?,
        ca,
    })
}

fn seconds(value: Option<i64>, default: u64, name: &str) -> Result<Duration> {
    match value.unwrap_or(0) {
        0 => Ok(Duration::from_secs(default)),
        n if n < 0 => bail!("{name} must be positive"),
        n => Ok(Duration::from_secs(n.unsigned_abs())),
    }
}

fn positive(value: Option<i64>, default: i64, name: &str) -> Result<i64> {
    match value.unwrap_or(0) {
        0 => Ok(default),
        n if n < 0 => bail!("{name} must be positive"),
        n => Ok(n),
    }
}

fn warn_if_omitted(from_file: bool, omitted: bool, field: &str) {
    // pipelock parses into a zero struct before applying defaults, so whether an omitted
    // boolean ends up true depends on its version: configs should spell these out.
    if from_file && omitted {
        eprintln!("WARNING: {field} omitted; the double assumes true, write it explicitly");
    }
}

fn cidrs(list: &[String], field: &str) -> Result<Vec<IpNet>> {
    list.iter()
        .map(|cidr| {
            cidr.parse::<IpNet>()
                .with_context(|| format!("invalid CIDR in {field}: {cidr:?}"))
        })
        .collect()
}

/// Parses a Go `time.ParseDuration` string such as `24h`, `1h30m` or `90s`.
pub fn parse_go_duration(text: &str) -> Result<Duration> {
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        bail!("invalid duration {text:?}");
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len]
            .parse()
            .with_context(|| format!("invalid duration {text:?}"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => bail!("invalid duration {text:?}: missing or unknown unit"),
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config> {
        let raw: RawConfig = serde_json::from_str(json)?;
        resolve(raw, Path::new("."), true)
    }

    #[test]
    fn unknown_fields_are_rejected_at_every_level() {
        for json in [
            r#"{"bogus": 1}"#,
            r#"{"forward_proxy": {"enabled": true, "bogus": 1}}"#,
            r#"{"fetch_proxy": {"monitoring": {"bogus": 1}}}"#,
            r#"{"tls_interception": {"ca_certificate": "x"}}"#,
            r#"{"flight_recorder": {"enabled": false, "bogus": 1}}"#,
            r#"{"emit": {"syslog": {"address": "udp://l:514", "bogus": 1}}}"#,
        ] {
            let err = parse(json).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("unknown field"), "{json}: {err}");
        }
    }

    #[test]
    fn emit_and_the_flight_recorder_are_checked_as_pipelock_checks_them() {
        assert!(parse(r#"{"emit": {"syslog": {"address": "udp://logs.test:514", "min_severity": "info"}, "otlp": {"endpoint": "https://otel.test:4318"}}}"#).is_ok());
        for (json, why) in [
            (
                r#"{"emit": {"syslog": {"address": "udp://logs.test"}}}"#,
                "must include port",
            ),
            (
                r#"{"emit": {"syslog": {"address": "logs.test:514"}}}"#,
                "must be udp:// or tcp://",
            ),
            (
                r#"{"emit": {"otlp": {"endpoint": "otel.test"}}}"#,
                "must be http:// or https://",
            ),
            (
                r#"{"emit": {"otlp": {"endpoint": "https://o.test", "min_severity": "all"}}}"#,
                "must be info, warn, or critical",
            ),
            (
                r#"{"flight_recorder": {"enabled": true}}"#,
                "flight_recorder.dir is required when enabled",
            ),
            (
                r#"{"flight_recorder": {"enabled": true, "dir": "d", "checkpoint_interval": -1}}"#,
                "checkpoint_interval must be non-negative",
            ),
        ] {
            let err = parse(json)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(err.contains(why), "{json}: {err}");
        }
    }

    #[test]
    fn defaults_match_pipelock() {
        let cfg = parse("{}").unwrap();
        assert_eq!(cfg.mode, Mode::Balanced);
        assert!(cfg.enforce);
        assert_eq!(cfg.listen, "127.0.0.1:8888");
        assert!(!cfg.forward_proxy.enabled);
        assert_eq!(cfg.forward_proxy.max_tunnel, Duration::from_secs(300));
        assert_eq!(cfg.forward_proxy.idle_timeout, Duration::from_secs(120));
        assert_eq!(cfg.body.action, Action::Warn);
        assert_eq!(cfg.body.max_body_bytes, 5 * 1024 * 1024);
        assert!(!cfg.tls.enabled);
        assert_eq!(cfg.tls.cert_ttl, Duration::from_secs(86_400));
    }

    #[test]
    fn strict_needs_an_allowlist() {
        assert!(parse(r#"{"mode": "strict"}"#).is_err());
        assert!(parse(r#"{"mode": "strict", "api_allowlist": []}"#).is_err());
        assert!(parse(r#"{"mode": "strict", "api_allowlist": ["x.com"]}"#).is_ok());
        assert!(parse(r#"{"mode": "paranoid"}"#).is_err());
    }

    #[test]
    fn go_durations() {
        assert_eq!(
            parse_go_duration("24h").unwrap(),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            parse_go_duration("1h30m").unwrap(),
            Duration::from_secs(5_400)
        );
        assert_eq!(
            parse_go_duration("1.5s").unwrap(),
            Duration::from_millis(1_500)
        );
        assert!(parse_go_duration("24").is_err());
        assert!(parse_go_duration("").is_err());
    }

    #[test]
    fn internal_cidrs_are_checked() {
        assert!(parse(r#"{"internal": ["10.0.0.0/8", "::1/128"]}"#).is_ok());
        assert!(parse(r#"{"internal": ["10.0.0.0"]}"#).is_err());
        assert!(parse(r#"{"internal": ["10.0.0.0/33"]}"#).is_err());
    }
}
