//! [`Entry`]: one cached response: status, kept headers, body, times, and what it costs
//! in memory. Its checksummed encoding for disk and Redis is in `codec`.

mod codec;

pub use codec::{DecodeError, MAX_META_BYTES};

use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

/// The headers of an upstream response worth keeping with the body; the rest (hop-by-hop,
/// `Date`, `Server`, cookies) are dropped.
pub const KEPT_HEADERS: [HeaderName; 9] = [
    header::CONTENT_TYPE,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CACHE_CONTROL,
    header::ETAG,
    header::LAST_MODIFIED,
    header::EXPIRES,
    header::VARY,
    header::LINK,
];

/// Memory an entry costs besides its body, key and headers, in bytes: the `Arc<Entry>`
/// (224), the header map's index (32), moka's bookkeeping (about 300: the hash table slot,
/// entry info, deque node, write-order lock) and the allocator's headers on each.
pub const ENTRY_OVERHEAD: usize = 640;

/// Memory each kept header costs besides its name and value, in bytes: the header map's
/// bucket (104) and the allocator's rounding and header on the value's own allocation.
pub const HEADER_OVERHEAD: usize = 120;

/// When an entry was stored and how long it may be served. All times are Unix
/// milliseconds (see [`crate::clock`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// When it was stored (or last revalidated).
    pub stored_at: u64,
    /// The upstream's `Age` when received, in seconds (added to `Age` on every answer).
    pub initial_age: u64,
    /// Served as a HIT until then.
    pub fresh_until: u64,
    /// After `fresh_until`, served STALE while a background refresh runs, until then.
    pub swr_until: u64,
    /// After `fresh_until`, served STALE when the upstream fails, until then.
    pub sie_until: u64,
}

impl Freshness {
    /// The last moment any tier needs to keep the entry.
    pub fn keep_until(&self) -> u64 {
        self.fresh_until.max(self.swr_until).max(self.sie_until)
    }
}

/// A cached response.
#[derive(Debug)]
pub struct Entry {
    /// The cache key (path and query).
    pub key: String,
    /// HTTP status.
    pub status: u16,
    /// The kept headers ([`KEPT_HEADERS`]).
    pub headers: HeaderMap,
    /// The body, shared, never copied on a hit.
    pub body: Bytes,
    /// Times.
    pub freshness: Freshness,
    /// Hits in memory since it was stored (not persisted); drives refresh-ahead.
    hits: AtomicU32,
}

impl Entry {
    /// An entry keeping only [`KEPT_HEADERS`] of `headers`.
    ///
    /// The kept values are copied into allocations of their own and the map is sized
    /// exactly: a value as an HTTP client hands it over is a slice of the connection's
    /// read buffer (hyper's, 8 KiB or more), and keeping the slice would keep that whole
    /// buffer alive for as long as the entry is cached.
    pub fn new(
        key: String,
        status: u16,
        headers: &HeaderMap,
        body: Bytes,
        freshness: Freshness,
    ) -> Entry {
        Entry {
            key,
            status,
            headers: kept_headers(headers, &HeaderMap::new()),
            body,
            freshness,
            hits: AtomicU32::new(0),
        }
    }

    /// The same response with new times and headers merged from a `304 Not Modified`
    /// (RFC 9111 4.3.4: the 304's validators and cache headers replace the stored ones).
    pub fn revalidated(&self, not_modified: &HeaderMap, freshness: Freshness) -> Entry {
        Entry {
            key: self.key.clone(),
            status: self.status,
            headers: kept_headers(&self.headers, not_modified),
            body: self.body.clone(),
            freshness,
            hits: AtomicU32::new(0),
        }
    }

    /// The stored `ETag`.
    pub fn etag(&self) -> Option<&HeaderValue> {
        self.headers.get(header::ETAG)
    }

    /// The stored `Last-Modified`.
    pub fn last_modified(&self) -> Option<&HeaderValue> {
        self.headers.get(header::LAST_MODIFIED)
    }

    /// Fresh at `now` (ms)?
    pub fn is_fresh(&self, now: u64) -> bool {
        now < self.freshness.fresh_until
    }

