//! `bot-bottle record …`: the user's record-signing key, the predicate's schema, and a
//! running bottle's record written now; `bot-bottle verify RECORD` checks one (see
//! [`crate::record`]).

use std::io::Write as _;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Args, Subcommand};

use super::Global;
use crate::bottle::{slugify, Bottle};
use crate::exit::{RecordVerdict, UsageError};
use crate::policy::audit;
use crate::record::verify::{self, Status, Verdict};
use crate::record::{self, collect, events, key, newest, statement};
use crate::userdirs;

/// The signed record of each bottle: its key, its schema, writing it now, where it is, and
/// what it holds.
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    Key(KeyArgs),
    Schema(SchemaArgs),
    Save(SaveArgs),
    Path(PathArgs),
    Events(EventsArgs),
}

impl RecordCommand {
    pub fn run(&self, global: &Global) -> anyhow::Result<()> {
        match self {
            RecordCommand::Key(args) => args.run(),
            RecordCommand::Schema(args) => args.run(),
            RecordCommand::Save(args) => args.run(global),
            RecordCommand::Path(args) => args.run(),
            RecordCommand::Events(args) => args.run(),
        }
    }
}

/// Print the public half of your record-signing key (SPKI PEM) and its key id, making the key
/// first if you have none (Ed25519, 0600, in bot-bottle's state directory). Pin it to verify
/// records elsewhere: `bot-bottle verify --key FILE RECORD`.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Print the key's path and id as JSON instead (`"schema": "bot-bottle.record-key/v1"`).
    #[arg(long)]
    pub json: bool,
}

impl KeyArgs {
    fn run(&self) -> anyhow::Result<()> {
        let state = userdirs::state_dir()?;
        let key = key::load_or_create(&state)?;
        let public = key.verifying_key();
        let mut out = std::io::stdout().lock();
        if self.json {
            let doc = serde_json::json!({
                "schema": "bot-bottle.record-key/v1",
                "key_id": key::key_id(&public),
                "public_key": key::public_hex(&public),
                "public_key_pem": key::public_pem(&public),
                "path": key::path_in(&state),
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", key::public_pem(&public))?;
            eprintln!(
                "bot-bottle: key id {} ({})",
                key::key_id(&public),
                key::path_in(&state)
            );
        }
        Ok(())
    }
}

/// Print the JSON Schema of the record's predicate (the in-toto predicate type
/// `https://github.com/bot-bottle/bot-bottle/record/v1`), or with --events that of the audit
/// events (`bot-bottle.logs/v1`), which `logs --json` and `record events --json` write.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The audit events' schema instead of the predicate's.
    #[arg(long)]
    pub events: bool,
}

impl SchemaArgs {
    fn run(&self) -> anyhow::Result<()> {
        let schema = if self.events {
            audit::schema()
        } else {
            statement::predicate_schema()
        };
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &schema)?;
        writeln!(out)?;
        Ok(())
    }
}

/// Print the events a record holds: pipelock's flight record and the git gate's pushes, in
/// time order, in the shape `logs` prints a running bottle's. It reads; `verify` checks.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The record: its `record.dsse.json`, or the directory holding it.
    #[arg(value_name = "RECORD")]
    pub record: Utf8PathBuf,

    /// One JSON object per event (`"schema": "bot-bottle.logs/v1"`, as `logs --json`), the
    /// recorded entry whole in its `event`.
    #[arg(long)]
    pub json: bool,
}

impl EventsArgs {
    fn run(&self) -> anyhow::Result<()> {
        let lines = events::read(&self.record)?;
        let color = !self.json && super::logs::use_color();
        let mut out = std::io::stdout().lock();
        for line in &lines {
            if self.json {
                serde_json::to_writer(&mut out, line).context("writing the events")?;
                writeln!(out).context("writing the events")?;
            } else {
                writeln!(out, "{}", line.render(color)).context("writing the events")?;
            }
        }
        Ok(())
    }
}

/// Write a running bottle's signed record now (what its sidecars recorded so far), and print
/// its path. `stop` writes the final one.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,
}

impl SaveArgs {
    fn run(&self, global: &Global) -> anyhow::Result<()> {
        let bottle = Bottle::named(&self.name)?;
        let Some(launch) = bottle.record() else {
            anyhow::bail!(
                "no bottle named {:?} is running here (`bot-bottle list` shows the bottles)",
                self.name
            );
        };
        let engine = engine::select_engine(global.engine.as_deref(), global.verbose)?;
        let state = userdirs::state_dir()?;
        let sealed = collect::seal_bottle(
            engine.as_ref(),
            &state,
            bottle.slug(),
            &launch.launch_id,
            collect::How::Running,
        )?
        .with_context(|| {
            format!(
                "the bottle {} was launched without a record (by an earlier bot-bottle?)",
                bottle.slug()
            )
        })?;
        println!("{}", sealed.envelope);
        Ok(())
    }
}

