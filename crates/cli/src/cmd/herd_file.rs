//! Loading the herd file for `herd node` and `herd up`: embedded default or `--config`,
//! plus the flags both share.

use std::path::{Path, PathBuf};

use anyhow::Context;
use herd_node::{HerdFile, LogConfig, NodeConfig};

use super::limits::LimitArgs;

/// Flags `herd node` and `herd up` share: which herd file, where the logs go, limits.
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
    #[command(flatten)]
    limits: LimitArgs,
}

impl HerdArgs {
    /// Where logs go, or `None` with `--no-log`.
    pub(crate) fn log_dir(&self) -> Option<&Path> {
        (!self.no_log).then_some(self.log_dir.as_path())
    }

    /// The herd file at `--config`, or the embedded default, with the limit flags applied.
    pub(crate) fn load(&self) -> anyhow::Result<HerdFile> {
        let mut file = match &self.config {
            None => HerdFile::embedded()?,
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read herd config {}", p.display()))?;
                HerdFile::parse(&text).with_context(|| format!("in {}", p.display()))?
            }
        };
        file.limits = self.limits.apply(file.limits.clone())?;
        Ok(file)
    }

    /// The config of node `name`, with the secret, places and log settings.
    pub(crate) fn node_config(
        &self,
        file: &HerdFile,
        name: &str,
        secret: &[u8],
        places: &places::Places,
    ) -> anyhow::Result<NodeConfig> {
        let mut cfg = file.node_config(name, secret.to_vec(), places.clone())?;
        cfg.log = self.log_dir().map(LogConfig::new);
        Ok(cfg)
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

/// The Places providers the file asks for; the Google key comes from the file or
/// `GOOGLE_PLACES_API_KEY`.
pub(crate) fn places(file: &HerdFile) -> anyhow::Result<places::Places> {
    let mut cfg = file.places.clone();
    if cfg.api_key.is_none() {
        cfg.api_key = std::env::var("GOOGLE_PLACES_API_KEY")
            .ok()
            .filter(|k| !k.is_empty());
    }
    places::Places::new(cfg).context("cannot set up the [places] providers")
}
