//! `login` and `logout`: the user's credential of an agent kind, kept on the host for the key
//! holder, never in a bottle. For codex and gemini it is an API key on standard input; the rest
//! of this is Claude Code's.
//!
//! A credential arrives one of four ways, none of which puts it on a command line, in a
//! manifest or in a workspace: an API key or a long-lived token (`claude setup-token`'s) on
//! standard input; Claude Code's own `.credentials.json` from a file the user names; or Claude
//! Code's own login flow (`claude auth login`), run in a throwaway container of the agent image
//! with a fresh volume of its own, whose result is read out and the container and volume
//! removed: no bottle, agent or workspace is there to see it.

use std::io::Read as _;

use anyhow::Context as _;
use bot_bottle_gate::keys::{Credential, OAuthCredential, Secret};
use camino::{Utf8Path, Utf8PathBuf};
use engine::{ContainerSpec, Engine, ExecSpec, Mount, VolumeSpec};
use serde::Serialize;

use super::Ask;
use crate::agents::AgentKind;
use crate::exit::UsageError;
use crate::login::{claude, Kind, LoginName, Store, Summary};

/// Version of the `login --json` document.
pub const JSON_SCHEMA: &str = "bot-bottle.login/v1";

/// The most read of standard input or a named file: a credential is a few hundred bytes.
const MAX_INPUT: u64 = 64 * 1024;

/// Where the credential comes from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// An API key on standard input.
    ApiKeyOnStdin,
    /// A long-lived OAuth token (what `claude setup-token` prints) on standard input.
    TokenOnStdin,
    /// Claude Code's `.credentials.json` at this path.
    ClaudeCredentials(&'a Utf8Path),
    /// `claude auth login` in a throwaway container of `image`.
    ClaudeLoginFlow {
        engine: &'a dyn Engine,
        image: &'a str,
    },
}

/// What a login did (`login --json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub schema: &'static str,
    pub name: LoginName,
    /// The agent kind the login is for.
    pub agent: &'static str,
    pub path: Utf8PathBuf,
    pub kind: Kind,
    /// Whether an earlier login of the name was replaced.
    pub replaced: bool,
}

/// Takes a credential from `source` and keeps it as login `name`; an existing login is
/// replaced only with `replace`, or when the user says so at the terminal.
pub fn login(
    store: &Store,
    agent: &'static AgentKind,
    name: &LoginName,
    source: Source<'_>,
    replace: bool,
    ask: &mut dyn Ask,
) -> anyhow::Result<Outcome> {
    // Only Claude Code's login takes a subscription or its own login flow; the other kinds take
    // an API key (their account logins may come later).
    if !std::ptr::eq(agent, crate::agents::DEFAULT) && !matches!(source, Source::ApiKeyOnStdin) {
        return Err(UsageError(format!(
            "login --kind {agent} takes {}",
            agent.credential.logins
        ))
        .into());
    }
    let exists = store.summary(name).ok().flatten().is_some();
    let replace = if exists && !replace {
        if !ask.can_ask() || matches!(source, Source::ApiKeyOnStdin | Source::TokenOnStdin) {
            return Err(UsageError(format!(
                "login {name} exists ({}); `--replace` replaces it, `bot-bottle logout {name}` removes it",
                store.path(name)
            ))
            .into());
        }
        if !ask.confirm("", &format!("Replace login {name}? [y/N] "))? {
            return Err(UsageError(format!("login {name} kept as it was")).into());
        }
        true
    } else {
        replace
    };
    let credential = match source {
        Source::ApiKeyOnStdin => Credential::ApiKey(one_line_from_stdin("an API key")?),
        Source::TokenOnStdin => Credential::OAuth(OAuthCredential {
            access_token: one_line_from_stdin("a token")?,
            refresh_token: None,
            expires_at: None,
            scopes: vec!["user:inference".to_owned()],
            subscription_type: None,
        }),
        Source::ClaudeCredentials(path) => {
            let bytes = zeroize::Zeroizing::new(
                crate::hostfile::read_following(path, CREDENTIALS_INPUT)
                    .map_err(|e| UsageError(format!("{path}: {e}")))?,
            );
            claude::parse(&bytes).map_err(|e| UsageError(format!("{path}: {e}")))?
        }
        Source::ClaudeLoginFlow { engine, image } => claude_login_flow(engine, image, ask)?,
    };
    let path = store.write_for(agent, name, &credential, replace)?;
    Ok(Outcome {
        schema: JSON_SCHEMA,
        name: name.clone(),
        agent: agent.name,
        path,
        kind: Kind::of(&credential),
        replaced: exists,
    })
}

/// What `login --from-claude-credentials` reads at most.
const CREDENTIALS_INPUT: crate::hostfile::Cap = crate::hostfile::Cap {
    what: "Claude Code's credentials file",
    max: MAX_INPUT,
};

