//! [`DiskTier`]: entries on disk, surviving restarts and `kill -9`.
//!
//! Built on cacache: content goes to a temporary file that is renamed into place, and
//! each index line carries its own hash, so a crash mid-write leaves the previous entry
//! or none, never a torn one. Every read is verified twice: cacache checks the content
//! against its SHA-256, and the entry's own CRC-32 ([`crate::entry`]) is checked on
//! decoding. An entry failing either is deleted and counted, never served.
//!
//! Rewriting a key (revalidation, refresh) first removes the old index bucket and content
//! fully, so a hot key does not grow the directory. A byte budget bounds the directory:
//! past it, the oldest entries are removed in the background until 90% of it is used.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::{Entry, Error};

/// The disk tier. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DiskTier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    budget: u64,
    bytes: AtomicU64,
    corrupt: AtomicU64,
    gc_running: AtomicBool,
}

impl DiskTier {
    /// Open (creating it if needed) the cache in `dir`, bounded to `budget` bytes; counts
    /// what is already there.
    ///
    /// # Errors
    /// [`Error::Dir`] when the directory cannot be created or written.
    pub async fn open(dir: impl Into<PathBuf>, budget: u64) -> Result<DiskTier, Error> {
        let dir = dir.into();
        let fail = |source| Error::Dir {
            path: dir.display().to_string(),
            source,
        };
        tokio::fs::create_dir_all(&dir).await.map_err(fail)?;
        let probe = dir.join(".herd-write-test");
        tokio::fs::write(&probe, b"ok").await.map_err(fail)?;
        let _ = tokio::fs::remove_file(&probe).await;
        let d = dir.clone();
        let bytes = tokio::task::spawn_blocking(move || used_bytes(&d))
            .await
            .unwrap_or(0);
        Ok(DiskTier {
            inner: Arc::new(Inner {
                dir,
                budget,
                bytes: AtomicU64::new(bytes),
                corrupt: AtomicU64::new(0),
                gc_running: AtomicBool::new(false),
            }),
        })
    }

    /// The entry for `key`, verified; `None` if absent, and also (after deleting it) if
    /// damaged.
    pub async fn get(&self, key: &str) -> Option<Entry> {
        let dir = &self.inner.dir;
        let data = match cacache::read(dir, key).await {
            Ok(d) => d,
            Err(cacache::Error::EntryNotFound(..)) => return None,
            Err(e) => {
                self.drop_damaged(key, &e.to_string()).await;
                return None;
            }
        };
        match Entry::decode(Bytes::from(data)) {
            Ok(e) if e.key == key => Some(e),
            Ok(_) => {
                self.drop_damaged(key, "key mismatch").await;
                None
            }
            Err(e) => {
                self.drop_damaged(key, &e.to_string()).await;
                None
            }
        }
    }

    async fn drop_damaged(&self, key: &str, why: &str) {
        self.inner.corrupt.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(key, reason = why, "damaged disk cache entry dropped");
        self.remove(key).await;
    }

    /// Store `entry`, replacing any older one for its key.
    pub async fn put(&self, entry: &Entry) {
        let dir = &self.inner.dir;
        self.remove(&entry.key).await;
        let data = entry.encode();
        let len = data.len() as u64;
        match cacache::write(dir, &entry.key, data).await {
            Ok(_) => {
                let total = self.inner.bytes.fetch_add(len, Ordering::Relaxed) + len;
                if total > self.inner.budget {
                    self.collect_garbage();
                }
            }
            Err(e) => tracing::warn!(error = %e, "disk cache write failed"),
        }
    }

