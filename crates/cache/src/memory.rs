//! [`MemoryTier`]: the in-process tier, bounded in bytes, with TinyLFU eviction (moka).
//!
//! The hot path of the relay: a `get` is a hash lookup returning an `Arc<Entry>`; the
//! body inside is `Bytes`, handed to the HTTP server as it is.
//!
//! moka is keyed by a 64-bit hash of the cache key (SipHash under a random key per
//! process), not by the key itself: the entry already carries its key, so a second copy
//! in the map would cost about 100 bytes per entry (an `Arc<String>` and its buffer).
//! Every `get` compares the entry's key with the one asked for, so two keys with the
//! same hash can only evict each other, never be confused.

use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::Arc;

use moka::sync::Cache;

use crate::Entry;

/// Entries by key hash, weighted by their size in bytes.
#[derive(Clone)]
pub struct MemoryTier {
    cache: Cache<u64, Arc<Entry>, BuildHasherDefault<PassThrough>>,
    keys: RandomState,
    budget: u64,
}

/// moka's hasher for keys that already are random-keyed SipHash values: passes them
/// through rather than hashing them a second time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    // Only `u64` keys reach this hasher (`write_u64`); a byte stream is still folded in
    // rather than ignored, should moka ever hash something else with it.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
}

impl std::fmt::Debug for MemoryTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTier")
            .field("budget", &self.budget)
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

impl MemoryTier {
    /// A tier holding at most `budget_bytes` (by [`Entry::weight`]). moka's TinyLFU
    /// admits a new entry only if it is likely to be used more than what it would evict.
    pub fn new(budget_bytes: u64) -> MemoryTier {
        let cache = Cache::builder()
            .max_capacity(budget_bytes)
            .weigher(|_k: &u64, e: &Arc<Entry>| e.weight())
            .build_with_hasher(BuildHasherDefault::<PassThrough>::default());
        MemoryTier {
            cache,
            keys: RandomState::new(),
            budget: budget_bytes,
        }
    }

    fn hash(&self, key: &str) -> u64 {
        self.keys.hash_one(key)
    }

    /// The entry for `key`, if held.
    #[inline]
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        self.cache
            .get(&self.hash(key))
            .filter(|e| e.key.as_str() == key)
    }

    /// Hold `entry` (replacing any entry for its key).
    pub fn insert(&self, entry: Arc<Entry>) {
        self.cache.insert(self.hash(&entry.key), entry);
    }

    /// Drop `key`.
    pub fn remove(&self, key: &str) {
        // A different key with the same hash goes too: a miss, never a wrong answer.
        self.cache.invalidate(&self.hash(key));
    }

    /// Drop every key starting with `prefix`; returns how many there were.
    pub fn remove_prefix(&self, prefix: &str) -> usize {
        let hashes: Vec<Arc<u64>> = self
            .cache
            .iter()
            .filter(|(_, e)| e.key.starts_with(prefix))
            .map(|(h, _)| h)
            .collect();
        for h in &hashes {
            self.cache.invalidate(h.as_ref());
        }
        hashes.len()
    }

    /// Bytes held (by weight) and entries, after applying pending evictions.
    pub fn usage(&self) -> (u64, u64) {
        self.cache.run_pending_tasks();
        (self.cache.weighted_size(), self.cache.entry_count())
    }

    /// The byte budget.
    pub fn budget(&self) -> u64 {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Freshness;
    use bytes::Bytes;
    use http::HeaderMap;

    fn entry(key: &str, size: usize) -> Arc<Entry> {
        Arc::new(Entry::new(
            key.into(),
            200,
            &HeaderMap::new(),
            Bytes::from(vec![b'x'; size]),
            Freshness::default(),
        ))
    }

    /// The byte budget holds: many entries past it leave at most the budget in use.
    #[test]
    fn budget_is_bytes() {
        let m = MemoryTier::new(100_000);
        for i in 0..200 {
            m.insert(entry(&format!("/k{i}"), 1_000));
        }
        let (bytes, n) = m.usage();
        assert!(bytes <= 100_000, "{bytes}");
        assert!(n > 10 && n < 200, "{n}");
    }

    /// Get, remove and remove by prefix.
    #[test]
    fn remove_and_prefix() {
        let m = MemoryTier::new(1 << 20);
        for k in ["/a/1", "/a/2", "/b/1"] {
            m.insert(entry(k, 10));
        }
        assert!(m.get("/a/1").is_some());
        m.remove("/a/1");
        assert!(m.get("/a/1").is_none());
        assert_eq!(m.remove_prefix("/a/"), 1);
        assert!(m.get("/a/2").is_none() && m.get("/b/1").is_some());
    }

    /// Keys whose hashes collide evict each other and are never confused: a get checks
    /// the entry's own key.
    #[test]
    fn colliding_hashes_are_never_confused() {
        let m = MemoryTier::new(1 << 20);
        m.insert(entry("/a", 10));
        // Plant /a's entry under /b's hash, as a collision would.
        m.cache.insert(m.hash("/b"), entry("/a", 10));
        assert!(m.get("/b").is_none());
        assert_eq!(m.get("/a").map(|e| e.key.clone()), Some("/a".to_string()));
        let mut h = PassThrough::default();
        h.write_u64(42);
        assert_eq!(h.finish(), 42);
    }
}
