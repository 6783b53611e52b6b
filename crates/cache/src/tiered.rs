//! [`Tiered`]: memory, then disk, then Redis, behind one interface.
//!
//! A lookup tries the memory tier first (synchronously: the hot path), then disk, then
//! Redis, and promotes what it finds into the faster tiers. A store goes into memory at
//! once and to disk and Redis in the background, so a response never waits for a disk or
//! a network write; [`Tiered::flush`] waits for those writes (graceful stop, tests).
//! Entries past their last stale window are treated as absent in every tier.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::{clock, DiskTier, Entry, Error, MemoryTier, RedisTier};

/// Where an entry was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// In process memory.
    Memory,
    /// On local disk.
    Disk,
    /// In the shared Redis.
    Redis,
}

impl Tier {
    /// Lower-case name for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Memory => "memory",
            Tier::Disk => "disk",
            Tier::Redis => "redis",
        }
    }
}

/// Which tiers to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieredConfig {
    /// Memory tier budget in bytes (`--memory`). Default 64 MiB.
    pub memory_bytes: u64,
    /// Disk tier directory (`--cache-dir`); none: no disk tier.
    pub disk_dir: Option<PathBuf>,
    /// Disk tier budget in bytes. Default 1 GiB.
    pub disk_bytes: u64,
    /// Redis URL (`--redis`); none: no Redis tier.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key. Default `herd:relay:v1:`.
    pub redis_namespace: String,
}

impl Default for TieredConfig {
    fn default() -> Self {
        TieredConfig {
            memory_bytes: 64 << 20,
            disk_dir: None,
            disk_bytes: 1 << 30,
            redis_url: None,
            redis_namespace: "herd:relay:v1:".into(),
        }
    }
}

/// How much each tier holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Memory tier bytes (by weight).
    pub memory_bytes: u64,
    /// Memory tier entries.
    pub memory_entries: u64,
    /// Disk tier bytes, if there is a disk tier.
    pub disk_bytes: Option<u64>,
    /// Damaged disk entries dropped.
    pub disk_corrupt: u64,
    /// Whether Redis is connected, if there is a Redis tier.
    pub redis_connected: Option<bool>,
}

/// The tiers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Tiered {
    /// The memory tier.
    pub memory: MemoryTier,
    /// The disk tier, if configured.
    pub disk: Option<DiskTier>,
    /// The Redis tier, if configured.
    pub redis: Option<RedisTier>,
    pending: Arc<AtomicUsize>,
}

impl Tiered {
    /// Open the configured tiers.
    ///
    /// # Errors
    /// [`Error::Dir`] for an unusable cache directory, [`Error::RedisUrl`] for a bad URL.
    /// A Redis that is down is not an error (it is retried in the background).
    pub async fn open(cfg: &TieredConfig) -> Result<Tiered, Error> {
        let disk = match &cfg.disk_dir {
            Some(d) => Some(DiskTier::open(d.clone(), cfg.disk_bytes).await?),
            None => None,
        };
        let redis = match &cfg.redis_url {
            Some(u) => Some(RedisTier::new(u, &cfg.redis_namespace)?),
            None => None,
        };
        Ok(Tiered {
            memory: MemoryTier::new(cfg.memory_bytes),
            disk,
            redis,
            pending: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The memory tier's entry for `key` (the synchronous fast path).
    #[inline]
    pub fn get_memory(&self, key: &str) -> Option<Arc<Entry>> {
        self.memory.get(key)
    }

    /// The entry for `key` from disk or Redis (after a memory miss), promoted into the
    /// faster tiers; `None` if no tier holds a live one.
    pub async fn get_lower(&self, key: &str) -> Option<(Arc<Entry>, Tier)> {
        let now = clock::now_ms();
        if let Some(d) = &self.disk {
            if let Some(e) = d.get(key).await {
                if now < e.freshness.keep_until() {
                    let e = Arc::new(e);
                    self.memory.insert(e.clone());
                    return Some((e, Tier::Disk));
                }
                d.remove(key).await;
            }
        }
        if let Some(r) = &self.redis {
            if let Some(e) = r.get(key).await {
                if now < e.freshness.keep_until() {
                    let e = Arc::new(e);
                    self.memory.insert(e.clone());
                    if let Some(d) = self.disk.clone() {
                        self.background(async move { d.put(&e).await });
                    }
                    return self.memory.get(key).map(|e| (e, Tier::Redis));
                }
            }
        }
        None
    }

    /// The entry for `key` from any tier.
    pub async fn get(&self, key: &str) -> Option<(Arc<Entry>, Tier)> {
        if let Some(e) = self.get_memory(key) {
            if clock::now_ms() < e.freshness.keep_until() {
                return Some((e, Tier::Memory));
            }
        }
        self.get_lower(key).await
    }

    /// Store `entry` in memory now, and on disk and in Redis in the background.
    pub fn put(&self, entry: Arc<Entry>) {
        self.memory.insert(entry.clone());
        if let Some(d) = self.disk.clone() {
            let e = entry.clone();
            self.background(async move { d.put(&e).await });
        }
        if let Some(r) = self.redis.clone() {
            self.background(async move { r.put(&entry, clock::now_ms()).await });
        }
    }

    fn background<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            fut.await;
            pending.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// Wait (at most `limit`) for background writes to finish; `true` if they did.
    pub async fn flush(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.pending.load(Ordering::Acquire) > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Remove `key` from every tier.
    pub async fn remove(&self, key: &str) {
        self.memory.remove(key);
        if let Some(d) = &self.disk {
            d.remove(key).await;
        }
        if let Some(r) = &self.redis {
            r.remove(key).await;
        }
    }

    /// Remove every key starting with `prefix` from every tier; returns the largest count
    /// any tier removed.
    pub async fn remove_prefix(&self, prefix: &str) -> usize {
        let mut n = self.memory.remove_prefix(prefix);
        if let Some(d) = &self.disk {
            n = n.max(d.remove_prefix(prefix).await);
        }
        if let Some(r) = &self.redis {
            n = n.max(r.remove_prefix(prefix).await);
        }
        n
    }

    /// What each tier holds now.
    pub fn usage(&self) -> Usage {
        let (memory_bytes, memory_entries) = self.memory.usage();
        Usage {
            memory_bytes,
            memory_entries,
            disk_bytes: self.disk.as_ref().map(DiskTier::bytes),
            disk_corrupt: self.disk.as_ref().map_or(0, DiskTier::corrupt_dropped),
            redis_connected: self.redis.as_ref().map(RedisTier::connected),
        }
    }
}
