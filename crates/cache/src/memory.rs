//! [`MemoryTier`]: the in-process tier, bounded in bytes, with TinyLFU eviction (moka).
//!
//! The hot path of the relay: a `get` is a hash lookup returning an `Arc<Entry>`; the
//! body inside is `Bytes`, handed to the HTTP server as it is.

use std::sync::Arc;

use moka::sync::Cache;

use crate::Entry;

/// Entries by key, weighted by their size in bytes.
#[derive(Clone)]
pub struct MemoryTier {
    cache: Cache<String, Arc<Entry>>,
    budget: u64,
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
            .weigher(|_k: &String, e: &Arc<Entry>| e.weight())
            .build();
        MemoryTier {
            cache,
            budget: budget_bytes,
        }
    }

    /// The entry for `key`, if held.
    #[inline]
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        self.cache.get(key)
    }

    /// Hold `entry` (replacing any entry for its key).
    pub fn insert(&self, entry: Arc<Entry>) {
        self.cache.insert(entry.key.clone(), entry);
    }

    /// Drop `key`.
    pub fn remove(&self, key: &str) {
        self.cache.invalidate(key);
    }

    /// Drop every key starting with `prefix`; returns how many there were.
    pub fn remove_prefix(&self, prefix: &str) -> usize {
        let keys: Vec<Arc<String>> = self
            .cache
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k)
            .collect();
        for k in &keys {
            self.cache.invalidate(k.as_str());
        }
        keys.len()
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
}
