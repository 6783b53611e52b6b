//! [`HerdState`]: the newest location of every client, and the decision to forward.
//!
//! Pure bookkeeping with no sockets or clocks, so flooding rules are unit-tested directly.
//! Clients are spread over [`DIGEST_BUCKETS`] shards by a stable hash of their id; each shard
//! keeps an order-independent digest (XOR of per-entry hashes) that anti-entropy compares, so
//! two peers find which buckets differ without listing every client.
//!
//! A `std::sync::Mutex` per shard is right here: no lock is held across an `.await`, and
//! sharding keeps contention low when many connections update at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use herd_proto::{At, Timestamp, DIGEST_BUCKETS};

/// What is stored for one client.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The client's own time from its IAMAT: newer wins.
    pub time: Timestamp,
    /// Latitude in degrees, for WHATSAT.
    pub lat: f64,
    /// Longitude in degrees, for WHATSAT.
    pub lon: f64,
    /// The AT line exactly as the server that heard the client produced it.
    pub line: Arc<str>,
}

#[derive(Debug, Default)]
struct Shard {
    map: HashMap<Box<str>, Entry>,
    digest: u64,
}

/// The newest location per client, sharded, with per-bucket digests.
#[derive(Debug)]
pub struct HerdState {
    shards: Vec<Mutex<Shard>>,
}

impl Default for HerdState {
    fn default() -> Self {
        Self::new()
    }
}

/// FNV-1a, 64-bit. Chosen because peers must agree on bucket and digest values across
/// processes, which std's randomly keyed hasher does not give.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The bucket a client id belongs to.
pub fn bucket_of(client: &str) -> usize {
    // The modulo keeps the value below DIGEST_BUCKETS, so the cast cannot truncate.
    (fnv1a(&[client.as_bytes()]) % DIGEST_BUCKETS as u64) as usize
}

fn entry_hash(client: &str, time: Timestamp) -> u64 {
    fnv1a(&[
        client.as_bytes(),
        &time.secs().to_le_bytes(),
        &time.nanos().to_le_bytes(),
    ])
}

impl HerdState {
    /// An empty store.
    pub fn new() -> Self {
        HerdState {
            shards: (0..DIGEST_BUCKETS)
                .map(|_| Mutex::new(Shard::default()))
                .collect(),
        }
    }

    fn shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        // A poisoned shard only means another thread panicked mid-update of a HashMap
        // insert; the map itself is still valid, so keep serving rather than cascade.
        self.shards[i % DIGEST_BUCKETS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Store `at` if its client time is strictly newer than what is stored. Returns the
    /// stored line (to forward) when it was kept, `None` when it was older or equal, which
    /// is what ends flooding loops.
    pub fn apply(&self, at: &At) -> Option<Arc<str>> {
        let mut shard = self.shard(bucket_of(&at.client));
        if let Some(old) = shard.map.get(at.client.as_str()) {
            if old.time >= at.time {
                return None;
            }
        }
        let line: Arc<str> = Arc::from(at.to_string());
        let entry = Entry {
            time: at.time,
            lat: at.coords.lat(),
            lon: at.coords.lon(),
            line: line.clone(),
        };
        let new_hash = entry_hash(&at.client, at.time);
        let old = shard.map.insert(Box::from(at.client.as_str()), entry);
        if let Some(old) = old {
            shard.digest ^= entry_hash(&at.client, old.time);
        }
        shard.digest ^= new_hash;
        Some(line)
    }

    /// The stored entry for a client.
    pub fn get(&self, client: &str) -> Option<Entry> {
        self.shard(bucket_of(client)).map.get(client).cloned()
    }

    /// How many clients are stored.
    pub fn len(&self) -> usize {
        (0..DIGEST_BUCKETS).map(|i| self.shard(i).map.len()).sum()
    }

    /// Whether no client is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The digest of every bucket, in bucket order.
    pub fn digest(&self) -> Vec<u64> {
        (0..DIGEST_BUCKETS).map(|i| self.shard(i).digest).collect()
    }

    /// Buckets whose digest differs from `theirs` (a peer's [`HerdState::digest`]). A
    /// digest of the wrong length marks every bucket as different.
    pub fn differing(&self, theirs: &[u64]) -> Vec<usize> {
        let ours = self.digest();
        if theirs.len() != ours.len() {
            return (0..DIGEST_BUCKETS).collect();
        }
        (0..DIGEST_BUCKETS)
            .filter(|&i| ours[i] != theirs[i])
            .collect()
    }

    /// Every stored line of one bucket (a snapshot: the lock is released on return).
    pub fn bucket_lines(&self, bucket: usize) -> Vec<Arc<str>> {
        self.shard(bucket)
            .map
            .values()
            .map(|e| e.line.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests;
