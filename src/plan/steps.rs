//! The provisioning steps of a plan, in run order (ca → prompt → skills → ssh → git): each says
//! what it does, or why it is skipped, and lists every file and directory it puts in the agent.
//! The launch copies exactly these files in ([`crate::provision::tarball`]); nothing else
//! describes them. The host files are checked here, before anything is created.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};

use super::gate::{rewrite_prefix, GatePlan};
use super::hostpaths::HostPaths;
use super::{
    AgentFile, Destination, FieldError, FileContent, FileOwner, HostSource, ProvisionStep,
    StepAction,
};
use crate::defaults;
use crate::hostfile;
use crate::manifest::Manifest;

/// Every step; manifest paths resolve through `host`, in-agent paths under `home`.
pub fn plan(
    manifest: &Manifest,
    host: &HostPaths<'_>,
    home: &str,
    workdir: &str,
    gate: Option<&GatePlan>,
) -> Result<Vec<ProvisionStep>, FieldError> {
    // In run order, so that the plan lists the host files in that order too.
    let prompt = prompt(manifest, host, home)?;
    let skills = skills(manifest, host, home)?;
    let ssh = match gate {
        // The identity is the gate's: it never enters the agent.
        Some(gate) if manifest.ssh.identity.is_some() || manifest.ssh.known_hosts.is_some() => {
            ProvisionStep::skip(
                "ssh",
                &format!(
                    "ssh.identity and ssh.known_hosts go to the git gate {}, never into the agent",
                    gate.container
                ),
            )
        }
        _ => ssh(manifest, host, home)?,
    };
    let mut steps = vec![ca()];
    // Only the kinds that have settings files get the step: a Claude Code bottle's plan is
    // as it was.
    steps.extend(settings(manifest.agent.kind.0));
    steps.extend([prompt, skills, ssh, git(manifest, home, workdir, gate)]);
    Ok(steps)
}

impl ProvisionStep {
    fn run(step: &'static str, detail: String, files: Files) -> Self {
        ProvisionStep {
            step,
            action: StepAction::Run,
            detail,
            sources: files.sources(),
            files: files.0,
        }
    }

    fn skip(step: &'static str, why: &str) -> Self {
        ProvisionStep {
            step,
            action: StepAction::Skip,
            detail: why.to_owned(),
            sources: vec![],
            files: vec![],
        }
    }
}

/// The files of one step, built up in the order they land.
struct Files(Vec<AgentFile>);

impl Files {
    fn new() -> Self {
        Files(Vec::new())
    }

    fn add(&mut self, path: String, mode: u32, owner: FileOwner, content: FileContent) {
        self.0.push(AgentFile {
            path,
            mode,
            owner,
            content,
        });
    }

    /// `home/rel` and each missing directory between, owned by the agent user.
    fn home_dirs(&mut self, home: &str, rel: &str, mode: u32) {
        self.dirs(home, rel, mode, FileOwner::Agent);
    }

    /// `base/rel` and each directory between (`base` itself not), owned by `owner`.
    fn dirs(&mut self, base: &str, rel: &str, mode: u32, owner: FileOwner) {
        let mut path = base.to_owned();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            let _ = write!(path, "/{part}");
            self.add(path.clone(), mode, owner, FileContent::Directory);
        }
    }

    /// A host file at `home/rel`, owned by the agent user.
    fn home_file(&mut self, home: &str, rel: &str, mode: u32, source: HostSource) {
        self.add(
            format!("{home}/{rel}"),
            mode,
            FileOwner::Agent,
            FileContent::HostFile(source),
        );
    }

    /// The host files and directories the files come from, each once, in order.
    fn sources(&self) -> Vec<Utf8PathBuf> {
        let mut seen = BTreeSet::new();
        self.0
            .iter()
            .filter_map(|f| match &f.content {
                FileContent::HostFile(source) => Some(source.path.clone()),
                _ => None,
            })
            .filter(|path| seen.insert(path.clone()))
            .collect()
    }
}

fn ca() -> ProvisionStep {
    let mut files = Files::new();
    files.add(
        defaults::AGENT_CA_CERT_PATH.to_owned(),
        0o644,
        FileOwner::Root,
        FileContent::BottleCaCert,
    );
    let detail = format!(
        "copy the bottle CA's public cert to {}; the launch's last step appends it to {}",
        defaults::AGENT_CA_CERT_PATH,
        defaults::AGENT_CA_BUNDLE_PATH
    );
    ProvisionStep::run("ca", detail, files)
}

