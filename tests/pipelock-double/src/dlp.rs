//! DLP: a subset of pipelock's built-in credential patterns, with pipelock's names, matched
//! case-insensitively like pipelock (which prefixes every pattern with `(?i)`).

use regex::Regex;

struct Pattern {
    name: &'static str,
    core: bool,
    regex: Regex,
}

/// (name, is core, pattern). Core patterns stay on when `dlp.include_defaults` is false.
const PATTERNS: &[(&str, bool, &str)] = &[
    (
        "Anthropic API Key",
        false,
        r"(?:^|[^A-Za-z0-9_-])sk-ant-[a-zA-Z0-9\-_]{20,}",
    ),
    (
        "OpenAI API Key",
        false,
        r"(?:^|[^A-Za-z0-9_-])sk-proj-[a-zA-Z0-9\-_]{20,}",
    ),
    (
        "OpenAI Service Key",
        false,
        r"(?:^|[^A-Za-z0-9_-])sk-svcacct-[a-zA-Z0-9\-_]{20,}",
    ),
    ("GitHub Token", true, r"gh[pousr]_[A-Za-z0-9_]{36,}"),
    (
        "GitHub Fine-Grained PAT",
        true,
        r"github_pat_[a-zA-Z0-9_]{36,}",
    ),
    ("GitLab PAT", true, r"glpat-[a-zA-Z0-9\-_]{20,}"),
    (
        "AWS Access ID",
        true,
        r"(?:AKIA|ASIA|AROA|AIDA|AIPA|AGPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16,}",
    ),
    (
        "AWS Secret Key",
        true,
        r#"(?:aws_secret_access_key|secret.?access.?key|SecretAccessKey)\s*["'=:\s]{1,5}\s*[A-Za-z0-9/+=]{40}"#,
    ),
    ("Slack Token", true, r"xox[bpras]-[0-9a-zA-Z-]{15,}"),
    ("npm Token", false, r"npm_[A-Za-z0-9]{36,}\b"),
    (
        "Private Key Header",
        true,
        r"-----BEGIN\s+(RSA\s+|EC\s+|DSA\s+|OPENSSH\s+|PGP\s+)?PRIVATE\s+KEY(\s+BLOCK)?-----",
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
}
