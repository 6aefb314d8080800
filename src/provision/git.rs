//! Step `git`: the agent's `~/.gitconfig` (identity, and the workspace marked safe because it
//! belongs to a host uid git would otherwise call dubious).

use std::fmt::Write as _;

use backends::Tarball;

use super::{Ctx, Step};

pub struct Git;

impl Step for Git {
    fn name(&self) -> &'static str {
        "git"
    }

    fn add_files(&self, ctx: &Ctx, tar: &mut Tarball) -> anyhow::Result<()> {
        let Some(text) = gitconfig(ctx) else {
            return Ok(());
        };
        tar.file(
            &ctx.home_path(".gitconfig"),
            text.as_bytes(),
            0o644,
            ctx.agent_owner,
        )?;
        Ok(())
    }
}

fn gitconfig(ctx: &Ctx) -> Option<String> {
    let git = &ctx.manifest.git;
    if git.user_name.is_none() && git.user_email.is_none() && git.upstreams.is_empty() {
        return None;
    }
    let mut text = String::from("# Written by bot-bottle.\n");
    if git.user_name.is_some() || git.user_email.is_some() {
        text.push_str("[user]\n");
        if let Some(name) = &git.user_name {
            let _ = writeln!(text, "\tname = {}", quote(name.as_str()));
        }
        if let Some(email) = &git.user_email {
            let _ = writeln!(text, "\temail = {}", quote(email.as_str()));
        }
    }
    let _ = write!(
        text,
        "[safe]\n\tdirectory = {}\n",
        quote(&ctx.plan.agent.workdir)
    );
    Some(text)
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
