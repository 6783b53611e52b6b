//! Claims over HTTP, against a real `redis-server`: a reply cut off mid-body hands its
//! message back at once, and a node that dies after the client got the whole reply but
//! before the confirm causes exactly one redelivery (at-least-once), then delivery goes on
//! in order.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use netkit::Shutdown;
use pubsub::{Claimed, Config, RedisStore, Store, StoreConfig, Ticket, Waiting};
use support::{Http, RedisServer};

/// Over HTTP: a client that breaks off in the middle of a large message hands it back at
/// once (no lease to wait out): the next read, on another node, gets it whole, then the
/// one after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_cut_mid_body_is_released_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let redis = RedisServer::start(&[]);
    let mut config = Config {
        store: StoreConfig::Redis(vec![redis.url()]),
        ..Config::for_test()
    };
    config.limits.max_body_bytes = 32 << 20;
    let (a, b) = (
        support::node_with(config.clone()).await,
        support::node_with(config).await,
    );
    let h = Http::default();
    let big: Vec<u8> = (0..16u32 << 20).map(|i| (i % 251) as u8).collect();
    assert_eq!(h.send(a.addr, "POST", "/c/u", b"").await.0, 200);
    assert_eq!(h.send(a.addr, "POST", "/c", &big).await.0, 200);
    assert_eq!(h.send(a.addr, "POST", "/c", b"next").await.0, 200);
    let mut cut = tokio::net::TcpStream::connect(a.addr).await.unwrap();
    cut.write_all(b"GET /c/u HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0;
    while n < buf.len() {
        n += cut.read(&mut buf[n..]).await.unwrap();
    }
    assert!(buf.starts_with(b"HTTP/1.1 200"));
    drop(cut);
    let t0 = Instant::now();
    let (s, body) = h.send(b.addr, "GET", "/c/u?wait=10s", b"").await;
    assert_eq!((s, body.len()), (200, big.len()));
    assert!(body[..] == big[..], "body changed");
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(
        h.send(b.addr, "GET", "/c/u", b"").await,
        (200, "next".into())
    );
    let (_, m) = h.send(a.addr, "GET", "/metrics", b"").await;
    assert!(String::from_utf8_lossy(&m).contains("pubsub_replies_cut_total 1\n"));
}

/// A store whose confirms take `delay` before they reach Redis: the window between a
/// client getting its message and the confirm, held open so a test can kill the node in it.
#[derive(Debug)]
struct SlowConfirm {
    inner: RedisStore,
    delay: Duration,
}

impl Store for SlowConfirm {
    type Watch = <RedisStore as Store>::Watch;

    async fn subscribe(&self, t: &[u8], u: &[u8]) -> pubsub::Result<()> {
        self.inner.subscribe(t, u).await
    }
    async fn unsubscribe(&self, t: &[u8], u: &[u8]) -> pubsub::Result<bool> {
        self.inner.unsubscribe(t, u).await
    }
    async fn publish(&self, t: &[u8], b: Bytes) -> pubsub::Result<u64> {
        self.inner.publish(t, b).await
    }
    async fn claim(&self, t: &[u8], u: &[u8], w: Waiting) -> pubsub::Result<Claimed> {
        self.inner.claim(t, u, w).await
    }
    async fn confirm(&self, t: &[u8], u: &[u8], ticket: &Ticket) -> pubsub::Result<bool> {
        tokio::time::sleep(self.delay).await;
        self.inner.confirm(t, u, ticket).await
    }
    async fn release(&self, t: &[u8], u: &[u8], ticket: &Ticket) -> pubsub::Result<bool> {
        self.inner.release(t, u, ticket).await
    }
    fn holds_claims(&self) -> bool {
        self.inner.holds_claims()
    }
    fn watch(&self, t: &[u8]) -> Self::Watch {
        self.inner.watch(t)
    }
    async fn health(&self) -> pubsub::Result<()> {
        self.inner.health().await
    }
    fn stats(&self) -> Option<pubsub::Stats> {
        None
    }
}

