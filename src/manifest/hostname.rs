//! Hostnames as the manifest accepts them: DNS names, optionally with a leading `*.` wildcard.
//!
//! A hostname ends up in the pipelock config and in the CA's name constraints, so it must never
//! be able to change their meaning: only letters, digits, hyphens and dots get through.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest DNS name (RFC 1035), without the trailing dot.
const MAX_NAME_LEN: usize = 253;
/// Longest DNS label (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// A validated, lowercased hostname such as `api.github.com` or `*.npmjs.org`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

impl Hostname {
    /// The hostname as written in the pipelock config.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `*.example.com` patterns.
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// The DNS name under the wildcard (`*.x.com` gives `x.com`; a plain name gives itself).
    pub fn base_domain(&self) -> &str {
        self.0.strip_prefix("*.").unwrap_or(&self.0)
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Hostname> for String {
    fn from(h: Hostname) -> String {
        h.0
    }
}

impl TryFrom<String> for Hostname {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Hostname::parse(&raw)
    }
}

impl Hostname {
    /// Validates `raw`; the error says what is wrong with it, quoting it with escapes so
    /// control characters are visible.
    pub fn parse(raw: &str) -> Result<Self, String> {
        check(raw).map_err(|why| format!("invalid hostname {raw:?}: {why}"))?;
        Ok(Hostname(raw.to_ascii_lowercase()))
    }
}

fn check(raw: &str) -> Result<(), &'static str> {
    if raw.is_empty() {
        return Err("it is empty");
    }
    if raw.contains("://") {
        return Err("write the bare hostname, without a scheme such as https://");
    }
    if let Some(c) = raw.chars().find(|c| !is_allowed_char(*c)) {
        return Err(match c {
            ':' => "a port is not allowed (pipelock matches hostnames only)",
            '/' | '?' | '#' => "a path or query is not allowed (pipelock matches hostnames only)",
            '"' | '\'' | '`' => "quotes are not allowed",
            c if c.is_whitespace() => "whitespace is not allowed",
            c if c.is_control() => "control characters are not allowed",
            '@' => "user information is not allowed",
            _ => "only letters, digits, hyphens, dots and a leading \"*.\" are allowed",
        });
    }
    let name = match raw.strip_prefix("*.") {
        Some(rest) => {
            if !rest.contains('.') {
                return Err("a wildcard must have at least two labels under it (\"*.com\" would allow a whole top-level domain)");
            }
            rest
        }
        None => raw,
    };
    if name.contains('*') {
        return Err("\"*\" is only allowed as a whole first label, as in \"*.example.com\"");
    }
    if name.ends_with('.') {
        return Err("remove the trailing dot");
    }
    if name.len() > MAX_NAME_LEN {
        return Err("it is longer than 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row, or a leading dot)");
        }
        if label.len() > MAX_LABEL_LEN {
            return Err("a label is longer than 63 characters");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with a hyphen");
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("IP addresses are not allowed; name the host");
    }
    Ok(())
}

fn is_allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*')
}

#[cfg(test)]
mod tests {
    use super::Hostname;

    /// Every agent kind's hosts are host names as a manifest would write them: lower case, no
    /// wildcard.
    #[test]
    fn every_agent_kind_s_hosts_are_valid_host_names() {
        for kind in crate::agents::KINDS {
            for host in kind.hosts {
                let parsed = Hostname::parse(host.name).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
                assert_eq!(
                    parsed.as_str(),
                    host.name,
                    "{kind}: lower case, no wildcard"
                );
            }
        }
    }

    #[test]
    fn accepts_dns_names_and_leading_wildcards() {
        for ok in [
            "example.com",
            "api.github.com",
            "*.npmjs.org",
            "a-b.c-d.io",
            "localhost",
            "x1.y2.z3",
        ] {
            assert!(Hostname::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn lowercases() {
        assert_eq!(
            Hostname::parse("API.GitHub.com").unwrap().as_str(),
            "api.github.com"
        );
    }

    #[test]
    fn wildcard_helpers() {
        let h = Hostname::parse("*.x.com").unwrap();
        assert!(h.is_wildcard());
        assert_eq!(h.base_domain(), "x.com");
        assert_eq!(Hostname::parse("x.com").unwrap().base_domain(), "x.com");
    }

    #[test]
    fn rejects_hostile_and_malformed_names_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("https://example.com", "scheme"),
            ("example.com:443", "port"),
            ("example.com/path", "path"),
            ("example.com\"\n  - evil.com", "quotes"),
            ("exa mple.com", "whitespace"),
            ("example.com\n", "whitespace"),
            ("exam\u{7}ple.com", "control"),
            ("user@example.com", "user information"),
            ("ex_ample.com", "only letters"),
            ("*", "whole first label"),
            ("*.com", "two labels"),
            ("a.*.com", "whole first label"),
            ("**.example.com", "whole first label"),
            ("example.com.", "trailing dot"),
            (".example.com", "empty label"),
            ("a..b", "empty label"),
            ("-a.com", "hyphen"),
            ("a-.com", "hyphen"),
            ("10.0.0.1", "IP addresses"),
            ("bücher.de", "only letters"),
            ("{\"a\":1}", "only letters"),
        ];
        for (raw, why) in cases {
            let err = Hostname::parse(raw).unwrap_err();
            assert!(
                err.contains(why),
                "{raw:?}: got {err:?}, wanted a message about {why}"
            );
            assert!(
                err.contains(&format!("{raw:?}")),
                "the message quotes the value: {err}"
            );
        }
    }

    #[test]
    fn rejects_overlong_labels_and_names() {
        assert!(Hostname::parse(&format!("{}.com", "a".repeat(64)))
            .unwrap_err()
            .contains("63"));
        let long = vec!["abcdefghi"; 30].join(".");
        assert!(Hostname::parse(&long).unwrap_err().contains("253"));
    }
}
