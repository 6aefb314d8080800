//! The mirrors' `pre-receive` hook: the push policy, then the push to the real upstream. It
//! runs inside `git receive-pack` while the pushed objects wait in quarantine; it accepts
//! (exit 0) only once the upstream has taken the push, and everything it prints reaches the
//! agent as `remote: …`. Every accepted or refused ref is an audit event.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::Stdio;

use bot_bottle_gate::config::{GateConfig, Upstream};
use serde_json::json;

use crate::audit::{self, AUDIT_FILE_ENV};
use crate::dlp;
use crate::git;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// One line of the hook's input.
struct Update {
    old: String,
    new: String,
    name: String,
}

impl Update {
    fn is_delete(&self) -> bool {
        self.new == ZERO
    }
    fn is_create(&self) -> bool {
        self.old == ZERO
    }
}

pub fn pre_receive(config: &GateConfig) -> Result<(), String> {
    let name = std::env::var("BOT_BOTTLE_GATE_UPSTREAM").unwrap_or_default();
    let upstream = config
        .upstreams
        .iter()
        .find(|u| u.name == name)
        .ok_or_else(|| format!("no upstream named {name:?} in the gate's config"))?;
    let mut updates = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let mut words = line.split_whitespace().map(str::to_owned);
        if let (Some(old), Some(new), Some(name)) = (words.next(), words.next(), words.next()) {
            updates.push(Update { old, new, name });
        }
    }
    let events = Events::open();
    let mut refusals = Vec::new();
    let size = std::env::var_os("GIT_QUARANTINE_PATH").map_or(0, |p| dir_size(Path::new(&p)));
    for update in &updates {
        if let Some(why) = check(upstream, update, size) {
            refusals.push((update, why));
        }
    }
    if refusals.is_empty() {
        if let Err(why) = push_upstream(upstream, &updates) {
            for update in &updates {
                refusals.push((update, why.clone()));
            }
        }
    }
    let mut err = std::io::stderr().lock();
    if refusals.is_empty() {
        for update in &updates {
            events.add(
                "push",
                json!({ "upstream": upstream.name, "ref": update.name, "old": update.old, "new": update.new }),
            );
        }
        let _ = writeln!(
            err,
            "bot-bottle git gate: pushed to {} ({})",
            upstream.name,
            updates
                .iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(());
    }
    for (update, why) in &refusals {
        events.add(
            "push_refused",
            json!({ "upstream": upstream.name, "ref": update.name, "old": update.old, "new": update.new, "reason": why }),
        );
        let _ = writeln!(
            err,
            "error: bot-bottle git gate refused {}: {why}",
            update.name
        );
    }
    let _ = writeln!(
        err,
        "error: nothing was pushed to the upstream {}",
        upstream.name
    );
    std::process::exit(1);
}

/// Why `update` breaks the policy, if it does.
fn check(upstream: &Upstream, update: &Update, pack_bytes: u64) -> Option<String> {
    let policy = &upstream.policy;
    if !policy.ref_allowed(&update.name) {
        return Some(format!(
            "this bottle may push only to {} on {}",
            policy.push_refs.join(", "),
            upstream.name
        ));
    }
    if !policy.push_default_branch {
        match default_branch() {
            None => {
                return Some(format!(
                    "{} has no default branch (it is empty, or its HEAD names no branch), so any push could make one; \
                     a bottle that may do that needs push_default_branch = true",
                    upstream.name
                ))
            }
            Some(branch) if branch == update.name => {
                return Some(format!(
                    "{} is the default branch of {}, which this bottle may not push to; push another branch and merge it there",
                    update.name, upstream.name
                ))
            }
            Some(_) => {}
        }
    }
    if update.is_delete() {
        return (!policy.allow_delete)
            .then(|| "deleting a ref is not allowed for this bottle".to_owned());
    }
    if !update.is_create() && !policy.allow_force_push && !is_ancestor(&update.old, &update.new) {
        return Some(format!(
            "a force-push (the new commit {} does not contain the old {}) is not allowed for this bottle",
            short(&update.new),
            short(&update.old)
        ));
    }
    if pack_bytes > policy.max_push_bytes {
        return Some(format!(
            "the push is {pack_bytes} bytes, over this bottle's limit of {} bytes",
            policy.max_push_bytes
        ));
    }
    scan(update)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// The upstream's default branch as the mirror's last refresh read it from the upstream, or
/// `None` when the upstream names none (or HEAD cannot be read).
fn default_branch() -> Option<String> {
    let out = git::command(&["symbolic-ref", "-q", "HEAD"])
        .output()
        .ok()?;
    let branch = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && branch != git::NO_DEFAULT_BRANCH).then_some(branch)
}

