//! `bot-bottle verify`: whether a record holds. Each check names what it looked at; a record
//! is valid only when the envelope's signature verifies with the user's key, every file it
//! names has the digest it says, pipelock's chain is unbroken with every checkpoint signed by
//! the bottle's recorder key, the digests agree with each other (the plan's manifest, lock,
//! launch and images with the predicate's; the subjects with the gate's log), and, given a
//! repository, each subject commit is there under its ref. A record that holds but was sealed
//! by `gc` for a launch that died is incomplete, not valid.

use std::process::Command;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use super::statement::{
    Completion, FileDigest, Predicate, Statement, PREDICATE_TYPE, STATEMENT_TYPE,
};
use super::{dsse, flight, pushes};
use crate::ca::sha256_of;
use crate::exit::UsageError;

/// Version of the `verify --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.verify/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Fail,
    /// Worth knowing, not a failure.
    Note,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    Invalid,
    Incomplete,
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub record: Utf8PathBuf,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            status,
            detail: detail.into(),
        });
    }

    fn fail(&mut self, name: &'static str, detail: impl Into<String>) {
        self.push(name, Status::Fail, detail);
    }

    fn ok(&mut self, name: &'static str, detail: impl Into<String>) {
        self.push(name, Status::Ok, detail);
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    fn conclude(mut self, completion: Option<Completion>) -> Self {
        self.verdict = if self.failures().next().is_some() {
            Verdict::Invalid
        } else if completion == Some(Completion::Incomplete) {
            Verdict::Incomplete
        } else {
            Verdict::Valid
        };
        self
    }
}

/// The envelope `path` names: the file, or `record.dsse.json` in the directory.
pub fn envelope_path(path: &Utf8Path) -> Utf8PathBuf {
    if path.is_dir() {
        path.join(super::ENVELOPE)
    } else {
        path.to_owned()
    }
}

/// Verifies the record at `path` (its envelope, or its directory) against `key`; with `repo`,
/// also that each subject commit is in that repository under its ref. An unreadable `path` is
/// a usage error; everything else is a check in the report.
pub fn verify(
    path: &Utf8Path,
    key: &VerifyingKey,
    repo: Option<&Utf8Path>,
) -> anyhow::Result<Report> {
    let envelope_file = envelope_path(path);
    let text = std::fs::read_to_string(&envelope_file)
        .map_err(|e| UsageError(format!("{envelope_file}: cannot read the record: {e}")))?;
    let dir = envelope_file
        .parent()
        .map_or_else(|| Utf8PathBuf::from("."), Utf8Path::to_owned);
    let mut report = Report {
        schema: JSON_SCHEMA,
        record: envelope_file.clone(),
        verdict: Verdict::Invalid,
        checks: Vec::new(),
    };
    let envelope: dsse::Envelope = match serde_json::from_str(&text) {
        Ok(e) => e,
        Err(e) => {
            report.fail("envelope", format!("not a DSSE envelope: {e}"));
            return Ok(report.conclude(None));
        }
    };
    let payload = match envelope.verify(key) {
        Ok(payload) => {
            report.ok(
                "signature",
                format!("signed by the key {}", super::key::key_id(key)),
            );
            payload
        }
        Err(invalid) => {
            report.fail(
                "signature",
                format!(
                    "not signed by the key {}: {invalid}; it was changed, or re-signed with another key",
                    super::key::key_id(key)
                ),
            );
            // The rest is checked all the same, to name what else does not hold.
            match base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                envelope.payload.as_bytes(),
            ) {
                Ok(payload) => payload,
                Err(_) => return Ok(report.conclude(None)),
            }
        }
    };
    let statement: Statement = match serde_json::from_slice(&payload) {
        Ok(s) => s,
        Err(e) => {
            report.fail(
                "statement",
                format!("the payload is not bot-bottle's statement: {e}"),
            );
            return Ok(report.conclude(None));
        }
    };
    check_statement(&mut report, &envelope, &statement);
    let p = &statement.predicate;
    check_plan(&mut report, &dir, p);
    check_ca(&mut report, &dir, p);
    check_flight(&mut report, &dir, p);
    check_gate(&mut report, &dir, &statement);
    if let Some(repo) = repo {
        check_repo(&mut report, repo, &statement);
    }
    check_completion(&mut report, p);
    Ok(report.conclude(Some(p.completion)))
}

