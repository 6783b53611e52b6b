//! The admin listener (`--admin ADDR`): `GET /metrics` (Prometheus text), `GET /health`
//! (JSON: providers and their breakers, cache tiers), and `POST /purge?path=P` or
//! `POST /purge?prefix=P` (JSON: how many entries went).
//!
//! It has no authentication: bind it to loopback (the default in `herd up`) or a private
//! network.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde_json::json;

use crate::reply::Body;
use crate::Relay;

/// Serve admin requests on one connection.
pub async fn serve_conn(relay: Arc<Relay>, conn: netkit::Conn) {
    let service = hyper::service::service_fn(move |req| {
        let r = relay.clone();
        async move { Ok::<_, Infallible>(route(&r, req).await) }
    });
    netkit::serve_http(conn, service).await
}

async fn route(relay: &Relay, req: Request<Incoming>) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => {
            let mut r = text(StatusCode::OK, relay.metrics().render(relay));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            r
        }
        (&Method::GET, "/health") => health(relay),
        (&Method::POST, "/purge") => purge(relay, req.uri()).await,
        (_, "/metrics" | "/health" | "/purge") => {
            let mut r = jsonr(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": "method not allowed"}),
            );
            let allow = if req.uri().path() == "/purge" {
                "POST"
            } else {
                "GET"
            };
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            r
        }
        _ => jsonr(
            StatusCode::NOT_FOUND,
            json!({"error": "not found", "detail": "try /metrics, /health or POST /purge?path=..."}),
        ),
    }
}

fn health(relay: &Relay) -> Response<Body> {
    let providers: Vec<_> = relay
        .upstream()
        .status()
        .into_iter()
        .map(|p| {
            json!({
                "origin": p.origin,
                "breaker": match p.state {
                    upstream::BreakerState::Closed => "closed",
                    upstream::BreakerState::Open => "open",
                    upstream::BreakerState::HalfOpen => "half-open",
                },
                "latency_ms": p.latency.map(|s| (s * 1e6).round() / 1e3),
                "failures": p.failures,
            })
        })
        .collect();
    let all_open = providers.iter().all(|p| p["breaker"] == "open");
    let u = relay.cache().usage();
    jsonr(
        StatusCode::OK,
        json!({
            "status": if all_open { "degraded" } else { "ok" },
            "upstreams": providers,
            "cache": {
                "memory_bytes": u.memory_bytes,
                "memory_entries": u.memory_entries,
                "disk_bytes": u.disk_bytes,
                "redis_connected": u.redis_connected,
            },
        }),
    )
}

async fn purge(relay: &Relay, uri: &http::Uri) -> Response<Body> {
    let (mut path, mut prefix) = (None, None);
    if let Ok(url) = reqwest::Url::parse(&format!("http://admin{uri}")) {
        for (k, v) in url.query_pairs() {
            match &*k {
                "path" => path = Some(v.into_owned()),
                "prefix" => prefix = Some(v.into_owned()),
                _ => {}
            }
        }
    }
    match (path, prefix) {
        (Some(p), None) if p.starts_with('/') => {
            relay.purge(&p).await;
            jsonr(StatusCode::OK, json!({"purged": p}))
        }
        (None, Some(p)) if p.starts_with('/') => {
            let n = relay.purge_prefix(&p).await;
            jsonr(StatusCode::OK, json!({"purged_prefix": p, "entries": n}))
        }
        _ => jsonr(
            StatusCode::BAD_REQUEST,
            json!({"error": "bad request", "detail": "give exactly one of ?path=/p or ?prefix=/p"}),
        ),
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

fn jsonr(status: StatusCode, v: serde_json::Value) -> Response<Body> {
    let mut r = text(status, v.to_string());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
