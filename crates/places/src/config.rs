//! [`PlacesConfig`]: the `[places]` table of herd.toml.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A Places provider.
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
/// may be omitted.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlacesConfig {
    /// Providers tried in order; the next is asked only when one fails. Default `["offline"]`.
    pub providers: Vec<ProviderKind>,
    /// Legacy Nearby Search endpoint (tests point it at a local fake).
    pub google_base_url: String,
    /// Places API (New) searchNearby endpoint.
    pub google_new_base_url: String,
    /// Overpass API interpreter endpoint.
    pub overpass_url: String,
    /// Google API key; when absent, `GOOGLE_PLACES_API_KEY` is read at start.
    pub api_key: Option<String>,
    /// Per-request time limit for a remote provider, in milliseconds. Default 5,000.
    pub timeout_ms: u64,
    /// How long an answer is reused for the same (rounded) place and radius, in seconds.
    /// Default 60; 0 disables the cache.
    pub cache_ttl_secs: u64,
}

impl Default for PlacesConfig {
    fn default() -> Self {
        PlacesConfig {
            providers: vec![ProviderKind::Offline],
            google_base_url: "https://maps.googleapis.com/maps/api/place/nearbysearch/json".into(),
            google_new_base_url: "https://places.googleapis.com/v1/places:searchNearby".into(),
            overpass_url: "https://overpass-api.de/api/interpreter".into(),
            api_key: None,
            timeout_ms: 5_000,
            cache_ttl_secs: 60,
        }
    }
}

impl PlacesConfig {
    /// The per-request time limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The cache lifetime.
    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_secs)
    }
}
