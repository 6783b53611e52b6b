//! HTTP publish/subscribe with no-loss delivery per subscriber (`herd pubsub`).
//!
//! A message published to a topic goes to every user subscribed at that moment, in
//! publish order, and is kept until each of them has read it or unsubscribed; then it is
//! freed. Delivery is exactly once while nodes live; with Redis, a node killed mid-read
//! costs at most a redelivery of the message in flight, never its loss (at-least-once). Subscriptions and messages live in a [`Store`]: in this process
//! ([`MemoryStore`]) or in Redis ([`RedisStore`]), where several nodes sharing one Redis
//! (or one Redis Cluster) form a cluster in which any node serves any request.
//!
//! # Layout
//! - [`route`]: request targets (`/<topic>`, `/<topic>/<user>`, percent-decoded) and
//!   `?wait=`; sans-IO and fuzzed.
//! - [`broker`](mod@broker): [`Broker`], the four operations and the long-poll loop over a
//!   store, without HTTP; a read is a claim and, once delivered, a confirm
//!   ([`broker::receipt`]).
//! - [`store`]: the [`Store`] trait; [`store::memory`] and [`store::redis`].
//! - [`model`]: the reference model the stores are property-tested against.
//! - [`http`]: the HTTP contract on the broker; the one place errors become statuses.
//! - [`reply`]: the response body, which confirms a claimed message once written.
//! - [`log_limit`]: one log line a second for a failure that repeats (Redis down).
//! - [`server`]: [`Server`] (connect, then serve on `netkit`) and [`run`].
//! - [`config`]: [`Config`], [`StoreConfig`]; [`metrics`]: [`Metrics`]; [`error`]:
//!   [`Error`].
//!
//! # Example
//! ```no_run
//! # async fn demo() -> pubsub::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8099").await.map_err(|e| {
//!     pubsub::Error::Config(e.to_string())
//! })?;
//! pubsub::run(listener, pubsub::Config::default(), netkit::signal::ctrl_c_or_term()).await
//! # }
//! ```

#![deny(missing_docs)]

pub mod broker;
pub mod config;
pub mod error;
pub mod http;
pub mod log_limit;
pub mod metrics;
pub mod model;
pub mod reply;
pub mod route;
pub mod server;
pub mod store;

pub use broker::Broker;
pub use config::{Config, StoreConfig};
pub use error::{Error, Result};
pub use metrics::Metrics;
pub use server::{run, serve_store, Server};
pub use store::{Claimed, MemoryStore, Polled, RedisStore, Stats, Store, Ticket, Waiting};
