//! The exact HTTP contract over loopback, each test run once on the memory store and once
//! on a real `redis-server` started by the test: every status code, order, exactly once per
//! subscriber, unsubscribe/resubscribe, empty/binary/large bodies, bad paths, long polls,
//! `/metrics` and `/health`.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pubsub::StoreConfig;
use support::{node, Http, RedisServer};

/// Expand each test into a memory-store and a Redis-store variant.
macro_rules! contract_test {
    ($name:ident) => {
        mod $name {
            /// On the memory store.
            #[tokio::test]
            async fn memory() {
                let n = super::node(super::StoreConfig::Memory).await;
                super::$name(super::Http::default(), n.addr).await;
            }
            /// On a real redis-server.
            #[tokio::test]
            async fn redis() {
                let r = super::RedisServer::start(&[]);
                let n = super::node(super::StoreConfig::Redis(vec![r.url()])).await;
                super::$name(super::Http::default(), n.addr).await;
            }
        }
    };
}

/// Every status of the contract, with empty bodies wherever no message is returned.
async fn statuses(h: Http, a: SocketAddr) {
    let empty = bytes::Bytes::new();
    assert_eq!(h.send(a, "GET", "/t/u", b"").await, (404, empty.clone()));
    assert_eq!(h.send(a, "DELETE", "/t/u", b"").await, (404, empty.clone()));
    assert_eq!(
        h.send(a, "POST", "/t", b"nobody hears").await,
        (200, empty.clone())
    );
    assert_eq!(h.send(a, "POST", "/t/u", b"").await, (200, empty.clone()));
    assert_eq!(h.send(a, "GET", "/t/u", b"").await, (204, empty.clone()));
    assert_eq!(
        h.send(a, "POST", "/t", b"hello").await,
        (200, empty.clone())
    );
    assert_eq!(h.send(a, "GET", "/t/u", b"").await, (200, "hello".into()));
    assert_eq!(h.send(a, "GET", "/t/u", b"").await, (204, empty.clone()));
    assert_eq!(h.send(a, "DELETE", "/t/u", b"").await, (200, empty.clone()));
    assert_eq!(h.send(a, "DELETE", "/t/u", b"").await, (404, empty.clone()));
    assert_eq!(h.send(a, "GET", "/t/u", b"").await, (404, empty.clone()));
    assert_eq!(h.send(a, "PUT", "/t/u", b"").await, (405, empty.clone()));
    assert_eq!(h.send(a, "GET", "/t", b"").await, (405, empty.clone()));
    assert_eq!(h.send(a, "GET", "/t/u?wait=soon", b"").await, (400, empty));
}
contract_test!(statuses);

/// Two subscribers each get every message once, in publish order, then 204.
async fn order_and_exactly_once(h: Http, a: SocketAddr) {
    for u in ["a", "b"] {
        assert_eq!(h.send(a, "POST", &format!("/news/{u}"), b"").await.0, 200);
    }
    for i in 0..100 {
        assert_eq!(
            h.send(a, "POST", "/news", format!("m{i}").as_bytes())
                .await
                .0,
            200
        );
    }
    for u in ["a", "b"] {
        for i in 0..100 {
            let (s, body) = h.send(a, "GET", &format!("/news/{u}"), b"").await;
            assert_eq!((s, body), (200, format!("m{i}").into()), "{u} message {i}");
        }
        assert_eq!(h.send(a, "GET", &format!("/news/{u}"), b"").await.0, 204);
    }
}
contract_test!(order_and_exactly_once);

/// Subscribing again keeps the queue; unsubscribing drops it; a later subscriber sees
/// nothing published before it subscribed.
async fn unsubscribe_resubscribe(h: Http, a: SocketAddr) {
    h.send(a, "POST", "/t/u", b"").await;
    h.send(a, "POST", "/t", b"1").await;
    assert_eq!(h.send(a, "POST", "/t/u", b"").await.0, 200);
    h.send(a, "POST", "/t/late", b"").await;
    assert_eq!(h.send(a, "GET", "/t/late", b"").await.0, 204);
    assert_eq!(h.send(a, "GET", "/t/u", b"").await, (200, "1".into()));
    h.send(a, "POST", "/t", b"2").await;
    assert_eq!(h.send(a, "DELETE", "/t/u", b"").await.0, 200);
    assert_eq!(h.send(a, "POST", "/t/u", b"").await.0, 200);
    assert_eq!(h.send(a, "GET", "/t/u", b"").await.0, 204);
    assert_eq!(h.send(a, "GET", "/t/late", b"").await, (200, "2".into()));
}
contract_test!(unsubscribe_resubscribe);

