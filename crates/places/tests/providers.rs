//! Remote providers against local fakes with recorded-shape responses: conversion, error
//! statuses, timeouts, fallback and the cache. No test touches the internet.

use std::time::{Duration, Instant};

use places::{NearbyResponse, Places, PlacesConfig, ProviderKind};
use testkit::http::{FakeHttp, Reply};

const LA: (f64, f64) = (34.068930, -118.445127);

const GOOGLE_OK: &str = r#"{"html_attributions": [], "results": [
  {"geometry": {"location": {"lat": 34.0700, "lng": -118.4400}}, "name": "Far Cafe", "place_id": "p2", "types": ["cafe"], "vicinity": "2 Far St"},
  {"geometry": {"location": {"lat": 34.0690, "lng": -118.4451}}, "name": "Near Hall", "place_id": "p1", "types": ["university"], "vicinity": "1 Near St"},
  {"geometry": {"location": {"lat": 34.0800, "lng": -118.4300}}, "name": "Farthest", "place_id": "p3", "types": ["park"], "vicinity": "3 St"}
], "status": "OK"}"#;

const GOOGLE_NEW_OK: &str = r#"{"places": [
  {"id": "ChIJ1", "displayName": {"text": "Royce Hall", "languageCode": "en"}, "location": {"latitude": 34.0729, "longitude": -118.4422},
   "types": ["point_of_interest", "establishment"], "formattedAddress": "10745 Dickson Plaza, Los Angeles, CA 90095, USA", "shortFormattedAddress": "10745 Dickson Plaza, Los Angeles"}
]}"#;

const OVERPASS_OK: &str = r#"{"version": 0.6, "elements": [
  {"type": "node", "id": 42, "lat": 34.0705, "lon": -118.4430, "tags": {"name": "Kerckhoff Coffee", "amenity": "cafe", "addr:street": "Westwood Plaza"}},
  {"type": "node", "id": 43, "lat": 34.0690, "lon": -118.4452, "tags": {"amenity": "bench"}}
]}"#;

fn config(providers: Vec<ProviderKind>, url: &str) -> PlacesConfig {
    PlacesConfig::for_test(providers, url)
}

async fn ask(cfg: PlacesConfig, limit: usize) -> NearbyResponse {
    Places::new(cfg)
        .unwrap()
        .nearby(LA.0, LA.1, 5.0, limit)
        .await
}

/// Legacy results pass through, sorted nearest first and cut to the bound; the key and
/// location are sent as query parameters.
#[tokio::test]
async fn google_legacy_ok() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_OK.into())).await;
    let r = ask(config(vec![ProviderKind::Google], &fake.url("/nearby")), 2).await;
    assert_eq!(r.status, "OK");
    let names: Vec<&str> = r
        .results
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Near Hall", "Far Cafe"]);
    let req = &fake.requests()[0];
    assert!(
        req.request_line
            .starts_with("GET /nearby?location=34.06893%2C-118.445127&radius=5000&key=test-key"),
        "{}",
        req.request_line
    );
}

/// Google's error statuses and HTTP failures are failures; with one provider they come back
/// to the caller as values with an error message.
#[tokio::test]
async fn google_error_statuses() {
    let cases = [
        (
            Reply::Json(
                200,
                r#"{"results": [], "status": "OVER_QUERY_LIMIT", "error_message": "quota"}"#.into(),
            ),
            "OVER_QUERY_LIMIT",
        ),
        (
            Reply::Json(
                200,
                r#"{"results": [], "status": "REQUEST_DENIED", "error_message": "bad key"}"#.into(),
            ),
            "REQUEST_DENIED",
        ),
        (Reply::Json(429, "{}".into()), "OVER_QUERY_LIMIT"),
        (Reply::Json(500, "oops".into()), "UNKNOWN_ERROR"),
        (Reply::Json(200, "not json".into()), "UNKNOWN_ERROR"),
        (Reply::Stall, "UNKNOWN_ERROR"),
    ];
    for (reply, status) in cases {
        let fake = FakeHttp::start(reply.clone()).await;
        let start = Instant::now();
        let r = ask(config(vec![ProviderKind::Google], &fake.url("/")), 5).await;
        assert_eq!(r.status, status, "{reply:?}");
        assert!(r.error_message.is_some(), "{reply:?}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{reply:?} took {:?}",
            start.elapsed()
        );
    }
}