    /// May be served stale while revalidating at `now`?
    pub fn within_swr(&self, now: u64) -> bool {
        now < self.freshness.swr_until
    }

    /// May be served stale because the upstream failed, at `now`?
    pub fn within_sie(&self, now: u64) -> bool {
        now < self.freshness.sie_until
    }

    /// The `Age` to send at `now`, in seconds.
    pub fn age_secs(&self, now: u64) -> u64 {
        now.saturating_sub(self.freshness.stored_at) / 1000 + self.freshness.initial_age
    }

    /// Count a hit; returns the count including this one.
    pub fn hit(&self) -> u32 {
        self.hits.fetch_add(1, Ordering::Relaxed).saturating_add(1)
    }

    /// Is this entry hot (at least `min_hits` hits) and in the last fifth of its fresh
    /// lifetime at `now`? Then it is worth refreshing before it expires.
    pub fn refresh_ahead_due(&self, now: u64, min_hits: u32) -> bool {
        let f = &self.freshness;
        let life = f.fresh_until.saturating_sub(f.stored_at);
        life > 0
            && now >= f.fresh_until.saturating_sub(life / 5)
            && self.hits.load(Ordering::Relaxed) >= min_hits
    }

    /// Bytes this entry costs in memory (the memory tier's weight, so `--memory` bounds
    /// what the process really holds): the body, the key, per kept header its name and
    /// value plus [`HEADER_OVERHEAD`], plus [`ENTRY_OVERHEAD`]. The constants are
    /// measured (`cargo run --release -p cache --example entry_memory`): RSS per entry
    /// held by the memory tier was 1,481 bytes for a 402-byte body, a 37-byte key and
    /// three headers, where this gives 1,506.
    pub fn weight(&self) -> u32 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + HEADER_OVERHEAD)
            .sum();
        let total = self.body.len() + self.key.len() + headers + ENTRY_OVERHEAD;
        u32::try_from(total).unwrap_or(u32::MAX)
    }
}

/// [`KEPT_HEADERS`] of `base`, each replaced by `update`'s values where it has the
/// header (except `Content-Type`: a 304 describes the stored body, RFC 9111 4.3.4), in an
/// exactly sized map, every value copied out of the buffer it came in (see
/// [`Entry::new`]).
fn kept_headers(base: &HeaderMap, update: &HeaderMap) -> HeaderMap {
    let source = |name: &HeaderName| match update.contains_key(name) && name != header::CONTENT_TYPE
    {
        true => update,
        false => base,
    };
    let count = KEPT_HEADERS
        .iter()
        .map(|n| source(n).get_all(n).iter().count())
        .sum();
    let mut kept = HeaderMap::with_capacity(count);
    for name in &KEPT_HEADERS {
        for v in source(name).get_all(name) {
            // Bytes that were a valid value are one again; the clone is the fallback
            // that cannot be reached.
            let mut owned = HeaderValue::from_bytes(v.as_bytes()).unwrap_or_else(|_| v.clone());
            owned.set_sensitive(v.is_sensitive());
            kept.append(name.clone(), owned);
        }
    }
    kept
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(body: &'static [u8]) -> Entry {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::ETAG, HeaderValue::from_static("\"v1\""));
        h.insert(header::SET_COOKIE, HeaderValue::from_static("s=1"));
        Entry::new(
            "/restaurant/?q=1".into(),
            200,
            &h,
            Bytes::from_static(body),
            Freshness {
                stored_at: 1_000,
                initial_age: 2,
                fresh_until: 61_000,
                swr_until: 61_000,
                sie_until: 3_601_000,
            },
        )
    }

    /// Age, freshness windows and refresh-ahead.
    #[test]
    fn times() {
        let e = sample(b"x");
        assert_eq!(e.age_secs(11_000), 12);
        assert!(e.is_fresh(60_999) && !e.is_fresh(61_000));
        assert!(!e.within_swr(61_000) && e.within_sie(61_000));
        assert!(!e.refresh_ahead_due(50_000, 1));
        e.hit();
        assert!(!e.refresh_ahead_due(40_000, 1));
        assert!(e.refresh_ahead_due(50_000, 1));
        assert!(!e.refresh_ahead_due(50_000, 2));
    }
}
