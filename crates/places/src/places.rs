//! [`Places`]: the configured providers, tried in order, behind a short cache.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::limit::RateLimit;
use crate::{
    google, google_new, overpass, Error, Gazetteer, NearbyResponse, PlacesConfig, ProviderKind,
    Query, ATTRIBUTION,
};

/// Cache key: location rounded to 1e-4 degrees (about 11 m), radius in metres, bound.
type Key = (i64, i64, i64, usize);

#[derive(Debug)]
struct Inner {
    config: PlacesConfig,
    api_key: Option<String>,
    /// Only built when a remote provider is configured.
    http: Option<reqwest::Client>,
    /// `None` when `cache_ttl` is zero.
    cache: Option<moka::future::Cache<Key, NearbyResponse>>,
    /// One token bucket per remote provider.
    limits: HashMap<ProviderKind, RateLimit>,
}

/// The configured providers with their cache; cheap to clone and share between servers.
#[derive(Clone, Debug)]
pub struct Places {
    inner: Arc<Inner>,
}

impl Places {
    /// Providers as configured, with the API key `config.api_key` (the binary fills it
    /// from `GOOGLE_PLACES_API_KEY`; the library never reads the environment). If `offline`
    /// is configured,
    /// the gazetteer is decoded and indexed here (eagerly, about 0.3 s once per process), so
    /// the first WHATSAT is fast and damaged data is reported at start.
    ///
    /// # Errors
    /// [`Error::NoProviders`], [`Error::BadUrl`], [`Error::ZeroTimeout`],
    /// [`Error::Gazetteer`] or [`Error::Http`].
    pub fn new(config: PlacesConfig) -> Result<Places, Error> {
        if config.providers.is_empty() {
            return Err(Error::NoProviders);
        }
        let mut remote = false;
        for &kind in &config.providers {
            let (key, url) = match kind {
                ProviderKind::Offline => {
                    Gazetteer::try_global()?;
                    continue;
                }
                ProviderKind::Google => ("google_base_url", &config.google_base_url),
                ProviderKind::GoogleNew => ("google_new_base_url", &config.google_new_base_url),
                ProviderKind::Overpass => ("overpass_url", &config.overpass_url),
            };
            remote = true;
            check_url(key, url)?;
        }
        if remote && config.timeout.is_zero() {
            return Err(Error::ZeroTimeout);
        }
        let http = if remote {
            Some(
                reqwest::Client::builder()
                    .user_agent(concat!("herd-places/", env!("CARGO_PKG_VERSION")))
                    .build()?,
            )
        } else {
            None
        };
        let api_key = config.api_key.clone().filter(|k| !k.is_empty());
        let limits = config
            .providers
            .iter()
            .filter(|&&k| k != ProviderKind::Offline)
            .map(|&k| (k, RateLimit::new(config.rate_per_sec, config.rate_burst)))
            .collect();
        let cache = (!config.cache_ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(config.cache_ttl)
                .build()
        });
        Ok(Places {
            inner: Arc::new(Inner {
                config,
                api_key,
                http,
                cache,
                limits,
            }),
        })
    }

    /// The offline provider alone with the default cache. Cannot fail: it needs no HTTP
    /// client, and damaged embedded data degrades to `ZERO_RESULTS` (with an error logged).
    pub fn offline() -> Places {
        Places::new(PlacesConfig::default()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "offline places unavailable; answers will be empty");
            Places {
                inner: Arc::new(Inner {
                    config: PlacesConfig::default(),
                    api_key: None,
                    http: None,
                    cache: None,
                    limits: HashMap::new(),
                }),
            }
        })
    }

    /// Places within `radius_km` of (lat, lon), nearest first, at most `limit` results.
    ///
    /// Never fails and never waits much longer than `providers.len() * timeout`. Returns the
    /// first provider's answer (`OK` or `ZERO_RESULTS`); if every provider fails, the last
    /// failure (`OVER_QUERY_LIMIT`, `REQUEST_DENIED`, `UNKNOWN_ERROR`, ...) with an
    /// `error_message`. Coordinates out of range or not finite give `INVALID_REQUEST`; a
    /// radius of zero or less gives `ZERO_RESULTS` without asking anyone.
    pub async fn nearby(&self, lat: f64, lon: f64, radius_km: f64, limit: usize) -> NearbyResponse {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) || radius_km.is_nan()
        {
            return NearbyResponse::failure(
                "INVALID_REQUEST",
                format!("location {lat},{lon} radius {radius_km} km is out of range"),
            );
        }
        let q = Query {
            lat,
            lon,
            radius_km,
            limit,
        };
        let Some(cache) = &self.inner.cache else {
            return self.ask_providers(&q).await;
        };
        let key: Key = (
            (lat * 1e4).round() as i64,
            (lon * 1e4).round() as i64,
            (radius_km * 1000.0).round() as i64,
            limit,
        );
        // One provider round per key at a time: concurrent identical queries wait for the
        // first. A failure is kept out of the cache and handed back to its own caller only.
        let mut failure = None;
        let answer = cache
            .optionally_get_with(key, async {
                let a = self.ask_providers(&q).await;
                if a.is_answer() {
                    Some(a)
                } else {
                    failure = Some(a);
                    None
                }
            })
            .await;
        answer
            .or(failure)
            .unwrap_or_else(|| NearbyResponse::failure("UNKNOWN_ERROR", "no provider answered"))
    }

    async fn ask_providers(&self, q: &Query) -> NearbyResponse {
        let mut last = NearbyResponse::failure("UNKNOWN_ERROR", "no provider answered");
        for &kind in &self.inner.config.providers {
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
        let key = self.inner.api_key.as_deref();
        if kind == ProviderKind::Offline {
            return NearbyResponse::found(
                Gazetteer::global().results(q.lat, q.lon, q.radius_km, q.limit),
                vec![ATTRIBUTION.to_string()],
            );
        }
        if q.radius_m() == 0 {
            return NearbyResponse::found(Vec::new(), Vec::new());
        }
        if let Some(limit) = self.inner.limits.get(&kind) {
            if !limit.try_take() {
                return NearbyResponse::failure(
                    "OVER_QUERY_LIMIT",
                    format!(
                        "{}: local rate limit of {}/s reached",
                        kind.name(),
                        limit.rate()
                    ),
                );
            }
        }
        let mut answer = self.ask_remote(kind, q).await;
        if let Some(key) = key.filter(|k| !k.is_empty()) {
            redact(&mut answer, key);
        }
        answer
    }

    async fn ask_remote(&self, kind: ProviderKind, q: &Query) -> NearbyResponse {
        let cfg = &self.inner.config;
        let key = self.inner.api_key.as_deref();
        let Some(http) = &self.inner.http else {
            return NearbyResponse::failure("UNKNOWN_ERROR", "no HTTP client");
        };
        match kind {
            ProviderKind::Google => {
                google::nearby(http, &cfg.google_base_url, key, q, cfg.timeout).await
            }
            ProviderKind::GoogleNew => {
                google_new::nearby(http, &cfg.google_new_base_url, key, q, cfg.timeout).await
            }
            ProviderKind::Overpass => {
                overpass::nearby(http, &cfg.overpass_url, q, cfg.timeout).await
            }
            ProviderKind::Offline => NearbyResponse::failure("UNKNOWN_ERROR", "unreachable"),
        }
    }
}

/// Replace the API key wherever a provider echoed it (an error message quoting the
/// request URL, a result field), so it never reaches a client, a log or the cache.
fn redact(answer: &mut NearbyResponse, key: &str) {
    const MASK: &str = "[redacted]";
    if let Some(m) = &mut answer.error_message {
        if m.contains(key) {
            *m = m.replace(key, MASK);
        }
    }
    for a in &mut answer.html_attributions {
        if a.contains(key) {
            *a = a.replace(key, MASK);
        }
    }
    fn walk(v: &mut Value, key: &str) {
        match v {
            Value::String(s) if s.contains(key) => *s = s.replace(key, MASK),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, key)),
            Value::Object(o) => o.values_mut().for_each(|x| walk(x, key)),
            _ => {}
        }
    }
    answer.results.iter_mut().for_each(|r| walk(r, key));
}

fn check_url(key: &'static str, url: &str) -> Result<(), Error> {
    let bad = |reason: String| Error::BadUrl {
        key,
        url: url.to_string(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => Ok(()),
        other => Err(bad(format!("scheme {other:?}"))),
    }
}
