use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;
use hyper::body::Body;
use netkit::Shutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Reply;
use crate::store::{Claimed, Stats, Store, Ticket, Waiting};
use crate::{Broker, Config, Result};

/// Counts of settled claims, shared with the test.
#[derive(Debug, Default)]
struct Settled {
    confirmed: AtomicUsize,
    released: AtomicUsize,
}

/// A store that hands out `body` under a ticket on every read and records how each
/// claim was settled.
#[derive(Debug)]
struct Recording {
    body: Bytes,
    settled: Arc<Settled>,
}

impl Store for Recording {
    type Watch = std::future::Pending<()>;

    async fn subscribe(&self, _: &[u8], _: &[u8]) -> Result<()> {
        Ok(())
    }
    async fn unsubscribe(&self, _: &[u8], _: &[u8]) -> Result<bool> {
        Ok(true)
    }
    async fn publish(&self, _: &[u8], _: Bytes) -> Result<u64> {
        Ok(1)
    }
    async fn claim(&self, _: &[u8], _: &[u8], _: Waiting) -> Result<Claimed> {
        Ok(Claimed::Message {
            body: self.body.clone(),
            ticket: Some(Ticket("t".into())),
            redelivered: false,
        })
    }
    async fn confirm(&self, _: &[u8], _: &[u8], _: &Ticket) -> Result<bool> {
        self.settled.confirmed.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }
    async fn release(&self, _: &[u8], _: &[u8], _: &Ticket) -> Result<bool> {
        self.settled.released.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }
    fn watch(&self, _: &[u8]) -> Self::Watch {
        std::future::pending()
    }
    async fn health(&self) -> Result<()> {
        Ok(())
    }
    fn stats(&self) -> Option<Stats> {
        None
    }
}

fn recording(body: &[u8]) -> (Recording, Arc<Settled>) {
    let settled = Arc::new(Settled::default());
    let store = Recording {
        body: Bytes::copy_from_slice(body),
        settled: settled.clone(),
    };
    (store, settled)
}

/// Wait (up to 5 s) until `(confirmed, released)` is `want`.
async fn settles_to(s: &Settled, want: (usize, usize)) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = (
            s.confirmed.load(Ordering::SeqCst),
            s.released.load(Ordering::SeqCst),
        );
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "settled {got:?}, want {want:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn reply_for(b: &Broker<Recording>) -> Reply<Recording> {
    let read = b.claim(b"t", b"u", None, &Shutdown::new()).await.unwrap();
    let crate::Polled::Message(body) = read.polled else {
        panic!("no message");
    };
    Reply::message(body, read.receipt)
}

/// A chunk written to the last byte confirms; one dropped with bytes left releases; the
/// body announces its exact length and ends after its one frame.
#[tokio::test]
async fn written_confirms_cut_releases() {
    let (store, settled) = recording(b"hello");
    let b = Broker::new(store);
    let mut reply = reply_for(&b).await;
    assert_eq!(reply.size_hint().exact(), Some(5));
    assert!(!reply.is_end_stream());
    let mut chunk = reply.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(reply.is_end_stream());
    assert!(reply.frame().await.is_none());
    chunk.advance(4);
    drop(chunk);
    settles_to(&settled, (0, 1)).await;
    assert_eq!(b.metrics().replies_cut.load(Ordering::SeqCst), 1);

    let mut reply = reply_for(&b).await;
    let mut chunk = reply.frame().await.unwrap().unwrap().into_data().unwrap();
    chunk.advance(5);
    drop(chunk);
    settles_to(&settled, (1, 1)).await;

    // Dropped before hyper took it at all: released.
    drop(reply_for(&b).await);
    settles_to(&settled, (1, 2)).await;
}

/// An empty message has no byte to wait for: it confirms when the body is dropped,
/// polled or not.
#[tokio::test]
async fn empty_message_confirms() {
    let (store, settled) = recording(b"");
    let b = Broker::new(store);
    let mut reply = reply_for(&b).await;
    assert_eq!(reply.size_hint().exact(), Some(0));
    assert!(reply.frame().await.is_none());
    settles_to(&settled, (1, 0)).await;
    drop(reply_for(&b).await);
    settles_to(&settled, (2, 0)).await;
}

/// Over real HTTP: a large message to a client that stops reading is neither confirmed
/// nor released while the socket holds it back (hyper has taken the body but not written
/// it); the client going away releases it; a client that reads it all confirms it.
#[tokio::test]
async fn confirm_waits_for_the_socket() {
    let body = vec![b'x'; 16 << 20];
    let (store, settled) = recording(&body);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Shutdown::new();
    let config = Config::for_test();
    let server = tokio::spawn({
        let stop = stop.clone();
        async move { crate::serve_store(store, &config, listener, stop).await }
    });
    let get = b"GET /t/u HTTP/1.1\r\nHost: x\r\n\r\n";

    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(get).await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0;
    while read < buf.len() {
        read += slow.read(&mut buf[read..]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    settles_to(&settled, (0, 0)).await;
    drop(slow);
    settles_to(&settled, (0, 1)).await;

    let mut fast = tokio::net::TcpStream::connect(addr).await.unwrap();
    fast.write_all(get).await.unwrap();
    let (mut got, mut head) = (Vec::new(), None);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = fast.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
        head = head.or_else(|| got.windows(4).position(|w| w == b"\r\n\r\n"));
        if head.is_some_and(|end| got.len() - end - 4 >= body.len()) {
            break;
        }
    }
    assert!(got.starts_with(b"HTTP/1.1 200"));
    settles_to(&settled, (1, 1)).await;
    stop.trigger();
    server.await.unwrap();
}
