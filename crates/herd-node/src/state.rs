//! [`HerdState`]: the newest location of every client, and the decision to store and
//! forward.
//!
//! Pure bookkeeping with no sockets or clocks, so the flooding rules are unit-tested
//! directly; the client and peer loops only carry out the [`Decision`] it returns. The
//! rules:
//! - **Newest wins**: an update is stored if its client time is newer than the stored one.
//!   Equal times (the same IAMAT heard by two servers) are broken by the AT line's bytes,
//!   the greater line winning, so every server keeps the same line and answers WHATSAT
//!   identically. An identical line is not news, which is what ends flooding loops.
//! - **Forwarding**: a stored update goes to every linked peer except the one it came from.
//! - **Memory budget**: the store holds at most a configured number of bytes (estimated per
//!   entry as [`ENTRY_OVERHEAD`] plus the client id and the line). When a shard is over its
//!   share, the entries with the oldest client times are evicted, and an update older than
//!   everything kept is refused. Every server with the same budget therefore keeps the same
//!   newest clients.
//!
//! Clients are spread over [`DIGEST_BUCKETS`] shards by a stable hash of their id; each
//! shard keeps an order-independent digest (XOR of per-entry hashes of client, time and
//! line) that anti-entropy compares, so two peers find which buckets differ without
//! listing every client. A `std::sync::Mutex` per shard is right here: no lock is held
//! across an `.await`, and sharding keeps contention low.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use herd_proto::{At, Timestamp, DIGEST_BUCKETS};

/// Estimated bytes one entry costs beyond its client id and line: the map slot, the boxed
/// id and the shared line's headers, the parsed time and position.
pub(crate) const ENTRY_OVERHEAD: usize = 112;

/// Default store budget: 256 MiB, about a million clients with typical lines.
pub(crate) const DEFAULT_BUDGET: usize = 256 * 1024 * 1024;

/// What is stored for one client.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The client's own time from its IAMAT: newer wins.
    pub(crate) time: Timestamp,
    /// Latitude in degrees, for WHATSAT.
    pub(crate) lat: f64,
    /// Longitude in degrees, for WHATSAT.
    pub(crate) lon: f64,
    /// The AT line exactly as the server that heard the client produced it.
    pub(crate) line: Arc<str>,
}

impl Entry {
    fn cost(&self, client: &str) -> usize {
        ENTRY_OVERHEAD + client.len() + self.line.len()
    }

    /// The order updates are ranked in: client time, then the line's bytes.
    fn rank(&self) -> (Timestamp, &[u8]) {
        (self.time, self.line.as_bytes())
    }
}

/// Where an update came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin<'a> {
    /// A client's IAMAT, heard by this server.
    Client,
    /// A linked peer, by name.
    Peer(&'a str),
}

/// What to do with an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision<'a> {
    /// It was stored: forward `line` to every linked peer except `except`.
    Forward {
        /// The stored AT line.
        line: Arc<str>,
        /// The peer it came from, which already has it.
        except: Option<&'a str>,
    },
    /// Not newer than what is stored: neither stored nor forwarded.
    Stale,
    /// The store is full and the update is older than everything kept.
    OverBudget,
}

#[derive(Debug, Default)]
struct Shard {
    map: HashMap<Box<str>, Entry>,
    digest: u64,
    bytes: usize,
}

/// The newest location per client, sharded, with per-bucket digests and a byte budget.
#[derive(Debug)]
pub(crate) struct HerdState {
    shards: Vec<Mutex<Shard>>,
    shard_budget: usize,
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
pub(crate) fn bucket_of(client: &str) -> usize {
    // The modulo keeps the value below DIGEST_BUCKETS, so the cast cannot truncate.
    (fnv1a(&[client.as_bytes()]) % DIGEST_BUCKETS as u64) as usize
}

fn entry_hash(client: &str, e: &Entry) -> u64 {
    fnv1a(&[
        client.as_bytes(),
        &e.time.secs().to_le_bytes(),
        &e.time.nanos().to_le_bytes(),
        e.line.as_bytes(),
    ])
}

impl HerdState {
    /// An empty store with the [`DEFAULT_BUDGET`].
    pub(crate) fn new() -> Self {
        Self::with_budget(DEFAULT_BUDGET)
    }

