//! [`RelayConfig`]: everything `herd relay` is started with.

use std::time::Duration;

use cache::{PolicyConfig, TieredConfig};
use upstream::UpstreamConfig;

/// The public menu API the relay fronts by default.
pub const DEFAULT_UPSTREAM: &str = "https://menu.dckube.scilifelab.se/api";

/// The relay's settings. Every field has a default; see each for its unit.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Redundant upstream base URLs (`--upstream`, repeatable). Default
    /// [`DEFAULT_UPSTREAM`].
    pub upstreams: Vec<String>,
    /// How upstream fetches are made (limits, retries, breakers).
    pub upstream: UpstreamConfig,
    /// Longest a client waits for the upstream before a 504 (`--upstream-timeout`).
    /// Default 10 s.
    pub upstream_timeout: Duration,
    /// Which cache tiers, and their budgets.
    pub cache: TieredConfig,
    /// Freshness rules (`--default-ttl` and the stale windows).
    pub policy: PolicyConfig,
    /// Connection limits and timeouts (netkit).
    pub limits: netkit::Limits,
    /// Hits an entry needs before it is refreshed ahead of expiry. Default 2.
    pub refresh_ahead_hits: u32,
    /// One access-log line per request (method, path, status, X-Cache, duration) at info
    /// level, target `herd::access`. Default on.
    pub access_log: bool,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            upstreams: vec![DEFAULT_UPSTREAM.to_string()],
            upstream: UpstreamConfig::default(),
            upstream_timeout: Duration::from_secs(10),
            cache: TieredConfig::default(),
            policy: PolicyConfig::default(),
            limits: netkit::Limits::default(),
            refresh_ahead_hits: 2,
            access_log: true,
        }
    }
}

impl RelayConfig {
    /// Settings for tests: the given upstreams, test-speed breakers, a 2 s upstream
    /// timeout, a 1 s grace period, no access log.
    pub fn for_test(upstreams: Vec<String>) -> Self {
        RelayConfig {
            upstreams,
            upstream: UpstreamConfig::for_test(),
            upstream_timeout: Duration::from_secs(2),
            limits: netkit::Limits::for_test(),
            access_log: false,
            ..RelayConfig::default()
        }
    }

    /// Check values that would make the relay unusable.
    ///
    /// # Errors
    /// A message naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        self.limits.validate().map_err(|e| e.to_string())?;
        if self.upstream_timeout.is_zero() {
            return Err("--upstream-timeout must be above zero".into());
        }
        if self.cache.memory_bytes == 0 {
            return Err("--memory must be above zero".into());
        }
        Ok(())
    }
}
