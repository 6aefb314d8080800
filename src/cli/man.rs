//! `bot-bottle man`: manual pages generated from the CLI definition (none is committed).

use std::io::Write as _;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Args, CommandFactory as _};

/// Print the manual page, or write one per command into DIR (as contrib/release/dist.sh does).
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write bot-bottle.1 and one page per subcommand (bot-bottle-start.1, …) into DIR.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<Utf8PathBuf>,
}

impl ManArgs {
    pub fn run(&self) -> anyhow::Result<()> {
        let cmd = super::Cli::command();
        if let Some(dir) = &self.dir {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
            return clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing manual pages into {dir}"));
        }
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .context("rendering the manual page")?;
        std::io::stdout()
            .write_all(&page)
            .context("writing the manual page")
    }
}
