//! Upstream failures over real HTTP: stale-if-error, 502 and 504 JSON bodies, failover
//! to a second upstream, circuit breaker open and half-open, retries only of transient
//! failures.

mod support;

use std::time::Duration;

use relay::RelayConfig;
use support::{dead_port, get, Fake, Mode, Relay};

/// With the upstream down, an expired entry within stale-if-error is served STALE; with
/// nothing cached, the answer is 502 with a JSON body.
#[tokio::test]
async fn stale_if_error_then_502() {
    let up = Fake::start(Mode::ok("menu").cc("max-age=1, stale-if-error=600")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    assert_eq!(get(&r.url("/x")).await.x_cache, "MISS");
    up.stop().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let s = get(&r.url("/x")).await;
    assert_eq!(
        (s.status, s.x_cache.as_str(), s.body.as_str()),
        (200, "STALE", "menu")
    );
    let e = get(&r.url("/never-cached")).await;
    assert_eq!(e.status, 502);
    assert_eq!(e.content_type.as_deref(), Some("application/json"));
    let v: serde_json::Value = serde_json::from_str(&e.body).unwrap();
    assert_eq!(v["error"], "upstream unavailable");
    assert_eq!(v["status"], 502);
}

/// An upstream 5xx within stale-if-error also gets the stale copy.
#[tokio::test]
async fn stale_on_upstream_500() {
    let up = Fake::start(Mode::ok("good").cc("max-age=1")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    assert_eq!(get(&r.url("/y")).await.x_cache, "MISS");
    up.set(Mode::ok("bad").status(500));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let s = get(&r.url("/y")).await;
    assert_eq!(
        (s.status, s.x_cache.as_str(), s.body.as_str()),
        (200, "STALE", "good")
    );
}

/// A hanging upstream gives 504 with a JSON body after --upstream-timeout, not later.
#[tokio::test]
async fn slow_upstream_504() {
    let up = Fake::start(Mode::ok("late").hang()).await;
    let mut c = RelayConfig::for_test(vec![up.url("")]);
    c.upstream_timeout = Duration::from_millis(400);
    let r = Relay::start(c).await;
    let started = std::time::Instant::now();
    let g = get(&r.url("/slow")).await;
    let took = started.elapsed();
    assert_eq!(g.status, 504);
    let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
    assert_eq!(v["error"], "upstream timed out");
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// With the first upstream dead, the second answers; the dead one is then tried last.
#[tokio::test]
async fn failover_to_second_upstream() {
    let good = Fake::start(Mode::ok("from-good")).await;
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let r = Relay::start(RelayConfig::for_test(vec![dead, good.url("")])).await;
    for i in 0..3 {
        let g = get(&r.url(&format!("/k{i}"))).await;
        assert_eq!((g.status, g.body.as_str()), (200, "from-good"));
    }
    assert_eq!(good.hits(), 3);
    let health: serde_json::Value =
        serde_json::from_str(&get(&r.admin_url("/health")).await.body).unwrap();
    assert!(
        health["upstreams"][0]["failures"].as_u64().unwrap() >= 1,
        "{health}"
    );
    assert_eq!(health["upstreams"][1]["failures"], 0);
}

/// After repeated failures the breaker opens and the failing upstream is skipped (no
/// request reaches it; the relay answers 502 at once); after the open period one probe
/// reaches it (half-open), and its success closes the breaker.
#[tokio::test]
async fn breaker_opens_and_half_opens() {
    let flaky = Fake::start(Mode::ok("x").status(503)).await;
    let mut c = RelayConfig::for_test(vec![flaky.url("")]);
    c.upstream.max_attempts = 1;
    c.upstream.breaker_failures = 3;
    c.upstream.breaker_open_for = Duration::from_millis(500);
    let r = Relay::start(c).await;
    // Distinct keys so every request goes upstream.
    for i in 0..3 {
        assert_eq!(get(&r.url(&format!("/b{i}"))).await.status, 503);
    }
    assert_eq!(flaky.hits(), 3);
    for i in 3..8 {
        let g = get(&r.url(&format!("/b{i}"))).await;
        assert_eq!(g.status, 502, "{}", g.body);
    }
    assert_eq!(flaky.hits(), 3, "an open breaker must skip the provider");
    let metrics = get(&r.admin_url("/metrics")).await.body;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("relay_upstream_breaker_state"))
        .unwrap_or_default()
        .to_string();
    assert!(line.ends_with(" 1"), "{line}\n{metrics}");
    // Half-open after the period: one probe goes through; it fails, so it opens again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&r.url("/b8")).await.status, 503);
    assert_eq!(get(&r.url("/b9")).await.status, 502);
    assert_eq!(flaky.hits(), 4);
    // Next period: the probe succeeds and closes the breaker.
    flaky.set(Mode::ok("recovered"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&r.url("/b10")).await.status, 200);
    assert_eq!(get(&r.url("/b11")).await.status, 200);
    assert_eq!(flaky.hits(), 6);
    let health: serde_json::Value =
        serde_json::from_str(&get(&r.admin_url("/health")).await.body).unwrap();
    assert_eq!(health["upstreams"][0]["breaker"], "closed");
}

/// With two upstreams, a failing one is tried after the healthy one, so it stops getting
/// traffic once the healthy one has answered.
#[tokio::test]
async fn failing_upstream_moves_last() {
    let flaky = Fake::start(Mode::ok("x").status(503)).await;
    let good = Fake::start(Mode::ok("ok")).await;
    let r = Relay::start(RelayConfig::for_test(vec![flaky.url(""), good.url("")])).await;
    for i in 0..10 {
        assert_eq!(get(&r.url(&format!("/f{i}"))).await.status, 200);
    }
    assert_eq!(flaky.hits(), 1);
    assert_eq!(good.hits(), 10);
}

/// A 4xx is never retried; a 503 from the only upstream is retried up to the attempt
/// limit, then passed through.
#[tokio::test]
async fn retries_only_transient() {
    let up = Fake::start(Mode::ok(r#"{"error":"bad"}"#).status(400)).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    assert_eq!(get(&r.url("/q")).await.status, 400);
    assert_eq!(up.hits(), 1);
    up.set(Mode::ok("busy").status(503));
    let g = get(&r.url("/q2")).await;
    assert_eq!((g.status, g.body.as_str()), (503, "busy"));
    assert_eq!(up.hits(), 4);
}
