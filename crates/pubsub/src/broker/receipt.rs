//! [`Receipt`]: a claimed message still to be settled. Confirmed once the message has
//! been delivered ([`Receipt::confirm`], or [`Receipt::delivered`] from code that cannot
//! wait); dropped unconfirmed, it releases the claim so the next read gets the message at
//! once. A receipt that never settles (its node was killed) leaves the claim to lapse at
//! the end of its lease, after which the message is delivered again.

use std::fmt;

use super::gate::Pass;
use crate::store::Ticket;
use crate::{Broker, Result, Store};

/// A claimed message's pending confirmation.
pub struct Receipt<S: Store> {
    broker: Broker<S>,
    topic: Box<[u8]>,
    user: Box<[u8]>,
    /// `None` once settled.
    ticket: Option<Ticket>,
    /// The subscriber's gate on this node, held until the claim is settled, so the next
    /// local read of that subscriber finds the message confirmed (or released).
    pass: Option<Pass>,
}

impl<S: Store> fmt::Debug for Receipt<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt")
            .field("topic", &String::from_utf8_lossy(&self.topic))
            .field("user", &String::from_utf8_lossy(&self.user))
            .field("settled", &self.ticket.is_none())
            .finish()
    }
}

impl<S: Store> Receipt<S> {
    pub(crate) fn new(
        broker: Broker<S>,
        topic: &[u8],
        user: &[u8],
        ticket: Ticket,
        pass: Option<Pass>,
    ) -> Self {
        Receipt {
            broker,
            topic: topic.into(),
            user: user.into(),
            ticket: Some(ticket),
            pass,
        }
    }

    /// The message was delivered: remove it from the user's queue, and wait for that.
    /// `Ok(false)` if the claim had lapsed and another read took the message over (it
    /// will be delivered again by that read).
    ///
    /// # Errors
    /// The store's; the claim then lapses and the message is delivered again.
    pub async fn confirm(mut self) -> Result<bool> {
        let Some(t) = self.ticket.take() else {
            return Ok(false);
        };
        let r = self.broker.settle(true, &self.topic, &self.user, &t).await;
        drop(self.pass.take());
        r
    }

    /// The message was delivered: confirm it in the background. For code that runs
    /// inside a poll (an HTTP body's buffer), which cannot wait.
    pub fn delivered(mut self) {
        if let Some(t) = self.ticket.take() {
            self.spawn_settle(true, t);
        }
    }

    fn spawn_settle(&mut self, confirm: bool, t: Ticket) {
        let pass = self.pass.take();
        // Without a runtime (it is shutting down) there is nobody left to send it; the
        // claim then lapses, which is the safe side.
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (broker, topic, user) = (self.broker.clone(), self.topic.clone(), self.user.clone());
        let counted = broker.settling();
        rt.spawn(async move {
            // Failures are counted and logged in `settle`; the lease is the fallback.
            let _ = broker.settle(confirm, &topic, &user, &t).await;
            drop(pass);
            drop(counted);
        });
    }
}

/// Dropped unsettled: the reply broke off, so the message is handed back.
impl<S: Store> Drop for Receipt<S> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.broker
                .metrics()
                .replies_cut
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.spawn_settle(false, t);
        }
    }
}
