//! [`RedisStore`]: subscriptions and messages in Redis (one server or a Redis Cluster), so
//! several `herd pubsub` nodes sharing it form one service in which any node serves any
//! request.
//!
//! Every operation is one Lua script ([`scripts`]) over the topic's keys ([`keys`]), run
//! atomically by Redis; nodes keep no state of their own beyond the long-poll registry
//! ([`wake`]). Every call is bounded by `timeout`: while Redis is down or restarting,
//! requests fail within it as [`Error::Unavailable`] (HTTP 503) and succeed again once it
//! is back, with no restart of the node.

mod conn;
pub mod keys;
pub mod scripts;
mod wake;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::{Script, Value};

use self::conn::Conn;
use self::keys::TopicKeys;
use self::wake::Wakers;
use super::{Polled, Stats, Store};
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
}

/// Written by hand so that the passwords kept for redaction are never printed.
impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("cluster", &self.cluster)
            .field("timeout", &self.timeout)
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
        })
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

    async fn poll(&self, topic: &[u8], user: &[u8], waiting: Option<Duration>) -> Result<Polled> {
        let ttl = waiting
            .map_or(0, |w| (w + MARKER_SLACK).as_millis())
            .to_string();
        match self
            .run(&scripts::POLL_SCRIPT, topic, &[user, ttl.as_bytes()])
            .await?
        {
            Value::Int(-1) => Ok(Polled::NotSubscribed),
            Value::Int(0) => Ok(Polled::Empty),
            Value::Array(mut a) if a.len() == 1 => match a.pop() {
                Some(Value::BulkString(b)) => Ok(Polled::Message(Bytes::from(b))),
                other => Err(Error::Protocol(format!("expected a body, got {other:?}"))),
            },
            other => Err(Error::Protocol(format!("unexpected poll reply {other:?}"))),
        }
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
