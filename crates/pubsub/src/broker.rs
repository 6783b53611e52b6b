//! [`Broker`]: the four operations of the contract over any [`Store`], with the long-poll
//! loop and the counters, and no HTTP. The store makes each step atomic; the broker adds
//! what is the same for every store: waiting for a message with a deadline and a stop
//! signal, and counting.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use netkit::Shutdown;

use crate::{Metrics, Polled, Result, Store};

/// The broker over a store `S`.
#[derive(Debug)]
pub struct Broker<S> {
    store: S,
    metrics: Metrics,
}

impl<S: Store> Broker<S> {
    /// A broker over `store`.
    pub fn new(store: S) -> Self {
        Broker {
            store,
            metrics: Metrics::default(),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn count<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    /// Subscribe (idempotent: a current subscriber keeps its queue).
    ///
    /// # Errors
    /// The store's, e.g. [`crate::Error::Unavailable`].
    pub async fn subscribe(&self, topic: &[u8], user: &[u8]) -> Result<()> {
        self.count(self.store.subscribe(topic, user).await)
    }

    /// Unsubscribe; `false` if the user was not subscribed.
    ///
    /// # Errors
    /// The store's.
    pub async fn unsubscribe(&self, topic: &[u8], user: &[u8]) -> Result<bool> {
        self.count(self.store.unsubscribe(topic, user).await)
    }

    /// Publish; returns the number of subscribers that will receive it.
    ///
    /// # Errors
    /// The store's, including [`crate::Error::Full`].
    pub async fn publish(&self, topic: &[u8], body: Bytes) -> Result<u64> {
        let n = self.count(self.store.publish(topic, body).await)?;
        let c = if n == 0 {
            &self.metrics.published_unheard
        } else {
            &self.metrics.published
        };
        c.fetch_add(1, Ordering::Relaxed);
        Ok(n)
    }

    /// The user's next message. With `wait`, an empty queue is watched until a message
    /// arrives, `wait` passes (then [`Polled::Empty`]) or `stop` fires (then
    /// [`Polled::Empty`] at once, so a shutdown drain is never held by a long poll).
    ///
    /// # Errors
    /// The store's.
    pub async fn poll(
        &self,
        topic: &[u8],
        user: &[u8],
        wait: Option<Duration>,
        stop: &Shutdown,
    ) -> Result<Polled> {
        let r = match wait {
            None => self.store.poll(topic, user, None).await,
            Some(w) => self.long_poll(topic, user, w, stop).await,
        };
        let r = self.count(r)?;
        if let Polled::Message(_) = r {
            self.metrics.delivered.fetch_add(1, Ordering::Relaxed);
        }
        Ok(r)
    }

    async fn long_poll(
        &self,
        topic: &[u8],
        user: &[u8],
        wait: Duration,
        stop: &Shutdown,
    ) -> Result<Polled> {
        let deadline = tokio::time::Instant::now() + wait;
        let _waiting = Gauge::up(&self.metrics);
        loop {
            // Watch first, then poll: a publish landing in between still wakes us.
            let watch = self.store.watch(topic);
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.store.poll(topic, user, Some(left)).await? {
                Polled::Empty if !left.is_zero() && !stop.is_triggered() => {}
                other => return Ok(other),
            }
            tokio::select! {
                _ = watch => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = stop.cancelled() => return Ok(Polled::Empty),
            }
        }
    }
}

/// Counts a long poll in `waiting` while it lives.
struct Gauge<'a>(&'a Metrics);

impl<'a> Gauge<'a> {
    fn up(m: &'a Metrics) -> Self {
        m.waiting.fetch_add(1, Ordering::Relaxed);
        Gauge(m)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