/// Empty, binary, UTF-8 and limit-sized bodies come back unchanged; one byte over the
/// limit is 413 and stores nothing.
async fn bodies(h: Http, a: SocketAddr) {
    h.send(a, "POST", "/b/u", b"").await;
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let limit = netkit::Limits::for_test().max_body_bytes;
    let big: Vec<u8> = (0..limit).map(|i| (i * 7 % 251) as u8).collect();
    let cases: Vec<Vec<u8>> = vec![vec![], binary, "héllo wörld ✓\r\n\0".into(), big.clone()];
    for body in &cases {
        assert_eq!(h.send(a, "POST", "/b", body).await.0, 200);
    }
    let mut over = big;
    over.push(0);
    assert_eq!(h.send(a, "POST", "/b", &over).await.0, 413);
    for body in &cases {
        let (s, got) = h.send(a, "GET", "/b/u", b"").await;
        assert_eq!(s, 200);
        assert!(got[..] == body[..], "body of {} bytes changed", body.len());
    }
    assert_eq!(h.send(a, "GET", "/b/u", b"").await.0, 204);
}
contract_test!(bodies);

/// Paths that are not one or two segments are 404 for every method; names are
/// percent-decoded, so `/a%2Fb` is one topic, not topic `a` user `b`.
async fn paths(h: Http, a: SocketAddr) {
    for p in ["/", "//", "/a/", "/a//b", "/a/b/c", "/%zz", "/a/%4"] {
        for m in ["GET", "POST", "DELETE"] {
            assert_eq!(h.send(a, m, p, b"x").await.0, 404, "{m} {p}");
        }
    }
    h.send(a, "POST", "/a%2Fb/u%20v", b"").await;
    h.send(a, "POST", "/a", b"wrong topic").await;
    h.send(a, "POST", "/a%2fb", b"right").await;
    assert_eq!(
        h.send(a, "GET", "/a%2Fb/u%20v", b"").await,
        (200, "right".into())
    );
    assert_eq!(
        h.send(a, "DELETE", "/a%2Fb/u v".replace(' ', "%20").as_str(), b"")
            .await
            .0,
        200
    );
}
contract_test!(paths);

/// A long poll returns a message published while it waits; an idle one answers 204 at
/// its deadline; a wait at the maximum is accepted and one past it is 400.
async fn long_poll(h: Http, a: SocketAddr) {
    h.send(a, "POST", "/lp/u", b"").await;
    let h2 = h.clone();
    let t0 = Instant::now();
    let waiter = tokio::spawn(async move { h2.send(a, "GET", "/lp/u?wait=10s", b"").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.send(a, "POST", "/lp", b"woke").await;
    assert_eq!(waiter.await.unwrap(), (200, "woke".into()));
    assert!(t0.elapsed() < Duration::from_secs(5));
    let t0 = Instant::now();
    assert_eq!(h.send(a, "GET", "/lp/u?wait=300ms", b"").await.0, 204);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(h.send(a, "GET", "/lp/nobody?wait=300ms", b"").await.0, 404);
    assert_eq!(h.send(a, "GET", "/lp/u?wait=30001ms", b"").await.0, 400);
    let h2 = h.clone();
    let max = tokio::spawn(async move { h2.send(a, "GET", "/lp/u?wait=30s", b"").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.send(a, "POST", "/lp", b"edge").await;
    assert_eq!(max.await.unwrap(), (200, "edge".into()));
}
contract_test!(long_poll);

/// `/health` says ok; `/metrics` counts deliveries and responses by status.
async fn metrics_and_health(h: Http, a: SocketAddr) {
    assert_eq!(h.send(a, "GET", "/health", b"").await, (200, "ok\n".into()));
    h.send(a, "POST", "/m/u", b"").await;
    h.send(a, "POST", "/m", b"x").await;
    h.send(a, "GET", "/m/u", b"").await;
    let (s, text) = h.send(a, "GET", "/metrics", b"").await;
    let text = String::from_utf8_lossy(&text);
    assert_eq!(s, 200);
    assert!(text.contains("pubsub_delivered_total 1\n"), "{text}");
    assert!(
        text.contains("pubsub_responses_total{status=\"200\"}"),
        "{text}"
    );
    // POST /metrics is still a publish to the topic "metrics".
    assert_eq!(h.send(a, "POST", "/metrics", b"x").await.0, 200);
}
contract_test!(metrics_and_health);

/// Stopping the node ends a 20 s long poll at once (204), so the drain is not held.
#[tokio::test]
async fn shutdown_ends_long_poll() {
    let n = node(StoreConfig::Memory).await;
    let (h, a) = (Http::default(), n.addr);
    h.send(a, "POST", "/s/u", b"").await;
    let h2 = h.clone();
    let waiter = tokio::spawn(async move { h2.send(a, "GET", "/s/u?wait=20s", b"").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    n.stop.trigger();
    assert_eq!(waiter.await.unwrap().0, 204);
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
}
