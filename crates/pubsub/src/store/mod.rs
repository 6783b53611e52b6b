//! [`Store`]: where subscriptions and pending messages live, and the two implementations.
//!
//! Every operation of a store is atomic with respect to every other (one lock section in
//! memory, one Lua script in Redis), which is what lets the [`Broker`](crate::Broker) stay
//! a thin, pure layer and several nodes share one Redis without coordination.
//!
//! A read is two steps where the store outlives the node: [`Store::claim`] marks the
//! subscriber's next message as in flight (with a lease) and [`Store::confirm`] removes it
//! once the reply has been written. A node killed in between leaves the claim to lapse,
//! and the next read delivers the message again: at-least-once, never lost. The memory
//! store lives and dies with the node, so its claim consumes at once.
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

/// What a subscriber's read answers, as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Polled {
    /// The next message.
    Message(Bytes),
    /// Subscribed, nothing to deliver now.
    Empty,
    /// The user is not subscribed to the topic.
    NotSubscribed,
}

/// Names one claim of a message held by a store (Redis) until it is confirmed delivered
/// or released; opaque to everyone but the store that issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket(pub(crate) String);

/// What [`Store::claim`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claimed {
    /// The subscriber's next message. With a `ticket` (Redis) it is only *claimed*: it
    /// stays the head of the subscriber's queue, held for this read for the claim lease,
    /// until [`Store::confirm`] removes it (delivered) or [`Store::release`] hands it back
    /// (not delivered); a claim left to lapse is delivered again by a later read. Without
    /// a ticket (memory store) it is consumed already.
    Message {
        /// The body.
        body: Bytes,
        /// The claim to settle, if the store holds the message until confirmed.
        ticket: Option<Ticket>,
        /// Whether an earlier claim of this message lapsed unconfirmed (a node died, or
        /// a reply took longer than the lease): the subscriber may have seen it before.
        redelivered: bool,
    },
    /// Subscribed, nothing pending.
    Empty,
    /// The subscriber's next message is claimed by another read still in flight, whose
    /// lease ends within this long. Reading past it would break the order, so there is
    /// nothing to deliver until that read is confirmed, released or lapses.
    InFlight(Duration),
    /// The user is not subscribed to the topic.
    NotSubscribed,
}

/// How long a reader will wait if [`Store::claim`] finds nothing to deliver now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    /// The wait after an [`Claimed::Empty`] answer (long polls only).
    pub empty: Option<Duration>,
    /// The wait after an [`Claimed::InFlight`] answer.
    pub in_flight: Option<Duration>,
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
/// publish order, and is freed when each of them has read it (claimed and confirmed) or
/// unsubscribed;
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

    /// Take the user's next message for one read (see [`Claimed`]). `waiting` says a
    /// wait of about that length will follow an [`Claimed::Empty`] or
    /// [`Claimed::InFlight`] answer (Redis then asks to be told of publishes and
    /// confirms); for `Empty` it is given only by long polls.
    fn claim(
        &self,
        topic: &[u8],
        user: &[u8],
        waiting: Waiting,
    ) -> impl Future<Output = Result<Claimed>> + Send;

    /// The claimed message reached the client: remove it from the user's queue. `false`
    /// if the claim no longer holds (it lapsed and was claimed again, or the user
    /// unsubscribed); then the later claim decides.
    fn confirm(
        &self,
        topic: &[u8],
        user: &[u8],
        ticket: &Ticket,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The claimed message did not reach the client (the connection broke mid-reply):
    /// make it the user's next message again at once. `false` if the claim no longer
    /// holds.
    fn release(
        &self,
        topic: &[u8],
        user: &[u8],
        ticket: &Ticket,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Whether reads are claims that hold a message until confirmed (Redis). The broker
    /// then lets one read per subscriber claim at a time on this node, so concurrent
    /// reads queue locally instead of racing for the claim in the store.
    fn holds_claims(&self) -> bool {
        false
    }

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