/// One line of standard input, trimmed: `what`, which must be there and hold no space.
fn one_line_from_stdin(what: &str) -> anyhow::Result<Secret> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(UsageError(format!("standard input holds more than {what}")).into());
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| UsageError(format!("standard input is not UTF-8 text; give {what}")))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(UsageError(format!("standard input is empty; give {what}")).into());
    }
    if value.chars().any(char::is_whitespace) {
        return Err(UsageError(format!(
            "standard input holds more than one word; give {what} alone"
        ))
        .into());
    }
    Ok(Secret::new(value))
}

/// Removes login `name`: whether there was one.
pub fn logout(store: &Store, name: &LoginName) -> anyhow::Result<bool> {
    store.remove(name)
}

/// Every stored login, described without its secret.
pub fn list(store: &Store) -> anyhow::Result<Vec<Summary>> {
    store.list()
}

/// Where Claude Code keeps its state in the login container, and the volume's mount point.
const LOGIN_STATE_DIR: &str = "/home/node/.claude";

/// `claude auth login`, interactive, in a throwaway container of `image` with a fresh volume
/// as Claude Code's config directory; the login file it writes there is read out, and the
/// container and volume are removed whatever happens. The container is on the engine's default
/// network, not in a bottle: it is the user logging in, and it runs nothing else.
fn claude_login_flow(
    engine: &dyn Engine,
    image: &str,
    ask: &mut dyn Ask,
) -> anyhow::Result<Credential> {
    if !ask.can_ask() {
        return Err(UsageError(
            "Claude Code's login flow needs a terminal; without one, give an API key with --api-key-stdin, a `claude setup-token` token with --token-stdin, or a credentials file with --from-claude-credentials"
                .to_owned(),
        )
        .into());
    }
    let id = crate::usecase::inputs::new_launch_id()?;
    let name = format!("bot-bottle-login-{}", &id[..12]);
    let _cleanup = Cleanup {
        engine,
        name: &name,
    };
    engine
        .create_volume(&VolumeSpec {
            name: name.clone(),
            labels: [(LOGIN_LABEL.to_owned(), "1".to_owned())].into(),
        })
        .context("creating the login's volume")?;
    let spec = ContainerSpec {
        labels: [(LOGIN_LABEL.to_owned(), "1".to_owned())].into(),
        mounts: vec![Mount::Volume {
            name: name.clone(),
            target: LOGIN_STATE_DIR.into(),
            read_only: false,
        }],
        env: vec![engine::EnvVar::new(
            crate::defaults::CLAUDE_CONFIG_ENV,
            LOGIN_STATE_DIR,
        )],
        user: Some(crate::defaults::AGENT_USER.to_owned()),
        entrypoint: Some(vec!["sleep".to_owned()]),
        cmd: vec!["infinity".to_owned()],
        ..ContainerSpec::new(&name, image)
    };
    engine
        .create_container(&spec)
        .with_context(|| format!("creating the login container from {image}"))?;
    engine.start_container(&name)?;
    // The volume is root's when the engine makes it: the agent user's from here.
    let own = ExecSpec {
        user: Some("0".to_owned()),
        ..ExecSpec::new(["chown", "node:node", LOGIN_STATE_DIR])
    };
    let out = engine.exec(&name, &own)?;
    anyhow::ensure!(
        out.status == 0,
        "preparing the login volume: {}",
        out.stderr.trim()
    );
    ask.tell("running Claude Code's own login (`claude auth login`) in a throwaway container; follow its instructions");
    let flow = ExecSpec {
        tty: true,
        interactive: true,
        user: Some(crate::defaults::AGENT_USER.to_owned()),
        ..ExecSpec::new(["claude", "auth", "login"])
    };
    let status = engine.exec_interactive(&name, &flow)?;
    if status != 0 {
        anyhow::bail!("Claude Code's login exited with status {status}; nothing was kept");
    }
    let bytes = zeroize::Zeroizing::new(
        engine
            .read_file(
                &name,
                &format!("{LOGIN_STATE_DIR}/{}", claude::CREDENTIALS_FILE),
                MAX_INPUT,
            )
            .context("reading the login Claude Code wrote")?,
    );
    claude::parse(&bytes).map_err(|e| anyhow::anyhow!("the login Claude Code wrote: {e}"))
}

/// The label on the login flow's container and volume (what `gc` could find of a login cut
/// short).
pub const LOGIN_LABEL: &str = "io.bot-bottle.login";

/// Removes the login flow's container and volume when dropped.
struct Cleanup<'a> {
    engine: &'a dyn Engine,
    name: &'a str,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.engine.remove_container(self.name) {
            eprintln!(
                "bot-bottle: removing the login container {}: {e:#}",
                self.name
            );
        }
        if let Err(e) = self.engine.remove_volume(self.name) {
            eprintln!("bot-bottle: removing the login volume {}: {e:#}", self.name);
        }
    }
}
