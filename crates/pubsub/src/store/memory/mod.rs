//! [`MemoryStore`]: one process, lock-sharded by topic.
//!
//! Topics are spread over [`SHARDS`] `std::sync::Mutex`es by a hash of the name; no lock is
//! held across an `.await` (every operation is a few map and ring steps), so a std mutex
//! is cheaper than tokio's. Within a topic, messages sit once in a ring and subscribers
//! are cursors into it ([`topic`]), so one publish to 10,000 subscribers stores one `Bytes`
//! (the request body itself, never copied) and 10,000 reads hand out clones of the same
//! reference-counted buffer.
//!
//! A read consumes its message at once ([`Store::claim`] issues no ticket): the store is
//! this process, so a crash loses everything in it anyway, and there is no other node a
//! half-delivered message could be handed to.
//!
//! The bytes of pending bodies are bounded by `max_bytes`: past it a publish is refused
//! with [`Error::Full`] (HTTP 503) until readers catch up, rather than growing until the
//! process dies.

mod topic;

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

use self::topic::Topic;
use super::{Claimed, Stats, Store, Ticket, Waiting};
use crate::{Error, Result};

/// Number of lock shards: enough that two busy topics rarely share one on a many-core
/// machine, few enough that `/metrics` walks them cheaply.
pub const SHARDS: usize = 64;

type Shard = HashMap<Box<[u8]>, Topic>;

/// The in-process store.
#[derive(Debug)]
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    /// Bytes of stored bodies, across all shards.
    bytes: AtomicU64,
    /// Messages stored, across all shards.
    messages: AtomicU64,
    max_bytes: u64,
}

impl MemoryStore {
    /// A store that holds at most `max_bytes` of pending message bodies.
    pub fn new(max_bytes: u64) -> Self {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            bytes: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            max_bytes,
        }
    }

    fn shard(&self, topic: &[u8]) -> MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(topic) as usize) % SHARDS;
        // A poisoned shard means a panic inside one of the short sections below, which do
        // nothing that can panic; the data is still consistent, so keep serving.
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn release(&self, freed: topic::Freed) {
        self.bytes.fetch_sub(freed.bytes, Ordering::Relaxed);
        self.messages.fetch_sub(freed.messages, Ordering::Relaxed);
    }

    /// Remove the topic if nothing is left in it.
    fn tidy(shard: &mut Shard, topic: &[u8]) {
        if shard.get(topic).is_some_and(Topic::is_idle) {
            shard.remove(topic);
        }
    }
}

impl Store for MemoryStore {
    type Watch = Pin<Box<OwnedNotified>>;

    async fn subscribe(&self, topic: &[u8], user: &[u8]) -> Result<()> {
        let mut shard = self.shard(topic);
        shard.entry(topic.into()).or_default().subscribe(user);
        Ok(())
    }

    async fn unsubscribe(&self, topic: &[u8], user: &[u8]) -> Result<bool> {
        let mut shard = self.shard(topic);
        let Some(t) = shard.get_mut(topic) else {
            return Ok(false);
        };
        let Some(freed) = t.unsubscribe(user) else {
            return Ok(false);
        };
        // A long poll of this user must notice it is no longer subscribed.
        t.notify.notify_waiters();
        self.release(freed);
        Self::tidy(&mut shard, topic);
        Ok(true)
    }

    async fn publish(&self, topic: &[u8], body: Bytes) -> Result<u64> {
        let len = body.len() as u64;
        let mut shard = self.shard(topic);
        let Some(t) = shard.get_mut(topic).filter(|t| t.subscribers() > 0) else {
            return Ok(0);
        };
        // Checked under the shard lock; publishes on other shards may overshoot the
        // budget by at most one body each.
        if self.bytes.load(Ordering::Relaxed) + len > self.max_bytes {
            return Err(Error::Full(format!(
                "more than {} bytes of messages are waiting to be read",
                self.max_bytes
            )));
        }
        // One copy into an allocation of its own: hyper hands the body out as a slice of
        // its read buffer, which would otherwise stay alive (with its neighbours' bytes)
        // as long as the slowest reader of this message, and the budget would undercount.
        let n = t.publish(Bytes::copy_from_slice(&body)).unwrap_or(0);
        self.bytes.fetch_add(len, Ordering::Relaxed);
        self.messages.fetch_add(1, Ordering::Relaxed);
        t.notify.notify_waiters();
        Ok(n)
    }

    /// Consumes at once and issues no ticket: the store dies with the node, so there is
    /// no later reader a claim could be handed back to.
    async fn claim(&self, topic: &[u8], user: &[u8], _waiting: Waiting) -> Result<Claimed> {
        let mut shard = self.shard(topic);
        let Some((msg, freed)) = shard.get_mut(topic).and_then(|t| t.poll(user)) else {
            return Ok(Claimed::NotSubscribed);
        };
        self.release(freed);
        Ok(msg.map_or(Claimed::Empty, |body| Claimed::Message {
            body,
            ticket: None,
            redelivered: false,
        }))
    }

    /// No tickets are issued, so none can be confirmed.
    async fn confirm(&self, _topic: &[u8], _user: &[u8], _ticket: &Ticket) -> Result<bool> {
        Ok(false)
    }

    /// No tickets are issued, so none can be released.
    async fn release(&self, _topic: &[u8], _user: &[u8], _ticket: &Ticket) -> Result<bool> {
        Ok(false)
    }

    fn watch(&self, topic: &[u8]) -> Self::Watch {
        let notify = match self.shard(topic).get(topic) {
            Some(t) => t.notify.clone(),
            // No topic: the poll that follows answers "not subscribed" without waiting.
            None => Arc::new(Notify::new()),
        };
        let mut w = Box::pin(notify.notified_owned());
        w.as_mut().enable();
        w
    }

    async fn health(&self) -> Result<()> {
        Ok(())
    }

    fn stats(&self) -> Option<Stats> {
        let mut s = Stats {
            messages: self.messages.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            ..Stats::default()
        };
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            s.topics += shard.len() as u64;
            s.subscriptions += shard.values().map(Topic::subscribers).sum::<u64>();
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests;
