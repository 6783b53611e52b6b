//! The Redis store against a real `redis-server`: the reference-model property test, a
//! Redis restart under load (503 while down, service resumes, nothing acknowledged lost
//! with `appendfsync always`), and passwords kept out of every error.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use netkit::Shutdown;
use proptest::prelude::*;
use pubsub::model::{name, Answer, Model, Op};
use pubsub::{Broker, Config, Error, Polled, RedisStore, Server, StoreConfig};
use support::{node_with, Http, RedisServer};

async fn apply(b: &Broker<RedisStore>, op: &Op) -> Answer {
    let stop = Shutdown::new();
    match op {
        Op::Subscribe(t, u) => {
            b.subscribe(&name("t", *t), &name("u", *u)).await.unwrap();
            Answer::Subscribed
        }
        Op::Unsubscribe(t, u) => {
            Answer::Unsubscribed(b.unsubscribe(&name("t", *t), &name("u", *u)).await.unwrap())
        }
        Op::Publish(t, body) => Answer::Published(
            b.publish(&name("t", *t), Bytes::from(body.clone()))
                .await
                .unwrap(),
        ),
        Op::Poll(t, u) => Answer::Polled(
            b.poll(&name("t", *t), &name("u", *u), None, &stop)
                .await
                .unwrap(),
        ),
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3, 0u8..4).prop_map(|(t, u)| Op::Subscribe(t, u)),
        (0u8..3, 0u8..4).prop_map(|(t, u)| Op::Unsubscribe(t, u)),
        (0u8..3, proptest::collection::vec(any::<u8>(), 0..8)).prop_map(|(t, b)| Op::Publish(t, b)),
        (0u8..3, 0u8..4).prop_map(|(t, u)| Op::Poll(t, u)),
        (0u8..3, 0u8..4).prop_map(|(t, u)| Op::Poll(t, u)),
    ]
}

/// Random operation sequences on the Lua scripts give the model's answers, and when
/// everything is read or unsubscribed Redis holds no key at all (nothing grows forever).
#[test]
fn redis_store_matches_model() {
    let redis = RedisServer::start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt
        .block_on(RedisStore::connect(&[redis.url()], Duration::from_secs(5)))
        .unwrap();
    let broker = Broker::new(store);
    let cfg = ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    };
    proptest!(cfg, |(ops in proptest::collection::vec(op(), 1..80))| {
        rt.block_on(async {
            assert!(redis.cmd("FLUSHALL").starts_with("+OK"));
            let mut m = Model::default();
            for (i, op) in ops.iter().enumerate() {
                let want = m.apply(op);
                prop_assert_eq!(apply(&broker, op).await, want, "step {} {:?}", i, op);
            }
            // Drain: everyone unsubscribes; then no key may be left behind.
            for t in 0..3 {
                for u in 0..4 {
                    apply(&broker, &Op::Unsubscribe(t, u)).await;
                }
            }
            let keys = redis.cmd("DBSIZE");
            prop_assert!(keys.starts_with(":0"), "keys left: {}", keys);
            Ok(())
        })?;
    });
}