/// The kind's system-wide settings files, root's: written at each launch, outside the state
/// volume.
fn settings(kind: &crate::agents::AgentKind) -> Option<ProvisionStep> {
    if kind.settings.is_empty() {
        return None;
    }
    let mut files = Files::new();
    let mut said = Vec::new();
    for file in kind.settings {
        let parent = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        files.dirs("", parent, 0o755, FileOwner::Root);
        files.add(
            file.path.to_owned(),
            0o644,
            FileOwner::Root,
            FileContent::Text(file.content.to_owned()),
        );
        said.push(format!("{} ({})", file.path, file.why));
    }
    Some(ProvisionStep::run(
        SETTINGS_STEP,
        format!("write {}", said.join("; ")),
        files,
    ))
}

/// The name of the step that writes a kind's system-wide settings files (outside the agent's
/// home, so an exported pod, which lays out files only in the home, goes without them).
pub const SETTINGS_STEP: &str = "settings";

fn prompt(
    manifest: &Manifest,
    host: &HostPaths<'_>,
    home: &str,
) -> Result<ProvisionStep, FieldError> {
    let Some(path) = &manifest.prompt else {
        return Ok(ProvisionStep::skip("prompt", "no prompt in the manifest"));
    };
    let source = host
        .file("prompt", path, hostfile::PROMPT, Destination::Agent)
        .map_err(|m| ("prompt", m))?;
    let kind = manifest.agent.kind.0;
    let file = format!("{}/{}", kind.state_dir, kind.instructions_file);
    let detail = format!("copy the prompt {source} to {home}/{file}");
    let mut files = Files::new();
    files.home_dirs(home, kind.state_dir, 0o755);
    files.home_file(home, &file, 0o644, source);
    Ok(ProvisionStep::run("prompt", detail, files))
}

fn skills(
    manifest: &Manifest,
    host: &HostPaths<'_>,
    home: &str,
) -> Result<ProvisionStep, FieldError> {
    if manifest.skills.is_empty() {
        return Ok(ProvisionStep::skip("skills", "no skills in the manifest"));
    }
    let kind = manifest.agent.kind.0;
    let Some(skills_dir) = kind.skills_dir else {
        return Err((
            "skills",
            format!("the agent kind {kind} ({}) reads no skills; remove skills or pick another agent.kind", kind.title),
        ));
    };
    let skills_dir = format!("{}/{skills_dir}", kind.state_dir);
    let mut files = Files::new();
    files.home_dirs(home, &skills_dir, 0o755);
    let mut names = BTreeSet::new();
    let mut dirs = Vec::new();
    for (i, path) in manifest.skills.iter().enumerate() {
        let dir = host
            .dir(&format!("skills[{i}]"), path, Destination::Agent)
            .map_err(|m| ("skills", m))?;
        let name = dir.file_name().unwrap_or_default().to_owned();
        if !names.insert(name.clone()) {
            return Err(("skills", format!("two skill directories are named {name:?}; each lands in {home}/{skills_dir}/<name>")));
        }
        add_tree(&mut files, &dir, &format!("{home}/{skills_dir}/{name}"))
            .map_err(|m| ("skills", m))?;
        dirs.push(dir.to_string());
    }
    let count = names.len();
    let noun = if count == 1 {
        "directory"
    } else {
        "directories"
    };
    Ok(ProvisionStep::run(
        "skills",
        format!(
            "copy {count} skill {noun} ({}) to {home}/{skills_dir}/",
            dirs.join(", ")
        ),
        files,
    ))
}

/// The host directory `dir` at `target`: its regular files (0755 when executable on the host,
/// else 0644) and directories, sorted. A symlink could carry a host file the user never meant
/// to share, and a device or socket makes no sense in a skill: either is an error.
fn add_tree(files: &mut Files, dir: &Utf8Path, target: &str) -> Result<(), String> {
    files.add(
        target.to_owned(),
        0o755,
        FileOwner::Agent,
        FileContent::Directory,
    );
    let mut entries = dir
        .read_dir_utf8()
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("reading {dir}: {e}"))?;
    entries.sort_by(|a, b| a.file_name().cmp(b.file_name()));
    for entry in entries {
        let path = entry.path();
        let child = format!("{target}/{}", entry.file_name());
        let meta = entry
            .metadata()
            .map_err(|e| format!("reading {path}: {e}"))?;
        let kind = entry
            .file_type()
            .map_err(|e| format!("reading {path}: {e}"))?;
        if kind.is_dir() {
            add_tree(files, path, &child)?;
        } else if kind.is_file() {
            if meta.len() > hostfile::SKILL_FILE.max {
                return Err(format!(
                    "{path} is {} bytes, over the {} bot-bottle copies of a skill's file",
                    meta.len(),
                    hostfile::size(hostfile::SKILL_FILE.max)
                ));
            }
            let executable =
                std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
            let mode = if executable { 0o755 } else { 0o644 };
            files.add(
                child,
                mode,
                FileOwner::Agent,
                FileContent::HostFile(HostSource {
                    path: path.to_owned(),
                    cap: hostfile::SKILL_FILE,
                }),
            );
        } else {
            return Err(format!("{path} is a symlink or special file; skills may hold only regular files and directories"));
        }
    }
    Ok(())
}