fn check_statement(report: &mut Report, envelope: &dsse::Envelope, statement: &Statement) {
    if envelope.payload_type != dsse::INTOTO_PAYLOAD_TYPE
        || statement.statement_type != STATEMENT_TYPE
        || statement.predicate_type != PREDICATE_TYPE
    {
        report.fail(
            "statement",
            format!(
                "payload type {:?}, statement {:?}, predicate {:?}: not an in-toto v1 statement of bot-bottle's record",
                envelope.payload_type, statement.statement_type, statement.predicate_type
            ),
        );
    } else {
        let p = &statement.predicate;
        report.ok(
            "statement",
            format!(
                "bottle {} (launch {}), started {}, {} commit(s) pushed, written by bot-bottle {}",
                p.bottle.name,
                p.bottle.launch_id,
                p.started_at,
                statement.subject.len(),
                p.bot_bottle_version
            ),
        );
    }
}

fn check_completion(report: &mut Report, p: &Predicate) {
    match p.completion {
        Completion::Stopped => report.ok(
            "completion",
            format!(
                "the bottle was stopped at {} and its evidence read whole{}",
                p.stopped_at.as_deref().unwrap_or("an unknown time"),
                p.agent_exit_code
                    .map(|c| format!("; the agent exited with status {c}"))
                    .unwrap_or_default()
            ),
        ),
        Completion::Running => report.push(
            "completion",
            Status::Note,
            format!(
                "written at {} while the bottle ran: what happened after is not in it",
                p.recorded_at
            ),
        ),
        Completion::Incomplete => report.push(
            "completion",
            Status::Note,
            format!(
                "INCOMPLETE: {}",
                p.incomplete_reason
                    .as_deref()
                    .unwrap_or("the launch ended without being stopped")
            ),
        ),
    }
}

/// The bytes of a file the record names, if its digest is the one recorded: else why not.
fn read_named(dir: &Utf8Path, file: &FileDigest) -> Result<Vec<u8>, String> {
    let path = named_path(dir, file)?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let actual = sha256_of(&bytes);
    if actual != file.sha256 {
        return Err(format!(
            "{} has the digest {actual}, not the {} the record signed: the file was changed",
            file.file, file.sha256
        ));
    }
    Ok(bytes)
}

/// Where a file the record names is: only ever inside the record's directory.
fn named_path(dir: &Utf8Path, file: &FileDigest) -> Result<Utf8PathBuf, String> {
    let name = Utf8Path::new(&file.file);
    if name.is_absolute()
        || name
            .components()
            .any(|c| !matches!(c, camino::Utf8Component::Normal(_)))
    {
        return Err(format!(
            "{:?} is not a file name inside the record",
            file.file
        ));
    }
    Ok(dir.join(name))
}

/// The bytes of a file the record names whatever its digest (for the checks that say what in
/// it changed); empty when it cannot be read.
fn read_anyway(dir: &Utf8Path, file: &FileDigest) -> Vec<u8> {
    named_path(dir, file)
        .ok()
        .and_then(|path| std::fs::read(path).ok())
        .unwrap_or_default()
}

fn check_plan(report: &mut Report, dir: &Utf8Path, p: &Predicate) {
    let bytes = match read_named(dir, &p.plan) {
        Ok(bytes) => bytes,
        Err(why) => return report.fail("plan", why),
    };
    let plan: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(plan) => plan,
        Err(e) => return report.fail("plan", format!("{} is not JSON: {e}", p.plan.file)),
    };
    let text = |pointer: &str| {
        plan.pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let mut disagree = Vec::new();
    let mut compare = |what: &str, in_plan: Option<String>, in_record: Option<String>| {
        if in_plan != in_record {
            disagree.push(format!(
                "{what}: the plan says {}, the record {}",
                in_plan.as_deref().unwrap_or("none"),
                in_record.as_deref().unwrap_or("none")
            ));
        }
    };
    compare(
        "launch id",
        text("/launch_id"),
        Some(p.bottle.launch_id.clone()),
    );
    compare("bottle", text("/bottle/slug"), Some(p.bottle.slug.clone()));
    compare(
        "manifest digest",
        text("/bottle/manifest_sha256"),
        p.manifest.as_ref().map(|m| m.sha256.clone()),
    );
    compare(
        "lock digest",
        text("/egress/lock/sha256"),
        p.lock.as_ref().map(|l| l.sha256.clone()),
    );
    compare(
        "agent image",
        text("/images/agent"),
        Some(p.images.agent.reference.clone()),
    );
    compare(
        "proxy image",
        text("/images/proxy"),
        Some(p.images.proxy.reference.clone()),
    );
    compare(
        "gate image",
        text("/gate/image"),
        p.images.gate.as_ref().map(|g| g.reference.clone()),
    );
    if disagree.is_empty() {
        report.ok(
            "plan",
            format!(
                "{} ({}) agrees with the record: manifest {}, lock {}, images",
                p.plan.file,
                p.plan.sha256,
                p.manifest
                    .as_ref()
                    .map_or("built-in", |m| m.sha256.as_str()),
                p.lock.as_ref().map_or("none", |l| l.sha256.as_str())
            ),
        );
    } else {
        report.fail("plan", disagree.join("; "));
    }
}