fn is_ancestor(old: &str, new: &str) -> bool {
    git::command(&["merge-base", "--is-ancestor", old, new])
        .status()
        .is_ok_and(|s| s.success())
}

/// What `update` brings that the mirror does not have, scanned for credentials: every new
/// commit and every annotated tag the ref names, read whole as git stores them (so every
/// header is seen: author, committer, `gpgsig`, `mergetag`, `encoding` or any other a hand-made
/// object carries, and the message), then the paths the commits touch and every line they add.
/// A finding names the object, where in it and the kind, never the secret. A scan that cannot
/// run refuses.
fn scan(update: &Update) -> Option<String> {
    match scan_objects(update) {
        Ok(None) => scan_changes(update),
        Ok(Some(finding)) => Some(finding),
        Err(e) => Some(format!("the credential scan failed: {e}")),
    }
}

/// The first credential in `raw` (an object's bytes), line by line as the other scans go.
fn find_in(raw: &[u8]) -> Option<(&'static str, String)> {
    String::from_utf8_lossy(raw).lines().find_map(dlp::scan)
}

/// The annotated tags the ref's new value leads through (a tag may name a tag) and the new
/// commits, each scanned whole.
fn scan_objects(update: &Update) -> Result<Option<String>, String> {
    let mut objects = Objects::start()?;
    let mut tip = update.new.clone();
    loop {
        let (kind, raw) = objects.get(&tip)?;
        if kind != "tag" {
            break;
        }
        if let Some((found, hint)) = find_in(&raw) {
            return Ok(Some(format!(
                "annotated tag {} carries what looks like a {found} ({hint}) in its message or headers; \
                 remove it (the gate pushes no credentials)",
                short(&tip)
            )));
        }
        tip = tag_target(&raw).ok_or_else(|| format!("tag {} names no object", short(&tip)))?;
    }
    let out = git::command(&["rev-list", &update.new, "--not", "--all"])
        .output()
        .map_err(|e| format!("running git rev-list: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git rev-list: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    for commit in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        let (_, raw) = objects.get(commit)?;
        if let Some((found, hint)) = find_in(&raw) {
            return Ok(Some(format!(
                "commit {} adds what looks like a {found} ({hint}) in its message or headers \
                 (author, committer, signature or any other); remove it from the history (the gate \
                 pushes no credentials)",
                short(commit)
            )));
        }
    }
    Ok(None)
}

/// The object a tag's raw bytes name (its first header, `object <sha>`).
fn tag_target(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let sha = text.lines().next()?.strip_prefix("object ")?.trim();
    (!sha.is_empty() && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha.to_owned())
}

/// Objects read whole, as git stores them, from one `git cat-file --batch`.
struct Objects {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: BufReader<std::process::ChildStdout>,
}

impl Objects {
    fn start() -> Result<Self, String> {
        let mut child = git::command(&["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("running git cat-file: {e}"))?;
        let input = child.stdin.take().expect("piped");
        let output = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Objects {
            child,
            input,
            output,
        })
    }

    /// The object `sha`: its type and its bytes.
    fn get(&mut self, sha: &str) -> Result<(String, Vec<u8>), String> {
        use std::io::Read as _;
        let broken = |e: std::io::Error| format!("reading object {}: {e}", short(sha));
        writeln!(self.input, "{sha}").map_err(broken)?;
        self.input.flush().map_err(broken)?;
        let mut header = String::new();
        self.output.read_line(&mut header).map_err(broken)?;
        // `<sha> <type> <size>`, or `<sha> missing`.
        let mut words = header.split_whitespace().skip(1);
        let (Some(kind), Some(size)) = (words.next(), words.next()) else {
            return Err(format!("no object {}: {}", short(sha), header.trim()));
        };
        let size: usize = size
            .parse()
            .map_err(|_| format!("object {}: {}", short(sha), header.trim()))?;
        let mut raw = vec![0; size + 1];
        self.output.read_exact(&mut raw).map_err(broken)?;
        raw.truncate(size);
        Ok((kind.to_owned(), raw))
    }
}

impl Drop for Objects {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The paths the new commits touch and every line they add (binary files as text; a merge
/// against its first parent, so a change made in the merge itself is seen).
fn scan_changes(update: &Update) -> Option<String> {
    let spawned = git::command(&[
        "log",
        "-p",
        "--text",
        "--diff-merges=first-parent",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--format=%x00commit %H",
        &update.new,
        "--not",
        "--all",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return Some(format!("the credential scan could not run: {e}")),
    };
    let reader = BufReader::new(child.stdout.take().expect("piped"));
    let (mut commit, mut file) = (String::new(), String::new());
    let mut finding = None;
    for line in reader.split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line);
        let (text, place) = if let Some(sha) = line.strip_prefix("\0commit ") {
            sha.clone_into(&mut commit);
            continue;
        } else if let Some(path) = line.strip_prefix("+++ ") {
            path.trim_start_matches("b/").clone_into(&mut file);
            (path, "a file name".to_owned())
        } else if let Some(added) = line.strip_prefix('+') {
            (added, file.clone())
        } else {
            continue;
        };
        if let Some((kind, hint)) = dlp::scan(text) {
            let mut why = String::new();
            let _ = write!(
                why,
                "commit {} adds what looks like a {kind} ({hint}) in {place}; remove it from the history (the gate pushes no credentials)",
                short(&commit)
            );
            finding = Some(why);
            break;
        }
    }
    if finding.is_some() {
        let _ = child.kill();
        let _ = child.wait();
        return finding;
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "the credential scan failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("the credential scan failed: {e}")),
    }
}

/// Pushes the updates to the real upstream, in one push.
fn push_upstream(upstream: &Upstream, updates: &[Update]) -> Result<(), String> {
    let specs: Vec<String> = updates
        .iter()
        .map(|u| {
            if u.is_delete() {
                format!(":{}", u.name)
            } else if upstream.policy.allow_force_push {
                format!("+{}:{}", u.new, u.name)
            } else {
                format!("{}:{}", u.new, u.name)
            }
        })
        .collect();
    let mut args = vec!["push", "--porcelain", "--quiet", git::REMOTE];
    args.extend(specs.iter().map(String::as_str));
    // The objects are still in quarantine: this push reads them through the object
    // directories git set for the hook. The marker itself would make a local upstream's
    // receive-pack refuse to update refs, so it stays here.
    let out = git::command(&args)
        .env_remove("GIT_QUARANTINE_PATH")
        .output()
        .map_err(|e| format!("running git push: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "the upstream refused the push: {}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// The file the server named for this push's events.
struct Events(Option<std::fs::File>);

impl Events {
    fn open() -> Self {
        Events(std::env::var_os(AUDIT_FILE_ENV).and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        }))
    }

    fn add(&self, event: &str, fields: serde_json::Value) {
        if let Some(mut file) = self.0.as_ref() {
            let _ = writeln!(file, "{}", audit::event(event, fields));
        }
    }
}
