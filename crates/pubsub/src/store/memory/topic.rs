//! [`Topic`]: one topic's ring of messages and its subscribers' cursors. Pure bookkeeping,
//! no locks or I/O; the store wraps it in a shard lock.
//!
//! Message `seq` lives at `ring[seq - base]` together with how many subscribers still have
//! to read it. A subscriber is a cursor: the seq of its next message. Publishing counts the
//! subscribers of the moment; reading or unsubscribing decrements the count. Counts reach
//! zero in seq order (a subscriber counted in an older message is still counted in every
//! newer one, until it reads or leaves), so freed messages are always a prefix of the ring
//! and popping the front is enough.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

/// One stored message.
#[derive(Debug)]
struct Slot {
    body: Bytes,
    /// Subscribers that have yet to read it.
    remaining: u64,
}

/// One topic's state.
#[derive(Debug, Default)]
pub(crate) struct Topic {
    /// Seq of `ring[0]`.
    base: u64,
    ring: VecDeque<Slot>,
    /// User -> seq of the user's next message.
    cursors: HashMap<Box<[u8]>, u64>,
    /// Woken on every publish and unsubscribe, for long polls.
    pub(crate) notify: Arc<Notify>,
}

/// What a change did to the bytes held, so the store can keep its totals.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Freed {
    pub(crate) messages: u64,
    pub(crate) bytes: u64,
}

impl Topic {
    fn head(&self) -> u64 {
        self.base + self.ring.len() as u64
    }

    /// Subscriber count.
    pub(crate) fn subscribers(&self) -> u64 {
        self.cursors.len() as u64
    }

    /// Messages stored.
    #[cfg(test)]
    pub(crate) fn messages(&self) -> u64 {
        self.ring.len() as u64
    }

    /// Nothing left: no subscribers (and therefore no messages); the topic can go.
    pub(crate) fn is_idle(&self) -> bool {
        self.cursors.is_empty() && self.ring.is_empty()
    }

    /// Subscribe; a no-op for a current subscriber (its queue is kept).
    pub(crate) fn subscribe(&mut self, user: &[u8]) {
        let head = self.head();
        self.cursors.entry(user.into()).or_insert(head);
    }

    /// Unsubscribe and release every message the user had not read.
    pub(crate) fn unsubscribe(&mut self, user: &[u8]) -> Option<Freed> {
        let cursor = self.cursors.remove(user)?;
        let from = (cursor - self.base) as usize;
        for slot in self.ring.iter_mut().skip(from) {
            slot.remaining = slot.remaining.saturating_sub(1);
        }
        Some(self.pop_read())
    }

    /// Append a message for the current subscribers; `None` if there are none.
    pub(crate) fn publish(&mut self, body: Bytes) -> Option<u64> {
        let n = self.subscribers();
        if n == 0 {
            return None;
        }
        self.ring.push_back(Slot { body, remaining: n });
        Some(n)
    }

    /// The user's next message, consumed. `None` if not subscribed; `Some(None)` if
    /// nothing is pending.
    pub(crate) fn poll(&mut self, user: &[u8]) -> Option<(Option<Bytes>, Freed)> {
        let base = self.base;
        let head = self.head();
        let cursor = self.cursors.get_mut(user)?;
        if *cursor >= head {
            return Some((None, Freed::default()));
        }
        let slot = &mut self.ring[(*cursor - base) as usize];
        *cursor += 1;
        slot.remaining = slot.remaining.saturating_sub(1);
        let body = slot.body.clone();
        Some((Some(body), self.pop_read()))
    }

    /// Drop the read prefix of the ring.
    fn pop_read(&mut self) -> Freed {
        let mut freed = Freed::default();
        while self.ring.front().is_some_and(|s| s.remaining == 0) {
            if let Some(s) = self.ring.pop_front() {
                freed.messages += 1;
                freed.bytes += s.body.len() as u64;
                self.base += 1;
            }
        }
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each subscriber reads every message once, in order; the ring empties as the slowest
    /// reader catches up, and only then.
    #[test]
    fn cursors_and_freeing() {
        let mut t = Topic::default();
        t.subscribe(b"a");
        t.subscribe(b"b");
        assert_eq!(t.publish(Bytes::from_static(b"1")), Some(2));
        assert_eq!(t.publish(Bytes::from_static(b"2")), Some(2));
        let (m, f) = t.poll(b"a").unwrap();
        assert_eq!((m.as_deref(), f.messages), (Some(&b"1"[..]), 0));
        assert_eq!(t.poll(b"a").unwrap().0.as_deref(), Some(&b"2"[..]));
        assert_eq!(t.poll(b"a").unwrap().0, None);
        assert_eq!(t.messages(), 2);
        let (_, f) = t.poll(b"b").unwrap();
        assert_eq!(
            f,
            Freed {
                messages: 1,
                bytes: 1
            }
        );
        let (_, f) = t.poll(b"b").unwrap();
        assert_eq!(f.messages, 1);
        assert_eq!(t.messages(), 0);
        assert!(t.poll(b"nobody").is_none());
    }

    /// Unsubscribing releases what only that user held; a late subscriber sees nothing old.
    #[test]
    fn unsubscribe_releases() {
        let mut t = Topic::default();
        t.subscribe(b"a");
        t.publish(Bytes::from_static(b"x"));
        t.subscribe(b"late");
        assert_eq!(t.poll(b"late").unwrap().0, None);
        assert_eq!(t.unsubscribe(b"a").unwrap().messages, 1);
        assert!(t.unsubscribe(b"a").is_none());
        assert_eq!(t.unsubscribe(b"late").unwrap().messages, 0);
        assert!(t.is_idle());
        assert_eq!(t.publish(Bytes::from_static(b"y")), None);
    }
}
