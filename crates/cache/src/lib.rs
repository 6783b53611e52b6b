//! A tiered HTTP response cache with one interface.
//!
//! Lookups go memory → disk → Redis, promoting an entry into the faster tiers on a hit;
//! stores go to every tier (memory at once, the others in the background). Each tier is
//! optional except memory.
//!
//! - **Memory**: moka, weighted by bytes, TinyLFU admission and eviction, under a byte
//!   budget. Entries are `Arc<Entry>` whose body is `bytes::Bytes`, so a hit hands the
//!   body to the HTTP server without copying it.
//! - **Disk**: cacache (content written to a temporary file, then renamed; index lines
//!   hashed), so a `kill -9` leaves either the old entry or the new one. Every entry also
//!   carries a CRC-32 of its encoding: a corrupt or truncated entry is dropped, never
//!   served.
//! - **Redis**: shared by several relays; keys namespaced, values carry their metadata
//!   (the same checksummed encoding); a Redis that is down is skipped with a warning.
//!
//! Freshness ([`policy`]) comes from the upstream's `Cache-Control` (`max-age`,
//! `s-maxage`, `no-store`, `no-cache`, `private`, `must-revalidate`,
//! `stale-while-revalidate`, `stale-if-error`) or `Expires`, else a default TTL; only
//! 404 is cached negatively, briefly; 5xx never.
//!
//! # Layout
//! - [`entry`]: [`Entry`], one cached response, and its checksummed encoding.
//! - [`policy`]: `Cache-Control` parsing and the freshness of a new entry.
//! - [`memory`](mod@memory): [`MemoryTier`], moka by bytes.
//! - [`disk`](mod@disk): [`DiskTier`], cacache with checksums.
//! - [`redis_tier`](mod@redis_tier): [`RedisTier`], shared, optional.
//! - [`tiered`]: [`Tiered`], the tiers layered behind one interface.
//! - [`size`]: byte sizes as people write them (`64MiB`).
//! - [`clock`]: wall-clock milliseconds, the time base entries persist with.

#![deny(missing_docs)]

pub mod clock;
pub mod disk;
pub mod entry;
pub mod memory;
pub mod policy;
pub mod redis_tier;
pub mod size;
pub mod tiered;

pub use disk::DiskTier;
pub use entry::{DecodeError, Entry, Freshness};
pub use memory::MemoryTier;
pub use policy::{CacheControl, PolicyConfig};
pub use redis_tier::RedisTier;
pub use tiered::{Tier, Tiered, TieredConfig};

/// Why a tier could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The disk cache directory cannot be created or written.
    #[error("cache directory {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The Redis URL cannot be read (the URL itself is not repeated: it may hold a
    /// password).
    #[error("the Redis URL is not valid (expected redis://[user:password@]host[:port][/db])")]
    RedisUrl,
}