    /// An empty store holding at most about `bytes` (at least one entry per shard).
    pub(crate) fn with_budget(bytes: usize) -> Self {
        HerdState {
            shards: (0..DIGEST_BUCKETS)
                .map(|_| Mutex::new(Shard::default()))
                .collect(),
            shard_budget: bytes / DIGEST_BUCKETS,
        }
    }

    fn shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        // A poisoned shard only means another thread panicked mid-update of a HashMap
        // insert; the map itself is still valid, so keep serving rather than cascade.
        self.shards[i % DIGEST_BUCKETS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Decide what to do with `at`, storing it if it is news (see the module docs).
    pub(crate) fn apply<'a>(&self, at: &At, origin: Origin<'a>) -> Decision<'a> {
        let line: Arc<str> = Arc::from(at.to_string());
        let entry = Entry {
            time: at.time,
            lat: at.coords.lat(),
            lon: at.coords.lon(),
            line,
        };
        let client = at.client.as_str();
        let mut shard = self.shard(bucket_of(client));
        let old_cost = match shard.map.get(client) {
            Some(old) if old.rank() >= entry.rank() => return Decision::Stale,
            Some(old) => old.cost(client),
            None => 0,
        };
        let new_cost = entry.cost(client);
        if shard.bytes - old_cost + new_cost > self.shard_budget && old_cost == 0 {
            let oldest = shard.map.values().map(Entry::rank).min();
            if oldest.is_some_and(|o| entry.rank() < o) {
                return Decision::OverBudget;
            }
        }
        let hash = entry_hash(client, &entry);
        let line = entry.line.clone();
        if let Some(old) = shard.map.insert(Box::from(client), entry) {
            shard.digest ^= entry_hash(client, &old);
        }
        shard.digest ^= hash;
        shard.bytes = shard.bytes - old_cost + new_cost;
        while shard.bytes > self.shard_budget && shard.map.len() > 1 {
            evict_oldest(&mut shard);
        }
        let except = match origin {
            Origin::Client => None,
            Origin::Peer(p) => Some(p),
        };
        Decision::Forward { line, except }
    }

    /// The stored entry for a client.
    pub(crate) fn get(&self, client: &str) -> Option<Entry> {
        self.shard(bucket_of(client)).map.get(client).cloned()
    }

    /// How many clients are stored.
    pub(crate) fn len(&self) -> usize {
        (0..DIGEST_BUCKETS).map(|i| self.shard(i).map.len()).sum()
    }

    /// Estimated bytes held (see [`ENTRY_OVERHEAD`]).
    pub(crate) fn bytes(&self) -> usize {
        (0..DIGEST_BUCKETS).map(|i| self.shard(i).bytes).sum()
    }

    /// The digest of every bucket, in bucket order.
    pub(crate) fn digest(&self) -> Vec<u64> {
        (0..DIGEST_BUCKETS).map(|i| self.shard(i).digest).collect()
    }

    /// Buckets whose digest differs from `theirs` (a peer's [`HerdState::digest`]). A
    /// digest of the wrong length marks every bucket as different.
    pub(crate) fn differing(&self, theirs: &[u64]) -> Vec<usize> {
        let ours = self.digest();
        if theirs.len() != ours.len() {
            return (0..DIGEST_BUCKETS).collect();
        }
        (0..DIGEST_BUCKETS)
            .filter(|&i| ours[i] != theirs[i])
            .collect()
    }

    /// Every stored line of one bucket (a snapshot: the lock is released on return).
    pub(crate) fn bucket_lines(&self, bucket: usize) -> Vec<Arc<str>> {
        self.shard(bucket)
            .map
            .values()
            .map(|e| e.line.clone())
            .collect()
    }
}

/// Remove the entry with the lowest rank. A linear scan of one shard (1/256 of the
/// store): eviction happens only at the budget, and keeping an ordered index would cost
/// memory on every entry all the time.
fn evict_oldest(shard: &mut Shard) {
    let Some(victim) = shard
        .map
        .iter()
        .min_by(|a, b| a.1.rank().cmp(&b.1.rank()))
        .map(|(k, _)| k.clone())
    else {
        return;
    };
    if let Some(old) = shard.map.remove(&victim) {
        shard.digest ^= entry_hash(&victim, &old);
        shard.bytes -= old.cost(&victim);
    }
}

#[cfg(test)]
mod tests;
