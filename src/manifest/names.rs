//! Small validated strings of the manifest: env var names, image references, remote names,
//! and free text that must not smuggle control characters into argv or config files.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Implements the serde plumbing for a validated newtype around `String`.
macro_rules! validated_string {
    ($name:ident, $check:path) => {
        impl $name {
            pub fn parse(raw: &str) -> Result<Self, String> {
                $check(raw)?;
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// The name of an environment variable forwarded from the host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvName(String);
validated_string!(EnvName, check_env_name);

/// Variables bot-bottle sets itself: forwarding a host value would silently undo the egress
/// routing or the CA trust.
pub const RESERVED_ENV: &[&str] = &[
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "all_proxy",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
];

fn check_env_name(raw: &str) -> Result<(), String> {
    let mut chars = raw.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "invalid environment variable name {raw:?}: use letters, digits and underscores, not starting with a digit"
        ));
    }
    if RESERVED_ENV.contains(&raw) || crate::agents::is_ca_variable(raw) {
        return Err(format!(
            "environment variable {raw:?} is set by bot-bottle itself and cannot be forwarded"
        ));
    }
    Ok(())
}

/// A container image reference such as `localhost/bot-bottle/agent:latest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageRef(String);
validated_string!(ImageRef, check_image_ref);

fn check_image_ref(raw: &str) -> Result<(), String> {
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@');
    if raw.is_empty() || !raw.chars().all(allowed) {
        return Err(format!(
            "invalid image reference {raw:?}: use letters, digits and . _ - / : @ only"
        ));
    }
    // The engine CLI would read a leading '-' as an option.
    if !raw.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "invalid image reference {raw:?}: it must start with a letter or digit"
        ));
    }
    Ok(())
}

/// A git remote name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GitRemoteName(String);
validated_string!(GitRemoteName, check_remote_name);

fn check_remote_name(raw: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if raw.is_empty() || raw.starts_with('-') || !raw.chars().all(allowed) {
        return Err(format!(
            "invalid git remote name {raw:?}: use letters, digits and . _ -, not starting with -"
        ));
    }
    Ok(())
}

/// Free text (a command argument, a git identity, a URL): anything but control characters,
/// which could forge lines in the files it is written to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SafeText(String);
validated_string!(SafeText, check_safe_text);