/// The identity's name in the agent; `~/.ssh/config` points ssh at it.
const SSH_IDENTITY: &str = ".ssh/id_bottle";

fn ssh(manifest: &Manifest, host: &HostPaths<'_>, home: &str) -> Result<ProvisionStep, FieldError> {
    let ssh = &manifest.ssh;
    if ssh.identity.is_none() && ssh.known_hosts.is_none() {
        return Ok(ProvisionStep::skip(
            "ssh",
            "no [ssh] section in the manifest",
        ));
    }
    let mut files = Files::new();
    let mut parts = Vec::new();
    files.home_dirs(home, ".ssh", 0o700);
    if let Some(path) = &ssh.identity {
        let source = host
            .file(
                "ssh.identity",
                path,
                hostfile::SSH_IDENTITY,
                Destination::Agent,
            )
            .map_err(|m| ("ssh.identity", m))?;
        parts.push(format!("identity {source} to {home}/{SSH_IDENTITY} (0600)"));
        files.home_file(home, SSH_IDENTITY, 0o600, source);
        files.add(
            format!("{home}/.ssh/config"),
            0o600,
            FileOwner::Agent,
            FileContent::Text(format!("Host *\n    IdentityFile ~/{SSH_IDENTITY}\n")),
        );
    }
    if let Some(path) = &ssh.known_hosts {
        let source = host
            .file(
                "ssh.known_hosts",
                path,
                hostfile::KNOWN_HOSTS,
                Destination::Agent,
            )
            .map_err(|m| ("ssh.known_hosts", m))?;
        parts.push(format!("known_hosts {source} to {home}/.ssh/known_hosts"));
        files.home_file(home, ".ssh/known_hosts", 0o644, source);
    }
    Ok(ProvisionStep::run(
        "ssh",
        format!("copy {}", parts.join(" and ")),
        files,
    ))
}

fn git(manifest: &Manifest, home: &str, workdir: &str, gate: Option<&GatePlan>) -> ProvisionStep {
    let git = &manifest.git;
    let has_identity = git.user_name.is_some() || git.user_email.is_some();
    if !has_identity && git.upstreams.is_empty() {
        return ProvisionStep::skip("git", "no [git] section in the manifest");
    }
    let mut text = String::from("# Written by bot-bottle.\n");
    if has_identity {
        text.push_str("[user]\n");
        if let Some(name) = &git.user_name {
            let _ = writeln!(text, "\tname = {}", quote(name.as_str()));
        }
        if let Some(email) = &git.user_email {
            let _ = writeln!(text, "\temail = {}", quote(email.as_str()));
        }
    }
    // The workspace belongs to a host uid, which git would otherwise call dubious.
    let _ = write!(text, "[safe]\n\tdirectory = {}\n", quote(workdir));
    // Each upstream's own URL, with or without `.git`, leads to the gate instead.
    for upstream in gate.map(|g| g.upstreams.as_slice()).unwrap_or_default() {
        let _ = write!(
            text,
            "[url {}]\n\tinsteadOf = {}\n",
            quote(&upstream.via),
            quote(rewrite_prefix(&upstream.url))
        );
    }
    let mut files = Files::new();
    files.add(
        format!("{home}/.gitconfig"),
        0o644,
        FileOwner::Agent,
        FileContent::Text(text),
    );
    let identity = if has_identity {
        "user.name/user.email, "
    } else {
        ""
    };
    let mut detail = format!(
        "write {home}/.gitconfig ({identity}safe.directory {})",
        defaults::AGENT_WORKDIR
    );
    if let Some(gate) = gate {
        let names: Vec<_> = gate.upstreams.iter().map(|u| u.name.as_str()).collect();
        let _ = write!(
            detail,
            "; url.<gate>.insteadOf for {}: their URLs lead to the git gate at {}",
            names.join(", "),
            gate.url
        );
    }
    ProvisionStep::run("git", detail, files)
}

/// A git-config value in double quotes, with `"` and `\` escaped (control characters were
/// refused when the manifest was read).
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting_keeps_values_on_one_line_and_literal() {
        assert_eq!(quote(r#"A "B" \C"#), r#""A \"B\" \\C""#);
    }
}
