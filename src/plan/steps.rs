//! The provisioning steps of a plan, in run order (ca → prompt → skills → ssh → git): what each
//! copies from the host and does in the agent, or why it is skipped. The host files are checked
//! here, before anything is created.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};

use super::build::{only_files_and_dirs, resolve_existing, FieldError, Kind};
use super::{ProvisionStep, StepAction};
use crate::defaults;
use crate::manifest::Manifest;

/// Every step; manifest paths resolve against `base`, in-agent paths under `home`.
pub fn plan(
    manifest: &Manifest,
    base: &Utf8Path,
    home: &str,
) -> Result<Vec<ProvisionStep>, FieldError> {
    Ok(vec![
        ca(),
        prompt(manifest, base, home)?,
        skills(manifest, base, home)?,
        ssh(manifest, base, home)?,
        git(manifest, home),
    ])
}

impl ProvisionStep {
    fn run(step: &'static str, detail: String, sources: Vec<Utf8PathBuf>) -> Self {
        ProvisionStep {
            step,
            action: StepAction::Run,
            detail,
            sources,
        }
    }

    fn skip(step: &'static str, why: &str) -> Self {
        ProvisionStep {
            step,
            action: StepAction::Skip,
            detail: why.to_owned(),
            sources: vec![],
        }
    }
}

fn ca() -> ProvisionStep {
    let detail = format!(
        "copy the bottle CA's public cert to {} and append it to {}",
        defaults::AGENT_CA_CERT_PATH,
        defaults::AGENT_CA_BUNDLE_PATH
    );
    ProvisionStep::run("ca", detail, vec![])
}

fn prompt(manifest: &Manifest, base: &Utf8Path, home: &str) -> Result<ProvisionStep, FieldError> {
    let Some(path) = &manifest.prompt else {
        return Ok(ProvisionStep::skip("prompt", "no prompt in the manifest"));
    };
    let source = resolve_existing(base, path, Kind::File).map_err(|m| ("prompt", m))?;
    Ok(ProvisionStep::run(
        "prompt",
        format!("copy the prompt to {home}/.claude/CLAUDE.md"),
        vec![source],
    ))
}

fn skills(manifest: &Manifest, base: &Utf8Path, home: &str) -> Result<ProvisionStep, FieldError> {
    if manifest.skills.is_empty() {
        return Ok(ProvisionStep::skip("skills", "no skills in the manifest"));
    }
    let mut sources = Vec::new();
    let mut names = BTreeSet::new();
    for path in &manifest.skills {
        let dir = resolve_existing(base, path, Kind::Dir).map_err(|m| ("skills", m))?;
        only_files_and_dirs(&dir).map_err(|m| ("skills", m))?;
        let name = dir.file_name().unwrap_or_default().to_owned();
        if !names.insert(name.clone()) {
            return Err(("skills", format!("two skill directories are named {name:?}; each lands in {home}/.claude/skills/<name>")));
        }
        sources.push(dir);
    }
    let count = sources.len();
    let noun = if count == 1 {
        "directory"
    } else {
        "directories"
    };
    Ok(ProvisionStep::run(
        "skills",
        format!("copy {count} skill {noun} to {home}/.claude/skills/"),
        sources,
    ))
}

fn ssh(manifest: &Manifest, base: &Utf8Path, home: &str) -> Result<ProvisionStep, FieldError> {
    let mut sources = Vec::new();
    let mut parts = Vec::new();
    if let Some(path) = &manifest.ssh.identity {
        sources.push(resolve_existing(base, path, Kind::File).map_err(|m| ("ssh.identity", m))?);
        parts.push(format!("identity to {home}/.ssh/id_bottle (0600)"));
    }
    if let Some(path) = &manifest.ssh.known_hosts {
        sources.push(resolve_existing(base, path, Kind::File).map_err(|m| ("ssh.known_hosts", m))?);
        parts.push(format!("known_hosts to {home}/.ssh/known_hosts"));
    }
    if parts.is_empty() {
        return Ok(ProvisionStep::skip(
            "ssh",
            "no [ssh] section in the manifest",
        ));
    }
    Ok(ProvisionStep::run(
        "ssh",
        format!("copy {}", parts.join(" and ")),
        sources,
    ))
}

fn git(manifest: &Manifest, home: &str) -> ProvisionStep {
    let git = &manifest.git;
    let has_identity = git.user_name.is_some() || git.user_email.is_some();
    if !has_identity && git.upstreams.is_empty() {
        return ProvisionStep::skip("git", "no [git] section in the manifest");
    }
    let identity = if has_identity {
        "user.name/user.email, "
    } else {
        ""
    };
    let mut detail = format!(
        "write {home}/.gitconfig ({identity}safe.directory {})",
        defaults::AGENT_WORKDIR
    );
    if !git.upstreams.is_empty() {
        let names: Vec<_> = git.upstreams.iter().map(|u| u.name.as_str()).collect();
        detail.push_str("; upstreams for the git gate, not pipelock: ");
        detail.push_str(&names.join(", "));
    }
    ProvisionStep::run("git", detail, vec![])
}
