//! The caching relay (`herd relay`), the menu API stand-in (`herd menu-api`) and its
//! client (`herd dishes`).
//!
//! The relay answers `GET`/`HEAD /p?q` with `<upstream base>/p?q`, through a tiered cache
//! ([`cache`]: memory → disk → Redis) in front of redundant upstream providers
//! ([`upstream`]: fastest healthy first, failover, circuit breakers). Each request goes
//! through named phases, as in pingora: [`key`] (validate and derive the cache key) →
//! lookup (memory, synchronously; then the lower tiers) → fetch (single-flight per key,
//! conditional when a stale copy has validators) → store → respond ([`reply`]), with
//! `X-Cache: HIT | MISS | STALE | REVALIDATED` and `Age` added.
//!
//! # Layout
//! - [`config`](mod@config): [`RelayConfig`], every setting with its default.
//! - [`key`]: the cache key of a request, and what is refused (400).
//! - [`relay`](mod@relay): [`Relay`], lookup, stale serving, refresh.
//! - [`fetch`]: one upstream fetch and store, and its [`fetch::Fetched`] outcome.
//! - [`reply`]: building responses; errors mapped to HTTP in one place.
//! - [`metrics`]: Prometheus metrics.
//! - [`admin`]: the admin listener (`/metrics`, `/health`, `POST /purge`).
//! - [`server`]: [`run`], [`run_with_admin`]: the relay on netkit's skeleton.
//! - [`menu`]: `herd menu-api`, the bundled lunch-menu API.
//! - [`dishes`]: `herd dishes`, the client.

#![deny(missing_docs)]

pub mod admin;
pub mod config;
pub mod dishes;
pub mod fetch;
pub mod key;
pub mod menu;
pub mod metrics;
pub mod relay;
pub mod reply;
pub mod server;

pub use config::RelayConfig;
pub use relay::Relay;
pub use server::{run, run_with_admin};

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An upstream URL is not usable.
    #[error(transparent)]
    Upstream(#[from] upstream::client::ConfigError),
    /// A cache tier could not be opened.
    #[error(transparent)]
    Cache(#[from] cache::Error),
    /// A limit or setting is out of range.
    #[error("{0}")]
    Config(String),
}
