//! [`AnswerCache`]: remote providers' answers kept in crates/cache's memory tier (bounded
//! in bytes, TinyLFU eviction), keyed by provider, location rounded to 1e-4 degrees
//! (about 11 m), radius in metres and bound.
//!
//! An answer is stored as its JSON (the body of a [`cache::Entry`], fresh for the TTL)
//! and parsed again on a hit: a few microseconds against a round trip to Google. Only
//! answers (`OK`, `ZERO_RESULTS`) are stored, already redacted, sorted and cut.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cache::{clock, Entry, Freshness, MemoryTier};
use http::HeaderMap;

use crate::{NearbyResponse, ProviderKind, Query};

/// Answers by key, in memory.
#[derive(Debug)]
pub(crate) struct AnswerCache {
    memory: MemoryTier,
    ttl_ms: u64,
}

impl AnswerCache {
    /// A cache of at most `budget` bytes whose answers are reused for `ttl`.
    pub(crate) fn new(budget: u64, ttl: Duration) -> AnswerCache {
        AnswerCache {
            memory: MemoryTier::new(budget),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The key of `q` asked of `kind`.
    pub(crate) fn key(kind: ProviderKind, q: &Query) -> String {
        // Saturating float-to-int casts: any finite or infinite value gives some key.
        format!(
            "{} {} {} {} {}",
            kind.name(),
            (q.lat * 1e4).round() as i64,
            (q.lon * 1e4).round() as i64,
            (q.radius_km * 1000.0).round() as i64,
            q.limit
        )
    }

    /// The fresh answer for `key`, if held.
    pub(crate) fn get(&self, key: &str) -> Option<NearbyResponse> {
        let e = self.memory.get(key)?;
        if !e.is_fresh(clock::now_ms()) {
            self.memory.remove(key);
            return None;
        }
        serde_json::from_slice(&e.body).ok()
    }

    /// Keep `answer` for `key` for the TTL.
    pub(crate) fn put(&self, key: String, answer: &NearbyResponse) {
        // Strings, numbers and JSON values: serialising cannot fail.
        let Ok(body) = serde_json::to_vec(answer) else {
            return;
        };
        let now = clock::now_ms();
        let until = now.saturating_add(self.ttl_ms);
        let freshness = Freshness {
            stored_at: now,
            initial_age: 0,
            fresh_until: until,
            swr_until: until,
            sie_until: until,
        };
        let entry = Entry::new(key, 200, &HeaderMap::new(), Bytes::from(body), freshness);
        self.memory.insert(Arc::new(entry));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(lat: f64, radius_km: f64, limit: usize) -> Query {
        Query {
            lat,
            lon: -118.4451,
            radius_km,
            limit,
        }
    }

    /// Nearby points share a key; another provider, radius or bound does not.
    #[test]
    fn keys() {
        let k = |kind, q: Query| AnswerCache::key(kind, &q);
        let g = ProviderKind::Google;
        assert_eq!(k(g, q(34.06893, 5.0, 3)), k(g, q(34.06894, 5.0, 3)));
        assert_ne!(k(g, q(34.06893, 5.0, 3)), k(g, q(34.0699, 5.0, 3)));
        assert_ne!(k(g, q(34.06893, 5.0, 3)), k(g, q(34.06893, 5.1, 3)));
        assert_ne!(k(g, q(34.06893, 5.0, 3)), k(g, q(34.06893, 5.0, 4)));
        assert_ne!(
            k(g, q(34.06893, 5.0, 3)),
            k(ProviderKind::Overpass, q(34.06893, 5.0, 3))
        );
    }

    /// An answer comes back equal within the TTL and is gone after it.
    #[test]
    fn round_trip_and_expiry() {
        let c = AnswerCache::new(1 << 20, Duration::from_millis(150));
        let a = NearbyResponse::found(
            vec![serde_json::json!({"name": "Royce Hall", "place_id": "p1"})],
            vec!["attr".into()],
        );
        c.put("k".into(), &a);
        assert_eq!(c.get("k"), Some(a));
        assert_eq!(c.get("other"), None);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(c.get("k"), None);
    }
}
