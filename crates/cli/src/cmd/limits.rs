//! The connection-limit and timeout flags every server command shares, over
//! `netkit::Limits` (the same names as the `[limits]` table of a config file).

use std::time::Duration;

use netkit::Limits;

/// Limits and timeouts; each flag overrides the config file's value.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct LimitArgs {
    /// Most connections served at once (more wait in the accept queue).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Close a connection that sends no byte for this long: 60s, 5m.
    #[arg(long, value_name = "DUR", value_parser = netkit::duration::parse)]
    idle_timeout: Option<Duration>,
    /// Time allowed for the first line or request head: 10s.
    #[arg(long, value_name = "DUR", value_parser = netkit::duration::parse)]
    header_timeout: Option<Duration>,
    /// Close a connection whose writes make no progress for this long: 10s.
    #[arg(long, value_name = "DUR", value_parser = netkit::duration::parse)]
    write_timeout: Option<Duration>,
    /// On Ctrl-C or SIGTERM, how long connections may take to finish: 5s.
    #[arg(long, value_name = "DUR", value_parser = netkit::duration::parse)]
    grace: Option<Duration>,
}

impl LimitArgs {
    /// `base` with every flag given applied, checked.
    pub(crate) fn apply(&self, mut base: Limits) -> anyhow::Result<Limits> {
        if let Some(v) = self.max_connections {
            base.max_connections = v;
        }
        if let Some(v) = self.idle_timeout {
            base.idle_timeout = v;
        }
        if let Some(v) = self.header_timeout {
            base.header_timeout = v;
        }
        if let Some(v) = self.write_timeout {
            base.write_timeout = v;
        }
        if let Some(v) = self.grace {
            base.grace = v;
        }
        base.validate()?;
        Ok(base)
    }
}
