//! Step `skills`: each skill directory is copied to `~/.claude/skills/<dir name>/`.
//! Only regular files and directories are copied; the plan already refused symlinks, which
//! could otherwise carry host files the user never meant to share.

use anyhow::{bail, Context as _};
use backends::Tarball;
use camino::Utf8Path;

use super::{home_dirs, Ctx, Step};

pub struct Skills;

impl Step for Skills {
    fn name(&self) -> &'static str {
        "skills"
    }

    fn add_files(&self, ctx: &Ctx, tar: &mut Tarball) -> anyhow::Result<()> {
        if ctx.manifest.skills.is_empty() {
            return Ok(());
        }
        home_dirs(ctx, tar, ".claude/skills", 0o755)?;
        for rel in &ctx.manifest.skills {
            let dir = ctx.host_path(rel);
            let name = dir
                .file_name()
                .with_context(|| format!("skill directory {dir} has no name"))?;
            add_tree(ctx, tar, &dir, &format!(".claude/skills/{name}"))?;
        }
        Ok(())
    }
}

fn add_tree(ctx: &Ctx, tar: &mut Tarball, dir: &Utf8Path, rel: &str) -> anyhow::Result<()> {
    tar.dir(&ctx.home_path(rel), 0o755, ctx.agent_owner)?;
    let mut entries = dir
        .read_dir_utf8()
        .with_context(|| format!("reading skill directory {dir}"))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading skill directory {dir}"))?;
    entries.sort_by(|a, b| a.file_name().cmp(b.file_name()));
    for entry in entries {
        let path = entry.path();
        let child = format!("{rel}/{}", entry.file_name());
        let kind = entry
            .file_type()
            .with_context(|| format!("reading {path}"))?;
        if kind.is_dir() {
            add_tree(ctx, tar, path, &child)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
            let executable =
                std::os::unix::fs::PermissionsExt::mode(&entry.metadata()?.permissions()) & 0o111
                    != 0;
            tar.file(
                &ctx.home_path(&child),
                &bytes,
                if executable { 0o755 } else { 0o644 },
                ctx.agent_owner,
            )?;
        } else {
            bail!("{path} is not a regular file or directory; skills may hold only those");
        }
    }
    Ok(())
}
