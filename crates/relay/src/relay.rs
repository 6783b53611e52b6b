//! [`Relay`]: lookup, stale serving and refresh around the upstream and the cache.
//!
//! For each request (after [`crate::key`]):
//! 1. memory tier: fresh → `HIT` (and, for a hot entry near expiry, a background
//!    refresh-ahead);
//! 2. disk, then Redis: fresh → `HIT` (promoted to memory);
//! 3. stale within `stale-while-revalidate` → `STALE`, refreshed in the background;
//! 4. otherwise one fetch per key (single-flight): `MISS` for a new answer,
//!    `REVALIDATED` for a 304; if the upstream fails and a stale copy is within
//!    `stale-if-error` → `STALE`; else 502 (down) or 504 (too slow).

use std::sync::Arc;

use cache::{clock, Entry, Tiered};
use http::{Method, Response, Uri};
use upstream::{SingleFlight, Upstream, UpstreamError};

use crate::fetch::Fetched;
use crate::key::cache_key;
use crate::metrics::Metrics;
use crate::reply::{self, Body, Failure, XCache};
use crate::{Error, RelayConfig};

/// The relay's shared state.
pub struct Relay {
    cfg: RelayConfig,
    upstream: Upstream,
    cache: Tiered,
    flights: SingleFlight<String, Fetched>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("upstream", &self.upstream)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Open the cache tiers and set up the upstream client.
    ///
    /// # Errors
    /// [`Error`] for bad settings, a bad upstream URL, an unusable cache directory or a
    /// bad Redis URL. A Redis that is down is not an error.
    pub async fn new(cfg: RelayConfig) -> Result<Arc<Relay>, Error> {
        cfg.validate().map_err(Error::Config)?;
        let metrics = Arc::new(Metrics::new());
        let m = metrics.clone();
        let upstream = Upstream::new(&cfg.upstreams, cfg.upstream.clone())?.with_observer(
            Arc::new(move |origin, took, failure| {
                m.upstream_attempt(origin, took, failure.map(|k| k.as_str()))
            }),
        );
        let cache = Tiered::open(&cfg.cache).await?;
        Ok(Arc::new(Relay {
            cfg,
            upstream,
            cache,
            flights: SingleFlight::new(),
            metrics,
        }))
    }

    /// The settings.
    pub fn config(&self) -> &RelayConfig {
        &self.cfg
    }

    /// The upstream providers.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// The cache tiers.
    pub fn cache(&self) -> &Tiered {
        &self.cache
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Answer one request, and say how (for the access log and metrics).
    pub async fn handle(self: &Arc<Self>, method: &Method, uri: &Uri) -> (Response<Body>, XCache) {
        let head = *method == Method::HEAD;
        if *method != Method::GET && !head {
            return (Failure::MethodNotAllowed.into_response(head), XCache::None);
        }
        let key = match cache_key(uri.path_and_query().map(|p| p.as_str())) {
            Ok(k) => k,
            Err(e) => return (Failure::BadRequest(e).into_response(head), XCache::None),
        };
        let now = clock::now_ms();
        // The fast path: a fresh entry in memory.
        let in_memory = self.cache.get_memory(key);
        if let Some(e) = &in_memory {
            if e.is_fresh(now) {
                e.hit();
                if e.refresh_ahead_due(now, self.cfg.refresh_ahead_hits) {
                    self.refresh(key, Some(e.clone()));
                }
                return (reply::from_entry(e, XCache::Hit, now, head), XCache::Hit);
            }
        }
        self.slow_path(key, in_memory, head).await
    }

    async fn slow_path(
        self: &Arc<Self>,
        key: &str,
        in_memory: Option<Arc<Entry>>,
        head: bool,
    ) -> (Response<Body>, XCache) {
        let stale = match in_memory {
            Some(e) => Some(e),
            None => match self.cache.get_lower(key).await {
                Some((e, _tier)) => {
                    let now = clock::now_ms();
                    if e.is_fresh(now) {
                        e.hit();
                        return (reply::from_entry(&e, XCache::Hit, now, head), XCache::Hit);
                    }
                    Some(e)
                }
                None => None,
            },
        };
        if let Some(e) = &stale {
            let now = clock::now_ms();
            if e.within_swr(now) {
                self.refresh(key, Some(e.clone()));
                return (
                    reply::from_entry(e, XCache::Stale, now, head),
                    XCache::Stale,
                );
            }
        }
        let relay = self.clone();
        let (k, s) = (key.to_string(), stale.clone());
        let flight = self
            .flights
            .run(key.to_string(), move || relay.fetch_and_store(k, s))
            .await;
        let outcome = flight
            .value
            .unwrap_or(Fetched::Failed(UpstreamError::Unavailable));
        let now = clock::now_ms();
        let usable_stale = stale.as_ref().filter(|e| e.within_sie(now));
        match outcome {
            Fetched::Stored(e) => (reply::from_entry(&e, XCache::Miss, now, head), XCache::Miss),
            Fetched::Revalidated(e) => (
                reply::from_entry(&e, XCache::Revalidated, now, head),
                XCache::Revalidated,
            ),
            Fetched::Uncached(r) => match usable_stale {
                // stale-if-error covers 5xx answers too (RFC 5861 section 4).
                Some(e) if r.status >= 500 => (
                    reply::from_entry(e, XCache::Stale, now, head),
                    XCache::Stale,
                ),
                _ => (reply::passthrough(&r, head), XCache::Miss),
            },
            Fetched::Failed(err) => match usable_stale {
                Some(e) => (
                    reply::from_entry(e, XCache::Stale, now, head),
                    XCache::Stale,
                ),
                None => match err {
                    // An HTTP answer (e.g. 503 from every provider) is passed through.
                    UpstreamError::Status { response, .. } => {
                        (reply::passthrough(&response, head), XCache::Miss)
                    }
                    other => (Failure::Upstream(other).into_response(head), XCache::None),
                },
            },
        }
    }

    /// Refresh `key` in the background unless a fetch for it is already in flight.
    fn refresh(self: &Arc<Self>, key: &str, stale: Option<Arc<Entry>>) {
        let relay = self.clone();
        let k = key.to_string();
        self.flights
            .start(key.to_string(), move || relay.fetch_and_store(k, stale));
    }

    /// Remove `path` (an exact key) from every tier.
    pub async fn purge(&self, path: &str) {
        self.cache.remove(path).await;
    }

    /// Remove every key starting with `prefix`; returns how many.
    pub async fn purge_prefix(&self, prefix: &str) -> usize {
        self.cache.remove_prefix(prefix).await
    }
}