/// A node on its own runtime; dropping the runtime kills it the way SIGKILL would as far
/// as clients and Redis can tell: its sockets close and its pending tasks (the confirm
/// among them) never run.
fn doomed_node(
    redis_url: String,
    lease: Duration,
) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let inner = RedisStore::connect(&[redis_url], Duration::from_secs(5))
            .await
            .unwrap()
            .with_lease(lease);
        let store = SlowConfirm {
            inner,
            delay: Duration::from_secs(60),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Config::for_test();
        tokio::spawn(async move {
            pubsub::serve_store(store, &config, listener, Shutdown::new()).await
        });
        addr
    });
    (addr, rt)
}

/// The client receives a message in full, then its node dies before confirming it: the
/// message is delivered again by another node once the claim's lease ends (at-least-once:
/// one duplicate), then delivery goes on in order; nothing is lost.
#[test]
fn killed_after_reply_before_confirm_redelivers_once() {
    let redis = RedisServer::start(&[]);
    let lease = Duration::from_millis(800);
    let (doomed, doomed_rt) = doomed_node(redis.url(), lease);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let survivor = support::node_with(Config {
            store: StoreConfig::Redis(vec![redis.url()]),
            claim_lease: lease,
            ..Config::for_test()
        })
        .await;
        let h = Http::default();
        assert_eq!(h.send(survivor.addr, "POST", "/k/u", b"").await.0, 200);
        for m in ["m1", "m2"] {
            assert_eq!(
                h.send(survivor.addr, "POST", "/k", m.as_bytes()).await.0,
                200
            );
        }
        // Read on the doomed node: the whole reply arrives; its confirm is held back.
        assert_eq!(h.send(doomed, "GET", "/k/u", b"").await, (200, "m1".into()));
        doomed_rt.shutdown_background(); // dies before its confirm reaches Redis
        let t0 = Instant::now();
        let mut got = Vec::new();
        while got.len() < 2 {
            assert!(t0.elapsed() < Duration::from_secs(20), "got only {got:?}");
            match h.send(survivor.addr, "GET", "/k/u?wait=2s", b"").await {
                (200, b) => got.push(String::from_utf8_lossy(&b).into_owned()),
                (204, _) => {}
                other => panic!("{other:?}"),
            }
        }
        // m1 once more (the duplicate the kill caused), then m2; nothing else.
        assert_eq!(got, ["m1", "m2"]);
        assert!(
            t0.elapsed() >= lease / 2,
            "redelivered before the lease ended"
        );
        assert_eq!(h.send(survivor.addr, "GET", "/k/u", b"").await.0, 204);
        let (_, metrics) = h.send(survivor.addr, "GET", "/metrics", b"").await;
        let metrics = String::from_utf8_lossy(&metrics);
        assert!(
            metrics.contains("pubsub_redelivered_total 1\n"),
            "{metrics}"
        );
    });
}

/// A node that stops (SIGTERM, not a kill) right after writing a reply waits for that
/// reply's confirm before it exits, so a graceful restart causes no redelivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_waits_for_confirms() {
    let redis = RedisServer::start(&[]);
    let inner = RedisStore::connect(&[redis.url()], Duration::from_secs(5))
        .await
        .unwrap();
    let store = SlowConfirm {
        inner,
        delay: Duration::from_millis(500),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Shutdown::new();
    let config = Config::for_test();
    let served = tokio::spawn({
        let stop = stop.clone();
        async move { pubsub::serve_store(store, &config, listener, stop).await }
    });
    let h = Http::default();
    assert_eq!(h.send(addr, "POST", "/g/u", b"").await.0, 200);
    for m in ["m1", "m2"] {
        assert_eq!(h.send(addr, "POST", "/g", m.as_bytes()).await.0, 200);
    }
    assert_eq!(h.send(addr, "GET", "/g/u", b"").await, (200, "m1".into()));
    stop.trigger();
    assert!(served.await.unwrap().clean);
    // The confirm has landed: no claim is left, and the next read gets m2 at once.
    assert!(redis.cmd("EXISTS ps:{g}:c").starts_with(":0"), "claim left");
    let s = RedisStore::connect(&[redis.url()], Duration::from_secs(5))
        .await
        .unwrap();
    match s.claim(b"g", b"u", Waiting::default()).await.unwrap() {
        Claimed::Message { body, .. } => assert_eq!(&body[..], b"m2"),
        other => panic!("{other:?}"),
    }
}
