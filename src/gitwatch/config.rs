//! Which keys of a git config file make git run a program: what a warning names when the agent
//! wrote a config file that git on the host reads. A scanner, not a full git config parser:
//! it finds section headers and key names (values are never needed, only which keys are set),
//! and errs on the side of naming a key.

/// Keys that make git run a command, or read more config from elsewhere, each as
/// `(section, key)`, lowercase; `*` in the section stands for any subsection
/// (`[filter "lfs"]` is `filter.*`). Matched against every key the file sets.
const CODE_RUNNING: &[(&str, &str)] = &[
    ("core", "fsmonitor"),
    ("core", "hookspath"),
    ("core", "sshcommand"),
    ("core", "pager"),
    ("core", "editor"),
    ("core", "askpass"),
    ("core", "gitproxy"),
    ("core", "alternaterefscommand"),
    ("core", "worktree"),
    ("extensions", "worktreeconfig"),
    ("include", "path"),
    ("includeif.*", "path"),
    ("credential", "helper"),
    ("credential.*", "helper"),
    ("diff", "external"),
    ("diff.*", "command"),
    ("diff.*", "textconv"),
    ("filter.*", "clean"),
    ("filter.*", "smudge"),
    ("filter.*", "process"),
    ("merge.*", "driver"),
    ("sequence", "editor"),
    ("interactive", "difffilter"),
    ("gpg", "program"),
    ("gpg.*", "program"),
    ("pager", "*"),
    ("alias", "*"),
    ("submodule.*", "update"),
    ("remote.*", "uploadpack"),
    ("remote.*", "receivepack"),
    ("remote.*", "vcs"),
    ("difftool.*", "cmd"),
    ("mergetool.*", "cmd"),
    ("trailer.*", "command"),
    ("trailer.*", "cmd"),
    ("browser.*", "cmd"),
    ("web", "browser"),
    ("man.*", "cmd"),
    ("sendemail", "tocmd"),
    ("sendemail", "cccmd"),
    ("sendemail", "smtpserver"),
    ("uploadpack", "packobjectshook"),
];

/// The code-running keys `text` sets, as `section[.subsection].key` (section and key
/// lowercase, as git compares them), in the order they appear, each once.
pub fn code_running_keys(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for key in keys(text) {
        if is_code_running(&key) && !found.contains(&key) {
            found.push(key);
        }
    }
    found
}

/// Every key `text` sets, fully qualified: `section.key` or `section.subsection.key`.
fn keys(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut out = Vec::new();
    for raw in text.lines() {
        let mut line = raw.trim_start();
        // One line may hold a header and then a key: `[core] fsmonitor = x`.
        if let Some(rest) = line.strip_prefix('[') {
            let Some(end) = header_end(rest) else {
                continue;
            };
            section = header(&rest[..end]);
            line = rest[end + 1..].trim_start();
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !name.is_empty() && !section.is_empty() {
            out.push(format!("{section}.{}", name.to_ascii_lowercase()));
        }
    }
    out
}

/// Where a header that `[` opened ends (the `]` outside the quoted subsection).
fn header_end(rest: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `section "sub"` → `section.sub`; the old `section.sub` form → `section.sub` (its
/// subsection is lowercased by git, too). The section is lowercase; a quoted subsection keeps
/// its case.
fn header(inside: &str) -> String {
    let inside = inside.trim();
    match inside.split_once(char::is_whitespace) {
        Some((section, sub)) => {
            let sub = sub.trim();
            let sub = sub.strip_prefix('"').unwrap_or(sub);
            let sub = sub.strip_suffix('"').unwrap_or(sub);
            let sub = sub.replace("\\\"", "\"").replace("\\\\", "\\");
            format!("{}.{sub}", section.to_ascii_lowercase())
        }
        None => inside.to_ascii_lowercase(),
    }
}

fn is_code_running(key: &str) -> bool {
    let Some((section, name)) = key.rsplit_once('.') else {
        return false;
    };
    let (base, has_sub) = match section.split_once('.') {
        Some((base, _)) => (base, true),
        None => (section, false),
    };
    CODE_RUNNING.iter().any(|(s, k)| {
        let section_matches = match s.strip_suffix(".*") {
            Some(wanted) => has_sub && base == wanted,
            None => !has_sub && section == *s,
        };
        section_matches && (*k == "*" || *k == name)
    })
}

#[cfg(test)]
mod tests {
    use super::code_running_keys;

    #[test]
    fn names_the_keys_that_run_programs() {
        let text = "\
[core]
\trepositoryformatversion = 0
\tFSMonitor = \"touch x; false\"
\tbare = false
[Filter \"lfs\"]
\tsmudge = git-lfs smudge -- %f
\trequired
[remote \"origin\"]
\turl = https://example.invalid/r.git
\tuploadpack = evil
[include]
\tpath = ../../planted
[includeIf \"gitdir:/x/\"]
\tpath = y
[user] name = a
[alias]
\tst = !sh -c evil
; [core] hooksPath = commented out
# hooksPath = commented out
[core]
\tfsmonitor = again
";
        assert_eq!(
            code_running_keys(text),
            [
                "core.fsmonitor",
                "filter.lfs.smudge",
                "remote.origin.uploadpack",
                "include.path",
                "includeif.gitdir:/x/.path",
                "alias.st",
            ]
        );
    }

    #[test]
    fn a_header_and_a_key_on_one_line_and_the_old_subsection_form() {
        assert_eq!(
            code_running_keys("[core] hooksPath = /tmp/h\n[diff.x]\n textconv = cat\n"),
            ["core.hookspath", "diff.x.textconv"]
        );
    }

    #[test]
    fn a_quoted_bracket_does_not_end_the_header() {
        assert_eq!(
            code_running_keys("[filter \"a]b\"]\n\tclean = x\n"),
            ["filter.a]b.clean"]
        );
    }

    #[test]
    fn a_subsection_does_not_stand_for_a_plain_section_and_back() {
        // `core.fsmonitor` is code, `[core "x"] fsmonitor` is not a key git reads.
        assert!(code_running_keys("[core \"x\"]\n\tfsmonitor = y\n").is_empty());
        // `filter.clean` without a driver name is not a driver.
        assert!(code_running_keys("[filter]\n\tclean = y\n").is_empty());
        assert!(code_running_keys("[user]\n\tname = x\n[core]\n\tbare = false\n").is_empty());
    }

    #[test]
    fn garbage_is_not_an_error() {
        assert!(code_running_keys("[unterminated\n= x\n\0\n").is_empty());
    }
}