/// ZERO_RESULTS is an answer: no fall-through to the next provider.
#[tokio::test]
async fn zero_results_is_an_answer() {
    let fake = FakeHttp::start(Reply::Json(
        200,
        r#"{"html_attributions": [], "results": [], "status": "ZERO_RESULTS"}"#.into(),
    ))
    .await;
    let r = ask(
        config(
            vec![ProviderKind::Google, ProviderKind::Offline],
            &fake.url("/"),
        ),
        5,
    )
    .await;
    assert_eq!(r.status, "ZERO_RESULTS");
}

/// Places API (New): POST with the key and field mask; places converted to legacy objects.
#[tokio::test]
async fn google_new_converts() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_NEW_OK.into())).await;
    let r = ask(
        config(
            vec![ProviderKind::GoogleNew],
            &fake.url("/v1/places:searchNearby"),
        ),
        5,
    )
    .await;
    assert_eq!(r.status, "OK");
    let p = &r.results[0];
    assert_eq!(p["name"], "Royce Hall");
    assert_eq!(p["place_id"], "ChIJ1");
    assert_eq!(p["geometry"]["location"]["lat"], 34.0729);
    assert_eq!(p["vicinity"], "10745 Dickson Plaza, Los Angeles");
    let req = &fake.requests()[0];
    assert!(req.request_line.starts_with("POST /v1/places:searchNearby"));
    assert!(req
        .headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("x-goog-api-key: test-key")));
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["locationRestriction"]["circle"]["radius"], 5000);
    let empty = FakeHttp::start(Reply::Json(200, "{}".into())).await;
    let r = ask(config(vec![ProviderKind::GoogleNew], &empty.url("/")), 5).await;
    assert_eq!(r.status, "ZERO_RESULTS");
    let denied = FakeHttp::start(Reply::Json(
        403,
        r#"{"error": {"code": 403, "status": "PERMISSION_DENIED"}}"#.into(),
    ))
    .await;
    assert_eq!(
        ask(config(vec![ProviderKind::GoogleNew], &denied.url("/")), 5)
            .await
            .status,
        "REQUEST_DENIED"
    );
}

/// Overpass: named nodes become results; unnamed ones are skipped; 429/504 are failures.
#[tokio::test]
async fn overpass_converts() {
    let fake = FakeHttp::start(Reply::Json(200, OVERPASS_OK.into())).await;
    let r = ask(
        config(vec![ProviderKind::Overpass], &fake.url("/api/interpreter")),
        5,
    )
    .await;
    assert_eq!(r.status, "OK");
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0]["place_id"], "osm:node:42");
    assert_eq!(r.results[0]["types"][0], "cafe");
    let body = &fake.requests()[0].body;
    assert!(body.starts_with("data="), "{body}");
    assert!(
        body.contains("around%3A5000%2C34.06893%2C-118.445127"),
        "{body}"
    );
    assert!(body.contains("%5Bout%3Ajson%5D"), "{body}");
    let remark = FakeHttp::start(Reply::Json(
        200,
        r#"{"elements": [], "remark": "runtime error: Query timed out in \"query\" at line 1"}"#
            .into(),
    ))
    .await;
    let r = ask(config(vec![ProviderKind::Overpass], &remark.url("/")), 5).await;
    assert_eq!(r.status, "UNKNOWN_ERROR");
    assert!(r.error_message.unwrap().contains("timed out"));
    for code in [429, 504] {
        let f = FakeHttp::start(Reply::Json(code, "{}".into())).await;
        assert!(!ask(config(vec![ProviderKind::Overpass], &f.url("/")), 5)
            .await
            .is_answer());
    }
}

/// A failing provider falls back to the next; all failing gives the last failure in time.
#[tokio::test]
async fn fallback_and_all_fail() {
    let broken = FakeHttp::start(Reply::Json(500, "down".into())).await;
    let r = ask(
        config(
            vec![ProviderKind::Google, ProviderKind::Offline],
            &broken.url("/"),
        ),
        3,
    )
    .await;
    assert_eq!(r.status, "OK");
    assert!(r.results[0]["place_id"]
        .as_str()
        .unwrap()
        .starts_with("geonames:"));
    let stalled = FakeHttp::start(Reply::Stall).await;
    let start = Instant::now();
    let r = ask(
        config(
            vec![
                ProviderKind::Google,
                ProviderKind::GoogleNew,
                ProviderKind::Overpass,
            ],
            &stalled.url("/"),
        ),
        3,
    )
    .await;
    assert!(!r.is_answer());
    assert!(r.error_message.unwrap().contains("overpass"));
    // Three providers at 300 ms each, plus slack for a busy machine.
    assert!(
        start.elapsed() < Duration::from_millis(3 * 300 + 700),
        "{:?}",
        start.elapsed()
    );
}

