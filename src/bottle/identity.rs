//! A bottle's identity: its slug (the suffix of every container, network and directory name it
//! owns), the names of what it creates, and the labels that find them again.

use std::collections::BTreeMap;

use camino::Utf8Path;

use crate::exit::UsageError;

/// Label keys every resource of a bottle carries, so a crashed launch can be found later.
pub const LABEL_BOTTLE: &str = "io.bot-bottle.bottle";
pub const LABEL_ROLE: &str = "io.bot-bottle.role";
/// A random id per launch, on everything that launch creates: teardown removes a resource it
/// did not see itself create only when it carries this launch's id, so a launch that loses a
/// race for a bottle name never removes the winner's containers or networks.
pub const LABEL_LAUNCH: &str = "io.bot-bottle.launch";

/// What a resource of a bottle is to it: the value of its [`LABEL_ROLE`] label, by which
/// `list`, `gc` and `stop` tell a bottle's containers apart. One type for every place that
/// names a role, so that the label a launch writes and the one discovery looks for cannot
/// drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The agent's container.
    Agent,
    /// The pipelock sidecar.
    Proxy,
    /// The git gate sidecar.
    Gate,
    /// The git gate's egress filter, its only way out.
    GateEgress,
    /// The key holder sidecar, which holds the user's Anthropic credential.
    KeyHolder,
    /// Claude Code's state volume.
    State,
    /// Either of the bottle's two networks.
    Network,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Role::Agent,
        Role::Proxy,
        Role::Gate,
        Role::GateEgress,
        Role::KeyHolder,
        Role::State,
        Role::Network,
    ];

    /// The [`LABEL_ROLE`] value. These strings are on live resources: bottles launched by an
    /// earlier bot-bottle are found by them, so they never change.
    pub const fn as_label(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Proxy => "proxy",
            Role::Gate => "gate",
            Role::GateEgress => "gate-egress",
            Role::KeyHolder => "keys",
            Role::State => "state",
            Role::Network => "network",
        }
    }

    /// The role whose label is `label`, if any.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_label() == label)
    }
}

/// What messages call it: `agent`, `proxy`, `git gate`, `git gate's egress filter`, `key
/// holder`, `state volume`, `network`.
impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Agent => "agent",
            Role::Proxy => "proxy",
            Role::Gate => "git gate",
            Role::GateEgress => "git gate's egress filter",
            Role::KeyHolder => "key holder",
            Role::State => "state volume",
            Role::Network => "network",
        })
    }
}

/// The labels of a resource with `role` that launch `launch_id` of bottle `slug` creates.
pub fn labels(slug: &str, role: Role, launch_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_BOTTLE.to_owned(), slug.to_owned()),
        (LABEL_ROLE.to_owned(), role.as_label().to_owned()),
        (LABEL_LAUNCH.to_owned(), launch_id.to_owned()),
    ])
}

/// The engine filter that selects every resource of bottle `slug`.
pub fn selector(slug: &str) -> String {
    format!("{LABEL_BOTTLE}={slug}")
}

/// Longest slug we produce. Container and network names get a prefix and a role suffix
/// (`bot-bottle-<slug>-pipelock`); keeping the slug short keeps every name well under the
/// engines' limits and readable in `ps` output.
pub const MAX_LEN: usize = 40;

