//! DLP: a subset of pipelock's built-in credential patterns, with pipelock's names, matched
//! case-insensitively like pipelock (which prefixes every pattern with `(?i)`).

use regex::Regex;

struct Pattern {
    name: &'static str,
    core: bool,
    regex: Regex,
}

/// (name, is core, pattern), each matching what pipelock v2.3.0's pattern of that name matches
/// once compiled with `(?i)` as pipelock compiles it. Core patterns stay on when
/// `dlp.include_defaults` is false. The git gate (`gate/src/dlp.rs`) carries the same names and
/// matches at least as much.
const PATTERNS: &[(&str, bool, &str)] = &[
    ("Anthropic API Key", false, r"sk-ant-[0-9a-z_-]{10,}"),
    ("OpenAI API Key", false, r"sk-proj-[0-9a-z_-]{10,}"),
    ("OpenAI Service Key", false, r"sk-svcacct-[0-9a-z-]{10,}"),
    ("Google API Key", false, r"aiza[0-9a-z_-]{35}"),
    ("GitHub Token", true, r"gh[opsru]_[0-9a-z_]{36,}"),
    (
        "GitHub Fine-Grained PAT",
        true,
        r"github_pat_[0-9a-z_]{36,}",
    ),
    ("GitLab PAT", true, r"glpat-[0-9a-z_-]{20,}"),
    (
        "AWS Access ID",
        true,
        r"(?:akia|a3t|agpa|aida|aroa|aipa|anpa|anva|asia)[0-9a-z]{16,}",
    ),
    // Pipelock lists four spellings of the name; each contains `secret`, `access` and `key`
    // in that order, which this one alternative matches without case.
    (
        "AWS Secret Key",
        true,
        r#"secret.?access.?key\s*["'=:\s]{1,5}\s*[0-9a-z/+=]{40}"#,
    ),
    ("Slack Token", true, r"xox[abprs]-[0-9a-z-]{15,}"),
    ("npm Token", false, r"npm_[0-9a-z]{36,}"),
    (
        "Private Key Header",
        true,
        r"-----BEGIN\s+(?:(?:RSA|EC|DSA|OPENSSH)\s+)?PRIVATE\s+KEY-----",
    ),
    (
        "Credential in URL",
        false,
        r"(?m)(?:^|[?&;])\s*(?:password|passwd|secret|token|apikey|api_key|api-key)\s*=\s*[^\s&]{4,}",
    ),
];

/// The compiled pattern set for one config.
pub struct Scanner {
    patterns: Vec<Pattern>,
}

impl Scanner {
    /// Compiles the defaults, or only the core patterns when `include_defaults` is false.
    pub fn new(include_defaults: bool) -> Self {
        let patterns = PATTERNS
            .iter()
            .filter(|(_, core, _)| include_defaults || *core)
            .map(|(name, core, re)| Pattern {
                name,
                core: *core,
                regex: Regex::new(&format!("(?i){re}")).expect("built-in DLP pattern compiles"),
            })
            .collect();
        Self { patterns }
    }

    /// Names of the patterns found in `text`, in pattern order.
    pub fn scan(&self, text: &str) -> Vec<&'static str> {
        self.patterns
            .iter()
            .filter(|p| p.regex.is_match(text))
            .map(|p| p.name)
            .collect()
    }

    /// The first core pattern found in `text` (URL scanning blocks on these).
    pub fn scan_core(&self, text: &str) -> Option<&'static str> {
        self.patterns
            .iter()
            .find(|p| p.core && p.regex.is_match(text))
            .map(|p| p.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_patterns_bot_bottle_tests_use() {
        let s = Scanner::new(true);
        let gh = format!("token=ghp_{}", "a".repeat(36));
        assert_eq!(s.scan(&gh), vec!["GitHub Token", "Credential in URL"]);
        assert_eq!(s.scan(&gh[6..]), vec!["GitHub Token"]);
        let ant = format!(r#"{{"key":"sk-ant-api03-{}"}}"#, "x".repeat(30));
        assert_eq!(s.scan(&ant), vec!["Anthropic API Key"]);
        assert_eq!(s.scan("id AKIAIOSFODNN7EXAMPLE"), vec!["AWS Access ID"]);
        assert_eq!(
            s.scan("-----BEGIN OPENSSH PRIVATE KEY-----"),
            vec!["Private Key Header"]
        );
        assert!(s.scan("hello world").is_empty());
        // case-insensitive like pipelock
        assert_eq!(s.scan(&gh[6..].to_uppercase()), vec!["GitHub Token"]);
    }

    #[test]
    fn several_hits_are_all_named() {
        let s = Scanner::new(true);
        let body = format!("AKIAIOSFODNN7EXAMPLE ghp_{}", "b".repeat(40));
        assert_eq!(s.scan(&body), vec!["GitHub Token", "AWS Access ID"]);
    }

    #[test]
    fn without_defaults_only_core_patterns_remain() {
        let s = Scanner::new(false);
        let ant = format!("sk-ant-{}", "x".repeat(30));
        assert!(s.scan(&ant).is_empty());
        assert_eq!(s.scan("AKIAIOSFODNN7EXAMPLE"), vec!["AWS Access ID"]);
    }

    /// Strings the double's earlier patterns judged otherwise than pipelock's patterns of the
    /// same name (and than the git gate's, for the names both carry).
    #[test]
    fn judges_like_pipelock_where_the_old_patterns_differed() {
        let s = Scanner::new(true);
        for (text, want) in [
            // The gate's earlier patterns missed these two.
            (
                format!("ghp_{}_{}", "a".repeat(20), "b".repeat(15)),
                Some("GitHub Token"),
            ),
            ("xsk-ant-abcdefghij".to_string(), Some("Anthropic API Key")),
            ("sk-proj-abcdefghij".to_string(), Some("OpenAI API Key")),
            (
                "sk-svcacct-abcdefghij".to_string(),
                Some("OpenAI Service Key"),
            ),
            (format!("sk-svcacct-abc_{}", "_d".repeat(10)), None),
            // Gemini's key: AIza and 35 more, any case.
            (format!("AIza{}", "k".repeat(35)), Some("Google API Key")),
            (
                format!("aiza{}", "K_-".repeat(12).get(..35).unwrap()),
                Some("Google API Key"),
            ),
            (format!("AIza{}", "k".repeat(34)), None),
            ("A3TAIOSFODNN7EXAMPL".to_string(), Some("AWS Access ID")),
            (format!("npm_{}_x", "n".repeat(36)), Some("npm Token")),
            ("-----BEGIN PGP PRIVATE KEY BLOCK-----".to_string(), None),
            // The gate refuses this one in a push; pipelock lets it through.
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----".to_string(), None),
        ] {
            assert_eq!(s.scan(&text).first().copied(), want, "{text}");
        }
    }
}