/// Print the directory of a bottle's newest record (the launch that started last, as the
/// records say), sealed or not: `R=$(bot-bottle record path NAME)`, then `bot-bottle verify $R`.
#[derive(Debug, Args)]
pub struct PathArgs {
    /// The bottle's name or slug.
    #[arg(value_name = "NAME")]
    pub name: String,
}

impl PathArgs {
    fn run(&self) -> anyhow::Result<()> {
        let slug = slugify(&self.name)?;
        let state = userdirs::state_dir()?;
        // No record is the name's fault, as an unreadable RECORD is for `verify` and `events`
        // (exit 2): a name never launched here, misspelt, or launched with another state
        // directory. Nothing failed that a retry would fix.
        let dir = newest::of_bottle(&state, &slug).ok_or_else(|| {
            UsageError(format!(
                "bottle {:?} has no record in {}; a launch begins one (a bottle launched by a bot-bottle before records has none)",
                self.name,
                record::root(&state).join(&slug)
            ))
        })?;
        println!("{dir}");
        Ok(())
    }
}

/// Check a bottle's signed record: the envelope's signature (your key, or --key), pipelock's
/// hash chain and signed checkpoints, that the digests agree with each other and, with --repo,
/// that each pushed commit is in that repository under its ref.
///
/// Exit 0 when every check holds; 4 when one does not (each is named); 5 when all hold but the
/// record is incomplete (its launch died and `gc` sealed what was left).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The record: its `record.dsse.json`, or the directory holding it.
    #[arg(value_name = "RECORD")]
    pub record: Utf8PathBuf,

    /// A repository (a clone of the upstream, or the upstream itself) in which each commit the
    /// record names must be, under its ref (or a remote-tracking branch of that name).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<Utf8PathBuf>,

    /// The public key the record must be signed with (SPKI PEM file, as `record key` prints
    /// it), instead of yours.
    #[arg(long, value_name = "PUB")]
    pub key: Option<Utf8PathBuf>,

    /// Print JSON on stdout (`"schema": "bot-bottle.verify/v1"`).
    #[arg(long)]
    pub json: bool,
}

impl VerifyArgs {
    /// The key the record must be signed with: `--key`, else the user's own.
    fn signer(&self) -> anyhow::Result<ed25519_dalek::VerifyingKey> {
        if let Some(path) = &self.key {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("--key {path}: {e}")))?;
            return Ok(
                key::parse_public(&text).map_err(|e| UsageError(format!("--key {path}: {e:#}")))?
            );
        }
        let state = userdirs::state_dir()?;
        let path = key::path_in(&state);
        let mine = key::read(&path)?.ok_or_else(|| {
            UsageError(format!(
                "you have no record key ({path}): name the signer's public key with --key FILE"
            ))
        })?;
        Ok(mine.verifying_key())
    }

    pub fn run(&self) -> anyhow::Result<()> {
        let key = self.signer()?;
        let repo = match &self.repo {
            Some(dir) if dir.is_dir() => Some(dir.clone()),
            Some(dir) => {
                return Err(UsageError(format!("--repo {dir}: not a directory")).into());
            }
            None => None,
        };
        let report = verify::verify(&self.record, &key, repo.as_deref())?;
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        } else {
            for check in &report.checks {
                let tag = match check.status {
                    Status::Ok => "ok  ",
                    Status::Fail => "FAIL",
                    Status::Note => "note",
                };
                writeln!(out, "{tag} {}: {}", check.name, check.detail)?;
            }
        }
        let record_path = &report.record;
        match report.verdict {
            Verdict::Valid => {
                if !self.json {
                    writeln!(out, "VALID: {record_path}")?;
                }
                Ok(())
            }
            Verdict::Incomplete => Err(RecordVerdict {
                incomplete: true,
                message: format!(
                    "{record_path}: INCOMPLETE: every check held, but its launch ended without `stop`: the record may miss what happened last"
                ),
            }
            .into()),
            Verdict::Invalid => Err(RecordVerdict {
                incomplete: false,
                message: format!(
                    "{record_path}: INVALID: {} check(s) failed: {}",
                    report.failures().count(),
                    report.failures().map(|c| c.name).collect::<Vec<_>>().join(", ")
                ),
            }
            .into()),
        }
    }
}