/// Turns a bottle name into a slug: lowercase ASCII letters and digits, with every other run
/// of characters folded into one hyphen, no leading or trailing hyphen, at most [`MAX_LEN`]
/// characters. A name with nothing usable in it is an error.
pub fn slugify(name: &str) -> Result<String, UsageError> {
    let mut slug = String::with_capacity(name.len());
    let mut pending_hyphen = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if slug.len() > MAX_LEN {
        slug.truncate(MAX_LEN);
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    if slug.is_empty() {
        return Err(UsageError(format!(
            "bottle name {name:?} has no letters or digits to make a container name from"
        )));
    }
    Ok(slug)
}

/// Names of everything a bottle creates. Containers are named by the slug alone: the engine
/// refuses a second container of a name, which makes the sidecar's create the point where one
/// of two launches of a bottle wins. Networks also carry the launch id, because docker allows
/// two networks of one name; `stop` and cleanup find them by label.
pub struct ResourceNames {
    pub agent: String,
    pub proxy: String,
    pub gate: String,
    /// The git gate's egress filter.
    pub gate_egress: String,
    pub key_holder: String,
    pub internal_network: String,
    pub egress_network: String,
}

impl ResourceNames {
    pub fn for_launch(slug: &str, launch_id: &str) -> Self {
        let short: String = launch_id.chars().take(8).collect();
        ResourceNames {
            agent: Self::agent(slug),
            proxy: Self::proxy(slug),
            gate: Self::gate(slug),
            gate_egress: Self::gate_egress(slug),
            key_holder: Self::key_holder(slug),
            internal_network: format!("bot-bottle-{slug}-internal-{short}"),
            egress_network: format!("bot-bottle-{slug}-egress-{short}"),
        }
    }

    pub fn agent(slug: &str) -> String {
        format!("bot-bottle-{slug}")
    }

    pub fn proxy(slug: &str) -> String {
        format!("bot-bottle-{slug}-pipelock")
    }

    pub fn gate(slug: &str) -> String {
        format!("bot-bottle-{slug}-gitgate")
    }

    pub fn key_holder(slug: &str) -> String {
        format!("bot-bottle-{slug}-keys")
    }

    pub fn gate_egress(slug: &str) -> String {
        format!("bot-bottle-{slug}-gitegress")
    }

    /// The Claude Code state volume of the bottle name `slug` in `workspace` (canonical): every
    /// launch of the name in that workspace finds it, and two projects that share a name do not
    /// share a login, hooks or transcripts. The workspace is in it as the first 8 hex digits of
    /// the SHA-256 of its path.
    /// The last part is the agent kind's state directory without its dot (`claude` for Claude
    /// Code, as it always was): a bottle whose kind changed does not mount one agent's state
    /// as another's.
    pub fn state_volume(
        slug: &str,
        workspace: &Utf8Path,
        kind: &crate::agents::AgentKind,
    ) -> String {
        let digest = crate::ca::sha256_of(workspace.as_str().as_bytes());
        let short = &digest["sha256:".len().."sha256:".len() + 8];
        let suffix = kind.state_dir.trim_start_matches('.');
        format!("bot-bottle-{slug}-{short}-{suffix}")
    }

    /// The state volume bot-bottle named by the slug alone before volumes were per workspace:
    /// never mounted now, but named to the user when it exists, and removed by `stop --purge`.
    pub fn legacy_state_volume(slug: &str) -> String {
        format!("bot-bottle-{slug}-claude")
    }
}

#[cfg(test)]
mod tests {
    use super::{labels, slugify, Role, LABEL_BOTTLE, LABEL_LAUNCH, LABEL_ROLE};

    #[test]
    fn role_labels_are_the_ones_live_bottles_carry() {
        // Bottles launched by earlier versions carry these exact values; changing one would
        // hide them from `list`, `gc` and `stop`.
        let labels: Vec<&str> = Role::ALL.iter().map(|r| r.as_label()).collect();
        assert_eq!(
            labels,
            [
                "agent",
                "proxy",
                "gate",
                "gate-egress",
                "keys",
                "state",
                "network"
            ]
        );
        for role in Role::ALL {
            assert_eq!(Role::from_label(role.as_label()), Some(role));
        }
        assert_eq!(Role::from_label("pipelock"), None);
        assert_eq!(Role::Gate.to_string(), "git gate");
    }

    #[test]
    fn labels_name_the_bottle_the_role_and_the_launch() {
        let l = labels("s", Role::Network, "0123");
        assert_eq!(l.len(), 3);
        assert_eq!(l[LABEL_BOTTLE], "s");
        assert_eq!(l[LABEL_ROLE], "network");
        assert_eq!(l[LABEL_LAUNCH], "0123");
    }

    #[test]
    fn lowercases_and_folds_separators() {
        assert_eq!(slugify("My Project").unwrap(), "my-project");
        assert_eq!(slugify("a__b..c").unwrap(), "a-b-c");
        assert_eq!(slugify("API_v2").unwrap(), "api-v2");
    }

    #[test]
    fn trims_leading_and_trailing_separators() {
        assert_eq!(slugify("--x--").unwrap(), "x");
        assert_eq!(slugify("  ./repo/ ").unwrap(), "repo");
    }

    #[test]
    fn drops_non_ascii_and_shell_characters() {
        assert_eq!(slugify("café; rm -rf /").unwrap(), "caf-rm-rf");
        assert_eq!(slugify("$(id)`x`").unwrap(), "id-x");
    }

    #[test]
    fn truncates_without_a_trailing_hyphen() {
        let name = format!("{}-{}", "a".repeat(39), "b".repeat(10));
        let slug = slugify(&name).unwrap();
        assert!(slug.len() <= super::MAX_LEN);
        assert_eq!(slug, "a".repeat(39));
    }

    #[test]
    fn empty_or_unusable_names_are_errors() {
        for bad in ["", "   ", "---", "日本語", "!!!"] {
            let err = slugify(bad).unwrap_err();
            assert!(err.0.contains("no letters or digits"), "{bad:?}: {err}");
        }
    }
}
