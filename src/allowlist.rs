//! Which hosts a bottle may reach (built in, the manifest's and the egress lock's), and which
//! of them pipelock passes through undecrypted.

use crate::agents::{self, AgentKind, Role};
use crate::exit::UsageError;
use crate::manifest::{Egress, Hostname};

/// The kind's allowed hosts ∪ the manifest's ∪ the egress lock's (`locked`), de-duplicated and
/// sorted, less every kind's key holder hosts (a manifest or lock written before the key holder
/// names them: pipelock refuses them anyway, see [`blocklist`]). The one place a lock widens
/// what a bottle may reach: the plan shows the result, with the lock's path and hash beside it.
pub fn effective_allowlist(
    kind: &AgentKind,
    egress: &Egress,
    locked: &[Hostname],
) -> Vec<Hostname> {
    let mut extra = egress.allowlist.clone();
    extra.extend_from_slice(locked);
    extra.retain(|host| !is_key_holder_host(host));
    merge(&kind.allowlist(), &extra)
}

/// Whether `host` is one a key holder alone reaches, for any kind of agent
/// ([`agents::key_holder_hosts`]).
pub fn is_key_holder_host(host: &Hostname) -> bool {
    agents::key_holder_hosts().contains(&host.as_str())
}

/// What pipelock refuses in every mode (its `fetch_proxy.monitoring.blocklist`): the key holder
/// hosts of every kind, in every bottle. A bottle's own kind reaches its hosts through its
/// holder; another kind's credential hosts have no business in it at all (an agent there would
/// be using a key the user did not give it: the exfiltration path the holder closes).
pub fn blocklist() -> Vec<Hostname> {
    merge(&agents::key_holder_hosts(), &[])
}

/// Whether `host` is one of the built-in hosts of some kind (which `deny` leaves alone, as a
/// manifest cannot remove them either).
pub fn is_builtin(host: &Hostname) -> bool {
    agents::KINDS
        .iter()
        .any(|k| k.allowlist().contains(&host.as_str()))
}

/// The kind's passthrough hosts ∪ the manifest's, de-duplicated and sorted. Every one must be
/// reachable through the allowlist: a passthrough host that pipelock refuses anyway is a
/// mistake the user should hear about.
pub fn effective_passthrough(
    kind: &AgentKind,
    egress: &Egress,
    allowlist: &[Hostname],
) -> Result<Vec<Hostname>, UsageError> {
    let mut declared = egress.tls_passthrough_domains.clone();
    declared.retain(|host| !is_key_holder_host(host));
    must_be_allowed("egress.tls_passthrough_domains", &declared, allowlist)?;
    let builtin: Vec<&str> = kind.hosts_of(Role::Passthrough).collect();
    Ok(merge(&builtin, &declared))
}

/// The manifest's hosts that may resolve to private addresses, sorted; like passthrough hosts,
/// each must be on the allowlist. None is built in.
pub fn effective_internal(
    egress: &Egress,
    allowlist: &[Hostname],
) -> Result<Vec<Hostname>, UsageError> {
    must_be_allowed("egress.internal_hosts", &egress.internal_hosts, allowlist)?;
    Ok(merge(&[], &egress.internal_hosts))
}

fn must_be_allowed(
    field: &str,
    hosts: &[Hostname],
    allowlist: &[Hostname],
) -> Result<(), UsageError> {
    match hosts
        .iter()
        .find(|host| !allowlist.iter().any(|allowed| covers(allowed, host)))
    {
        Some(host) => Err(UsageError(format!(
            "{field}: {:?} is not on the allowlist; add it to egress.allowlist as well",
            host.as_str()
        ))),
        None => Ok(()),
    }
}

