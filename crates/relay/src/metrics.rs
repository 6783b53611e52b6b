//! The relay's Prometheus metrics (OpenMetrics text on the admin listener's `/metrics`).
//!
//! - `relay_requests_total{cache, status}`: answers by `X-Cache` result and status.
//! - `relay_upstream_duration_seconds{provider, outcome}`: every upstream attempt.
//! - `relay_upstream_breaker_state{provider}`: 0 closed, 1 open, 2 half-open.
//! - `relay_cache_bytes{tier}`, `relay_cache_entries{tier}`: what each tier holds.
//! - `relay_disk_corrupt_entries_total`, `relay_redis_connected`.
//!
//! Counting a request takes a read lock and a hash of two small labels; the gauges are
//! filled in only when scraped.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::reply::XCache;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// `HIT`, `MISS`, `STALE`, `REVALIDATED`, or `none` for errors.
    cache: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    provider: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TierLabels {
    tier: &'static str,
}

type DurationFamily = Family<AttemptLabels, Histogram, fn() -> Histogram>;

/// The metric handles and their registry.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    upstream: DurationFamily,
    breaker: Family<ProviderLabels, Gauge>,
    cache_bytes: Family<TierLabels, Gauge>,
    cache_entries: Family<TierLabels, Gauge>,
    disk_corrupt: Counter<u64, AtomicU64>,
    redis_connected: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn duration_histogram() -> Histogram {
    // 0.5 ms .. ~8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric registered, at zero.
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        r.register(
            "relay_requests",
            "Answers by X-Cache result and status",
            requests.clone(),
        );
        let upstream: DurationFamily = Family::new_with_constructor(duration_histogram);
        r.register(
            "relay_upstream_duration_seconds",
            "Upstream attempts by provider and outcome",
            upstream.clone(),
        );
        let breaker = Family::<ProviderLabels, Gauge>::default();
        r.register(
            "relay_upstream_breaker_state",
            "Circuit breaker per provider: 0 closed, 1 open, 2 half-open",
            breaker.clone(),
        );
        let cache_bytes = Family::<TierLabels, Gauge>::default();
        r.register(
            "relay_cache_bytes",
            "Bytes held per cache tier",
            cache_bytes.clone(),
        );
        let cache_entries = Family::<TierLabels, Gauge>::default();
        r.register(
            "relay_cache_entries",
            "Entries held per cache tier",
            cache_entries.clone(),
        );
        let disk_corrupt = Counter::<u64, AtomicU64>::default();
        r.register(
            "relay_disk_corrupt_entries",
            "Damaged disk entries detected and dropped",
            disk_corrupt.clone(),
        );
        let redis_connected = Gauge::default();
        r.register(
            "relay_redis_connected",
            "1 when the Redis tier is connected",
            redis_connected.clone(),
        );
        Metrics {
            registry: Mutex::new(r),
            requests,
            upstream,
            breaker,
            cache_bytes,
            cache_entries,
            disk_corrupt,
            redis_connected,
        }
    }

    /// Count one answer.
    #[inline]
    pub fn request(&self, x: XCache, status: u16) {
        let cache = match x {
            XCache::None => "none",
            other => other.as_str(),
        };
        self.requests
            .get_or_create(&RequestLabels { cache, status })
            .inc();
    }

    /// Record one upstream attempt.
    pub fn upstream_attempt(&self, provider: &str, took: Duration, failure: Option<&'static str>) {
        self.upstream
            .get_or_create(&AttemptLabels {
                provider: provider.to_string(),
                outcome: failure.unwrap_or("ok"),
            })
            .observe(took.as_secs_f64());
    }

    /// The text exposition, after filling the gauges from `relay`.
    pub fn render(&self, relay: &crate::Relay) -> String {
        for p in relay.upstream().status() {
            self.breaker
                .get_or_create(&ProviderLabels { provider: p.origin })
                .set(p.state.as_gauge());
        }
        let u = relay.cache().usage();
        let set = |f: &Family<TierLabels, Gauge>, tier, v: u64| {
            f.get_or_create(&TierLabels { tier })
                .set(i64::try_from(v).unwrap_or(i64::MAX));
        };
        set(&self.cache_bytes, "memory", u.memory_bytes);
        set(&self.cache_entries, "memory", u.memory_entries);
        if let Some(b) = u.disk_bytes {
            set(&self.cache_bytes, "disk", b);
        }
        let seen = self.disk_corrupt.get();
        self.disk_corrupt
            .inc_by(u.disk_corrupt.saturating_sub(seen));
        if let Some(c) = u.redis_connected {
            self.redis_connected.set(i64::from(c));
        }
        let mut out = String::new();
        let reg = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &reg);
        out
    }
}
