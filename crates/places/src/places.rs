//! [`Places`]: the configured providers, tried in order; remote ones behind a cache and
//! one request per key at a time.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use upstream::SingleFlight;

use crate::cached::AnswerCache;
use crate::remote::Remote;
use crate::{
    google, google_new, overpass, Error, Gazetteer, NearbyResponse, PlacesConfig, ProviderKind,
    Query, ATTRIBUTION,
};

struct Inner {
    config: PlacesConfig,
    api_key: Option<String>,
    /// One per configured remote provider.
    remotes: HashMap<ProviderKind, Remote>,
    /// `None` when `cache_ttl` is zero.
    cache: Option<AnswerCache>,
    /// Remote lookups in flight, by cache key.
    flights: SingleFlight<String, NearbyResponse>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config's Debug hides the key; `api_key` is left out altogether.
        f.debug_struct("Places")
            .field("config", &self.config)
            .field("remotes", &self.remotes)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// The configured providers with their cache; cheap to clone and share between servers.
#[derive(Clone, Debug)]
pub struct Places {
    inner: Arc<Inner>,
}

impl Places {
    /// Providers as configured, with the API key `config.api_key` (the binary fills it
    /// from `GOOGLE_PLACES_API_KEY`; the library never reads the environment). If `offline`
    /// is configured, the gazetteer is decoded and indexed here (eagerly, about 0.4 s once
    /// per process), so the first WHATSAT is fast and damaged data is reported at start.
    ///
    /// # Errors
    /// [`Error::NoProviders`], [`Error::BadUrl`], [`Error::ZeroTimeout`],
    /// [`Error::Gazetteer`] or [`Error::Http`].
    pub fn new(config: PlacesConfig) -> Result<Places, Error> {
        if config.providers.is_empty() {
            return Err(Error::NoProviders);
        }
        let mut remotes = HashMap::new();
        for &kind in &config.providers {
            let urls = match kind {
                ProviderKind::Offline => {
                    Gazetteer::try_global()?;
                    continue;
                }
                ProviderKind::Google => {
                    check_url("google_base_url", &config.google_base_url)?;
                    vec![config.google_base_url.clone()]
                }
                ProviderKind::GoogleNew => {
                    check_url("google_new_base_url", &config.google_new_base_url)?;
                    vec![config.google_new_base_url.clone()]
                }
                ProviderKind::Overpass => {
                    check_url("overpass_url", &config.overpass_url)?;
                    for m in &config.overpass_mirrors {
                        check_url("overpass_mirrors", m)?;
                    }
                    let mut all = vec![config.overpass_url.clone()];
                    all.extend(config.overpass_mirrors.iter().cloned());
                    all
                }
            };
            if config.timeout.is_zero() {
                return Err(Error::ZeroTimeout);
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = remotes.entry(kind) {
                let (rate, burst) = (config.rate_per_sec, config.rate_burst);
                slot.insert(Remote::new(kind, &urls, config.timeout, rate, burst)?);
            }
        }
        let api_key = config.api_key.clone().filter(|k| !k.is_empty());
        // Offline answers take microseconds: only remote ones are worth a cache.
        let cache = (!config.cache_ttl.is_zero() && !remotes.is_empty())
            .then(|| AnswerCache::new(config.cache_bytes, config.cache_ttl));
        Ok(Places {
            inner: Arc::new(Inner {
                config,
                api_key,
                remotes,
                cache,
                flights: SingleFlight::new(),
            }),
        })
    }

    /// The offline provider alone. Cannot fail: it needs no HTTP client, and damaged
    /// embedded data degrades to `ZERO_RESULTS` (with an error logged).
    pub fn offline() -> Places {
        Places::new(PlacesConfig::default()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "offline places unavailable; answers will be empty");
            Places {
                inner: Arc::new(Inner {
                    config: PlacesConfig::default(),
                    api_key: None,
                    remotes: HashMap::new(),
                    cache: None,
                    flights: SingleFlight::new(),
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
        let mut last = NearbyResponse::failure("UNKNOWN_ERROR", "no provider answered");
        for &kind in &self.inner.config.providers {
            let answer = self.ask(kind, q).await;
            if answer.is_answer() {
                return answer;
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

    /// One provider's answer, nearest first and cut to the bound.
    async fn ask(&self, kind: ProviderKind, q: Query) -> NearbyResponse {
        if kind == ProviderKind::Offline {
            return offline(&q);
        }
        if q.radius_m() == 0 {
            return NearbyResponse::found(Vec::new(), Vec::new());
        }
        let key = AnswerCache::key(kind, &q);
        if let Some(hit) = self.inner.cache.as_ref().and_then(|c| c.get(&key)) {
            return hit;
        }
        // One lookup per key at a time: concurrent identical queries share the first
        // one's answer. It runs as its own task, so it completes (and fills the cache)
        // even if the client that asked has gone.
        let places = self.clone();
        let k = key.clone();
        let flight = self
            .inner
            .flights
            .run(key, move || async move {
                let answer = places.ask_remote(kind, &q).await;
                if answer.is_answer() {
                    if let Some(c) = &places.inner.cache {
                        c.put(k, &answer);
                    }
                }
                answer
            })
            .await;
        flight.value.unwrap_or_else(|| {
            NearbyResponse::failure(
                "UNKNOWN_ERROR",
                format!("{}: the lookup failed", kind.name()),
            )
        })
    }

    /// Ask the remote provider `kind`, with the key redacted from whatever comes back.
    async fn ask_remote(&self, kind: ProviderKind, q: &Query) -> NearbyResponse {
        let key = self.inner.api_key.as_deref();
        let Some(remote) = self.inner.remotes.get(&kind) else {
            return NearbyResponse::failure(
                "UNKNOWN_ERROR",
                format!("{}: not configured", kind.name()),
            );
        };
        let mut answer = match kind {
            ProviderKind::Google => google::nearby(remote, key, q).await,
            ProviderKind::GoogleNew => google_new::nearby(remote, key, q).await,
            ProviderKind::Overpass => overpass::nearby(remote, q).await,
            ProviderKind::Offline => return offline(q),
        };
        if let Some(key) = key {
            redact(&mut answer, key);
        }
        if answer.is_answer() {
            answer = answer.nearest_first(q.lat, q.lon, q.limit);
        }
        answer
    }
}

/// The bundled gazetteer's answer (already nearest first and cut).
fn offline(q: &Query) -> NearbyResponse {
    NearbyResponse::found(
        Gazetteer::global().results(q.lat, q.lon, q.radius_km, q.limit),
        vec![ATTRIBUTION.to_string()],
    )
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

/// An http(s) URL with a host and no query (each provider adds its own parameters, and a
/// key in a configured query would escape the redaction). The error shows the URL up to
/// its query only.
fn check_url(key: &'static str, url: &str) -> Result<(), Error> {
    let bad = |reason: &str| Error::BadUrl {
        key,
        url: url.split(['?', '#']).next().unwrap_or_default().to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|_| bad("not an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host().is_none() {
        return Err(bad("no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(
            "a query or fragment is not allowed (the provider adds its own)",
        ));
    }
    Ok(())
}
