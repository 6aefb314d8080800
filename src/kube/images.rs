//! The images an exported Pod names, as they were approved. A tag names whatever is pushed under
//! it when a node pulls, and `IfNotPresent` would pull it on a node without it, so the export
//! names each image by the registry digest the local engine knows for it (`repo@sha256:…`), which
//! holds the same bytes wherever it is pulled; an image the engine knows no digest for (built
//! here: a local build has none, or not present, or no engine to ask) keeps its name with
//! `imagePullPolicy: Never`, so the node runs its own copy and never pulls another.

use std::collections::BTreeMap;

/// How the Pod names one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodImage {
    pub image: String,
    pub pull_policy: &'static str,
}

/// The digest-pinned reference of each image reference whose digest the engine knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins(BTreeMap<String, String>);

impl Pins {
    /// Pins asks `digests` (the engine's registry digests of a local image) for each of
    /// `references`; returns them with, for each reference left unpinned, why.
    pub fn ask<'a>(
        references: impl IntoIterator<Item = &'a str>,
        mut digests: impl FnMut(&str) -> anyhow::Result<Vec<String>>,
    ) -> (Self, Vec<String>) {
        let mut pins = BTreeMap::new();
        let mut unpinned = Vec::new();
        for reference in references {
            if is_pinned(reference) || pins.contains_key(reference) {
                continue;
            }
            match digests(reference) {
                Ok(found) if !found.is_empty() => {
                    let pinned = crate::images::pinned_reference(reference, &found);
                    pins.insert(reference.to_owned(), pinned);
                }
                Ok(_) => unpinned.push(format!(
                    "{reference}: the engine knows no registry digest for it (a local build has none)"
                )),
                Err(e) => unpinned.push(format!("{reference}: {e:#}")),
            }
        }
        (Pins(pins), unpinned)
    }

    /// Pins from known pairs (reference, `repo@sha256:…`).
    pub fn from_pairs<const N: usize>(pairs: [(&str, &str); N]) -> Self {
        Pins(
            pairs
                .into_iter()
                .map(|(r, p)| (r.to_owned(), p.to_owned()))
                .collect(),
        )
    }

    /// How the Pod names `reference`: by digest, pulled if missing (the digest decides what
    /// runs); else by its name, never pulled.
    pub fn pod_image(&self, reference: &str) -> PodImage {
        if is_pinned(reference) {
            return PodImage {
                image: reference.to_owned(),
                pull_policy: "IfNotPresent",
            };
        }
        match self.0.get(reference) {
            Some(pinned) => PodImage {
                image: pinned.clone(),
                pull_policy: "IfNotPresent",
            },
            None => PodImage {
                image: reference.to_owned(),
                pull_policy: "Never",
            },
        }
    }
}

/// Whether `reference` names its image by digest already.
fn is_pinned(reference: &str) -> bool {
    reference.contains("@sha256:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_named_by_digest_where_known_and_never_pulled_by_tag() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let (pins, unpinned) = Pins::ask(
            [
                "registry.test/agent:1",
                "localhost/built:latest",
                "missing:1",
                "registry.test/agent:1",
                &format!("registry.test/pinned@{digest}"),
            ],
            |r| match r {
                "registry.test/agent:1" => Ok(vec![format!("registry.test/agent@{digest}")]),
                "localhost/built:latest" => Ok(vec![]),
                other => anyhow::bail!("no such image {other}"),
            },
        );
        assert_eq!(
            pins.pod_image("registry.test/agent:1"),
            PodImage {
                image: format!("registry.test/agent@{digest}"),
                pull_policy: "IfNotPresent"
            }
        );
        assert_eq!(
            pins.pod_image("localhost/built:latest"),
            PodImage {
                image: "localhost/built:latest".to_owned(),
                pull_policy: "Never"
            }
        );
        assert_eq!(pins.pod_image("missing:1").pull_policy, "Never");
        let pinned = format!("registry.test/pinned@{digest}");
        assert_eq!(pins.pod_image(&pinned).image, pinned);
        assert_eq!(pins.pod_image(&pinned).pull_policy, "IfNotPresent");
        assert_eq!(unpinned.len(), 2, "{unpinned:?}");
        assert!(
            unpinned[0].starts_with("localhost/built:latest: "),
            "{unpinned:?}"
        );
        assert!(
            unpinned[1].contains("no such image missing:1"),
            "{unpinned:?}"
        );
    }
}
