//! `bot-bottle login [NAME] [--kind KIND]` and `bot-bottle logout [NAME]`: the credential of an
//! agent kind (Claude Code's Anthropic credential, an `OpenAI` or a Gemini API key) that a
//! bottle's key holder puts on the agent's requests, kept on the host.

use std::io::Write as _;

use camino::Utf8PathBuf;
use clap::Args;
use serde::Serialize;

use super::{Global, Terminal};
use crate::login::{LoginName, Store};
use crate::usecase::login::{self, Source};

/// Keep a credential on this host for bottles' key holders (never in a bottle): Claude Code's
/// Anthropic credential, or an OpenAI (`--kind codex`) or Gemini (`--kind gemini`) API key.
///
/// Without a flag, runs Claude Code's own login (`claude auth login`) in a throwaway container
/// of the agent image, and keeps the subscription login it makes. The login is kept in
/// `$XDG_STATE_HOME/bot-bottle/logins/NAME.json` (mode 0600, directory 0700); a bottle uses
/// the login its manifest names in `agent.login`, else `default`.
// Each source is a flag of its own, as the CLI says them; clap keeps them exclusive. The help
// spells product names as they are written.
#[allow(clippy::struct_excessive_bools, clippy::doc_markdown)]
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  bot-bottle login                                  # Claude Code's own login, as `default`\n  printf '%s' \"$KEY\" | bot-bottle login --api-key-stdin work\n  printf '%s' \"$OPENAI_API_KEY\" | bot-bottle login openai --kind codex --api-key-stdin\n  printf '%s' \"$GEMINI_API_KEY\" | bot-bottle login gemini --kind gemini --api-key-stdin\n  claude setup-token  # then: bot-bottle login --token-stdin < token.txt\n  bot-bottle login --from-claude-credentials ~/.claude/.credentials.json\n  bot-bottle login --list"
)]
pub struct LoginArgs {
    /// The login's name: lower-case letters, digits, '-', '_' or '.'.
    #[arg(value_name = "NAME", default_value = crate::login::DEFAULT_NAME)]
    pub name: String,

    /// The agent kind the login is for: claude-code (the default), codex (an OpenAI API key)
    /// or gemini (a Gemini API key). codex and gemini take --api-key-stdin only.
    #[arg(
        long,
        value_name = "KIND",
        default_value = "claude-code",
        conflicts_with = "list"
    )]
    pub kind: String,

    /// Read an API key (of the kind's provider) from standard input.
    #[arg(long, group = "source")]
    pub api_key_stdin: bool,

    /// Read a long-lived OAuth token (what `claude setup-token` prints) from standard input.
    #[arg(long, group = "source")]
    pub token_stdin: bool,

    /// Take the subscription login in Claude Code's own credentials file.
    #[arg(long, value_name = "FILE", group = "source")]
    pub from_claude_credentials: Option<Utf8PathBuf>,

    /// The image Claude Code's login flow runs in (default: the agent image).
    #[arg(long, value_name = "IMAGE", conflicts_with_all = ["api_key_stdin", "token_stdin", "from_claude_credentials"])]
    pub image: Option<String>,

    /// Replace a login of that name.
    #[arg(long)]
    pub replace: bool,

    /// List the logins kept here (no secret is shown) and do nothing else.
    #[arg(long, conflicts_with_all = ["source", "replace", "image"])]
    pub list: bool,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Remove an Anthropic credential kept on this host.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The login's name.
    #[arg(value_name = "NAME", default_value = crate::login::DEFAULT_NAME)]
    pub name: String,
}

/// Version of the `login --list --json` document.
pub const LIST_JSON_SCHEMA: &str = "bot-bottle.logins/v1";

#[derive(Serialize)]
struct Listing {
    schema: &'static str,
    logins: Vec<crate::login::Summary>,
}

impl LoginArgs {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        let store = Store::of_user()?;
        let mut out = std::io::stdout().lock();
        if self.list {
            let logins = login::list(&store)?;
            if self.json {
                let listing = Listing {
                    schema: LIST_JSON_SCHEMA,
                    logins,
                };
                serde_json::to_writer_pretty(&mut out, &listing)?;
                writeln!(out)?;
            } else if logins.is_empty() {
                writeln!(
                    out,
                    "no logins in {}; `bot-bottle login` makes one",
                    store.dir()
                )?;
            } else {
                for l in &logins {
                    writeln!(
                        out,
                        "{:<16} {:<12} {:<28} {}",
                        l.name,
                        l.agent,
                        l.kind.describe(),
                        l.path
                    )?;
                }
            }
            return Ok(());
        }
        let name = LoginName::parse(&self.name)?;
        let agent = crate::agents::AgentKind::named(&self.kind)
            .map_err(|e| crate::exit::UsageError(format!("--kind: {e}")))?;
        if !std::ptr::eq(agent, crate::agents::DEFAULT) && !self.api_key_stdin {
            // Before an engine is looked for: no login flow runs for these kinds.
            return Err(crate::exit::UsageError(format!(
                "login --kind {agent} takes {}",
                agent.credential.logins
            ))
            .into());
        }
        let engine;
        let image;
        let source = if self.api_key_stdin {
            Source::ApiKeyOnStdin
        } else if self.token_stdin {
            Source::TokenOnStdin
        } else if let Some(path) = &self.from_claude_credentials {
            Source::ClaudeCredentials(path)
        } else {
            engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
            image = self
                .image
                .clone()
                .unwrap_or_else(|| crate::defaults::AGENT_IMAGE.to_owned());
            Source::ClaudeLoginFlow {
                engine: engine.as_ref(),
                image: &image,
            }
        };
        let outcome = login::login(
            &store,
            agent,
            &name,
            source,
            self.replace,
            &mut Terminal::new(),
        )?;
        if self.json {
            serde_json::to_writer_pretty(&mut out, &outcome)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "login {} {}: {} for {} in {} (mode 0600); bottles of that kind whose manifest names it (agent.login{}) hold it in their key holder, never in the agent",
                outcome.name,
                if outcome.replaced { "replaced" } else { "kept" },
                outcome.kind.describe(),
                outcome.agent,
                outcome.path,
                if outcome.name.as_str() == crate::login::DEFAULT_NAME {
                    ", or no login at all"
                } else {
                    ""
                }
            )?;
        }
        Ok(())
    }
}

impl LogoutArgs {
    pub fn run(&self) -> anyhow::Result<()> {
        let store = Store::of_user()?;
        let name = LoginName::parse(&self.name)?;
        let path = store.path(&name);
        if login::logout(&store, &name)? {
            println!("login {name} removed ({path}); running bottles keep the copy in their key holder until they stop");
            Ok(())
        } else {
            Err(crate::exit::UsageError(format!("no login {name} ({path})")).into())
        }
    }
}