fn check_safe_text(raw: &str) -> Result<(), String> {
    if raw.is_empty() {
        return Err("an empty string is not allowed here".to_owned());
    }
    if raw.chars().any(char::is_control) {
        return Err(format!(
            "{raw:?} contains a control character (newline, tab, escape, ...)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A variable an agent kind sets to the bottle CA is one a manifest cannot forward (a
    /// forwarded value would undo the trust); every other one of its variables can be named.
    #[test]
    fn an_agent_kind_s_ca_variables_cannot_be_forwarded() {
        use crate::agents::EnvValue;
        for kind in crate::agents::KINDS {
            for (name, value) in kind.env {
                let ca = matches!(value, EnvValue::CaCert | EnvValue::CaBundle);
                assert_eq!(EnvName::parse(name).is_err(), ca, "{kind}: {name}");
            }
        }
    }

    #[test]
    fn env_names() {
        assert!(EnvName::parse("ANTHROPIC_API_KEY").is_ok());
        assert!(EnvName::parse("_x1").is_ok());
        for bad in ["", "1X", "A-B", "A B", "A=B", "Ä"] {
            assert!(
                EnvName::parse(bad)
                    .unwrap_err()
                    .contains("invalid environment variable name"),
                "{bad}"
            );
        }
        assert!(EnvName::parse("HTTPS_PROXY")
            .unwrap_err()
            .contains("set by bot-bottle"));
        assert!(EnvName::parse("NODE_EXTRA_CA_CERTS")
            .unwrap_err()
            .contains("set by bot-bottle"));
    }

    #[test]
    fn image_refs() {
        for ok in [
            "localhost/bot-bottle/agent:latest",
            "node:22-slim",
            "a/b@sha256:0123abcd",
        ] {
            assert!(ImageRef::parse(ok).is_ok(), "{ok}");
        }
        assert!(ImageRef::parse("--privileged")
            .unwrap_err()
            .contains("start with a letter"));
        assert!(ImageRef::parse("a b")
            .unwrap_err()
            .contains("invalid image reference"));
        assert!(ImageRef::parse("").is_err());
    }

    #[test]
    fn remote_names_and_text() {
        assert!(GitRemoteName::parse("origin").is_ok());
        assert!(GitRemoteName::parse("-u").is_err());
        assert!(GitRemoteName::parse("a/b").is_err());
        assert!(SafeText::parse("Jane Doe").is_ok());
        assert!(SafeText::parse("x\n[core]")
            .unwrap_err()
            .contains("control character"));
        assert!(SafeText::parse("").is_err());
    }
}

/// `egress.events.otlp`: an OpenTelemetry collector's OTLP/HTTP base URL
/// (`http[s]://host[:port][/path]`, pipelock appends `/v1/logs`), with no user, query or
/// fragment: it is written into pipelock's config, and a credential does not belong there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OtlpEndpoint(String);
validated_string!(OtlpEndpoint, check_otlp_endpoint);

fn check_otlp_endpoint(raw: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid OTLP endpoint {raw:?}: {why}"));
    let Some(rest) = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
    else {
        return bad("write http://HOST[:PORT][/PATH] or https://…");
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if let Err(why) = check_authority(authority, false) {
        return bad(&why);
    }
    let path_ok = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/' | '%'));
    if !path_ok {
        return bad(
            "the path may hold letters, digits and - . _ ~ / % only (no query or fragment)",
        );
    }
    Ok(())
}

/// `egress.events.syslog`: a syslog server, `udp://HOST:PORT` or `tcp://HOST:PORT` (RFC 5424).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SyslogAddress(String);
validated_string!(SyslogAddress, check_syslog_address);

fn check_syslog_address(raw: &str) -> Result<(), String> {
    let Some(authority) = raw
        .strip_prefix("udp://")
        .or_else(|| raw.strip_prefix("tcp://"))
    else {
        return Err(format!(
            "invalid syslog address {raw:?}: write udp://HOST:PORT or tcp://HOST:PORT"
        ));
    };
    check_authority(authority, true).map_err(|why| format!("invalid syslog address {raw:?}: {why}"))
}

/// `HOST[:PORT]` (`HOST:PORT` when `port_required`): a DNS name or an IPv4 address, and a
/// port from 1 to 65535; nothing else (no user, no whitespace, no quotes).
fn check_authority(authority: &str, port_required: bool) -> Result<(), String> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['-', '.'])
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
    if !host_ok {
        return Err("the host must be a DNS name or an IPv4 address".to_owned());
    }
    match port {
        None if port_required => Err("it needs a port (HOST:PORT)".to_owned()),
        None => Ok(()),
        Some(port) => match port.parse::<u16>() {
            Ok(p) if p > 0 && port.chars().all(|c| c.is_ascii_digit()) => Ok(()),
            _ => Err(format!("{port:?} is not a port")),
        },
    }
}

#[cfg(test)]
mod sink_tests {
    use super::{OtlpEndpoint, SyslogAddress};

    #[test]
    fn collectors_are_urls_without_credentials() {
        for ok in [
            "https://otel.corp.example:4318",
            "http://10.0.0.5:4318/otlp",
            "https://c.example",
        ] {
            assert!(OtlpEndpoint::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "otel.corp.example:4318",
            "https://user:pw@otel.example",
            "https://otel.example/?token=x",
            "https://otel.example/#x",
            "https://otel example",
            "https://otel.example:99999",
            "ftp://otel.example",
        ] {
            assert!(OtlpEndpoint::parse(bad).is_err(), "{bad}");
        }
        for ok in ["udp://logs.corp.example:514", "tcp://10.1.2.3:6514"] {
            assert!(SyslogAddress::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "udp://logs.example",
            "logs.example:514",
            "udp://a@logs.example:514",
            "udp://:514",
        ] {
            assert!(SyslogAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
