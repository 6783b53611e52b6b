//! Long polls over Redis: a local registry of waiting topics, woken by one Redis pub/sub
//! subscription per node.
//!
//! A long poll registers its topic here ([`Wakers::watch`]) before its poll script runs;
//! when the poll finds nothing, the script sets the topic's `waiting` key (with a TTL a bit
//! longer than the wait), and every publish script that sees that key `PUBLISH`es the topic
//! name on [`WAKE_CHANNEL`]. Each node's [`listen`] task receives those (Redis Cluster
//! forwards `PUBLISH` to every node, so one subscription to any node suffices) and wakes
//! local waiters of that topic, which poll again. Publishes to topics nobody long-polls
//! cost nothing extra.
//!
//! While the subscription is down (Redis restarting) announcements are lost; on every
//! (re)subscribe the listener wakes all waiters, so each polls once more and none sleeps
//! through a message that arrived meanwhile.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::StreamExt;
use redis::Client;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

use super::keys::WAKE_CHANNEL;
use crate::error::redact;

/// Topic name -> (its notify, number of watchers).
type Registry = HashMap<Vec<u8>, (Arc<Notify>, usize)>;

/// Topics with local long polls.
#[derive(Debug, Default)]
pub(crate) struct Wakers {
    map: Mutex<Registry>,
}

impl Wakers {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Short sections that cannot panic; a poisoned map is still consistent.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register interest in `topic`, already armed (see `Store::watch`).
    pub(crate) fn watch(self: &Arc<Self>, topic: &[u8]) -> Watch {
        let notify = {
            let mut map = self.lock();
            let e = map
                .entry(topic.to_vec())
                .or_insert_with(|| (Arc::new(Notify::new()), 0));
            e.1 += 1;
            e.0.clone()
        };
        let mut notified = Box::pin(notify.notified_owned());
        notified.as_mut().enable();
        Watch {
            notified,
            wakers: self.clone(),
            topic: topic.to_vec(),
        }
    }

    fn wake(&self, topic: &[u8]) {
        if let Some((n, _)) = self.lock().get(topic) {
            n.notify_waiters();
        }
    }

    fn wake_all(&self) {
        for (n, _) in self.lock().values() {
            n.notify_waiters();
        }
    }
}

/// A registered long poll; unregisters when dropped.
#[derive(Debug)]
pub struct Watch {
    notified: Pin<Box<OwnedNotified>>,
    wakers: Arc<Wakers>,
    topic: Vec<u8>,
}

impl Future for Watch {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.notified.as_mut().poll(cx)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut map = self.wakers.lock();
        if let Some(e) = map.get_mut(&self.topic) {
            e.1 -= 1;
            if e.1 == 0 {
                map.remove(&self.topic);
            }
        }
    }
}

/// How long one attempt to open the wake-up subscription may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Keep one subscription to [`WAKE_CHANNEL`] open (trying `clients` in turn, backing off
/// up to 2 s) and wake local waiters on each announcement. Runs until aborted.
pub(crate) async fn listen(clients: Vec<Client>, wakers: Arc<Wakers>, secrets: Vec<String>) {
    let mut backoff = Duration::from_millis(50);
    for client in clients.iter().cycle() {
        // Bounded, so an address that swallows packets cannot stall the retry loop.
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await;
        let connected = connected.unwrap_or_else(|_| {
            Err(redis::RedisError::from((
                redis::ErrorKind::IoError,
                "connect timed out",
            )))
        });
        match connected {
            Ok(mut ps) => match ps.subscribe(WAKE_CHANNEL).await {
                Ok(()) => {
                    backoff = Duration::from_millis(50);
                    wakers.wake_all();
                    let mut messages = ps.on_message();
                    while let Some(msg) = messages.next().await {
                        wakers.wake(msg.get_payload_bytes());
                    }
                    tracing::warn!("Redis wake-up subscription lost; reconnecting");
                    wakers.wake_all();
                }
                Err(e) => {
                    tracing::warn!(error = %redact(&e.to_string(), &secrets), "cannot subscribe for wake-ups")
                }
            },
            Err(e) => {
                tracing::debug!(error = %redact(&e.to_string(), &secrets), "wake-up connection failed")
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}
