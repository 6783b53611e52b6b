//! [`Store`]: where subscriptions and pending messages live, and the two implementations.
//!
//! Every operation of a store is atomic with respect to every other (one lock section in
//! memory, one Lua script in Redis), which is what lets the [`Broker`](crate::Broker) stay
//! a thin, pure layer and several nodes share one Redis without coordination.
//!
//! # Layout
//! - [`memory`]: one process; lock-sharded by topic; one ring of messages per topic with a
//!   cursor per subscriber, so a message is stored once however many subscribers it has.
//! - [`redis`](mod@redis): the same data model in Redis hashes, one Lua script per operation,
//!   keys tagged `{topic}` so Redis Cluster spreads topics over its hash slots.

pub mod memory;
pub mod redis;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

use crate::Result;

pub use memory::MemoryStore;
pub use redis::RedisStore;

/// The outcome of reading a subscriber's next message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Polled {
    /// The next message; it is now consumed for this subscriber.
    Message(Bytes),
    /// Subscribed, nothing pending.
    Empty,
    /// The user is not subscribed to the topic.
    NotSubscribed,
}

/// Pending data held by a store, for `/metrics` and the memory benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Topics that exist (have subscribers or pending messages).
    pub topics: u64,
    /// Subscriptions across all topics.
    pub subscriptions: u64,
    /// Messages stored (each once, however many subscribers still have to read it).
    pub messages: u64,
    /// Bytes of message bodies stored.
    pub bytes: u64,
}

/// Subscriptions and pending messages. Topic and user names are opaque non-empty bytes.
///
/// Semantics every implementation keeps (the model test in `broker` checks them):
/// a message published to a topic goes to every user subscribed at that moment, in
/// publish order, once each, and is freed when each of them has read it or unsubscribed;
/// subscribing again keeps the queue; unsubscribing drops it; publishing to a topic
/// without subscribers stores nothing.
pub trait Store: Send + Sync + 'static {
    /// A registration for "a message may have arrived on this topic", see [`Store::watch`].
    type Watch: Future<Output = ()> + Send + Unpin;

    /// Subscribe `user` to `topic`; a no-op if already subscribed (the queue is kept).
    fn subscribe(&self, topic: &[u8], user: &[u8]) -> impl Future<Output = Result<()>> + Send;

    /// Unsubscribe, dropping the user's pending messages. `false` if not subscribed.
    fn unsubscribe(&self, topic: &[u8], user: &[u8]) -> impl Future<Output = Result<bool>> + Send;

    /// Publish `body`; returns how many subscribers will receive it (0: nothing stored).
    fn publish(&self, topic: &[u8], body: Bytes) -> impl Future<Output = Result<u64>> + Send;

    /// Consume the user's next message. `waiting` says a long poll of about that length
    /// will follow an [`Polled::Empty`] answer (Redis then asks to be told of publishes).
    fn poll(
        &self,
        topic: &[u8],
        user: &[u8],
        waiting: Option<Duration>,
    ) -> impl Future<Output = Result<Polled>> + Send;

    /// Start listening for publishes to `topic`. Taken *before* a poll that may find
    /// nothing, so a publish that lands between the poll and the wait still wakes it. May
    /// wake spuriously; the caller polls again.
    fn watch(&self, topic: &[u8]) -> Self::Watch;

    /// Whether the store can serve (Redis answers a PING); for `/health`.
    fn health(&self) -> impl Future<Output = Result<()>> + Send;

    /// What the store holds, where it can tell cheaply (the memory store); `None` for
    /// Redis, whose own `INFO memory` is the place to look.
    fn stats(&self) -> Option<Stats>;
}
