//! Running git for the gate: the mirrors, their refresh from the upstream and the push to it.
//! Credentials come from files (an SSH identity, a token read by a credential helper), so no
//! secret is ever on a command line.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use bot_bottle_gate::config::{
    Transport, Upstream, REPO_ROOT, SSH_IDENTITY_PATH, SSH_KNOWN_HOSTS_PATH,
};

/// The mirror of `upstream`.
pub fn mirror(upstream: &Upstream) -> PathBuf {
    repo_root().join(format!("{}.git", upstream.name))
}

/// Where the mirrors are: [`REPO_ROOT`], or `BOT_BOTTLE_GATE_REPOS` (for tests on a host).
pub fn repo_root() -> PathBuf {
    std::env::var_os("BOT_BOTTLE_GATE_REPOS")
        .map_or_else(|| PathBuf::from(REPO_ROOT), PathBuf::from)
}

/// The remote every mirror names its upstream by.
pub const REMOTE: &str = "upstream";

/// The egress filter every connection to an upstream goes through (`ADDRESS:PORT`), when the
/// gate's config names one: set once, at start, by [`route_through`].
static EGRESS: OnceLock<Option<Egress>> = OnceLock::new();

/// The egress filter, and the gate's own binary, which is SSH's `ProxyCommand` to it.
struct Egress {
    proxy: String,
    me: String,
}

/// Sends every connection git makes to an upstream through the egress filter at `proxy` (the
/// config's `egress_proxy`): HTTPS as libcurl's `http.proxy`, SSH with `bot-bottle-gate
/// connect` as its `ProxyCommand`. The gate has no other way out (see [`crate::egress`]).
pub fn route_through(proxy: Option<&str>) -> Result<(), String> {
    let egress = match proxy {
        None => None,
        Some(proxy) => Some(Egress {
            proxy: proxy.to_owned(),
            me: std::env::current_exe()
                .map_err(|e| format!("finding the gate's own binary: {e}"))?
                .to_string_lossy()
                .into_owned(),
        }),
    };
    let _ = EGRESS.set(egress);
    Ok(())
}

/// `git ARGS` with the gate's environment: SSH with the identity and strict host keys, through
/// the egress filter when there is one, no prompt ever.
pub fn command(args: &[&str]) -> Command {
    let mut ssh = format!(
        "ssh -i {SSH_IDENTITY_PATH} -o IdentitiesOnly=yes -o UserKnownHostsFile={SSH_KNOWN_HOSTS_PATH} \
         -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=20"
    );
    let mut cmd = Command::new("git");
    if let Some(Some(egress)) = EGRESS.get() {
        // The filter's address and the binary's path are the gate's own: no quote in them.
        let _ = write!(
            ssh,
            " -o 'ProxyCommand={} connect {} %h %p'",
            egress.me, egress.proxy
        );
        cmd.env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.proxy")
            .env("GIT_CONFIG_VALUE_0", format!("http://{}", egress.proxy));
    }
    cmd.args(args)
        .env("GIT_SSH_COMMAND", ssh)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    cmd
}

/// Runs git in `dir`; an error carries its stderr.
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> Result<Output, String> {
    let out = command(&["-C", &dir.to_string_lossy()])
        .args(args)
        .output()
        .map_err(|e| format!("running git {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Creates the mirror of `upstream`: a bare repository whose remote is the upstream, which
/// `git http-backend` may receive pushes into, with the gate as its `pre-receive` hook.
pub fn init_mirror(upstream: &Upstream, gate_binary: &str) -> Result<(), String> {
    let dir = mirror(upstream);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    run_in(&dir, &["init", "--quiet", "--bare"])?;
    run_in(&dir, &["remote", "add", REMOTE, &upstream.url])?;
    for (key, value) in [
        ("http.receivepack", "true"),
        // The policy decides about deletions and non-fast-forwards; git's own checks would
        // refuse them before the hook could say why.
        ("receive.denyDeletes", "false"),
        ("receive.denyNonFastForwards", "false"),
        ("uploadpack.allowFilter", "true"),
        ("core.logAllRefUpdates", "false"),
        ("gc.auto", "0"),
    ] {
        run_in(&dir, &["config", key, value])?;
    }
    if upstream.transport == Transport::Https {
        if let Some(token) = &upstream.token_file {
            // The helper reads the token from its file when git asks; it is on no command line.
            let helper = format!(
                "!f() {{ test \"$1\" = get || exit 0; echo username=x-access-token; printf 'password=%s\\n' \"$(cat '{token}')\"; }}; f"
            );
            run_in(&dir, &["config", "credential.helper", &helper])?;
        }
    }
    // Until the upstream names its default branch, the mirror's HEAD names none: git's init
    // default could differ from the upstream's, and the push hook would then guard the wrong
    // branch.
    run_in(&dir, &["symbolic-ref", "HEAD", NO_DEFAULT_BRANCH])?;
    let hook = dir.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nexec {gate_binary} pre-receive\n"),
    )
    .map_err(|e| format!("writing {}: {e}", hook.display()))?;
    set_mode(&hook, 0o755)
}

fn set_mode(path: &std::path::Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", path.display()))
}

/// What the mirror's `HEAD` names while the upstream names no default branch (before the first
/// refresh, or an upstream that is empty or whose `HEAD` is detached): no branch, so the push
/// hook knows it does not know which branch to guard.
pub const NO_DEFAULT_BRANCH: &str = "refs/bot-bottle/no-default-branch";

/// Brings the mirror up to date with the upstream: its branches and tags (pruned), and its
/// `HEAD` naming the upstream's default branch as the upstream reports it now, or
/// [`NO_DEFAULT_BRANCH`].
pub fn refresh(upstream: &Upstream) -> Result<(), String> {
    let dir = mirror(upstream);
    run_in(
        &dir,
        &[
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            REMOTE,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ],
    )?;
    let out = run_in(&dir, &["ls-remote", "--symref", REMOTE, "HEAD"])?;
    let text = String::from_utf8_lossy(&out.stdout);
    let target = text
        .lines()
        .find_map(|l| l.strip_prefix("ref: "))
        .and_then(|l| l.split('\t').next())
        .filter(|r| r.starts_with("refs/heads/"))
        .unwrap_or(NO_DEFAULT_BRANCH);
    run_in(&dir, &["symbolic-ref", "HEAD", target])?;
    Ok(())
}

/// One pkt-line of git's protocol.
pub fn pkt_line(text: &str) -> String {
    format!("{:04x}{text}", text.len() + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkt_lines_carry_their_length() {
        assert_eq!(pkt_line("ERR x\n"), "000aERR x\n");
    }
}