fn check_ca(report: &mut Report, dir: &Utf8Path, p: &Predicate) {
    match read_named(dir, &p.ca.certificate) {
        Err(why) => report.fail("ca", why),
        Ok(bytes) => match crate::ca::fingerprint_of_pem(&String::from_utf8_lossy(&bytes)) {
            Ok(fp) if fp == p.ca.fingerprint => {
                report.ok("ca", format!("the certificate's fingerprint is {fp}"));
            }
            Ok(fp) => report.fail(
                "ca",
                format!(
                    "the certificate's fingerprint is {fp}, the record says {}",
                    p.ca.fingerprint
                ),
            ),
            Err(e) => report.fail("ca", format!("{}: {e:#}", p.ca.certificate.file)),
        },
    }
}

fn check_flight(report: &mut Report, dir: &Utf8Path, p: &Predicate) {
    let fr = &p.flight_recorder;
    if fr.files.is_empty() {
        let status = if p.completion == Completion::Incomplete {
            Status::Note
        } else {
            Status::Fail
        };
        report.push(
            "flight recorder",
            status,
            "the record holds no flight record",
        );
        return;
    }
    let mut text = String::new();
    let mut unreadable = Vec::new();
    for file in &fr.files {
        match read_named(dir, file) {
            Ok(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
            Err(why) => {
                unreadable.push(why);
                text.push_str(&String::from_utf8_lossy(&read_anyway(dir, file)));
            }
        }
    }
    if unreadable.is_empty() {
        report.ok(
            "flight recorder files",
            format!("{} file(s), digests as signed", fr.files.len()),
        );
    } else {
        report.fail("flight recorder files", unreadable.join("; "));
    }
    // The chain is checked on what is there, digests aside: it names the entry that broke.
    let entries = match flight::parse(&text) {
        Ok(entries) => entries,
        Err(why) => return report.fail("flight recorder chain", why),
    };
    let mut problems = flight::chain_problems(&entries);
    let head = entries.last().map(|e| e.hash.clone());
    if entries.len() as u64 != fr.entries || head != fr.chain_head {
        problems.push(format!(
            "the record signed {} entries ending at {}, the file holds {} ending at {}: entries were added or removed",
            fr.entries,
            fr.chain_head.as_deref().unwrap_or("nothing"),
            entries.len(),
            head.as_deref().unwrap_or("nothing")
        ));
    }
    if problems.is_empty() {
        report.ok(
            "flight recorder chain",
            match &head {
                Some(head) => format!("{} entries, unbroken from genesis to {head}", entries.len()),
                None => "no entries: pipelock recorded nothing".to_owned(),
            },
        );
    } else {
        report.fail("flight recorder chain", problems.join("; "));
    }
    check_checkpoints(report, &entries, p);
}

fn check_checkpoints(report: &mut Report, entries: &[flight::Entry], p: &Predicate) {
    let fr = &p.flight_recorder;
    let key = match super::key::parse_public(&fr.public_key) {
        Ok(key) => key,
        Err(e) => {
            return report.fail(
                "flight recorder checkpoints",
                format!("the recorder key {:?}: {e:#}", fr.public_key),
            )
        }
    };
    let found = match flight::checkpoints(entries) {
        Ok(found) => found,
        Err(why) => return report.fail("flight recorder checkpoints", why),
    };
    let mut problems = flight::checkpoint_problems(&found, &key);
    if found != fr.checkpoints {
        problems.push(format!(
            "the record signed {} checkpoint(s), the file holds {} others",
            fr.checkpoints.len(),
            found.len()
        ));
    }
    // A pipelock that recorded nothing had nothing to sign.
    if found.is_empty() && !entries.is_empty() && p.completion == Completion::Stopped {
        problems.push("no checkpoint: pipelock signed nothing before it stopped".to_owned());
    }
    if problems.is_empty() {
        let tail = entries
            .iter()
            .rev()
            .take_while(|e| e.kind != "checkpoint")
            .count();
        report.ok(
            "flight recorder checkpoints",
            format!(
                "{} checkpoint(s) signed by the bottle's recorder key {}{}",
                found.len(),
                super::key::key_id(&key),
                if tail > 0 {
                    format!(" ({tail} entries after the last one)")
                } else {
                    String::new()
                }
            ),
        );
    } else {
        report.fail("flight recorder checkpoints", problems.join("; "));
    }
}

fn check_gate(report: &mut Report, dir: &Utf8Path, statement: &Statement) {
    let Some(gate) = &statement.predicate.gate else {
        if statement.subject.is_empty() {
            return;
        }
        return report.fail(
            "git gate",
            "the record names commits but holds no git gate log",
        );
    };
    let Some(file) = &gate.log else {
        let status = if statement.predicate.completion == Completion::Incomplete {
            Status::Note
        } else {
            Status::Fail
        };
        return report.push("git gate", status, "the record holds no push log");
    };
    let bytes = match read_named(dir, file) {
        Ok(bytes) => bytes,
        Err(why) => {
            report.fail("git gate log", why);
            // Named anyway: which subject disagrees with what the log now says.
            read_anyway(dir, file)
        }
    };
    let log = match pushes::parse(&String::from_utf8_lossy(&bytes)) {
        Ok(log) => log,
        Err(why) => return report.fail("git gate subjects", why),
    };
    let from_log = super::seal::subjects_of(&log);
    let mut problems = Vec::new();
    for (i, subject) in statement.subject.iter().enumerate() {
        match from_log.get(i) {
            Some(l) if l == subject => {}
            Some(l) => problems.push(format!(
                "the record names commit {} for {}, the gate's log {} for {}",
                subject.git_commit().unwrap_or("?"),
                subject.name,
                l.git_commit().unwrap_or("?"),
                l.name
            )),
            None => problems.push(format!(
                "the record names commit {} for {}, which the gate's log does not hold",
                subject.git_commit().unwrap_or("?"),
                subject.name
            )),
        }
    }
    for l in from_log.iter().skip(statement.subject.len()) {
        problems.push(format!(
            "the gate's log holds commit {} for {}, which the record does not name",
            l.git_commit().unwrap_or("?"),
            l.name
        ));
    }
    let pushed = log.iter().filter(|p| p.accepted()).count() as u64;
    let refused = log.len() as u64 - pushed;
    if (pushed, refused) != (gate.pushed, gate.refused) {
        problems.push(format!(
            "the record counts {} pushed and {} refused, the log {pushed} and {refused}",
            gate.pushed, gate.refused
        ));
    }
    if problems.is_empty() {
        report.ok(
            "git gate subjects",
            format!(
                "{} commit(s) pushed, {refused} push(es) refused, as the gate logged them",
                statement.subject.len()
            ),
        );
    } else {
        report.fail("git gate subjects", problems.join("; "));
    }
}

fn check_repo(report: &mut Report, repo: &Utf8Path, statement: &Statement) {
    // git runs in `/` (see [`git`]), so a relative `repo` is made absolute first, against the
    // directory verify runs in, where the user meant it; the report names it as given.
    let at = std::path::absolute(repo)
        .ok()
        .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
        .unwrap_or_else(|| repo.to_owned());
    let mut problems = Vec::new();
    for subject in &statement.subject {
        let commit = subject.git_commit().unwrap_or_default();
        match refs_containing(&at, commit) {
            Err(why) => problems.push(why),
            Ok(refs) => {
                if !ref_matches(&subject.name, &refs) {
                    problems.push(format!(
                        "commit {commit} is in {repo}, but not under {} (it is under: {})",
                        subject.name,
                        if refs.is_empty() {
                            "no ref".to_owned()
                        } else {
                            refs.join(", ")
                        }
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        report.ok(
            "repository",
            format!(
                "each of the {} commit(s) is in {repo} under its ref",
                statement.subject.len()
            ),
        );
    } else {
        report.fail("repository", problems.join("; "));
    }
}

/// Whether `reference` (as the gate pushed it: `refs/heads/X`) is among `refs`, as itself or
/// as a remote-tracking branch (`refs/remotes/R/X`) of a clone.
fn ref_matches(reference: &str, refs: &[String]) -> bool {
    let branch = reference.strip_prefix("refs/heads/");
    refs.iter().any(|r| {
        r == reference
            || branch.is_some_and(|b| {
                r.strip_prefix("refs/remotes/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(_, name)| name == b)
            })
    })
}

/// The refs of `repo` that contain `commit`; an error when the commit is not there.
fn refs_containing(repo: &Utf8Path, commit: &str) -> Result<Vec<String>, String> {
    if commit.len() < 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{commit:?} is not a commit id"));
    }
    let exists = git(repo, &["cat-file", "-e", &format!("{commit}^{{commit}}")])
        .map_err(|e| format!("{e:#}"))?;
    if !exists.status.success() {
        return Err(format!("commit {commit} is not in {repo}"));
    }
    let out = git(
        repo,
        &["for-each-ref", "--format=%(refname)", "--contains", commit],
    )
    .map_err(|e| format!("{e:#}"))?;
    if !out.status.success() {
        return Err(format!(
            "git for-each-ref in {repo} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// The host's git on `repo`, run in `/` (never where the user is), with nothing that would run
/// a program the repository's config names.
fn git(repo: &Utf8Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new("git")
        .current_dir("/")
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.fsmonitor=false"])
        .args(args)
        .output()
        .with_context(|| format!("running git in {repo}"))
}

#[cfg(test)]
mod tests;