/// Without a key the Google providers fail without sending anything.
#[tokio::test]
async fn missing_key_sends_nothing() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_OK.into())).await;
    let mut cfg = config(vec![ProviderKind::Google], &fake.url("/"));
    // The library never reads GOOGLE_PLACES_API_KEY, so this holds on any machine.
    cfg.api_key = None;
    let r = ask(cfg, 5).await;
    assert_eq!(r.status, "REQUEST_DENIED");
    assert_eq!(fake.hits(), 0);
}

/// The same query within the TTL is answered from the cache; failures are not cached.
#[tokio::test]
async fn answers_are_cached_failures_are_not() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_OK.into())).await;
    let mut cfg = config(vec![ProviderKind::Google], &fake.url("/"));
    cfg.cache_ttl = Duration::from_secs(60);
    let places = Places::new(cfg).unwrap();
    let a = places.nearby(LA.0, LA.1, 5.0, 3).await;
    let b = places.nearby(LA.0 + 0.00001, LA.1, 5.0, 3).await;
    assert_eq!(a, b);
    assert_eq!(fake.hits(), 1);
    let failing = FakeHttp::start(Reply::Json(500, "x".into())).await;
    let mut cfg = config(vec![ProviderKind::Google], &failing.url("/"));
    cfg.cache_ttl = Duration::from_secs(60);
    let places = Places::new(cfg).unwrap();
    places.nearby(LA.0, LA.1, 5.0, 3).await;
    places.nearby(LA.0, LA.1, 5.0, 3).await;
    assert_eq!(failing.hits(), 2);
}

/// Identical concurrent queries make one upstream request; the others wait for its answer.
#[tokio::test]
async fn concurrent_identical_queries_share_one_request() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_OK.into())).await;
    let mut cfg = config(vec![ProviderKind::Google], &fake.url("/"));
    cfg.cache_ttl = Duration::from_secs(60);
    let places = Places::new(cfg).unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let p = places.clone();
            tokio::spawn(async move { p.nearby(LA.0, LA.1, 5.0, 3).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().status, "OK");
    }
    assert_eq!(fake.hits(), 1);
}

/// Radius 0 is answered locally; bad coordinates are INVALID_REQUEST; nothing is sent.
#[tokio::test]
async fn local_answers_send_nothing() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_OK.into())).await;
    let places = Places::new(config(
        vec![ProviderKind::Google, ProviderKind::Overpass],
        &fake.url("/"),
    ))
    .unwrap();
    assert_eq!(
        places.nearby(LA.0, LA.1, 0.0, 5).await.status,
        "ZERO_RESULTS"
    );
    assert_eq!(
        places.nearby(LA.0, LA.1, -1.0, 5).await.status,
        "ZERO_RESULTS"
    );
    let bad = places.nearby(f64::NAN, LA.1, 5.0, 5).await;
    assert_eq!(bad.status, "INVALID_REQUEST");
    assert!(bad.error_message.is_some());
    assert_eq!(
        places.nearby(91.0, 0.0, 5.0, 5).await.status,
        "INVALID_REQUEST"
    );
    assert_eq!(fake.hits(), 0);
}

/// Bad configurations fail at construction with a clear message.
#[test]
fn bad_config_is_rejected() {
    let err = |c: PlacesConfig| Places::new(c).unwrap_err().to_string();
    let mut c = PlacesConfig::default();
    c.providers.clear();
    assert!(err(c).contains("providers is empty"));
    let c = config(vec![ProviderKind::Overpass], "not a url");
    assert!(err(c).contains("overpass_url"));
    let c = config(vec![ProviderKind::Google], "ftp://example.com/x");
    assert!(err(c).contains("google_base_url"));
    let mut c = config(vec![ProviderKind::GoogleNew], "http://127.0.0.1:1/");
    c.timeout = Duration::ZERO;
    assert!(err(c).contains("timeout_ms"));
    // An unused provider's URL is not checked.
    let c = config(vec![ProviderKind::Offline], "not a url");
    assert!(Places::new(c).is_ok());
}

