//! [`Gates`]: on one node, the reads of one subscriber claim one at a time, in arrival
//! order.
//!
//! A subscriber's reads are serial by nature once reads are claims: while one is in
//! flight, the next must not skip ahead. Without a local gate, every concurrent read of
//! the same subscriber on a node would run the claim script, be told "in flight", wait,
//! and be woken by the confirm together with all the others, which then race again (a
//! thundering herd: with 50 connections reading one subscriber, about 48 wasted scripts
//! per delivered message). With it, one read per node claims at a time and holds the gate
//! until its confirm or release has run; the next one then claims straight away. Reads on
//! other nodes still meet as "in flight" in Redis, at most one per node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OwnedMutexGuard;

type Key = (Box<[u8]>, Box<[u8]>);
type Map = HashMap<Key, Arc<tokio::sync::Mutex<()>>>;

/// One FIFO gate per subscriber with reads in progress on this node.
#[derive(Debug, Default)]
pub(crate) struct Gates {
    map: Arc<Mutex<Map>>,
}

/// Holds a subscriber's gate; the next read of that subscriber proceeds when it drops.
#[derive(Debug)]
pub(crate) struct Pass {
    guard: Option<OwnedMutexGuard<()>>,
    key: Key,
    map: Arc<Mutex<Map>>,
}

fn lock(map: &Mutex<Map>) -> MutexGuard<'_, Map> {
    // Short sections that cannot panic; a poisoned map is still consistent.
    map.lock().unwrap_or_else(|p| p.into_inner())
}

impl Gates {
    /// Wait for the gate of `user` on `topic` (tokio's mutex queues waiters in order).
    pub(crate) async fn enter(&self, topic: &[u8], user: &[u8]) -> Pass {
        let key: Key = (topic.into(), user.into());
        let gate = lock(&self.map).entry(key.clone()).or_default().clone();
        Pass {
            guard: Some(gate.lock_owned().await),
            key,
            map: self.map.clone(),
        }
    }

    /// Subscribers with a gate right now (held or waited for).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.map).len()
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = lock(&self.map);
        // Only the map holds it: nobody waits, so the entry goes. Checked under the map
        // lock, which `enter` holds while it takes its clone, so no waiter is stranded.
        if map
            .get(&self.key)
            .is_some_and(|g| Arc::strong_count(g) == 1)
        {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// One pass per subscriber at a time, in arrival order; other subscribers are not
    /// held up; the map empties when the last pass drops.
    #[tokio::test]
    async fn one_at_a_time_in_order() {
        let g = Arc::new(Gates::default());
        let first = g.enter(b"t", b"u").await;
        let _other = g.enter(b"t", b"v").await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for i in 0..3 {
            let (g, order) = (g.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _p = g.enter(b"t", b"u").await;
                order.lock().unwrap().push(i);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            // Let each queue up before the next, so arrival order is known.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(order.lock().unwrap().is_empty());
        drop(first);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
        drop(_other);
        assert_eq!(g.len(), 0);
    }
}
