//! The lower cache tiers over real HTTP: disk survives a restart, a corrupted disk entry
//! is not served, two relays share entries through a real `redis-server`, and a Redis
//! that is down degrades to the other tiers.

mod support;

use std::time::Duration;

use relay::RelayConfig;
use support::{dead_port, get, temp_dir, Fake, Mode, Redis, Relay};

/// A relay restarted on the same --cache-dir, with the upstream gone, serves the cached
/// key from disk (X-Cache HIT while fresh).
#[tokio::test]
async fn disk_survives_restart() {
    let dir = temp_dir("restart");
    let up = Fake::start(Mode::ok("persisted").cc("max-age=600")).await;
    let mut c = RelayConfig::for_test(vec![up.url("")]);
    c.cache.disk_dir = Some(dir.clone());
    let r = Relay::start(c.clone()).await;
    assert_eq!(get(&r.url("/d")).await.x_cache, "MISS");
    r.stop().await;
    up.stop().await;
    let r = Relay::start(c).await;
    let g = get(&r.url("/d")).await;
    assert_eq!(
        (g.status, g.x_cache.as_str(), g.body.as_str()),
        (200, "HIT", "persisted")
    );
    assert_eq!(up.hits(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A corrupted disk entry is detected and dropped, not served: with the upstream down the
/// answer is a 502, and the metric counts the damaged entry.
#[tokio::test]
async fn corrupted_disk_entry_not_served() {
    let dir = temp_dir("corrupt");
    let up = Fake::start(Mode::ok("precious-body").cc("max-age=600")).await;
    let mut c = RelayConfig::for_test(vec![up.url("")]);
    c.cache.disk_dir = Some(dir.clone());
    let r = Relay::start(c.clone()).await;
    assert_eq!(get(&r.url("/c")).await.x_cache, "MISS");
    r.stop().await;
    up.stop().await;
    let mut flipped = 0;
    for entry in walk(&dir.join("content-v2")) {
        let mut bytes = std::fs::read(&entry).unwrap();
        if let Some(at) = bytes.windows(13).position(|w| w == b"precious-body") {
            bytes[at] ^= 0x20;
            std::fs::write(&entry, bytes).unwrap();
            flipped += 1;
        }
    }
    assert_eq!(flipped, 1);
    let r = Relay::start(c).await;
    let g = get(&r.url("/c")).await;
    assert_eq!(g.status, 502, "{}", g.body);
    assert!(!g.body.contains("precious"));
    let m = get(&r.admin_url("/metrics")).await.body;
    assert!(m.contains("relay_disk_corrupt_entries_total 1"), "{m}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Two relays sharing one real redis-server share entries: the second one answers a key
/// the first fetched without going upstream; a purge through one reaches Redis.
#[tokio::test]
async fn two_relays_share_redis() {
    let redis = Redis::start();
    let up = Fake::start(Mode::ok("shared").cc("max-age=600")).await;
    let mut c = RelayConfig::for_test(vec![up.url("")]);
    c.cache.redis_url = Some(redis.url.clone());
    let a = Relay::start(c.clone()).await;
    let b = Relay::start(c).await;
    // Wait until both are connected.
    for r in [&a, &b] {
        assert!(
            support::eventually(|| async {
                get(&r.admin_url("/health"))
                    .await
                    .body
                    .contains("\"redis_connected\":true")
            })
            .await
        );
    }
    assert_eq!(get(&a.url("/s")).await.x_cache, "MISS");
    // The store to Redis is in the background: poll until B sees it.
    assert!(
        support::eventually(|| async {
            let g = get(&b.url("/s")).await;
            g.x_cache == "HIT" && g.body == "shared"
        })
        .await
    );
    assert_eq!(up.hits(), 1);
    // Purge by prefix through A's admin removes it from Redis too.
    let client = reqwest::Client::new();
    let p = client
        .post(a.admin_url("/purge?prefix=/s"))
        .send()
        .await
        .unwrap();
    assert_eq!(p.status(), 200);
    let c2 = Relay::start({
        let mut c = RelayConfig::for_test(vec![up.url("")]);
        c.cache.redis_url = Some(redis.url.clone());
        c
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(&c2.url("/s")).await.x_cache, "MISS");
}

/// A Redis that is down is never an error to the client: requests are served from the
/// upstream and memory, quickly.
#[tokio::test]
async fn redis_down_degrades() {
    let up = Fake::start(Mode::ok("fine").cc("max-age=600")).await;
    let mut c = RelayConfig::for_test(vec![up.url("")]);
    c.cache.redis_url = Some(format!("redis://:pw@127.0.0.1:{}/", dead_port()));
    let r = Relay::start(c).await;
    let started = std::time::Instant::now();
    assert_eq!(get(&r.url("/r")).await.status, 200);
    let g = get(&r.url("/r")).await;
    assert_eq!((g.status, g.x_cache.as_str()), (200, "HIT"));
    assert!(started.elapsed() < Duration::from_secs(3));
    let h = get(&r.admin_url("/health")).await.body;
    assert!(h.contains("\"redis_connected\":false"), "{h}");
    assert!(!h.contains("pw"));
}
