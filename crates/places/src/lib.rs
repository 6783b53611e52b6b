//! Places near a point, for the herd's WHATSAT, from one or more providers.
//!
//! Every provider answers in Google's legacy Nearby Search shape ([`NearbyResponse`]),
//! nearest first. Providers are tried in the configured order: a failure (HTTP error,
//! quota, timeout, bad JSON) falls through to the next, `ZERO_RESULTS` is an answer. If all
//! fail, the last failure is returned as a value, never an error and never a hang. Answers
//! are cached briefly by (rounded location, radius, limit).
//!
//! # Layout
//! - [`config`]: [`PlacesConfig`] and [`ProviderKind`].
//! - [`response`]: [`NearbyResponse`] and great-circle distance.
//! - [`offline`]: the bundled GeoNames gazetteer with an R*-tree.
//! - `google`, `google_new`, `overpass`: remote providers; `remote`: their shared exchange.
//!
//! # Example
//! ```
//! # async fn demo() {
//! let places = places::Places::offline();
//! let answer = places.nearby(34.0689, -118.4452, 10.0, 5).await;
//! assert_eq!(answer.status, "OK");
//! # }
//! ```

#![deny(missing_docs)]

pub mod config;
mod google;
mod google_new;
pub mod offline;
mod overpass;
mod remote;
pub mod response;

use std::sync::Arc;

pub use config::{PlacesConfig, ProviderKind};
pub use offline::{Gazetteer, ATTRIBUTION};
pub use response::NearbyResponse;

/// Why a [`Places`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client for remote providers could not be set up.
    #[error("cannot set up the HTTP client for remote places providers: {0}")]
    Http(#[from] reqwest::Error),
    /// The configuration names no provider.
    #[error(
        "[places] providers is empty; name at least one of offline, google, google-new, overpass"
    )]
    NoProviders,
}

/// One query, as the providers see it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Query {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) radius_km: f64,
    pub(crate) limit: usize,
}

impl Query {
    /// Radius in whole metres, as the remote APIs take it.
    pub(crate) fn radius_m(&self) -> u32 {
        // Radius is validated to [0, 50] km by the protocol; clamp anyway for library users.
        (self.radius_km.clamp(0.0, 50.0) * 1000.0).round() as u32
    }
}

/// Cache key: location rounded to 1e-4 degrees (about 11 m), radius in metres, limit.
type Key = (i64, i64, u32, usize);

#[derive(Debug)]
struct Inner {
    config: PlacesConfig,
    api_key: Option<String>,
    http: Option<reqwest::Client>,
    cache: Option<moka::future::Cache<Key, NearbyResponse>>,
}

/// The configured providers, cheap to clone and share between servers.
#[derive(Clone, Debug)]
pub struct Places {
    inner: Arc<Inner>,
}

impl Places {
    /// Providers as configured. The offline index is built here if it is used, so the first
    /// query is fast.
    ///
    /// # Errors
    /// [`Error::NoProviders`] or [`Error::Http`].
    pub fn new(config: PlacesConfig) -> Result<Places, Error> {
        if config.providers.is_empty() {
            return Err(Error::NoProviders);
        }
        let remote = config.providers.iter().any(|p| *p != ProviderKind::Offline);
        let http = if remote {
            Some(
                reqwest::Client::builder()
                    .user_agent("herd-places/0.1")
                    .build()?,
            )
        } else {
            None
        };
        if config.providers.contains(&ProviderKind::Offline) {
            Gazetteer::global();
        }
        let api_key = config
            .api_key
            .clone()
            .or_else(|| std::env::var("GOOGLE_PLACES_API_KEY").ok())
            .filter(|k| !k.is_empty());
        let cache = (config.cache_ttl_secs > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(config.cache_ttl())
                .build()
        });
        Ok(Places {
            inner: Arc::new(Inner {
                config,
                api_key,
                http,
                cache,
            }),
        })
    }

    /// The offline provider alone, with the default cache. Cannot fail: it needs no HTTP
    /// client, and a damaged embedded index degrades to empty answers.
    pub fn offline() -> Places {
        let config = PlacesConfig::default();
        Gazetteer::global();
        let cache = moka::future::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(config.cache_ttl())
            .build();
        Places {
            inner: Arc::new(Inner {
                config,
                api_key: None,
                http: None,
                cache: Some(cache),
            }),
        }
    }

    /// Places within `radius_km` of (lat, lon), nearest first, at most `limit`.
    pub async fn nearby(&self, lat: f64, lon: f64, radius_km: f64, limit: usize) -> NearbyResponse {
        let q = Query {
            lat,
            lon,
            radius_km,
            limit,
        };
        let key: Key = (
            (lat * 1e4).round() as i64,
            (lon * 1e4).round() as i64,
            q.radius_m(),
            limit,
        );
        if let Some(hit) = match &self.inner.cache {
            Some(c) => c.get(&key).await,
            None => None,
        } {
            return hit;
        }
        let answer = self.ask_providers(&q).await;
        if let (Some(c), true) = (&self.inner.cache, answer.is_answer()) {
            c.insert(key, answer.clone()).await;
        }
        answer
    }

    async fn ask_providers(&self, q: &Query) -> NearbyResponse {
        let cfg = &self.inner.config;
        let mut last = NearbyResponse::failure("UNKNOWN_ERROR", "no provider answered");
        for &kind in &cfg.providers {
            let answer = self.ask(kind, q).await;
            if answer.is_answer() {
                return answer.nearest_first(q.lat, q.lon, q.limit);
            }
            tracing::warn!(
                provider = kind.name(),
                status = %answer.status,
                message = answer.error_message.as_deref().unwrap_or(""),
                "places provider failed; trying the next"
            );
            last = answer;
        }
        last
    }

    async fn ask(&self, kind: ProviderKind, q: &Query) -> NearbyResponse {
        let cfg = &self.inner.config;
        let key = self.inner.api_key.as_deref();
        if kind != ProviderKind::Offline && q.radius_m() == 0 {
            return NearbyResponse::found(Vec::new(), Vec::new());
        }
        let http = match (&self.inner.http, kind) {
            (_, ProviderKind::Offline) => None,
            (Some(h), _) => Some(h),
            (None, _) => return NearbyResponse::failure("UNKNOWN_ERROR", "no HTTP client"),
        };
        match (kind, http) {
            (ProviderKind::Offline, _) => NearbyResponse::found(
                Gazetteer::global().results(q.lat, q.lon, q.radius_km, q.limit),
                vec![ATTRIBUTION.to_string()],
            ),
            (ProviderKind::Google, Some(h)) => {
                google::nearby(h, &cfg.google_base_url, key, q, cfg.timeout()).await
            }
            (ProviderKind::GoogleNew, Some(h)) => {
                google_new::nearby(h, &cfg.google_new_base_url, key, q, cfg.timeout()).await
            }
            (ProviderKind::Overpass, Some(h)) => {
                overpass::nearby(h, &cfg.overpass_url, q, cfg.timeout()).await
            }
            (_, None) => NearbyResponse::failure("UNKNOWN_ERROR", "no HTTP client"),
        }
    }
}
