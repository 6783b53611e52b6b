//! The live peer sessions of one node, and flooding to them.
//!
//! Flooding never waits: each session has a queue bounded both in updates and in bytes,
//! and a peer whose queue is full is reset instead of slowing everyone else; it
//! reconnects and anti-entropy sends what it missed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

/// The sending side of one session's queue, with its byte count.
#[derive(Clone, Debug)]
pub(crate) struct Queue {
    tx: mpsc::Sender<Arc<str>>,
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The receiving side, which gives bytes back as it takes lines.
#[derive(Debug)]
pub(crate) struct QueueRx {
    rx: mpsc::Receiver<Arc<str>>,
    bytes: Arc<AtomicUsize>,
}

/// A queue of at most `max_lines` lines and `max_bytes` bytes.
pub(crate) fn queue(max_lines: usize, max_bytes: usize) -> (Queue, QueueRx) {
    let (tx, rx) = mpsc::channel(max_lines.max(1));
    let bytes = Arc::new(AtomicUsize::new(0));
    (
        Queue {
            tx,
            bytes: bytes.clone(),
            max_bytes,
        },
        QueueRx { rx, bytes },
    )
}

/// Why a line could not be queued.
#[derive(Debug, PartialEq, Eq)]
enum Full {
    Yes,
    Closed,
}

impl Queue {
    fn push(&self, line: &Arc<str>) -> Result<(), Full> {
        let n = line.len();
        if self.bytes.fetch_add(n, Ordering::Relaxed) + n > self.max_bytes {
            self.bytes.fetch_sub(n, Ordering::Relaxed);
            return Err(Full::Yes);
        }
        match self.tx.try_send(line.clone()) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.bytes.fetch_sub(n, Ordering::Relaxed);
                Err(match e {
                    TrySendError::Full(_) => Full::Yes,
                    TrySendError::Closed(_) => Full::Closed,
                })
            }
        }
    }
}

impl QueueRx {
    /// The next line; `None` once every sender is gone and the queue is empty.
    pub(crate) async fn recv(&mut self) -> Option<Arc<str>> {
        let line = self.rx.recv().await?;
        self.bytes.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }

    /// A line already queued, without waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Arc<str>> {
        let line = self.rx.try_recv().ok()?;
        self.bytes.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }
}

#[derive(Debug)]
struct Link {
    id: u64,
    queue: Queue,
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

    /// Make `queue` the queue for `peer`, ending any older session with it. Returns an id
    /// for [`Links::unregister`].
    pub(crate) fn register(&self, peer: &str, queue: Queue, reset: CancellationToken) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let link = Link { id, queue, reset };
        if let Some(old) = self.map().insert(peer.to_string(), link) {
            old.reset.cancel();
        }
        id
    }

    /// Forget `peer`'s session `id` (a newer session is left alone). Dropping its queue's
    /// sender lets the session's writer finish what is queued and stop.
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
            if link.queue.push(line) == Err(Full::Yes) {
                tracing::warn!(peer = %name, "peer queue full; resetting link to resync");
                link.reset.cancel();
            }
        }
    }

    /// Names of peers with a live session, sorted.
    pub(crate) fn connected(&self) -> Vec<String> {
        let mut v: Vec<String> = self.map().keys().cloned().collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flooding skips the sender, and a full queue (by count) resets that link only.
    #[tokio::test]
    async fn flood_skips_source_and_resets_full() {
        let links = Links::default();
        let (qa, mut ra) = queue(1, 1 << 20);
        let (qb, mut rb) = queue(8, 1 << 20);
        let (reset_a, reset_b) = (CancellationToken::new(), CancellationToken::new());
        links.register("A", qa, reset_a.clone());
        links.register("B", qb, reset_b.clone());
        let line: Arc<str> = Arc::from("AT x");
        links.flood(&line, Some("B"));
        assert_eq!(ra.recv().await.as_deref(), Some("AT x"));
        assert!(rb.try_recv().is_none());
        links.flood(&line, None);
        links.flood(&line, None);
        assert!(reset_a.is_cancelled() && !reset_b.is_cancelled());
        assert_eq!(links.connected(), ["A", "B"]);
    }

    /// The byte bound: lines up to exactly the bound queue; one byte past resets; taking a
    /// line gives its bytes back.
    #[tokio::test]
    async fn byte_bound_at_the_edge() {
        let (q, mut rx) = queue(100, 10);
        let five: Arc<str> = Arc::from("12345");
        assert_eq!(q.push(&five), Ok(()));
        assert_eq!(q.push(&five), Ok(()));
        let one: Arc<str> = Arc::from("x");
        assert_eq!(q.push(&one), Err(Full::Yes));
        assert_eq!(rx.recv().await.as_deref(), Some("12345"));
        assert_eq!(q.push(&one), Ok(()));
        drop(q);
        assert!(rx.try_recv().is_some() && rx.try_recv().is_some());
        assert!(rx.recv().await.is_none());
    }

    /// A newer session replaces an older one, and the old one's unregister is ignored.
    #[tokio::test]
    async fn newer_session_wins() {
        let links = Links::default();
        let old_reset = CancellationToken::new();
        let old = links.register("A", queue(1, 100).0, old_reset.clone());
        let new = links.register("A", queue(1, 100).0, CancellationToken::new());
        assert!(old_reset.is_cancelled());
        links.unregister("A", old);
        assert_eq!(links.connected(), ["A"]);
        links.unregister("A", new);
        assert!(links.connected().is_empty());
    }
}
