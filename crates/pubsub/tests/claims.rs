//! Claims on a real `redis-server`: a read claims its message and confirms it once the
//! reply is written. Order holds while a claim is in flight (across nodes too, and with
//! many concurrent readers of one subscriber), a lapsed claim is delivered again (in
//! order, marked as a redelivery), a released one at once. HTTP-level cases and the
//! killed-node case are in `claims_http.rs`.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use netkit::Shutdown;
use pubsub::{Broker, Claimed, Config, Polled, RedisStore, Store, StoreConfig, Ticket, Waiting};
use support::{Http, RedisServer};

async fn store(redis: &RedisServer, lease: Duration) -> RedisStore {
    RedisStore::connect(&[redis.url()], Duration::from_secs(5))
        .await
        .unwrap()
        .with_lease(lease)
}

/// Claim for a plain read (no long poll).
async fn claim(s: &RedisStore) -> Claimed {
    s.claim(b"t", b"u", Waiting::default()).await.unwrap()
}

fn message(c: Claimed) -> (Bytes, Ticket, bool) {
    match c {
        Claimed::Message {
            body,
            ticket: Some(t),
            redelivered,
        } => (body, t, redelivered),
        other => panic!("expected a claimed message, got {other:?}"),
    }
}

async fn setup(s: &RedisStore, bodies: &[&'static str]) {
    s.subscribe(b"t", b"u").await.unwrap();
    for b in bodies {
        s.publish(b"t", Bytes::from_static(b.as_bytes()))
            .await
            .unwrap();
    }
}

/// While a claim is in flight the next read gets "in flight", not the message after it;
/// the confirm moves on to the next message; a stale confirm does nothing.
#[tokio::test]
async fn in_flight_keeps_order_and_confirm_moves_on() {
    let redis = RedisServer::start(&[]);
    let s = store(&redis, Duration::from_secs(30)).await;
    setup(&s, &["1", "2"]).await;
    let (body, t1, again) = message(claim(&s).await);
    assert_eq!((&body[..], again), (&b"1"[..], false));
    match claim(&s).await {
        Claimed::InFlight(left) => assert!(left <= Duration::from_secs(30) && !left.is_zero()),
        other => panic!("{other:?}"),
    }
    assert!(s.confirm(b"t", b"u", &t1).await.unwrap());
    assert!(
        !s.confirm(b"t", b"u", &t1).await.unwrap(),
        "confirmed twice"
    );
    let (body, t2, _) = message(claim(&s).await);
    assert_eq!(&body[..], b"2");
    assert!(!s.release(b"t", b"u", &t1).await.unwrap(), "stale release");
    assert!(s.confirm(b"t", b"u", &t2).await.unwrap());
    assert_eq!(claim(&s).await, Claimed::Empty);
    // Everything read: bodies, counts and claims are gone.
    for k in ["ps:{t}:m", "ps:{t}:r", "ps:{t}:c"] {
        assert!(redis.cmd(&format!("EXISTS {k}")).starts_with(":0"), "{k}");
    }
}

/// A claim left unconfirmed lapses at the end of its lease: the next read gets the same
/// message, marked as a redelivery, and only the new ticket confirms it. A lapsed claim
/// nobody took over yet is still confirmed by its own ticket.
#[tokio::test]
async fn lapsed_claim_is_delivered_again_in_order() {
    let redis = RedisServer::start(&[]);
    let lease = Duration::from_millis(300);
    let s = store(&redis, lease).await;
    setup(&s, &["1", "2"]).await;
    let (_, stale, _) = message(claim(&s).await);
    assert!(matches!(claim(&s).await, Claimed::InFlight(_)));
    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    let (body, fresh, again) = message(claim(&s).await);
    assert_eq!((&body[..], again), (&b"1"[..], true));
    assert!(!s.confirm(b"t", b"u", &stale).await.unwrap());
    assert!(s.confirm(b"t", b"u", &fresh).await.unwrap());

    let (body, late, _) = message(claim(&s).await);
    assert_eq!(&body[..], b"2");
    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    assert!(s.confirm(b"t", b"u", &late).await.unwrap());
    assert_eq!(claim(&s).await, Claimed::Empty);
}

/// A released claim makes the message the next one again at once (no lease to wait
/// for), not marked as a redelivery.
#[tokio::test]
async fn released_claim_is_next_at_once() {
    let redis = RedisServer::start(&[]);
    let s = store(&redis, Duration::from_secs(30)).await;
    setup(&s, &["1"]).await;
    let (_, t, _) = message(claim(&s).await);
    assert!(s.release(b"t", b"u", &t).await.unwrap());
    let (body, t, again) = message(claim(&s).await);
    assert_eq!((&body[..], again), (&b"1"[..], false));
    assert!(s.confirm(b"t", b"u", &t).await.unwrap());
}

/// Unsubscribing drops the claim with the queue; the claim's confirm then does nothing,
/// and the topic leaves no key behind.
#[tokio::test]
async fn unsubscribe_drops_the_claim() {
    let redis = RedisServer::start(&[]);
    let s = store(&redis, Duration::from_secs(30)).await;
    setup(&s, &["1", "2"]).await;
    let (_, t, _) = message(claim(&s).await);
    assert!(s.unsubscribe(b"t", b"u").await.unwrap());
    assert!(!s.confirm(b"t", b"u", &t).await.unwrap());
    assert!(redis.cmd("DBSIZE").starts_with(":0"), "keys left");
    s.subscribe(b"t", b"u").await.unwrap();
    assert_eq!(claim(&s).await, Claimed::Empty);
}

/// A read on one node whose subscriber's message is in flight on another waits for that
/// read's confirm and then gets the next message at once, woken through Redis; without a
/// confirm it answers "empty" after about a second, never the message after the claimed
/// one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_read_waits_for_the_confirm_on_another_node() {
    let redis = RedisServer::start(&[]);
    let a = Broker::new(store(&redis, Duration::from_secs(30)).await);
    let b = Broker::new(store(&redis, Duration::from_secs(30)).await);
    setup(a.store(), &["1", "2"]).await;
    let stop = Shutdown::new();
    let first = a.claim(b"t", b"u", None, &stop).await.unwrap();
    assert_eq!(first.polled, Polled::Message(Bytes::from_static(b"1")));

    let t0 = Instant::now();
    let waiter = {
        let b = b.clone();
        tokio::spawn(async move { b.poll(b"t", b"u", None, &Shutdown::new()).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(first.receipt.unwrap().confirm().await.unwrap());
    let got = waiter.await.unwrap().unwrap();
    assert_eq!(got, Polled::Message(Bytes::from_static(b"2")));
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );

    // A claim that stays in flight: "empty" after the in-flight wait, and the message
    // is still the claimed one's successor-to-be, not skipped to.
    b.publish(b"t", Bytes::from_static(b"3")).await.unwrap();
    b.publish(b"t", Bytes::from_static(b"4")).await.unwrap();
    let held = a.claim(b"t", b"u", None, &stop).await.unwrap();
    assert_eq!(held.polled, Polled::Message(Bytes::from_static(b"3")));
    let t0 = Instant::now();
    assert_eq!(
        b.poll(b"t", b"u", None, &stop).await.unwrap(),
        Polled::Empty
    );
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    drop(held); // released
    assert_eq!(
        b.poll(b"t", b"u", None, &stop).await.unwrap(),
        Polled::Message(Bytes::from_static(b"3"))
    );
}

/// `EVALSHA` calls Redis has run so far.
fn scripts_run(redis: &RedisServer) -> u64 {
    let info = redis.cmd("INFO commandstats");
    info.split("cmdstat_evalsha:calls=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Twenty concurrent readers of one subscriber on one node, and then spread over two
/// nodes: every message is delivered exactly once, each reader sees them in publish
/// order, and on one node the readers queue locally rather than racing for the claim
/// (about two scripts per message, claim and confirm, not one per waiting reader).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_of_one_subscriber() {
    let redis = RedisServer::start(&[]);
    let config = Config {
        store: StoreConfig::Redis(vec![redis.url()]),
        ..Config::for_test()
    };
    let nodes = [
        support::node_with(config.clone()).await,
        support::node_with(config).await,
    ];
    let h = Http::default();
    assert_eq!(h.send(nodes[0].addr, "POST", "/many/u", b"").await.0, 200);
    for (round, spread) in [(0, 1), (1, 2)] {
        const N: usize = 300;
        for i in 0..N {
            let m = format!("{round}:{i:04}");
            assert_eq!(
                h.send(nodes[0].addr, "POST", "/many", m.as_bytes()).await.0,
                200
            );
        }
        let before = scripts_run(&redis);
        let readers: Vec<_> = (0..20)
            .map(|r| {
                let addr = nodes[r % spread].addr;
                tokio::spawn(async move {
                    let h = Http::default();
                    let mut got = Vec::new();
                    loop {
                        match h.send(addr, "GET", "/many/u?wait=1s", b"").await {
                            (200, b) => got.push(String::from_utf8_lossy(&b).into_owned()),
                            (204, _) => return got,
                            other => panic!("{other:?}"),
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in readers {
            let got = t.await.unwrap();
            assert!(got.windows(2).all(|w| w[0] < w[1]), "out of order: {got:?}");
            all.extend(got);
        }
        all.sort();
        let want: Vec<String> = (0..N).map(|i| format!("{round}:{i:04}")).collect();
        assert_eq!(all, want, "round {round}: not every message exactly once");
        let per_message = (scripts_run(&redis) - before) as f64 / N as f64;
        eprintln!("{spread} node(s): {per_message:.2} scripts per message");
        if spread == 1 {
            assert!(per_message < 3.0, "{per_message:.2} scripts per message");
        }
    }
}