/// Redis stops under load: requests get 503 while it is down, the node serves again after
/// it restarts, and with append-only persistence (`appendfsync always`) every publish that
/// was answered 200 is delivered, once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_loses_nothing_acknowledged() {
    let mut redis = RedisServer::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let n = node_with(Config {
        store: StoreConfig::Redis(vec![redis.url()]),
        redis_timeout: Duration::from_millis(500),
        ..Config::for_test()
    })
    .await;
    let (h, a) = (Http::default(), n.addr);
    assert_eq!(h.send(a, "POST", "/r/u", b"").await.0, 200);
    let running = Arc::new(AtomicBool::new(true));
    let acked_so_far = Arc::new(AtomicUsize::new(0));
    let publisher = {
        let (h, running, count) = (h.clone(), running.clone(), acked_so_far.clone());
        tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut i = 0u32;
            while running.load(Ordering::Relaxed) {
                if let Ok((200, _)) = h.try_send(a, "POST", "/r", i.to_string().as_bytes()).await {
                    acked.push(i);
                    count.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            acked
        })
    };
    // Counted, not timed: a loaded machine publishes slower, not less.
    let acked_at_least = |n: usize| {
        let count = acked_so_far.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while count.load(Ordering::Relaxed) < n {
                assert!(Instant::now() < deadline, "publishes stalled");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    acked_at_least(60).await;
    redis.stop();
    // While down: 503 with Retry-After, quickly, for every operation.
    for (m, p) in [
        ("POST", "/r"),
        ("GET", "/r/u"),
        ("POST", "/r/v"),
        ("GET", "/health"),
    ] {
        let t0 = Instant::now();
        assert_eq!(h.send(a, m, p, b"x").await.0, 503, "{m} {p}");
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "{m} {p} took {:?}",
            t0.elapsed()
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.send(a, "GET", "/health", b"").await.0 != 200 {
        assert!(Instant::now() < deadline, "node did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = acked_so_far.load(Ordering::Relaxed);
    acked_at_least(before + 60).await;
    running.store(false, Ordering::Relaxed);
    let acked = publisher.await.unwrap();
    let mut got = Vec::new();
    loop {
        match h.send(a, "GET", "/r/u", b"").await {
            (200, b) => got.push(String::from_utf8_lossy(&b).parse::<u32>().unwrap()),
            (204, _) => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "out of order or duplicated"
    );
    let missing: Vec<u32> = acked
        .iter()
        .filter(|i| got.binary_search(i).is_err())
        .copied()
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert!(
        acked.len() > 100,
        "too few publishes to mean anything: {}",
        acked.len()
    );
}

/// The Redis password never appears in an error: wrong password, Redis down, or a
/// working connection whose server then goes away.
#[tokio::test]
async fn password_never_in_errors() {
    let mut redis = RedisServer::start(&["--requirepass", "s3cretpw"]);
    let good = format!("redis://:s3cretpw@127.0.0.1:{}", redis.port);
    let bad = format!("redis://:wrongpw@127.0.0.1:{}", redis.port);
    let t = Duration::from_secs(2);
    let e = RedisStore::connect(&[bad], t)
        .await
        .unwrap_err()
        .to_string();
    assert!(!e.contains("wrongpw"), "{e}");
    let store = RedisStore::connect(std::slice::from_ref(&good), t)
        .await
        .unwrap();
    assert!(!format!("{store:?}").contains("s3cretpw"));
    let b = Broker::new(store);
    b.subscribe(b"t", b"u").await.unwrap();
    redis.stop();
    let e = b.publish(b"t", Bytes::new()).await.unwrap_err();
    assert!(
        matches!(e, Error::Unavailable(_)) && !e.to_string().contains("s3cretpw"),
        "{e}"
    );
    let e = Server::connect(Config {
        store: StoreConfig::Redis(vec![good.clone()]),
        ..Config::for_test()
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(!e.contains("s3cretpw"), "{e}");
    assert!(!StoreConfig::Redis(vec![good])
        .to_string()
        .contains("s3cretpw"));
    let _ = Polled::Empty;
}

/// Redis full (`maxmemory`, no eviction): publishes get 503, while reads still work and
/// free room, after which publishing succeeds again.
#[tokio::test]
async fn redis_full_is_503_and_drains() {
    let redis = RedisServer::start(&["--maxmemory", "3mb", "--maxmemory-policy", "noeviction"]);
    let n = node_with(Config {
        store: StoreConfig::Redis(vec![redis.url()]),
        ..Config::for_test()
    })
    .await;
    let (h, a) = (Http::default(), n.addr);
    assert_eq!(h.send(a, "POST", "/f/u", b"").await.0, 200);
    let body = vec![b'z'; 256 * 1024];
    let mut stored = 0;
    let status = loop {
        let s = h.send(a, "POST", "/f", &body).await.0;
        if s != 200 || stored > 40 {
            break s;
        }
        stored += 1;
    };
    assert_eq!(status, 503, "after {stored} publishes");
    assert!(stored > 0);
    for _ in 0..stored {
        let (s, b) = h.send(a, "GET", "/f/u", b"").await;
        assert_eq!((s, b.len()), (200, body.len()));
    }
    assert_eq!(h.send(a, "GET", "/f/u", b"").await.0, 204);
    assert_eq!(h.send(a, "POST", "/f", &body).await.0, 200);
}

/// Log lines written through a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// While Redis is down, failing requests log one WARN line a second, not one each; each
/// line counts the failures left out since the one before, so lines plus counts add up
/// to every failure.
#[tokio::test]
async fn redis_down_warns_once_a_second() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        .finish();
    // This test runs on one thread, so the node's tasks log through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut redis = RedisServer::start(&[]);
    let n = node_with(Config {
        store: StoreConfig::Redis(vec![redis.url()]),
        redis_timeout: Duration::from_millis(300),
        ..Config::for_test()
    })
    .await;
    let (h, a) = (Http::default(), n.addr);
    assert_eq!(h.send(a, "POST", "/w/u", b"").await.0, 200);
    redis.stop();
    let t0 = Instant::now();
    let mut failed = 0u64;
    while t0.elapsed() < Duration::from_millis(2500) || failed < 20 {
        assert_eq!(h.send(a, "POST", "/w", b"x").await.0, 503);
        failed += 1;
    }
    // One more after a pause of over a second: it is logged, with the count before it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(h.send(a, "GET", "/w/u", b"").await.0, 503);
    failed += 1;
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("store operation failed"))
        .collect();
    let secs = t0.elapsed().as_secs() + 1;
    assert!(
        (2..=secs as usize + 1).contains(&lines.len()),
        "{} lines for {failed} failures in {secs} s:\n{text}",
        lines.len()
    );
    let suppressed: u64 = lines
        .iter()
        .map(|l| {
            let (_, rest) = l.split_once("suppressed=").expect("count in every line");
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(lines.len() as u64 + suppressed, failed, "{text}");
}
