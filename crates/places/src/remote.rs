//! [`Remote`]: one remote provider (`google`, `google-new` or `overpass`) behind
//! crates/upstream, and the classification of every failure into a legacy status.
//!
//! Each provider has its own [`Upstream`]: its endpoint (and, for Overpass, mirrors) as
//! redundant providers tried fastest healthy first, a circuit breaker that skips an API
//! that keeps failing, retries of transient failures only, all within
//! [`crate::PlacesConfig::timeout`]. Its token bucket is taken once per lookup and again
//! for every retry (the upstream's retry gate), so retries cannot get around the rate
//! limit.
//!
//! No text from the HTTP stack reaches an answer: upstream's errors name the provider by
//! `scheme://host:port` only, and the legacy Google API carries the key in the query.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use upstream::{Request, Upstream, UpstreamConfig, UpstreamError};

use crate::limit::RateLimit;
use crate::{Error, NearbyResponse, ProviderKind};

/// Largest answer read from a provider. Overpass answers are capped at 200 elements by
/// the query (tens of KiB); Google's at 20 results.
const MAX_BODY_BYTES: usize = 4 << 20;

/// One remote provider.
pub(crate) struct Remote {
    kind: ProviderKind,
    upstream: Upstream,
    limit: Arc<RateLimit>,
    timeout: Duration,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("kind", &self.kind)
            .field("upstream", &self.upstream)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// A provider at `urls` (already checked), rate-limited to `rate` per second with
    /// bursts of `burst`.
    ///
    /// # Errors
    /// [`Error::Http`] when the HTTP client cannot be set up.
    pub(crate) fn new(
        kind: ProviderKind,
        urls: &[String],
        timeout: Duration,
        rate: f64,
        burst: u32,
    ) -> Result<Remote, Error> {
        let cfg = UpstreamConfig {
            max_body_bytes: MAX_BODY_BYTES,
            connect_timeout: timeout.min(UpstreamConfig::default().connect_timeout),
            user_agent: concat!("herd-places/", env!("CARGO_PKG_VERSION")).to_string(),
            ..UpstreamConfig::default()
        };
        let limit = Arc::new(RateLimit::new(rate, burst));
        let gate = limit.clone();
        let upstream = Upstream::new(urls, cfg)?.with_retry_gate(Arc::new(move || gate.try_take()));
        Ok(Remote {
            kind,
            upstream,
            limit,
            timeout,
        })
    }

    /// Send `req` and parse a JSON body, mapping every failure to a legacy-style status:
    /// the local rate limit and HTTP 429 → `OVER_QUERY_LIMIT`, 401/403 →
    /// `REQUEST_DENIED`, 400 → `INVALID_REQUEST`, anything else (5xx, timeout, connection
    /// error, breaker open, too large, bad JSON) → `UNKNOWN_ERROR`.
    pub(crate) async fn json(&self, req: &Request) -> Result<Value, NearbyResponse> {
        let name = self.kind.name();
        let fail =
            |status: &str, msg: String| NearbyResponse::failure(status, format!("{name}: {msg}"));
        if !self.limit.try_take() {
            return Err(fail(
                "OVER_QUERY_LIMIT",
                format!("local rate limit of {}/s reached", self.limit.rate()),
            ));
        }
        let deadline = Instant::now() + self.timeout;
        let resp = match self.upstream.fetch(req, deadline).await {
            Ok(r) => r,
            // A failing status that retries could not get past: classified below.
            Err(UpstreamError::Status { response, .. }) => *response,
            Err(UpstreamError::Timeout { .. }) => {
                return Err(fail(
                    "UNKNOWN_ERROR",
                    format!("no answer within {:?}", self.timeout),
                ))
            }
            Err(UpstreamError::Unavailable) => {
                return Err(fail(
                    "UNKNOWN_ERROR",
                    "failing repeatedly; not asked again for a few seconds".to_string(),
                ))
            }
            // Connect, TooLarge, Invalid: their text names the origin only.
            Err(e) => return Err(fail("UNKNOWN_ERROR", e.to_string())),
        };
        if !(200..300).contains(&resp.status) {
            let status = match resp.status {
                429 => "OVER_QUERY_LIMIT",
                401 | 403 => "REQUEST_DENIED",
                400 => "INVALID_REQUEST",
                _ => "UNKNOWN_ERROR",
            };
            let body = &resp.body[..resp.body.len().min(200)];
            let snippet = String::from_utf8_lossy(body);
            return Err(fail(status, format!("HTTP {}: {snippet}", resp.status)));
        }
        serde_json::from_slice(&resp.body)
            .map_err(|e| fail("UNKNOWN_ERROR", format!("bad JSON: {e}")))
    }

    /// The configured timeout, for providers that tell the server their own.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The Google API key, or the failure to answer with (nothing is sent without one).
pub(crate) fn require_key<'k>(
    provider: &str,
    key: Option<&'k str>,
) -> Result<&'k str, NearbyResponse> {
    key.ok_or_else(|| {
        NearbyResponse::failure(
            "REQUEST_DENIED",
            format!("{provider}: no API key (set GOOGLE_PLACES_API_KEY)"),
        )
    })
}
