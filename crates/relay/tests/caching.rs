//! Caching behaviour over real HTTP on loopback: MISS then HIT, single-flight, freshness
//! from Cache-Control, stale-while-revalidate, 304 revalidation, negative caching, 5xx
//! never cached, refresh-ahead.

mod support;

use std::time::Duration;

use relay::RelayConfig;
use support::{eventually, get, Fake, Mode, Relay};

fn cfg(f: &Fake) -> RelayConfig {
    RelayConfig::for_test(vec![f.url("/api")])
}

/// MISS then HIT, with no second upstream fetch; status, body, Content-Type pass through;
/// X-Cache and Age added; the upstream saw the path and query under its base.
#[tokio::test]
async fn miss_then_hit() {
    let up = Fake::start(Mode::ok(r#"{"restaurants":[]}"#).cc("max-age=60")).await;
    let r = Relay::start(cfg(&up)).await;
    let a = get(&r.url("/restaurant/?campus=solna")).await;
    assert_eq!((a.status, a.x_cache.as_str()), (200, "MISS"));
    assert_eq!(a.body, r#"{"restaurants":[]}"#);
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(a.age, Some(0));
    let b = get(&r.url("/restaurant/?campus=solna")).await;
    assert_eq!((b.status, b.x_cache.as_str()), (200, "HIT"));
    assert_eq!(b.body, a.body);
    assert!(b.age.is_some());
    assert_eq!(up.hits(), 1);
    let seen = up.state.seen.lock().unwrap().clone();
    assert_eq!(seen[0].0, "/api/restaurant/?campus=solna");
}

/// 100 concurrent cold requests for one key make exactly one upstream fetch.
#[tokio::test]
async fn hundred_cold_requests_one_fetch() {
    let up = Fake::start(Mode::ok("{}").delay(Duration::from_millis(300))).await;
    let r = Relay::start(cfg(&up)).await;
    let url = r.url("/restaurant/");
    let tasks: Vec<_> = (0..100)
        .map(|_| tokio::spawn(get_owned(url.clone())))
        .collect();
    for t in tasks {
        let g = t.await.unwrap();
        assert_eq!(g.status, 200);
        assert_eq!(g.x_cache, "MISS");
    }
    assert_eq!(up.hits(), 1);
}

async fn get_owned(url: String) -> support::Got {
    get(&url).await
}

/// max-age from the upstream beats --default-ttl (1 s vs 1 h), and without Cache-Control
/// the default TTL applies.
#[tokio::test]
async fn max_age_beats_default_ttl() {
    let up = Fake::start(Mode::ok("{}").cc("max-age=1")).await;
    let mut c = cfg(&up);
    c.policy.default_ttl = Duration::from_secs(3600);
    let r = Relay::start(c).await;
    assert_eq!(get(&r.url("/a")).await.x_cache, "MISS");
    assert_eq!(get(&r.url("/a")).await.x_cache, "HIT");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(get(&r.url("/a")).await.x_cache, "MISS");
    assert_eq!(up.hits(), 2);

    let up2 = Fake::start(Mode::ok("{}")).await;
    let mut c = cfg(&up2);
    c.policy.default_ttl = Duration::from_secs(1);
    let r2 = Relay::start(c).await;
    assert_eq!(get(&r2.url("/b")).await.x_cache, "MISS");
    assert_eq!(get(&r2.url("/b")).await.x_cache, "HIT");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(get(&r2.url("/b")).await.x_cache, "MISS");
}

/// stale-while-revalidate: an expired entry is served STALE at once and refreshed in
/// the background; the next request is a HIT with the new body.
#[tokio::test]
async fn stale_while_revalidate() {
    let up = Fake::start(Mode::ok("old").cc("max-age=1, stale-while-revalidate=60")).await;
    let r = Relay::start(cfg(&up)).await;
    assert_eq!(get(&r.url("/m")).await.x_cache, "MISS");
    up.set(
        Mode::ok("new")
            .cc("max-age=60")
            .delay(Duration::from_millis(200)),
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let s = get(&r.url("/m")).await;
    assert_eq!((s.x_cache.as_str(), s.body.as_str()), ("STALE", "old"));
    assert!(eventually(|| async { up.hits() == 2 }).await);
    assert!(
        eventually(|| async {
            let g = get(&r.url("/m")).await;
            g.x_cache == "HIT" && g.body == "new"
        })
        .await
    );
}

/// An expired entry with an ETag is revalidated with If-None-Match; a 304 refreshes it
/// (X-Cache: REVALIDATED, same body), then it is a HIT again.
#[tokio::test]
async fn conditional_revalidation() {
    let up = Fake::start(Mode::ok("body-v1").cc("max-age=1").etag("\"v1\"")).await;
    let r = Relay::start(cfg(&up)).await;
    assert_eq!(get(&r.url("/e")).await.x_cache, "MISS");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let g = get(&r.url("/e")).await;
    assert_eq!(
        (g.status, g.x_cache.as_str(), g.body.as_str()),
        (200, "REVALIDATED", "body-v1")
    );
    assert_eq!(
        up.state
            .not_modified
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    let seen = up.state.seen.lock().unwrap().clone();
    assert_eq!(seen[1].1.as_deref(), Some("\"v1\""));
    assert_eq!(get(&r.url("/e")).await.x_cache, "HIT");
    assert_eq!(up.hits(), 2);
}

/// 404 is cached, but only for the negative TTL; 500 is never cached.
#[tokio::test]
async fn negative_caching_404_only() {
    let up = Fake::start(Mode::ok(r#"{"error":"nf"}"#).status(404).cc("max-age=600")).await;
    let mut c = cfg(&up);
    c.policy.negative_ttl = Duration::from_secs(1);
    let r = Relay::start(c).await;
    let a = get(&r.url("/nope")).await;
    assert_eq!((a.status, a.x_cache.as_str()), (404, "MISS"));
    let b = get(&r.url("/nope")).await;
    assert_eq!((b.status, b.x_cache.as_str()), (404, "HIT"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&r.url("/nope")).await.x_cache, "MISS");
    assert_eq!(up.hits(), 2);

    up.set(Mode::ok("boom").status(500).cc("max-age=600"));
    for _ in 0..3 {
        let g = get(&r.url("/err")).await;
        assert_eq!((g.status, g.body.as_str()), (500, "boom"));
    }
    assert_eq!(up.hits(), 5);
}

/// no-store and private answers pass through and are never cached.
#[tokio::test]
async fn no_store_passes_through() {
    let up = Fake::start(Mode::ok("secret").cc("private, max-age=60")).await;
    let r = Relay::start(cfg(&up)).await;
    for _ in 0..2 {
        let g = get(&r.url("/p")).await;
        assert_eq!(
            (g.status, g.x_cache.as_str(), g.body.as_str()),
            (200, "MISS", "secret")
        );
    }
    assert_eq!(up.hits(), 2);
}

/// A hot key is refreshed ahead of expiry in the background while still served as HIT.
#[tokio::test]
async fn refresh_ahead_of_hot_keys() {
    let up = Fake::start(Mode::ok("v1").cc("max-age=2")).await;
    let mut c = cfg(&up);
    c.refresh_ahead_hits = 1;
    let r = Relay::start(c).await;
    assert_eq!(get(&r.url("/hot")).await.x_cache, "MISS");
    assert_eq!(get(&r.url("/hot")).await.x_cache, "HIT");
    up.set(Mode::ok("v2").cc("max-age=60"));
    // Past 80% of the 2 s lifetime, still fresh: HIT, and a refresh starts.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(get(&r.url("/hot")).await.x_cache, "HIT");
    assert!(eventually(|| async { up.hits() == 2 }).await);
    let g = get(&r.url("/hot")).await;
    assert_eq!((g.x_cache.as_str(), g.body.as_str()), ("HIT", "v2"));
}
