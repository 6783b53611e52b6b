//! [`PlacesConfig`]: the `[places]` table of herd.toml, and [`ProviderKind`].
//!
//! Durations are written as whole numbers in the unit their key names, so a config file
//! reads `timeout_ms = 5000` and `cache_ttl_secs = 60`; in Rust they are [`Duration`]s.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

/// A Places provider, named in config files as `offline`, `google`, `google-new` or
/// `overpass`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// The bundled GeoNames gazetteer; no network.
    Offline,
    /// Google Places legacy Nearby Search (`GOOGLE_PLACES_API_KEY`).
    Google,
    /// Google Places API (New) `places:searchNearby`, converted to the legacy shape.
    GoogleNew,
    /// OpenStreetMap through an Overpass API server.
    Overpass,
}

impl ProviderKind {
    /// The name used in config files and messages.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Offline => "offline",
            ProviderKind::Google => "google",
            ProviderKind::GoogleNew => "google-new",
            ProviderKind::Overpass => "overpass",
        }
    }
}

/// Which providers to ask, in order, and how. Every field has a default, so `[places]`
/// may be omitted; unknown keys are rejected so a typo is not silently ignored. Its
/// `Debug` never shows the API key.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlacesConfig {
    /// Providers tried in order; the next is asked only when one fails. Default `["offline"]`.
    pub providers: Vec<ProviderKind>,
    /// Legacy Nearby Search endpoint (tests point it at a local fake). Default Google's.
    pub google_base_url: String,
    /// Places API (New) searchNearby endpoint. Default Google's.
    pub google_new_base_url: String,
    /// Overpass API interpreter endpoint. Default `https://overpass-api.de/api/interpreter`.
    pub overpass_url: String,
    /// More Overpass API servers with the same data (public instances, your own). With
    /// `overpass_url` they are redundant providers: the fastest healthy one is asked
    /// first and a transient failure (refused, timeout, 429 with `Retry-After`,
    /// 502/503/504) fails over to the next within the timeout. Default none.
    pub overpass_mirrors: Vec<String>,
    /// Google API key. The library never reads the environment: the binary fills it from
    /// `GOOGLE_PLACES_API_KEY` when the file has none.
    pub api_key: Option<String>,
    /// Time limit for asking one remote provider, retries and failover included. Key
    /// `timeout_ms` (milliseconds); default 5 s. Must be above zero.
    #[serde(rename = "timeout_ms", deserialize_with = "millis")]
    pub timeout: Duration,
    /// How long a remote provider's answer is reused for the same rounded place, radius
    /// and bound. Key `cache_ttl_secs` (seconds); default 60 s; zero disables the cache.
    #[serde(rename = "cache_ttl_secs", deserialize_with = "secs")]
    pub cache_ttl: Duration,
    /// Memory for cached answers, in bytes (each counted by its JSON size plus about
    /// 200 bytes of bookkeeping); past it the least useful answers are evicted (TinyLFU).
    /// Default 16 MiB.
    pub cache_bytes: u64,
    /// Requests per second each remote provider may be sent, whatever clients ask (the
    /// cache is keyed by radius and bound, so varying them would otherwise spend the API
    /// quota). Past it the provider counts as failed (`OVER_QUERY_LIMIT`) and the next one
    /// is asked. Default 10.
    pub rate_per_sec: f64,
    /// Requests a remote provider may be sent at once after a quiet spell. Default 20.
    pub rate_burst: u32,
}

impl std::fmt::Debug for PlacesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlacesConfig")
            .field("providers", &self.providers)
            .field("google_base_url", &self.google_base_url)
            .field("google_new_base_url", &self.google_new_base_url)
            .field("overpass_url", &self.overpass_url)
            .field("overpass_mirrors", &self.overpass_mirrors)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_bytes", &self.cache_bytes)
            .field("rate_per_sec", &self.rate_per_sec)
            .field("rate_burst", &self.rate_burst)
            .finish()
    }
}

impl Default for PlacesConfig {
    fn default() -> Self {
        PlacesConfig {
            providers: vec![ProviderKind::Offline],
            google_base_url: "https://maps.googleapis.com/maps/api/place/nearbysearch/json".into(),
            google_new_base_url: "https://places.googleapis.com/v1/places:searchNearby".into(),
            overpass_url: "https://overpass-api.de/api/interpreter".into(),
            overpass_mirrors: Vec::new(),
            api_key: None,
            timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(60),
            cache_bytes: 16 << 20,
            rate_per_sec: 10.0,
            rate_burst: 20,
        }
    }
}

impl PlacesConfig {
    /// A config for tests: these providers, every endpoint at `url`, key `test-key`, a
    /// 300 ms timeout, no cache (1 MiB when a test turns it on) and a rate limit too high
    /// to matter.
    pub fn for_test(providers: Vec<ProviderKind>, url: &str) -> Self {
        PlacesConfig {
            providers,
            google_base_url: url.to_string(),
            google_new_base_url: url.to_string(),
            overpass_url: url.to_string(),
            overpass_mirrors: Vec::new(),
            api_key: Some("test-key".into()),
            timeout: Duration::from_millis(300),
            cache_ttl: Duration::ZERO,
            cache_bytes: 1 << 20,
            rate_per_sec: 1000.0,
            rate_burst: 1000,
        }
    }
}

fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

fn secs<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys and defaults as herd.toml writes them.
    #[test]
    fn from_json_with_defaults() {
        let c: PlacesConfig = serde_json::from_str(
            r#"{"providers": ["google-new", "offline"], "timeout_ms": 250, "cache_ttl_secs": 0}"#,
        )
        .unwrap();
        assert_eq!(
            c.providers,
            [ProviderKind::GoogleNew, ProviderKind::Offline]
        );
        assert_eq!(c.timeout, Duration::from_millis(250));
        assert_eq!(c.cache_ttl, Duration::ZERO);
        let d: PlacesConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(d.providers, [ProviderKind::Offline]);
        assert_eq!(d.timeout, Duration::from_secs(5));
        assert!(serde_json::from_str::<PlacesConfig>(r#"{"timeout": 5}"#).is_err());
        assert!(serde_json::from_str::<PlacesConfig>(r#"{"providers": ["bing"]}"#).is_err());
        let m: PlacesConfig = serde_json::from_str(
            r#"{"overpass_mirrors": ["https://a/api/interpreter"], "cache_bytes": 1000}"#,
        )
        .unwrap();
        assert_eq!(m.overpass_mirrors, ["https://a/api/interpreter"]);
        assert_eq!(m.cache_bytes, 1000);
    }

    /// The key is configured but never shown by `Debug`.
    #[test]
    fn debug_hides_the_key() {
        let c = PlacesConfig::for_test(vec![ProviderKind::Google], "http://x/");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("test-key") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
