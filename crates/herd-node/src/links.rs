//! The live peer sessions of one node, and flooding to them.
//!
//! Flooding never waits: each session has a bounded queue, and a peer whose queue is full
//! is reset instead of slowing everyone else; it reconnects and anti-entropy sends what it
//! missed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

#[derive(Debug)]
struct Link {
    id: u64,
    tx: mpsc::Sender<Arc<str>>,
    reset: CancellationToken,
}

/// Peer name to its current session's queue.
#[derive(Debug, Default)]
pub(crate) struct Links {
    map: Mutex<HashMap<String, Link>>,
    next_id: AtomicU64,
}

impl Links {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Link>> {
        // The map stays consistent even if a holder panicked: every mutation is one call.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Make `tx` the queue for `peer`, ending any older session with it. Returns an id for
    /// [`Links::unregister`].
    pub(crate) fn register(
        &self,
        peer: &str,
        tx: mpsc::Sender<Arc<str>>,
        reset: CancellationToken,
    ) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Some(old) = self.map().insert(peer.to_string(), Link { id, tx, reset }) {
            old.reset.cancel();
        }
        id
    }

    /// Forget `peer`'s session `id` (a newer session is left alone).
    pub(crate) fn unregister(&self, peer: &str, id: u64) {
        let mut map = self.map();
        if map.get(peer).is_some_and(|l| l.id == id) {
            map.remove(peer);
        }
    }

    /// Queue `line` for every live peer except `except` (where it came from).
    pub(crate) fn flood(&self, line: &Arc<str>, except: Option<&str>) {
        for (name, link) in self.map().iter() {
            if Some(name.as_str()) == except {
                continue;
            }
            match link.tx.try_send(line.clone()) {
                Ok(()) | Err(TrySendError::Closed(_)) => {}
                Err(TrySendError::Full(_)) => {
                    tracing::warn!(peer = %name, "peer queue full; resetting link to resync");
                    link.reset.cancel();
                }
            }
        }
    }

    /// Names of peers with a live session, sorted.
    #[cfg(test)]
    pub(crate) fn connected(&self) -> Vec<String> {
        let mut v: Vec<String> = self.map().keys().cloned().collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flooding skips the sender, and a full queue resets that link only.
    #[tokio::test]
    async fn flood_skips_source_and_resets_full() {
        let links = Links::default();
        let (ta, mut ra) = mpsc::channel(1);
        let (tb, mut rb) = mpsc::channel(8);
        let (reset_a, reset_b) = (CancellationToken::new(), CancellationToken::new());
        links.register("A", ta, reset_a.clone());
        links.register("B", tb, reset_b.clone());
        let line: Arc<str> = Arc::from("AT x");
        links.flood(&line, Some("B"));
        assert_eq!(ra.recv().await.as_deref(), Some("AT x"));
        assert!(rb.try_recv().is_err());
        links.flood(&line, None);
        links.flood(&line, None);
        assert!(reset_a.is_cancelled() && !reset_b.is_cancelled());
        assert_eq!(links.connected(), ["A", "B"]);
    }

    /// A newer session replaces an older one, and the old one's unregister is ignored.
    #[tokio::test]
    async fn newer_session_wins() {
        let links = Links::default();
        let old_reset = CancellationToken::new();
        let old = links.register("A", mpsc::channel(1).0, old_reset.clone());
        let new = links.register("A", mpsc::channel(1).0, CancellationToken::new());
        assert!(old_reset.is_cancelled());
        links.unregister("A", old);
        assert_eq!(links.connected(), ["A"]);
        links.unregister("A", new);
        assert!(links.connected().is_empty());
    }
}
