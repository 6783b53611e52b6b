//! [`Broker`]: the four operations of the contract over any [`Store`], with the long-poll
//! loop and the counters, and no HTTP. The store makes each step atomic; the broker adds
//! what is the same for every store: waiting for a message with a deadline and a stop
//! signal, the claim/confirm pair of a read ([`receipt`]), counting, and logging store
//! failures without flooding the log ([`LogLimit`]).
//!
//! # Waiting
//! A read waits in two cases. A long poll (`wait`) on an empty queue waits for a publish.
//! Any read whose subscriber's next message is claimed by another read still in flight
//! ([`Claimed::InFlight`]) waits for that read to be confirmed (then it reads on),
//! released or to lapse (then it gets that message), for at most its `wait`, or
//! [`IN_FLIGHT_WAIT`] without one, and answers "empty" (204) if it is still in flight:
//! it never skips ahead of it, which would break the order. The usual case is a client's
//! next `GET` arriving, on any node, just before the confirm of its previous one.

mod gate;
pub mod receipt;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use netkit::Shutdown;

use self::gate::{Gates, Pass};
use crate::log_limit::LogLimit;
use crate::store::{Claimed, Ticket, Waiting};
use crate::{Error, Metrics, Polled, Result, Store};

pub use self::receipt::Receipt;

/// How long a read without `?wait=` waits for its subscriber's in-flight read to settle.
pub const IN_FLIGHT_WAIT: Duration = Duration::from_secs(1);

/// Re-check an in-flight claim at least this often at first (in case a wake-up is lost),
/// backing off to [`RECHECK_MAX`].
const RECHECK_MIN: Duration = Duration::from_millis(10);
const RECHECK_MAX: Duration = Duration::from_millis(500);

/// The broker over a store `S`. Cloning is cheap and shares the store and counters.
#[derive(Debug)]
pub struct Broker<S> {
    shared: Arc<Shared<S>>,
}

#[derive(Debug)]
struct Shared<S> {
    store: S,
    metrics: Metrics,
    /// Store failures that may be retried (Redis down, full): WARN, rate-limited.
    warn_limit: LogLimit,
    /// Store failures that are bugs or tampering: ERROR, rate-limited separately so a
    /// WARN flood cannot hide one.
    error_limit: LogLimit,
    /// One claiming read per subscriber at a time on this node (stores that hold claims).
    gates: Gates,
    /// Confirms and releases sent in the background and not finished yet.
    settling: AtomicUsize,
    /// Woken when `settling` drops to zero.
    settled: tokio::sync::Notify,
}

impl<S> Clone for Broker<S> {
    fn clone(&self) -> Self {
        Broker {
            shared: self.shared.clone(),
        }
    }
}

/// What a read found: the outcome as the client sees it, and for a message the store
/// holds until confirmed (Redis), the [`Receipt`] that settles it.
#[derive(Debug)]
pub struct Read<S: Store> {
    /// The outcome.
    pub polled: Polled,
    /// Confirm once the message is delivered; dropping it unconfirmed hands the message
    /// back for the next read.
    pub receipt: Option<Receipt<S>>,
}