/// The offline provider through `Places`: attribution, ids, and the ocean.
#[tokio::test]
async fn offline_through_places() {
    let places = Places::new(PlacesConfig::default()).unwrap();
    let r = places.nearby(6.5244, 3.3792, 10.0, 20).await;
    assert_eq!(r.status, "OK");
    assert!(r.results.len() <= 20);
    assert_eq!(r.html_attributions, [places::ATTRIBUTION]);
    let ocean = places.nearby(-40.0, -120.0, 50.0, 20).await;
    assert_eq!(ocean.status, "ZERO_RESULTS");
    assert!(ocean.error_message.is_none());
    let json = serde_json::to_string(&ocean).unwrap();
    assert!(!json.contains("error_message"), "{json}");
}

/// The API key never appears in what a caller gets back, whether the provider cannot be
/// reached, breaks off mid-body, sends bad JSON, or quotes the key in its error or results.
#[tokio::test]
async fn api_key_never_in_answers() {
    const KEY: &str = "SECRET-KEY-4c1a9e";
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", l.local_addr().unwrap());
        drop(l);
        url
    };
    let mid_body = FakeHttp::start(Reply::Raw(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"results\": [".into(),
    ))
    .await;
    let bad_json = FakeHttp::start(Reply::Json(200, "{not json".into())).await;
    let echo_error = FakeHttp::start(Reply::Json(
        403,
        format!(r#"{{"error": "key {KEY} is not valid for https://x/?key={KEY}"}}"#),
    ))
    .await;
    let echo_status = FakeHttp::start(Reply::Json(
        200,
        format!(
            r#"{{"results": [], "status": "REQUEST_DENIED", "error_message": "bad key {KEY}"}}"#
        ),
    ))
    .await;
    let echo_result = FakeHttp::start(Reply::Json(
        200,
        GOOGLE_OK.replace("Near Hall", &format!("Near {KEY} Hall")),
    ))
    .await;
    let urls = [
        closed,
        mid_body.url("/"),
        bad_json.url("/"),
        echo_error.url("/"),
        echo_status.url("/"),
        echo_result.url("/"),
    ];
    for kind in [ProviderKind::Google, ProviderKind::GoogleNew] {
        for url in &urls {
            let mut cfg = config(vec![kind], url);
            cfg.api_key = Some(KEY.into());
            let r = ask(cfg, 5).await;
            let text = serde_json::to_string(&r).unwrap();
            assert!(!text.contains(KEY), "{kind:?} {url}: {text}");
            assert!(!format!("{r:?}").contains(KEY), "{kind:?} {url}");
        }
    }
    // The request did carry the key: the redaction is not hiding a missing key.
    assert!(echo_error
        .requests()
        .iter()
        .any(|r| { r.request_line.contains(KEY) || r.headers.iter().any(|h| h.contains(KEY)) }));
}

/// However clients vary the query (defeating the cache), a remote provider is sent at
/// most `rate_burst` requests at once; past it the next provider answers.
#[tokio::test]
async fn remote_providers_are_rate_limited() {
    let fake = FakeHttp::start(Reply::Json(200, GOOGLE_OK.into())).await;
    let mut cfg = config(
        vec![ProviderKind::Google, ProviderKind::Offline],
        &fake.url("/"),
    );
    cfg.rate_per_sec = 0.001;
    cfg.rate_burst = 5;
    let places = Places::new(cfg).unwrap();
    let mut from_offline = 0;
    for i in 0..30 {
        let r = places
            .nearby(LA.0, LA.1, 5.0 + f64::from(i) / 10.0, 3)
            .await;
        assert_eq!(r.status, "OK");
        if r.results[0]["place_id"]
            .as_str()
            .unwrap_or("")
            .starts_with("geonames:")
        {
            from_offline += 1;
        }
    }
    assert_eq!(fake.hits(), 5);
    assert_eq!(from_offline, 25);
}

/// A 503 reply with no body worth reading, then the connection closes.
fn unavailable() -> Reply {
    Reply::Raw("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".into())
}

/// Through crates/upstream: a transient failure (503) is retried, an answer that is not
/// transient (400, 403, 500, 429 without Retry-After) is sent exactly once.
#[tokio::test]
async fn only_transient_failures_are_retried() {
    let busy = FakeHttp::start(unavailable()).await;
    let r = ask(config(vec![ProviderKind::Google], &busy.url("/")), 3).await;
    assert_eq!(r.status, "UNKNOWN_ERROR");
    assert!(r.error_message.unwrap().contains("HTTP 503"));
    assert_eq!(busy.hits(), 3, "one try and two retries");
    for code in [400, 403, 429, 500] {
        let f = FakeHttp::start(Reply::Json(code, "{}".into())).await;
        let r = ask(config(vec![ProviderKind::Google], &f.url("/")), 3).await;
        assert!(!r.is_answer(), "{code}");
        assert_eq!(f.hits(), 1, "{code} was retried");
    }
}

