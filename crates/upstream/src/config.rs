//! [`UpstreamConfig`]: limits, retry and circuit-breaker settings of an [`crate::Upstream`].

use std::time::Duration;

/// How an [`crate::Upstream`] fetches. Every field has a default; see each for its unit.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamConfig {
    /// Largest response body accepted, in bytes; a larger one fails with
    /// [`crate::ErrorKind::TooLarge`] and is not read further. Default 8 MiB.
    pub max_body_bytes: usize,
    /// Largest total size of the response headers (names and values), in bytes.
    /// Default 64 KiB.
    pub max_header_bytes: usize,
    /// Attempts per fetch, across all providers (the first try included). A transient
    /// failure moves on to the next provider; with one provider it retries that one after a
    /// short backoff. Default 3.
    pub max_attempts: usize,
    /// First backoff before trying a provider a second time; doubles per round. Default 50 ms.
    pub backoff: Duration,
    /// Longest `Retry-After` (from a 429 or 503) honoured before retrying; a longer one ends
    /// the fetch with the answer in hand. Default 2 s.
    pub max_retry_after: Duration,
    /// Consecutive failures that open a provider's circuit breaker. Default 5.
    pub breaker_failures: u32,
    /// How long an open breaker skips its provider before one probe is let through
    /// (half-open). Default 10 s.
    pub breaker_open_for: Duration,
    /// Weight of the newest sample in each provider's latency moving average (0..=1).
    /// Default 0.3.
    pub latency_alpha: f64,
    /// Time allowed to establish a TCP (and TLS) connection, within the caller's deadline.
    /// Default 3 s.
    pub connect_timeout: Duration,
    /// `User-Agent` sent upstream.
    pub user_agent: String,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        UpstreamConfig {
            max_body_bytes: 8 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            max_attempts: 3,
            backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(2),
            breaker_failures: 5,
            breaker_open_for: Duration::from_secs(10),
            latency_alpha: 0.3,
            connect_timeout: Duration::from_secs(3),
            user_agent: concat!("herd/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

impl UpstreamConfig {
    /// Settings for tests: short backoff and breaker periods so a test does not wait long.
    pub fn for_test() -> Self {
        UpstreamConfig {
            backoff: Duration::from_millis(10),
            breaker_failures: 3,
            breaker_open_for: Duration::from_millis(300),
            connect_timeout: Duration::from_secs(1),
            ..UpstreamConfig::default()
        }
    }
}
