//! [`Model`]: the contract's semantics written as plainly as possible (a queue per
//! subscriber, a copy of every message in each), against which the real stores are checked
//! by random operation sequences (the property test in `broker`, and the Redis
//! integration test). Public so both can use it; it is not meant for serving.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;

use crate::Polled;

/// One operation of a random sequence.
#[derive(Clone, Debug)]
pub enum Op {
    /// Subscribe user to topic.
    Subscribe(u8, u8),
    /// Unsubscribe user from topic.
    Unsubscribe(u8, u8),
    /// Publish a body to a topic.
    Publish(u8, Vec<u8>),
    /// Poll user's next message on topic.
    Poll(u8, u8),
}

/// What an operation answered, comparable between model and store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Subscribe done.
    Subscribed,
    /// Unsubscribe: whether the user was subscribed.
    Unsubscribed(bool),
    /// Publish: receivers.
    Published(u64),
    /// Poll result.
    Polled(Polled),
}

/// Topic and user names for small indexes, including awkward bytes (braces, slash, NUL).
pub fn name(prefix: &str, i: u8) -> Vec<u8> {
    let mut n = prefix.as_bytes().to_vec();
    n.extend_from_slice(match i % 4 {
        0 => b"{x}".as_slice(),
        1 => b"}",
        2 => b"a/b\0",
        _ => b"plain",
    });
    n.push(b'0' + i / 4);
    n
}

/// Each subscriber's pending (message id, body), by topic and user.
type Queues = BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, VecDeque<(u64, Bytes)>>>;

/// The reference model.
#[derive(Debug, Default)]
pub struct Model {
    /// topic -> user -> pending (message id, body).
    queues: Queues,
    next_id: u64,
}

impl Model {
    /// Apply one operation.
    pub fn apply(&mut self, op: &Op) -> Answer {
        match op {
            Op::Subscribe(t, u) => {
                self.queues
                    .entry(name("t", *t))
                    .or_default()
                    .entry(name("u", *u))
                    .or_default();
                Answer::Subscribed
            }
            Op::Unsubscribe(t, u) => {
                let topic = name("t", *t);
                let was = self
                    .queues
                    .get_mut(&topic)
                    .is_some_and(|subs| subs.remove(&name("u", *u)).is_some());
                if self.queues.get(&topic).is_some_and(BTreeMap::is_empty) {
                    self.queues.remove(&topic);
                }
                Answer::Unsubscribed(was)
            }
            Op::Publish(t, body) => {
                let id = self.next_id;
                self.next_id += 1;
                let subs = self.queues.entry(name("t", *t)).or_default();
                for q in subs.values_mut() {
                    q.push_back((id, Bytes::from(body.clone())));
                }
                let n = subs.len() as u64;
                if n == 0 {
                    self.queues.remove(&name("t", *t));
                }
                Answer::Published(n)
            }
            Op::Poll(t, u) => Answer::Polled(
                match self
                    .queues
                    .get_mut(&name("t", *t))
                    .and_then(|s| s.get_mut(&name("u", *u)))
                {
                    None => Polled::NotSubscribed,
                    Some(q) => q
                        .pop_front()
                        .map_or(Polled::Empty, |(_, b)| Polled::Message(b)),
                },
            ),
        }
    }

    /// Distinct messages some subscriber has yet to read: what a store must still hold.
    pub fn messages_held(&self) -> u64 {
        let ids: BTreeSet<u64> = self
            .queues
            .values()
            .flat_map(|s| s.values())
            .flat_map(|q| q.iter().map(|(id, _)| *id))
            .collect();
        ids.len() as u64
    }
}
