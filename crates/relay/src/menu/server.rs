//! [`run`]: the menu API on netkit's skeleton, with optional delay and failures.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::net::TcpListener;

use super::data::{Doc, Menus};
use crate::reply::Body;

/// How the menu API behaves.
#[derive(Clone, Debug)]
pub struct MenuConfig {
    /// Wait this long before every answer (`--delay`). Default none.
    pub delay: Duration,
    /// Share of answers that fail with 503, 0.0 to 1.0 (`--fail-rate`). Default 0.
    pub fail_rate: f64,
    /// `Cache-Control: max-age` sent with every answer (`--max-age`). Default 60 s.
    pub max_age: Duration,
    /// Connection limits and timeouts.
    pub limits: netkit::Limits,
}

impl Default for MenuConfig {
    fn default() -> Self {
        MenuConfig {
            delay: Duration::ZERO,
            fail_rate: 0.0,
            max_age: Duration::from_secs(60),
            limits: netkit::Limits::default(),
        }
    }
}

/// Why the menu API cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MenuError {
    /// `fail_rate` outside 0..=1.
    #[error("--fail-rate must be between 0 and 1, got {0}")]
    FailRate(f64),
    /// The bundled data is damaged.
    #[error("{0}")]
    Data(String),
}

struct State {
    menus: Menus,
    cfg: MenuConfig,
    cache_control: HeaderValue,
}

/// Serve the menu API on `listener` until `shutdown` completes.
///
/// # Errors
/// [`MenuError`] for a fail rate out of range (or damaged bundled data).
pub async fn run(
    listener: TcpListener,
    cfg: MenuConfig,
    shutdown: impl Future + Send + 'static,
) -> Result<(), MenuError> {
    if !(0.0..=1.0).contains(&cfg.fail_rate) {
        return Err(MenuError::FailRate(cfg.fail_rate));
    }
    let menus = Menus::bundled().map_err(MenuError::Data)?;
    let cache_control = HeaderValue::from_str(&format!("max-age={}", cfg.max_age.as_secs()))
        .unwrap_or(HeaderValue::from_static("max-age=60"));
    let state = Arc::new(State {
        menus,
        cfg: cfg.clone(),
        cache_control,
    });
    let sd = netkit::Shutdown::new();
    sd.trigger_on(shutdown);
    netkit::serve(listener, cfg.limits.clone(), sd, move |conn| {
        let state = state.clone();
        async move {
            let service = hyper::service::service_fn(move |req| {
                let s = state.clone();
                async move { Ok::<_, Infallible>(answer(&s, &req).await) }
            });
            netkit::serve_http(conn, service).await
        }
    })
    .await;
    Ok(())
}

async fn answer(s: &State, req: &Request<Incoming>) -> Response<Body> {
    if !s.cfg.delay.is_zero() {
        tokio::time::sleep(s.cfg.delay).await;
    }
    if s.cfg.fail_rate > 0.0 && rand::random::<f64>() < s.cfg.fail_rate {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"simulated failure (--fail-rate)"}"#,
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = json(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"error":"method not allowed"}"#,
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = req.uri().path();
    let doc = match path.strip_prefix("/api/restaurant") {
        Some("" | "/") => Some(&s.menus.list),
        Some(rest) => {
            let id = rest.trim_start_matches('/').trim_end_matches('/');
            s.menus.by_id.get(id)
        }
        None => None,
    };
    let Some(doc) = doc else {
        let mut r = json(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#);
        // Brief, so the relay's negative caching shows.
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=10"),
        );
        return r;
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == doc.etag || t.trim() == "*")
        });
    found(s, doc, matches)
}

fn found(s: &State, doc: &Doc, not_modified: bool) -> Response<Body> {
    let mut r = if not_modified {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        json_bytes(StatusCode::OK, doc.body.clone())
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, s.cache_control.clone());
    if let Ok(v) = HeaderValue::from_str(&doc.etag) {
        h.insert(header::ETAG, v);
    }
    r
}

fn json(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = json_bytes(status, Bytes::from_static(body.as_bytes()));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
