//! [`RedisTier`]: entries shared by several relays through one Redis.
//!
//! Keys are `<namespace><cache key>`; values are the checksummed [`Entry`] encoding (so
//! they carry their status, headers and times), with a Redis expiry at the end of the
//! entry's last stale window. A Redis that is down or slow never fails a request: every
//! operation has a short timeout, a failure is a miss (or a skipped store), and a warning
//! is logged at most every ten seconds. Reconnection happens in the background.
//!
//! The Redis URL may hold a password: only `host:port` is ever logged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

use crate::{Entry, Error};

/// How long one Redis operation may take before it counts as a failure.
pub const OP_TIMEOUT: Duration = Duration::from_millis(300);
const WARN_EVERY: Duration = Duration::from_secs(10);
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// The Redis tier. Cheap to clone.
#[derive(Clone)]
pub struct RedisTier {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    shown: String,
    namespace: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    conn: Option<ConnectionManager>,
    connecting: bool,
    last_attempt: Option<Instant>,
    last_warn: Option<Instant>,
}

impl std::fmt::Debug for RedisTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTier")
            .field("addr", &self.inner.shown)
            .field("namespace", &self.inner.namespace)
            .finish()
    }
}

impl RedisTier {
    /// A tier for the Redis at `url`, keys prefixed by `namespace`. Connects in the
    /// background; until then (and whenever Redis is down) lookups miss.
    ///
    /// # Errors
    /// [`Error::RedisUrl`] when the URL cannot be read.
    pub fn new(url: &str, namespace: &str) -> Result<RedisTier, Error> {
        let client = redis::Client::open(url).map_err(|_| Error::RedisUrl)?;
        let shown = client.get_connection_info().addr.to_string();
        let tier = RedisTier {
            inner: Arc::new(Inner {
                client,
                shown,
                namespace: namespace.to_string(),
                state: Mutex::new(State::default()),
            }),
        };
        tier.connection();
        Ok(tier)
    }

    /// `host:port` of the Redis (never the password).
    pub fn addr(&self) -> &str {
        &self.inner.shown
    }

    /// Whether a connection is established now.
    pub fn connected(&self) -> bool {
        self.lock().conn.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Never held across an await; a poisoned state is still usable.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection if there is one; otherwise start connecting (at most one attempt at
    /// a time, at most one per second) and return `None`.
    fn connection(&self) -> Option<ConnectionManager> {
        let mut st = self.lock();
        if let Some(c) = &st.conn {
            return Some(c.clone());
        }
        let due = st
            .last_attempt
            .is_none_or(|t| t.elapsed() >= RECONNECT_EVERY);
        if st.connecting || !due {
            return None;
        }
        st.connecting = true;
        st.last_attempt = Some(Instant::now());
        drop(st);
        let tier = self.clone();
        tokio::spawn(async move {
            let cfg = ConnectionManagerConfig::new()
                .set_connection_timeout(OP_TIMEOUT)
                .set_response_timeout(OP_TIMEOUT)
                .set_number_of_retries(1);
            let r = ConnectionManager::new_with_config(tier.inner.client.clone(), cfg).await;
            let mut st = tier.lock();
            st.connecting = false;
            match r {
                Ok(c) => {
                    st.conn = Some(c);
                    drop(st);
                    tracing::info!(redis = %tier.inner.shown, "redis cache tier connected");
                }
                Err(e) => {
                    drop(st);
                    tier.warn(e.kind());
                }
            }
        });
        None
    }

    fn warn(&self, kind: redis::ErrorKind) {
        let mut st = self.lock();
        if st.last_warn.is_none_or(|t| t.elapsed() >= WARN_EVERY) {
            st.last_warn = Some(Instant::now());
            drop(st);
            tracing::warn!(redis = %self.inner.shown, error = ?kind,
                "redis cache tier unavailable; serving from the other tiers");
        }
    }

    fn failed(&self, kind: redis::ErrorKind) {
        if matches!(
            kind,
            redis::ErrorKind::IoError | redis::ErrorKind::ClusterConnectionNotFound
        ) {
            // Drop the connection so the next call reconnects from scratch.
            self.lock().conn = None;
        }
        self.warn(kind);
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        let mut conn = self.connection()?;
        match tokio::time::timeout(OP_TIMEOUT, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.failed(e.kind());
                None
            }
            Err(_) => {
                self.failed(redis::ErrorKind::IoError);
                None
            }
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.inner.namespace)
    }

    /// The entry for `key`; `None` when absent, damaged, or Redis is unavailable.
    pub async fn get(&self, key: &str) -> Option<Entry> {
        let data: Option<Vec<u8>> = self.run(redis::cmd("GET").arg(self.key(key))).await?;
        match Entry::decode(Bytes::from(data?)) {
            Ok(e) if e.key == key => Some(e),
            _ => {
                tracing::warn!(key, "damaged redis cache entry dropped");
                self.remove(key).await;
                None
            }
        }
    }

    /// Store `entry` until its last stale window ends (nothing if that is past at `now`).
    pub async fn put(&self, entry: &Entry, now_ms: u64) {
        let ttl = entry.freshness.keep_until().saturating_sub(now_ms);
        if ttl == 0 {
            return;
        }
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&entry.key))
            .arg(entry.encode())
            .arg("PX")
            .arg(ttl);
        let _: Option<()> = self.run(&cmd).await;
    }

    /// Delete `key`.
    pub async fn remove(&self, key: &str) {
        let _: Option<i64> = self.run(redis::cmd("DEL").arg(self.key(key))).await;
    }

    /// Delete every key starting with `prefix` (SCAN + DEL); returns how many.
    pub async fn remove_prefix(&self, prefix: &str) -> usize {
        let pattern = format!("{}*", glob_escape(&self.key(prefix)));
        let mut cursor: u64 = 0;
        let mut removed = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500);
            let Some((next, keys)) = self.run::<(u64, Vec<String>)>(&scan).await else {
                return removed;
            };
            if !keys.is_empty() {
                let n: Option<usize> = self.run(redis::cmd("DEL").arg(&keys)).await;
                removed += n.unwrap_or(0);
            }
            if next == 0 {
                return removed;
            }
            cursor = next;
        }
    }
}

/// Escape Redis glob metacharacters so a prefix matches only itself.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glob characters in a purge prefix are literal.
    #[test]
    fn escapes_globs() {
        assert_eq!(glob_escape("/a?b*[c]\\"), "/a\\?b\\*\\[c\\]\\\\");
    }

    /// The password never shows; a bad URL is an error without the URL.
    #[tokio::test]
    async fn never_shows_password() {
        let t = RedisTier::new("redis://:hunter2@127.0.0.1:1/0", "t:").unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
        assert_eq!(t.addr(), "127.0.0.1:1");
        // Down: a miss, not an error, and quickly.
        let started = Instant::now();
        assert!(t.get("/k").await.is_none());
        assert!(started.elapsed() < Duration::from_secs(2));
        let e = RedisTier::new("nope://x", "t:").unwrap_err();
        assert!(!e.to_string().contains("nope"));
    }
}
