//! Places near a point, for the herd's WHATSAT, from one or more providers.
//!
//! Every provider answers in Google's legacy Nearby Search shape ([`NearbyResponse`]),
//! nearest first. Providers are tried in the configured order: a failure (HTTP error,
//! quota, timeout, bad JSON) falls through to the next, `ZERO_RESULTS` is an answer. If all
//! fail, the last failure is returned as a value, never an error and never a hang (each
//! remote provider gets at most [`PlacesConfig::timeout`]).
//!
//! Remote providers fetch through crates/upstream (deadline, retries of transient
//! failures only, failover across Overpass mirrors, circuit breaker) under a per-provider
//! token bucket, and their answers are cached briefly in crates/cache's memory tier by
//! (provider, rounded location, radius, bound); failures are not cached. The API key
//! never appears in an answer, a log line or an error: upstream's errors carry no URL
//! path or query, and whatever a provider echoes is redacted.
//!
//! # Layout
//! - [`config`]: [`PlacesConfig`] (the `[places]` table) and [`ProviderKind`].
//! - `places`: [`Places`], the provider chain.
//! - `cached`: remote answers in the memory tier, by key.
//! - [`response`]: [`NearbyResponse`] and great-circle distance.
//! - [`offline`]: the bundled GeoNames gazetteer with an R*-tree.
//! - `google`, `google_new`, `overpass`: remote providers' requests and conversions;
//!   `remote`: a provider behind crates/upstream, and failures as legacy statuses.
//! - `limit`: the per-provider token bucket.
//!
//! # Example
//! ```
//! # async fn demo() -> Result<(), places::Error> {
//! let places = places::Places::new(places::PlacesConfig::default())?;
//! let answer = places.nearby(34.0689, -118.4452, 10.0, 5).await;
//! assert_eq!(answer.status, "OK");
//! assert!(answer.results[0]["place_id"].as_str().unwrap().starts_with("geonames:"));
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod cached;
pub mod config;
mod google;
mod google_new;
mod limit;
pub mod offline;
mod overpass;
mod places;
mod remote;
pub mod response;

pub use config::{PlacesConfig, ProviderKind};
pub use offline::{Gazetteer, ATTRIBUTION};
pub use places::Places;
pub use response::NearbyResponse;

/// Why a [`Places`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client for remote providers could not be set up.
    #[error("cannot set up the HTTP client for remote places providers: {0}")]
    Http(#[from] upstream::client::ConfigError),
    /// The configuration names no provider.
    #[error(
        "[places] providers is empty; name at least one of offline, google, google-new, overpass"
    )]
    NoProviders,
    /// A configured remote provider's endpoint is not an http(s) URL without a query.
    #[error("[places] {key} = {url:?}: {reason}; give an http(s) URL such as https://host/path")]
    BadUrl {
        /// The config key, e.g. `google_base_url`.
        key: &'static str,
        /// The value given, up to any `?` or `#` (a query could hold a key).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Remote providers are configured with a zero timeout, which would fail every request.
    #[error("[places] timeout_ms must be above 0 when a remote provider is configured")]
    ZeroTimeout,
    /// The embedded gazetteer is damaged (a build mistake; rerun scripts/gazetteer/build.py).
    #[error("embedded gazetteer, line {line}: {reason}")]
    Gazetteer {
        /// 1-based line of the decompressed TSV, 0 if it did not decompress.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One query, as the providers see it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Query {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) radius_km: f64,
    pub(crate) limit: usize,
}

impl Query {
    /// Radius in whole metres, as the remote APIs take it, clamped to their 50 km maximum.
    pub(crate) fn radius_m(&self) -> u32 {
        // NaN clamps to NaN and casts to 0.
        (self.radius_km.clamp(0.0, 50.0) * 1000.0).round() as u32
    }
}
