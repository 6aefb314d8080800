//! Credential patterns for the push check: the kinds pipelock's DLP knows, by the names
//! pipelock v2.3.0 prints, matched case-insensitively like pipelock (an agent can change a
//! secret's case as easily as copy it) against each line of the pushed commit and tag objects
//! (headers and messages) and each line the commits add.
//!
//! Each pattern matches at least what pipelock's pattern of that name matches, so a credential
//! pipelock would stop in a request body cannot leave through a push instead. Where the gate's
//! own earlier pattern caught more than pipelock's, the gate keeps that too (it may only get
//! stricter); those are marked below.

use std::sync::OnceLock;

use regex::Regex;

/// `(name, pattern)`; every pattern is compiled with `(?i)`.
const PATTERNS: &[(&str, &str)] = &[
    ("GitHub Token", r"gh[opsru]_[0-9a-z_]{36,}"),
    // Pipelock wants 36 characters after the prefix; the gate keeps its 22.
    ("GitHub Fine-Grained PAT", r"github_pat_[0-9a-z_]{22,}"),
    ("GitLab PAT", r"glpat-[0-9a-z_-]{20,}"),
    ("Anthropic API Key", r"sk-ant-[0-9a-z_-]{10,}"),
    // Pipelock knows only `sk-proj-`; the gate keeps the older `sk-…T3BlbkFJ…` form too.
    (
        "OpenAI API Key",
        r"sk-proj-[0-9a-z_-]{10,}|sk-[0-9a-z_-]{20,}T3BlbkFJ[0-9a-z_-]{20,}",
    ),
    (
        "AWS Access ID",
        r"(?:akia|a3t|agpa|aida|aroa|aipa|anpa|anva|asia)[0-9a-z]{16,}",
    ),
    // Pipelock's names all contain `secret`, `access` and `key` in that order; the gate keeps
    // `aws_secret_key = …` (no `access`) and a looser separator.
    (
        "AWS Secret Key",
        r#"secret.?access.?key\s*["'=:\s]{1,5}\s*[0-9a-z/+=]{40}|aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?[0-9a-z/+=]{40}"#,
    ),
    // Pipelock wants 15 characters and has no `xoxo-`; the gate keeps its 10 and `xoxo-`.
    ("Slack Token", r"xox[aboprs]-[0-9a-z-]{10,}"),
    // Pipelock names four kinds of key (RSA, EC, DSA, OPENSSH); the gate takes any words, as
    // `ENCRYPTED PRIVATE KEY`.
    (
        "Private Key Header",
        r"-----BEGIN\s+(?:[0-9a-z]+\s+)*PRIVATE\s+KEY-----",
    ),
    ("Google API Key", r"AIza[0-9a-z_-]{35}"),
    ("Stripe Key", r"[rs]k[_-](?:live|test)[_-][0-9a-z]{20,}"),
    ("npm Token", r"npm_[0-9a-z]{36,}"),
];

fn compiled() -> &'static [(&'static str, Regex)] {
    static COMPILED: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PATTERNS
            .iter()
            .map(|(name, pattern)| {
                let re = Regex::new(&format!("(?i){pattern}")).expect("a valid pattern");
                (*name, re)
            })
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
            "AKIA and a short akiaiosfodnn7",
        ] {
            assert_eq!(scan(line), None, "{line}");
        }
    }

    /// Lines the gate's earlier patterns let through and pipelock's patterns of the same name
    /// catch (names as the test double now has them too): the gate must refuse them.
    #[test]
    fn catches_what_pipelock_catches() {
        let alnum36 = "a1B2".repeat(9);
        for (line, name) in [
            (format!("xghp_{alnum36}"), "GitHub Token"),
            (
                format!("ghp_{}_{}", "a".repeat(20), "b".repeat(15)),
                "GitHub Token",
            ),
            (format!("GHP_{alnum36}"), "GitHub Token"),
            (
                format!("GITHUB_PAT_{}", "x".repeat(40)),
                "GitHub Fine-Grained PAT",
            ),
            (format!("GLPAT-{}", "x".repeat(20)), "GitLab PAT"),
            ("sk-ant-abcdefghij".to_string(), "Anthropic API Key"),
            ("sk-proj-abcdefghij".to_string(), "OpenAI API Key"),
            ("akiaiosfodnn7example".to_string(), "AWS Access ID"),
            ("AKIAIOSFODNN7EXAMPLE9".to_string(), "AWS Access ID"),
            ("A3TAIOSFODNN7EXAMPL".to_string(), "AWS Access ID"),
            (
                format!("secret_access_key: {}", "w".repeat(40)),
                "AWS Secret Key",
            ),
            ("XOXB-123456789012345".to_string(), "Slack Token"),
            (
                "-----BEGIN  RSA\tPRIVATE KEY-----".to_string(),
                "Private Key Header",
            ),
            (
                "-----begin private key-----".to_string(),
                "Private Key Header",
            ),
            (format!("xAIza{}", "k".repeat(35)), "Google API Key"),
            (format!("sk_test_{}", "s".repeat(20)), "Stripe Key"),
            (format!("npm_{}", "n".repeat(40)), "npm Token"),
        ] {
            assert_eq!(scan(&line).map(|(kind, _)| kind), Some(name), "{line}");
        }
    }

    /// Where the gate's earlier pattern caught more than pipelock's, it still does.
    #[test]
    fn keeps_what_it_caught_beyond_pipelock() {
        for (line, name) in [
            (
                format!("github_pat_{}", "x".repeat(22)),
                "GitHub Fine-Grained PAT",
            ),
            (
                format!("sk-{}T3BlbkFJ{}", "o".repeat(20), "p".repeat(20)),
                "OpenAI API Key",
            ),
            (
                format!("aws_secret_key = \"{}\"", "w".repeat(40)),
                "AWS Secret Key",
            ),
            ("xoxo-1234567890".to_string(), "Slack Token"),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----".to_string(),
                "Private Key Header",
            ),
        ] {
            assert_eq!(scan(&line).map(|(kind, _)| kind), Some(name), "{line}");
        }
    }
}
