//! Step `prompt`: the manifest's prompt file becomes the agent's `~/.claude/CLAUDE.md`.

use anyhow::Context as _;
use backends::Tarball;

use super::{home_dirs, Ctx, Step};

pub struct Prompt;

impl Step for Prompt {
    fn name(&self) -> &'static str {
        "prompt"
    }

    fn add_files(&self, ctx: &Ctx, tar: &mut Tarball) -> anyhow::Result<()> {
        let Some(rel) = &ctx.manifest.prompt else {
            return Ok(());
        };
        let path = ctx.host_path(rel);
        let text = std::fs::read(&path).with_context(|| format!("reading the prompt {path}"))?;
        home_dirs(ctx, tar, ".claude", 0o755)?;
        tar.file(
            &ctx.home_path(".claude/CLAUDE.md"),
            &text,
            0o644,
            ctx.agent_owner,
        )?;
        Ok(())
    }
}
