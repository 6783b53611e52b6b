//! Loading the herd file for `herd node` and `herd up`: embedded default or `--config`.

use std::path::Path;

use anyhow::Context;
use herd_node::HerdFile;

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
