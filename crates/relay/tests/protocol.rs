//! The relay's HTTP surface: 405 with Allow, HEAD without a body, malformed requests
//! answered 400 while others are served, refused paths, admin metrics and purge, and a
//! graceful stop.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use relay::RelayConfig;
use support::{get, send, Fake, Mode, Relay};

/// Methods other than GET and HEAD get 405 with `Allow: GET, HEAD` and a JSON body.
#[tokio::test]
async fn other_methods_405() {
    let up = Fake::start(Mode::ok("x")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    for m in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let g = send(m, &r.url("/x")).await;
        assert_eq!(g.status, 405);
        assert_eq!(g.headers["allow"], "GET, HEAD");
        assert!(g.body.contains("method not allowed"));
    }
    assert_eq!(up.hits(), 0);
}

/// HEAD answers the headers of the GET (Content-Length included) with no body, from the
/// same cache entry.
#[tokio::test]
async fn head_has_headers_no_body() {
    let up = Fake::start(Mode::ok("0123456789").cc("max-age=60")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    let h = send(reqwest::Method::HEAD, &r.url("/h")).await;
    assert_eq!(
        (h.status, h.x_cache.as_str(), h.body.as_str()),
        (200, "MISS", "")
    );
    assert_eq!(h.headers["content-length"], "10");
    let g = get(&r.url("/h")).await;
    assert_eq!((g.x_cache.as_str(), g.body.as_str()), ("HIT", "0123456789"));
    let h2 = send(reqwest::Method::HEAD, &r.url("/h")).await;
    assert_eq!((h2.x_cache.as_str(), h2.body.as_str()), ("HIT", ""));
    assert_eq!(up.hits(), 1);
}

/// Malformed requests get 400 (or are closed) while the relay keeps serving others;
/// dot segments that would leave the upstream base are refused with 400.
// Multi-threaded: the raw client below blocks its thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests() {
    let up = Fake::start(Mode::ok("fine")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("/base")])).await;
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n",
        b"GET /\x01x HTTP/1.1\r\n\r\n",
        b"\xff\xfe\r\n\r\n",
    ] {
        let reply = raw_exchange(r.addr, raw);
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply:?}");
    }
    let big = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(20_000));
    let reply = raw_exchange(r.addr, big.as_bytes());
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply:?}");
    let reply = raw_exchange(
        r.addr,
        b"GET /../secret HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    let reply = raw_exchange(
        r.addr,
        b"GET /a/%2e%2E/secret HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert_eq!(get(&r.url("/ok")).await.status, 200);
    assert_eq!(up.hits(), 1);
}

fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// /metrics counts requests by X-Cache and status and shows cache bytes per tier; purge
/// by path and by prefix make the next request a MISS.
#[tokio::test]
async fn admin_metrics_and_purge() {
    let up = Fake::start(Mode::ok("m").cc("max-age=600")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    for p in ["/a/1", "/a/1", "/a/2", "/b/1"] {
        get(&r.url(p)).await;
    }
    let m = get(&r.admin_url("/metrics")).await.body;
    assert!(
        m.contains(r#"relay_requests_total{cache="HIT",status="200"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"relay_requests_total{cache="MISS",status="200"} 3"#),
        "{m}"
    );
    assert!(m.contains(r#"relay_cache_bytes{tier="memory"}"#), "{m}");
    assert!(m.contains("relay_upstream_duration_seconds_bucket"), "{m}");
    let client = reqwest::Client::new();
    let post = |q: &'static str| client.post(r.admin_url(&format!("/purge?{q}"))).send();
    assert_eq!(post("path=/a/1").await.unwrap().status(), 200);
    assert_eq!(get(&r.url("/a/1")).await.x_cache, "MISS");
    let v: serde_json::Value = post("prefix=/a/").await.unwrap().json().await.unwrap();
    assert_eq!(v["entries"], 2);
    assert_eq!(get(&r.url("/a/2")).await.x_cache, "MISS");
    assert_eq!(get(&r.url("/b/1")).await.x_cache, "HIT");
    assert_eq!(post("nothing=1").await.unwrap().status(), 400);
    assert_eq!(get(&r.admin_url("/purge")).await.status, 405);
    assert_eq!(get(&r.admin_url("/nope")).await.status, 404);
}

/// On stop, the listener closes and run returns.
#[tokio::test]
async fn graceful_stop() {
    let up = Fake::start(Mode::ok("x")).await;
    let r = Relay::start(RelayConfig::for_test(vec![up.url("")])).await;
    assert_eq!(get(&r.url("/x")).await.status, 200);
    let addr = r.addr;
    tokio::time::timeout(Duration::from_secs(5), r.stop())
        .await
        .unwrap();
    assert!(std::net::TcpStream::connect(addr).is_err());
}