fn merge(builtin: &[&str], extra: &[Hostname]) -> Vec<Hostname> {
    let mut hosts: Vec<Hostname> = builtin
        .iter()
        .map(|h| Hostname::parse(h).expect("built-in hostnames are valid"))
        .chain(extra.iter().cloned())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Does allowlist entry `allowed` let pipelock through to everything `host` names?
/// Pipelock's `*.x.com` also matches `x.com`.
pub fn covers(allowed: &Hostname, host: &Hostname) -> bool {
    if allowed == host {
        return true;
    }
    if !allowed.is_wildcard() {
        return false;
    }
    let base = allowed.base_domain();
    let target = host.base_domain();
    target == base || target.ends_with(&format!(".{base}"))
}

/// The one-line summary: `N hosts allowed (a, b, c, +M more)`; up to five hosts are listed
/// in full, more than five show the first three.
pub fn summary(hosts: &[Hostname]) -> String {
    const SHOW_ALL_UP_TO: usize = 5;
    const SHOW_WHEN_CUT: usize = 3;
    let count = hosts.len();
    let noun = if count == 1 { "host" } else { "hosts" };
    if count == 0 {
        return "0 hosts allowed (none)".to_owned();
    }
    let shown = if count > SHOW_ALL_UP_TO {
        SHOW_WHEN_CUT
    } else {
        count
    };
    let mut listed = hosts[..shown]
        .iter()
        .map(Hostname::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if count > shown {
        listed.push_str(", +");
        listed.push_str(&(count - shown).to_string());
        listed.push_str(" more");
    }
    format!("{count} {noun} allowed ({listed})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> Vec<Hostname> {
        names.iter().map(|h| Hostname::parse(h).unwrap()).collect()
    }

    fn egress(allow: &[&str], passthrough: &[&str]) -> Egress {
        Egress {
            allowlist: hosts(allow),
            tls_passthrough_domains: hosts(passthrough),
            ..Egress::default()
        }
    }

    #[test]
    fn defaults_alone_sorted() {
        let list = effective_allowlist(agents::DEFAULT, &Egress::default(), &[]);
        let names: Vec<_> = list.iter().map(Hostname::as_str).collect();
        let mut expected = agents::DEFAULT.allowlist();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    #[test]
    fn union_is_deduplicated_case_insensitively_and_sorted() {
        let list = effective_allowlist(
            agents::DEFAULT,
            &egress(&["SENTRY.IO", "a.example.com"], &[]),
            &hosts(&["a.example.com"]),
        );
        let names: Vec<_> = list.iter().map(Hostname::as_str).collect();
        assert_eq!(names.iter().filter(|h| **h == "sentry.io").count(), 1);
        assert_eq!(names.first(), Some(&"a.example.com"));
        assert_eq!(list.len(), agents::DEFAULT.allowlist().len() + 1);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn the_key_holder_s_hosts_leave_the_allowlist_and_passthrough_for_the_blocklist() {
        // A manifest and a lock from before the key holder, naming them.
        let e = egress(
            &["api.anthropic.com", "*.anthropic.com", "a.example.com"],
            &["api.anthropic.com", "claude.ai"],
        );
        let allow = effective_allowlist(agents::DEFAULT, &e, &hosts(&["platform.claude.com"]));
        assert!(!allow.iter().any(is_key_holder_host), "{allow:?}");
        // A wildcard stays: pipelock's blocklist, checked after it, refuses the holder's hosts.
        assert!(allow.iter().any(|h| h.as_str() == "*.anthropic.com"));
        let pass = effective_passthrough(agents::DEFAULT, &e, &allow).unwrap();
        assert!(!pass.iter().any(is_key_holder_host), "{pass:?}");
        let blocked: Vec<_> = blocklist().iter().map(|h| h.as_str().to_owned()).collect();
        assert_eq!(
            blocked,
            [
                "api.anthropic.com",
                "api.openai.com",
                "claude.ai",
                "generativelanguage.googleapis.com",
                "platform.claude.com"
            ]
        );
    }

    #[test]
    fn summary_for_0_1_5_6_and_many() {
        assert_eq!(summary(&[]), "0 hosts allowed (none)");
        assert_eq!(summary(&hosts(&["a.com"])), "1 host allowed (a.com)");
        assert_eq!(
            summary(&hosts(&["a.com", "b.com", "c.com", "d.com", "e.com"])),
            "5 hosts allowed (a.com, b.com, c.com, d.com, e.com)"
        );
        assert_eq!(
            summary(&hosts(&[
                "a.com", "b.com", "c.com", "d.com", "e.com", "f.com"
            ])),
            "6 hosts allowed (a.com, b.com, c.com, +3 more)"
        );
        let many: Vec<String> = (0..100).map(|i| format!("h{i:03}.com")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            summary(&hosts(&many)),
            "100 hosts allowed (h000.com, h001.com, h002.com, +97 more)"
        );
    }

    #[test]
    fn passthrough_includes_the_builtin_and_must_be_allowed() {
        let e = egress(&["*.example.com"], &["git.example.com", "example.com"]);
        let allow = effective_allowlist(agents::DEFAULT, &e, &[]);
        let pass = effective_passthrough(agents::DEFAULT, &e, &allow).unwrap();
        let names: Vec<_> = pass.iter().map(Hostname::as_str).collect();
        assert_eq!(
            names,
            ["downloads.claude.ai", "example.com", "git.example.com"]
        );

        let e = egress(&["a.example.com"], &["b.example.com"]);
        let err = effective_passthrough(
            agents::DEFAULT,
            &e,
            &effective_allowlist(agents::DEFAULT, &e, &[]),
        )
        .unwrap_err();
        assert!(
            err.0.contains("\"b.example.com\" is not on the allowlist"),
            "{err}"
        );
    }

    #[test]
    fn internal_hosts_must_be_allowed_and_none_is_built_in() {
        let e = Egress {
            allowlist: hosts(&["*.corp.example"]),
            internal_hosts: hosts(&["git.corp.example"]),
            ..Egress::default()
        };
        let allow = effective_allowlist(agents::DEFAULT, &e, &[]);
        assert_eq!(
            effective_internal(&e, &allow).unwrap(),
            hosts(&["git.corp.example"])
        );
        assert!(effective_internal(&Egress::default(), &allow)
            .unwrap()
            .is_empty());
        let e = Egress {
            internal_hosts: hosts(&["wiki.corp.example"]),
            ..Egress::default()
        };
        let err =
            effective_internal(&e, &effective_allowlist(agents::DEFAULT, &e, &[])).unwrap_err();
        assert_eq!(
            err.0,
            "egress.internal_hosts: \"wiki.corp.example\" is not on the allowlist; add it to egress.allowlist as well"
        );
    }
}
