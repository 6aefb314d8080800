//! The bottle's slug: the suffix of every container, network and directory name a bottle owns.

use crate::exit::UsageError;

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

#[cfg(test)]
mod tests {
    use super::slugify;

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