impl<S: Store> Broker<S> {
    /// A broker over `store`.
    pub fn new(store: S) -> Self {
        Broker {
            shared: Arc::new(Shared {
                store,
                metrics: Metrics::default(),
                warn_limit: LogLimit::default(),
                error_limit: LogLimit::default(),
                gates: Gates::default(),
                settling: AtomicUsize::new(0),
                settled: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Log a failed store operation and what it means for the client (`consequence`),
    /// at most one line a second per level, each line saying how many were left out.
    pub fn report(&self, e: &Error, consequence: &str) {
        let now = std::time::Instant::now();
        if e.is_transient() {
            if let Some(suppressed) = self.shared.warn_limit.admit(now) {
                tracing::warn!(error = %e, suppressed, "store operation failed; {consequence}");
            }
        } else if let Some(suppressed) = self.shared.error_limit.admit(now) {
            tracing::error!(error = %e, suppressed, "store operation failed; {consequence}");
        }
    }

    fn count<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.metrics().store_errors.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    /// Subscribe (idempotent: a current subscriber keeps its queue).
    ///
    /// # Errors
    /// The store's, e.g. [`crate::Error::Unavailable`].
    pub async fn subscribe(&self, topic: &[u8], user: &[u8]) -> Result<()> {
        self.count(self.store().subscribe(topic, user).await)
    }

    /// Unsubscribe; `false` if the user was not subscribed.
    ///
    /// # Errors
    /// The store's.
    pub async fn unsubscribe(&self, topic: &[u8], user: &[u8]) -> Result<bool> {
        self.count(self.store().unsubscribe(topic, user).await)
    }

    /// Publish; returns the number of subscribers that will receive it.
    ///
    /// # Errors
    /// The store's, including [`crate::Error::Full`].
    pub async fn publish(&self, topic: &[u8], body: Bytes) -> Result<u64> {
        let n = self.count(self.store().publish(topic, body).await)?;
        let m = self.metrics();
        let c = if n == 0 {
            &m.published_unheard
        } else {
            &m.published
        };
        c.fetch_add(1, Ordering::Relaxed);
        Ok(n)
    }

    /// Read the user's next message and confirm it at once: for callers that have no
    /// reply to write first (tests, tools). HTTP reads use [`Broker::claim`].
    ///
    /// # Errors
    /// The store's, from the claim or the confirm.
    pub async fn poll(
        &self,
        topic: &[u8],
        user: &[u8],
        wait: Option<Duration>,
        stop: &Shutdown,
    ) -> Result<Polled> {
        let read = self.claim(topic, user, wait, stop).await?;
        if let Some(r) = read.receipt {
            r.confirm().await?;
        }
        Ok(read.polled)
    }

    /// Claim the user's next message for one read. With `wait`, an empty queue is watched
    /// until a message arrives, `wait` passes (then [`Polled::Empty`]) or `stop` fires
    /// (then [`Polled::Empty`] at once, so a shutdown drain is never held by a long
    /// poll). A message comes with a [`Receipt`] when the store holds it until confirmed.
    ///
    /// # Errors
    /// The store's.
    pub async fn claim(
        &self,
        topic: &[u8],
        user: &[u8],
        wait: Option<Duration>,
        stop: &Shutdown,
    ) -> Result<Read<S>> {
        let (claimed, pass) = self.count(self.claim_waiting(topic, user, wait, stop).await)?;
        let m = self.metrics();
        Ok(match claimed {
            Claimed::Message {
                body,
                ticket,
                redelivered,
            } => {
                m.delivered.fetch_add(1, Ordering::Relaxed);
                if redelivered {
                    m.redelivered.fetch_add(1, Ordering::Relaxed);
                }
                Read {
                    polled: Polled::Message(body),
                    receipt: ticket.map(|t| Receipt::new(self.clone(), topic, user, t, pass)),
                }
            }
            Claimed::Empty | Claimed::InFlight(_) => Read {
                polled: Polled::Empty,
                receipt: None,
            },
            Claimed::NotSubscribed => Read {
                polled: Polled::NotSubscribed,
                receipt: None,
            },
        })
    }

    /// The claim, after waiting as the module doc says, and for a claimed message the
    /// subscriber's local gate, to be held until the claim is settled.
    async fn claim_waiting(
        &self,
        topic: &[u8],
        user: &[u8],
        wait: Option<Duration>,
        stop: &Shutdown,
    ) -> Result<(Claimed, Option<Pass>)> {
        let store = self.store();
        let in_flight_wait = wait.unwrap_or(IN_FLIGHT_WAIT);
        let deadline = tokio::time::Instant::now() + in_flight_wait;
        let _waiting = wait.map(|_| Gauge::up(self.metrics()));
        let mut recheck = RECHECK_MIN;
        // A plain read's first attempt registers no watch: the common case costs one
        // store call.
        let mut watch = wait.map(|_| store.watch(topic));
        loop {
            let pass = if store.holds_claims() {
                match tokio::time::timeout_at(deadline, self.shared.gates.enter(topic, user)).await
                {
                    Ok(p) => Some(p),
                    // Still queued behind this node's read of the same subscriber.
                    Err(_) => return Ok((Claimed::Empty, None)),
                }
            } else {
                None
            };
            let now = tokio::time::Instant::now();
            let left = deadline.saturating_duration_since(now);
            let waiting = Waiting {
                empty: wait.map(|_| left),
                in_flight: Some(left),
            };
            let claimed = store.claim(topic, user, waiting).await?;
            if let Claimed::Message { .. } = claimed {
                return Ok((claimed, pass));
            }
            drop(pass);
            if left.is_zero() || stop.is_triggered() {
                return Ok((claimed, None));
            }
            let until = match claimed {
                Claimed::Empty if wait.is_some() => deadline,
                Claimed::InFlight(lease_left) => {
                    // Woken by the confirm or release; re-checked in case that wake-up
                    // was lost, and when the lease ends (the claim can then be taken).
                    let t = now + lease_left.min(recheck);
                    recheck = (recheck * 2).min(RECHECK_MAX);
                    t.min(deadline)
                }
                other => return Ok((other, None)),
            };
            // The first "in flight" of a plain read has no watch yet: it claims again at
            // once, this time watching first.
            if let Some(w) = watch.take() {
                tokio::select! {
                    _ = w => {}
                    _ = tokio::time::sleep_until(until) => {}
                    _ = stop.cancelled() => return Ok((Claimed::Empty, None)),
                }
            }
            // Watch first, then claim: a publish or confirm landing in between still
            // wakes us.
            watch = Some(store.watch(topic));
        }
    }

    /// Wait until every confirm and release sent in the background has finished: a node
    /// that stops (after its connections drained) calls this before it exits, so a reply
    /// written just before the stop is confirmed rather than left to lapse and be
    /// delivered again.
    pub async fn settled(&self) {
        loop {
            let woken = self.shared.settled.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.shared.settling.load(Ordering::SeqCst) == 0 {
                return;
            }
            woken.await;
        }
    }

    /// Count one background settle until the returned guard drops.
    pub(crate) fn settling(&self) -> Settling<S> {
        self.shared.settling.fetch_add(1, Ordering::SeqCst);
        Settling(self.clone())
    }

    /// Confirm (`true`) or release a claim; failures are counted and logged here.
    async fn settle(&self, confirm: bool, topic: &[u8], user: &[u8], t: &Ticket) -> Result<bool> {
        let r = if confirm {
            self.store().confirm(topic, user, t).await
        } else {
            self.store().release(topic, user, t).await
        };
        if let Err(e) = &r {
            self.report(e, "the claimed message goes out again once its lease ends");
        }
        self.count(r)
    }
}

/// A background confirm or release in progress (see [`Broker::settled`]).
pub(crate) struct Settling<S>(Broker<S>);

impl<S> Drop for Settling<S> {
    fn drop(&mut self) {
        if self.0.shared.settling.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.shared.settled.notify_waiters();
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
