//! Loading the herd file for `herd node` and `herd up`: embedded default or `--config`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use herd_node::HerdFile;

/// Flags `herd node` and `herd up` share: which herd file, and where the logs go.
#[derive(Debug, clap::Args)]
pub(crate) struct HerdArgs {
    /// Herd file (TOML); default: the embedded herd.toml (Goloman, Hands, Holiday, Welsh, Wilkes).
    #[arg(long, short)]
    pub(crate) config: Option<PathBuf>,
    /// Directory for the JSON-lines logs, <log-dir>/<name>.log.
    #[arg(long, default_value = "logs")]
    log_dir: PathBuf,
    /// Write no log files.
    #[arg(long)]
    no_log: bool,
}

impl HerdArgs {
    /// Where logs go, or `None` with `--no-log`.
    pub(crate) fn log_dir(&self) -> Option<PathBuf> {
        (!self.no_log).then(|| self.log_dir.clone())
    }
}

/// The herd file at `path`, or the embedded default.
pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<HerdFile> {
    match path {
        None => Ok(HerdFile::embedded()?),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read herd config {}", p.display()))?;
            HerdFile::parse(&text).with_context(|| format!("in {}", p.display()))
        }
    }
}

/// The herd secret, warning when it is the config-derived default.
pub(crate) fn secret(file: &HerdFile) -> Vec<u8> {
    let (secret, defaulted) = file.secret(std::env::var("HERD_SECRET").ok());
    if defaulted {
        tracing::warn!(
            "no herd secret set: peers use a digest of the config; set HERD_SECRET or [herd] secret \
             so that only your servers can join"
        );
    }
    secret
}

/// The Places providers the file asks for.
pub(crate) fn places(file: &HerdFile) -> anyhow::Result<places::Places> {
    places::Places::new(file.places.clone()).context("cannot set up the [places] providers")
}
