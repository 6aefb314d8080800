//! Credential patterns for the push check: the kinds pipelock's DLP knows, by the names
//! pipelock prints, matched against each line of the pushed commit and tag objects (headers
//! and messages) and each line the commits add.

use std::sync::OnceLock;

use regex::Regex;

/// `(name, pattern)`, case-sensitive where the format is.
const PATTERNS: &[(&str, &str)] = &[
    ("GitHub Token", r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    ("GitHub Fine-Grained PAT", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    ("GitLab Token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("Anthropic API Key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    (
        "OpenAI API Key",
        r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
    ),
    (
        "AWS Access ID",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
    ),
    (
        "AWS Secret Key",
        r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b"#,
    ),
    ("Slack Token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    (
        "Private Key Header",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----",
    ),
    ("Google API Key", r"\bAIza[A-Za-z0-9_-]{35}"),
    ("Stripe Secret Key", r"\b[sr]k_live_[A-Za-z0-9]{24,}"),
    ("npm Token", r"\bnpm_[A-Za-z0-9]{36}\b"),
];

fn compiled() -> &'static [(&'static str, Regex)] {
    static COMPILED: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PATTERNS
            .iter()
            .map(|(name, pattern)| (*name, Regex::new(pattern).expect("a valid pattern")))
            .collect()
    })
}

/// The name of the first credential kind `line` holds, with the match shortened so that a
/// message never repeats the secret.
pub fn scan(line: &str) -> Option<(&'static str, String)> {
    compiled().iter().find_map(|(name, re)| {
        re.find(line).map(|m| {
            let hint: String = m.as_str().chars().take(6).collect();
            (*name, format!("{hint}…"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::scan;

    #[test]
    fn finds_the_kinds() {
        let gh = format!("token = \"ghp_{}\"", "a1B2".repeat(9));
        assert_eq!(scan(&gh).unwrap().0, "GitHub Token");
        assert_eq!(scan(&gh).unwrap().1, "ghp_a1…");
        assert_eq!(scan("AKIAIOSFODNN7EXAMPLE").unwrap().0, "AWS Access ID");
        assert_eq!(
            scan("-----BEGIN OPENSSH PRIVATE KEY-----").unwrap().0,
            "Private Key Header"
        );
        assert_eq!(
            scan("-----BEGIN PRIVATE KEY-----").unwrap().0,
            "Private Key Header"
        );
        assert_eq!(
            scan("key: sk-ant-api03-abcdefghijklmnopqrstuvwxyz")
                .unwrap()
                .0,
            "Anthropic API Key"
        );
    }

    #[test]
    fn leaves_ordinary_code_alone() {
        for line in [
            "fn main() { println!(\"hello\"); }",
            "let ghp = 3; // ghp_short",
            "-----BEGIN PUBLIC KEY-----",
            "AKIA lowercase akiaiosfodnn7example",
        ] {
            assert_eq!(scan(line), None, "{line}");
        }
    }
}