/// Overpass mirrors are redundant providers: the one that fails is skipped over to one
/// that answers, within the same lookup.
#[tokio::test]
async fn overpass_fails_over_to_a_mirror() {
    let busy = FakeHttp::start(unavailable()).await;
    let good = FakeHttp::start(Reply::Json(200, OVERPASS_OK.into())).await;
    let mut cfg = config(vec![ProviderKind::Overpass], &busy.url("/api/interpreter"));
    cfg.overpass_mirrors = vec![good.url("/api/interpreter")];
    cfg.timeout = Duration::from_secs(5);
    let r = ask(cfg, 5).await;
    assert_eq!(r.status, "OK");
    assert_eq!(r.results[0]["place_id"], "osm:node:42");
    assert_eq!((busy.hits(), good.hits()), (1, 1));
}

/// Retries take tokens from the provider's bucket too: with a burst of 2, a failing
/// provider is sent 2 requests (not 3), and the next lookup none.
#[tokio::test]
async fn retries_respect_the_rate_limit() {
    let busy = FakeHttp::start(unavailable()).await;
    let mut cfg = config(vec![ProviderKind::Google], &busy.url("/"));
    cfg.rate_per_sec = 0.001;
    cfg.rate_burst = 2;
    let places = Places::new(cfg).unwrap();
    assert_eq!(
        places.nearby(LA.0, LA.1, 5.0, 3).await.status,
        "UNKNOWN_ERROR"
    );
    assert_eq!(busy.hits(), 2);
    let r = places.nearby(LA.0, LA.1, 5.0, 3).await;
    assert_eq!(r.status, "OVER_QUERY_LIMIT");
    assert_eq!(busy.hits(), 2);
}

/// A provider that keeps failing trips its circuit breaker: it is then skipped at once
/// (no request, no wait) and the next provider answers.
#[tokio::test]
async fn breaker_skips_a_failing_provider() {
    let busy = FakeHttp::start(unavailable()).await;
    let mut cfg = config(
        vec![ProviderKind::Google, ProviderKind::Offline],
        &busy.url("/"),
    );
    cfg.timeout = Duration::from_secs(5);
    let places = Places::new(cfg).unwrap();
    for _ in 0..3 {
        assert_eq!(places.nearby(LA.0, LA.1, 5.0, 3).await.status, "OK");
    }
    let sent = busy.hits();
    assert_eq!(sent, 5, "the breaker opens after 5 consecutive failures");
    let start = Instant::now();
    let r = places.nearby(LA.0, LA.1, 5.0, 3).await;
    assert!(r.results[0]["place_id"]
        .as_str()
        .unwrap()
        .starts_with("geonames:"));
    assert_eq!(busy.hits(), sent);
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
}

/// A configured URL may not carry a query (a key there would escape the redaction), and
/// the error does not repeat it.
#[test]
fn configured_query_is_refused_unrepeated() {
    let mut c = config(
        vec![ProviderKind::Google],
        "http://127.0.0.1:1/x?key=SECRET-1",
    );
    let e = Places::new(c.clone()).unwrap_err().to_string();
    assert!(e.contains("google_base_url") && e.contains("query"), "{e}");
    assert!(!e.contains("SECRET"), "{e}");
    c.providers = vec![ProviderKind::Overpass];
    c.overpass_url = "http://127.0.0.1:1/api/interpreter".into();
    c.overpass_mirrors = vec!["https://m/api/interpreter#SECRET-2".into()];
    let e = Places::new(c).unwrap_err().to_string();
    assert!(
        e.contains("overpass_mirrors") && !e.contains("SECRET"),
        "{e}"
    );
}

/// Neither `Places` nor its config shows the key in `Debug` (a node config may be logged).
#[test]
fn debug_never_shows_the_key() {
    let mut cfg = config(vec![ProviderKind::Google], "http://127.0.0.1:1/");
    cfg.api_key = Some("SECRET-KEY-debug".into());
    let places = Places::new(cfg.clone()).unwrap();
    for shown in [format!("{places:?}"), format!("{cfg:?}")] {
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
