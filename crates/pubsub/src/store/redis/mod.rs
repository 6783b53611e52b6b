//! [`RedisStore`]: subscriptions and messages in Redis (one server or a Redis Cluster), so
//! several `herd pubsub` nodes sharing it form one service in which any node serves any
//! request.
//!
//! Every operation is one Lua script ([`scripts`]) over the topic's keys ([`keys`]), run
//! atomically by Redis; nodes keep no state of their own beyond the long-poll registry
//! ([`wake`]). Every call is bounded by `timeout`: while Redis is down or restarting,
//! requests fail within it as [`Error::Unavailable`] (HTTP 503) and succeed again once it
//! is back, with no restart of the node.
//!
//! A read claims the message for the claim lease under a fresh [`Ticket`] (a random
//! per-process prefix and a counter, so tickets of different nodes never collide), and
//! confirms it once the reply is written; a claim whose node died lapses, and the next
//! read delivers the message again.

mod conn;
pub mod keys;
pub mod scripts;
mod wake;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::{Script, Value};

use self::conn::Conn;
use self::keys::TopicKeys;
use self::wake::Wakers;
use super::{Claimed, Stats, Store, Ticket, Waiting};
use crate::{Error, Result};

pub use self::wake::Watch;

/// The Redis-backed store.
pub struct RedisStore {
    conn: Conn,
    timeout: Duration,
    secrets: Vec<String>,
    wakers: Arc<Wakers>,
    listener: tokio::task::JoinHandle<()>,
    cluster: bool,
    /// How long a claim holds a message for one read.
    lease: Duration,
    /// Random per store, so tickets from different nodes differ.
    ticket_prefix: u64,
    /// Tickets issued so far.
    tickets: AtomicU64,
}

/// Written by hand so that the passwords kept for redaction are never printed.
impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("cluster", &self.cluster)
            .field("timeout", &self.timeout)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Extra lifetime of a topic's `waiting` marker past the wait itself, so it outlives the
/// poll that set it even with clock skew between Redis and the node.
const MARKER_SLACK: Duration = Duration::from_secs(2);

/// The claim lease until [`RedisStore::with_lease`] sets another.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// A marker TTL in ms for the scripts: `0` when not waiting.
fn marker_ttl(wait: Option<Duration>) -> String {
    wait.map_or(0, |w| (w + MARKER_SLACK).as_millis())
        .to_string()
}

impl RedisStore {
    /// Connect to `urls`: one Redis server, or seed nodes of one Redis Cluster (found out
    /// by asking the first). Every later call gives up after `timeout`.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL, [`Error::Unavailable`] if Redis cannot be reached.
    /// No error text contains a password.
    pub async fn connect(urls: &[String], timeout: Duration) -> Result<Self> {
        let c = conn::connect(urls, timeout).await?;
        let wakers = Arc::new(Wakers::default());
        let listener = tokio::spawn(wake::listen(c.clients, wakers.clone(), c.secrets.clone()));
        Ok(RedisStore {
            cluster: matches!(c.conn, Conn::Cluster(_)),
            conn: c.conn,
            timeout,
            secrets: c.secrets,
            wakers,
            listener,
            lease: DEFAULT_LEASE,
            ticket_prefix: RandomState::new().hash_one(std::process::id()),
            tickets: AtomicU64::new(0),
        })
    }

    /// Hold a claimed message for `lease` (at least 1 ms) before another read may take it
    /// again. Long enough to write the largest reply to a slow client; every read that a
    /// node crash cuts off waits this long for its redelivery.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    fn ticket(&self) -> Ticket {
        let n = self.tickets.fetch_add(1, Ordering::Relaxed);
        Ticket(format!("{:016x}{n:x}", self.ticket_prefix))
    }

    /// Whether the store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    async fn run(&self, script: &Script, topic: &[u8], args: &[&[u8]]) -> Result<Value> {
        let keys = TopicKeys::new(topic);
        let mut inv = script.prepare_invoke();
        for k in &keys.0 {
            inv.key(k.as_slice());
        }
        for a in args {
            inv.arg(*a);
        }
        self.conn.eval(&inv, self.timeout, &self.secrets).await
    }
}

fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(Error::Protocol(format!(
            "expected an integer, got {other:?}"
        ))),
    }
}

impl Store for RedisStore {
    type Watch = Watch;

    async fn subscribe(&self, topic: &[u8], user: &[u8]) -> Result<()> {
        let v = self.run(&scripts::SUBSCRIBE_SCRIPT, topic, &[user]).await?;
        int(&v).map(drop)
    }

    async fn unsubscribe(&self, topic: &[u8], user: &[u8]) -> Result<bool> {
        let v = self
            .run(&scripts::UNSUBSCRIBE_SCRIPT, topic, &[user])
            .await?;
        Ok(int(&v)? == 1)
    }

    async fn publish(&self, topic: &[u8], body: Bytes) -> Result<u64> {
        let v = self
            .run(&scripts::PUBLISH_SCRIPT, topic, &[&body, topic])
            .await?;
        Ok(int(&v)?.max(0) as u64)
    }

    async fn claim(&self, topic: &[u8], user: &[u8], waiting: Waiting) -> Result<Claimed> {
        let ticket = self.ticket();
        let lease = self.lease.as_millis().to_string();
        let (empty, busy) = (marker_ttl(waiting.empty), marker_ttl(waiting.in_flight));
        let args: [&[u8]; 5] = [
            user,
            ticket.0.as_bytes(),
            lease.as_bytes(),
            empty.as_bytes(),
            busy.as_bytes(),
        ];
        match self.run(&scripts::CLAIM_SCRIPT, topic, &args).await? {
            Value::Int(-1) => Ok(Claimed::NotSubscribed),
            Value::Int(0) => Ok(Claimed::Empty),
            Value::Array(a) => {
                let mut parts = a.into_iter();
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(Value::Int(left)), None, None) => {
                        Ok(Claimed::InFlight(Duration::from_millis(left.max(1) as u64)))
                    }
                    (Some(Value::BulkString(body)), Some(Value::Int(again)), None) => {
                        Ok(Claimed::Message {
                            body: Bytes::from(body),
                            ticket: Some(ticket),
                            redelivered: again == 1,
                        })
                    }
                    other => Err(Error::Protocol(format!("unexpected claim reply {other:?}"))),
                }
            }
            other => Err(Error::Protocol(format!("unexpected claim reply {other:?}"))),
        }
    }

    async fn confirm(&self, topic: &[u8], user: &[u8], ticket: &Ticket) -> Result<bool> {
        let args: [&[u8]; 3] = [user, ticket.0.as_bytes(), topic];
        let v = self.run(&scripts::CONFIRM_SCRIPT, topic, &args).await?;
        Ok(int(&v)? == 1)
    }

    async fn release(&self, topic: &[u8], user: &[u8], ticket: &Ticket) -> Result<bool> {
        let args: [&[u8]; 3] = [user, ticket.0.as_bytes(), topic];
        let v = self.run(&scripts::RELEASE_SCRIPT, topic, &args).await?;
        Ok(int(&v)? == 1)
    }

    fn holds_claims(&self) -> bool {
        true
    }

    fn watch(&self, topic: &[u8]) -> Watch {
        self.wakers.watch(topic)
    }

    async fn health(&self) -> Result<()> {
        self.conn.ping(self.timeout, &self.secrets).await
    }

    fn stats(&self) -> Option<Stats> {
        None
    }
}