    /// Delete `key` (index bucket and content).
    pub async fn remove(&self, key: &str) {
        let dir = &self.inner.dir;
        let size = match cacache::metadata(dir, key).await {
            Ok(Some(m)) => m.size as u64,
            _ => return,
        };
        let full = cacache::RemoveOpts::new().remove_fully(true);
        if full.remove(dir, key).await.is_err() {
            // Content already gone (damaged): drop the index entry at least.
            let _ = cacache::remove(dir, key).await;
        }
        let _ = self
            .inner
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_sub(size))
            });
    }

    /// Delete every key starting with `prefix`; returns how many.
    pub async fn remove_prefix(&self, prefix: &str) -> usize {
        let dir = self.inner.dir.clone();
        let p = prefix.to_string();
        let keys = tokio::task::spawn_blocking(move || {
            cacache::list_sync(&dir)
                .filter_map(Result::ok)
                .filter(|m| m.key.starts_with(&p))
                .map(|m| m.key)
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for k in &keys {
            self.remove(k).await;
        }
        keys.len()
    }

    /// Bytes stored (approximately: content sizes).
    pub fn bytes(&self) -> u64 {
        self.inner.bytes.load(Ordering::Relaxed)
    }

    /// Damaged entries found and dropped since open.
    pub fn corrupt_dropped(&self) -> u64 {
        self.inner.corrupt.load(Ordering::Relaxed)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Remove the oldest entries until 90% of the budget is used (one run at a time, in
    /// the background).
    fn collect_garbage(&self) {
        if self.inner.gc_running.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut all: Vec<(u128, String, u64)> = cacache::list_sync(&inner.dir)
                .filter_map(Result::ok)
                .map(|m| (m.time, m.key, m.size as u64))
                .collect();
            all.sort();
            let mut total: u64 = all.iter().map(|e| e.2).sum();
            let target = inner.budget / 10 * 9;
            for (_, key, size) in all {
                if total <= target {
                    break;
                }
                let full = cacache::RemoveOpts::new().remove_fully(true);
                if full.remove_sync(&inner.dir, &key).is_err() {
                    let _ = cacache::remove_sync(&inner.dir, &key);
                }
                total = total.saturating_sub(size);
            }
            inner.bytes.store(total, Ordering::Relaxed);
            inner.gc_running.store(false, Ordering::Release);
        });
    }
}

fn used_bytes(dir: &Path) -> u64 {
    cacache::list_sync(dir)
        .filter_map(Result::ok)
        .map(|m| m.size as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Freshness;
    use http::HeaderMap;

    pub(crate) fn temp_dir(tag: &str) -> PathBuf {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("herd-cache-{tag}-{}-{n}", std::process::id()))
    }

    fn entry(key: &str, body: &str) -> Entry {
        Entry::new(
            key.into(),
            200,
            &HeaderMap::new(),
            Bytes::from(body.to_string()),
            Freshness::default(),
        )
    }

    /// Put, reopen, get; rewrite keeps one copy; prefix removal.
    #[tokio::test]
    async fn persists_and_replaces() {
        let dir = temp_dir("persist");
        let d = DiskTier::open(&dir, 1 << 30).await.unwrap();
        d.put(&entry("/a/1", "one")).await;
        d.put(&entry("/a/1", "uno")).await;
        d.put(&entry("/b/1", "two")).await;
        let d = DiskTier::open(&dir, 1 << 30).await.unwrap();
        assert_eq!(&d.get("/a/1").await.unwrap().body[..], b"uno");
        let sizes: Vec<_> = cacache::list_sync(&dir).filter_map(Result::ok).collect();
        assert_eq!(sizes.len(), 2);
        assert_eq!(d.bytes(), sizes.iter().map(|m| m.size as u64).sum::<u64>());
        assert_eq!(d.remove_prefix("/a/").await, 1);
        assert!(d.get("/a/1").await.is_none() && d.get("/b/1").await.is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A flipped byte in the stored content is detected, the entry dropped and counted.
    #[tokio::test]
    async fn corruption_is_dropped() {
        let dir = temp_dir("corrupt");
        let d = DiskTier::open(&dir, 1 << 30).await.unwrap();
        d.put(&entry("/x", "precious body")).await;
        let meta = cacache::metadata(&dir, "/x").await.unwrap().unwrap();
        let sri = meta.integrity.to_hex();
        let hex = sri.1;
        let path = dir
            .join("content-v2")
            .join(sri.0.to_string())
            .join(&hex[..2])
            .join(&hex[2..4])
            .join(&hex[4..]);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes
            .windows(7)
            .position(|w| w == b"precious")
            .unwrap_or(20);
        bytes[at] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(d.get("/x").await.is_none());
        assert_eq!(d.corrupt_dropped(), 1);
        assert!(cacache::metadata(&dir, "/x").await.unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Past the budget, the oldest entries go until 90% of it is used.
    #[tokio::test]
    async fn budget_collects_oldest() {
        let dir = temp_dir("budget");
        let d = DiskTier::open(&dir, 20_000).await.unwrap();
        let body = "y".repeat(1000);
        for i in 0..40 {
            d.put(&entry(&format!("/k{i:02}"), &body)).await;
        }
        assert!(
            testwait(|| d.bytes() <= 20_000).await,
            "still {} bytes",
            d.bytes()
        );
        assert!(d.get("/k39").await.is_some());
        assert!(d.get("/k00").await.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    async fn testwait(f: impl Fn() -> bool) -> bool {
        for _ in 0..200 {
            if f() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        false
    }
}
