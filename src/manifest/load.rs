//! Reading a manifest file (TOML, or JSON when the name ends in `.json`) or the built-in
//! default, with errors that name the file, line and column, field and value.

use camino::{Utf8Path, Utf8PathBuf};

use super::Manifest;
use crate::exit::UsageError;

/// The manifest used when none is given and `./bottle.toml` does not exist.
pub const BUILTIN_TOML: &str = include_str!("default-bottle.toml");

/// Where a manifest came from; relative paths inside it resolve against the manifest's
/// directory (the current directory for the built-in default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestSource {
    File(Utf8PathBuf),
    Builtin,
}

impl ManifestSource {
    /// How errors and the plan name this manifest.
    pub fn display(&self) -> String {
        match self {
            ManifestSource::File(p) => p.to_string(),
            ManifestSource::Builtin => "<built-in default>".to_owned(),
        }
    }
}

/// Parses the manifest at `source`, and gives the SHA-256 of the very bytes parsed (`None` for
/// the built-in default): what an approval of this manifest records.
pub fn load_with_digest(source: &ManifestSource) -> Result<(Manifest, Option<String>), UsageError> {
    match source {
        ManifestSource::Builtin => Ok((parse_toml(BUILTIN_TOML, "<built-in default>")?, None)),
        ManifestSource::File(path) => {
            let bytes = crate::hostfile::read_following(path, crate::hostfile::MANIFEST)
                .map_err(|e| UsageError(format!("{path}: cannot read the manifest: {e}")))?;
            let digest = crate::ca::sha256_of(&bytes);
            let text = String::from_utf8(bytes)
                .map_err(|e| UsageError(format!("{path}: the manifest is not UTF-8: {e}")))?;
            let manifest = if is_json(path) {
                parse_json(&text, path.as_str())
            } else {
                parse_toml(&text, path.as_str())
            }?;
            Ok((manifest, Some(digest)))
        }
    }
}

fn is_json(path: &Utf8Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Parses TOML text into a manifest; `origin` names it in errors.
pub fn parse_toml(text: &str, origin: &str) -> Result<Manifest, UsageError> {
    parse_toml_as(text, origin)
}

/// Parses TOML text into `T`: any document of bot-bottle's (the manifest, the egress lock, the
/// user's config), with the manifest's errors: file, line and column, field path, message.
pub fn parse_toml_as<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, UsageError> {
    let de = toml::de::Deserializer::parse(text).map_err(|e| toml_error(text, origin, &e, ""))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        toml_error(text, origin, e.inner(), &path)
    })
}

/// Parses JSON text; `origin` names it in errors.
pub fn parse_json(text: &str, origin: &str) -> Result<Manifest, UsageError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let manifest: Manifest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(origin, e.inner(), &path)
    })?;
    de.end().map_err(|e| json_error(origin, &e, ""))?;
    Ok(manifest)
}

fn toml_error(text: &str, origin: &str, err: &toml::de::Error, path: &str) -> UsageError {
    let location = err
        .span()
        .map(|span| {
            let (line, col) = line_col(text, span.start);
            format!(":{line}:{col}")
        })
        .unwrap_or_default();
    UsageError(format!(
        "{origin}{location}: {}{}",
        field_prefix(path),
        err.message().trim()
    ))
}

fn json_error(origin: &str, err: &serde_json::Error, path: &str) -> UsageError {
    let full = err.to_string();
    // serde_json appends " at line L column C"; we print the location up front instead.
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    UsageError(format!(
        "{origin}:{}:{}: {}{message}",
        err.line(),
        err.column(),
        field_prefix(path)
    ))
}

/// `egress.allowlist[2]: ` for a field path, nothing for the document root.
fn field_prefix(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml_err(text: &str) -> String {
        parse_toml(text, "bottle.toml").unwrap_err().0
    }

    fn json_err(text: &str) -> String {
        parse_json(text, "bottle.json").unwrap_err().0
    }

    #[test]
    fn builtin_default_parses() {
        let (m, digest) = load_with_digest(&ManifestSource::Builtin).unwrap();
        assert!(digest.is_none());
        assert!(m.egress.allowlist.is_empty());
    }

    #[test]
    fn unknown_top_level_field_names_field_and_line() {
        let e = toml_err("name = \"x\"\nallowlist = [\"a.com\"]\n");
        assert!(e.starts_with("bottle.toml:2:1: "), "{e}");
        assert!(e.contains("unknown field `allowlist`"), "{e}");
    }

    #[test]
    fn unknown_nested_field_names_its_table() {
        let e = toml_err("[egress]\nallow_list = [\"a.com\"]\n");
        assert!(e.starts_with("bottle.toml:2:1: egress.allow_list: "), "{e}");
        assert!(e.contains("unknown field `allow_list`"), "{e}");
    }

    #[test]
    fn bad_hostname_names_path_value_and_position() {
        let e = toml_err("[egress]\nallowlist = [\"ok.com\", \"https://evil.com\"]\n");
        assert!(
            e.starts_with("bottle.toml:2:13: egress.allowlist[1]: "),
            "{e}"
        );
        assert!(e.contains("invalid hostname \"https://evil.com\""), "{e}");
    }

    #[test]
    fn bad_enum_value_is_named() {
        let e = toml_err("[egress]\ndlp_action = \"drop\"\n");
        assert!(e.contains("egress.dlp_action: "), "{e}");
        assert!(e.contains("drop"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = toml_err("skills = \"just-one\"\n");
        assert!(e.contains("skills: "), "{e}");
        assert!(e.contains("invalid type"), "{e}");
    }

    #[test]
    fn toml_syntax_error_has_a_location() {
        let e = toml_err("name = \n");
        assert!(e.starts_with("bottle.toml:1:"), "{e}");
    }

    #[test]
    fn json_same_schema_and_errors() {
        let m = parse_json(r#"{"name":"x","egress":{"allowlist":["a.com"]}}"#, "b.json").unwrap();
        assert_eq!(m.egress.allowlist[0].as_str(), "a.com");
        let e = json_err("{\n  \"egress\": {\"allowlist\": [\"a b\"]}\n}");
        assert!(e.starts_with("bottle.json:2:"), "{e}");
        assert!(
            e.contains("egress.allowlist[0]: invalid hostname \"a b\""),
            "{e}"
        );
        let e = json_err(r#"{"nme": "x"}"#);
        assert!(e.contains("unknown field `nme`"), "{e}");
        let e = json_err(r#"{"name": "x"} trailing"#);
        assert!(e.contains("trailing characters"), "{e}");
    }

    #[test]
    fn unreadable_file_is_a_usage_error_naming_it() {
        let e = load_with_digest(&ManifestSource::File("/nonexistent/bottle.toml".into()))
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("/nonexistent/bottle.toml: cannot read the manifest"),
            "{e}"
        );
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
