//! Building responses: cached entries, passed-through answers, and every error, mapped to
//! HTTP in this one place.
//!
//! A cached entry's body is `Bytes` shared with the cache; building its response costs a
//! reference-count increment, a few header inserts (the `Age` values come from a table),
//! and nothing else.

use std::sync::OnceLock;

use bytes::Bytes;
use cache::Entry;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;
use upstream::{ErrorKind, UpstreamError};

use crate::key::KeyError;

/// Every response body the relay sends.
pub type Body = Full<Bytes>;

/// The `X-Cache` value of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XCache {
    /// Served fresh from a cache tier.
    Hit,
    /// Fetched from the upstream now.
    Miss,
    /// Served past its freshness (while revalidating, or because the upstream failed).
    Stale,
    /// Stale copy confirmed by the upstream (304) and served.
    Revalidated,
    /// Not a cache answer (errors, refused requests).
    None,
}

impl XCache {
    /// The header text (`HIT`, `MISS`, ...); empty for [`XCache::None`].
    pub fn as_str(self) -> &'static str {
        match self {
            XCache::Hit => "HIT",
            XCache::Miss => "MISS",
            XCache::Stale => "STALE",
            XCache::Revalidated => "REVALIDATED",
            XCache::None => "",
        }
    }
}

const X_CACHE: header::HeaderName = header::HeaderName::from_static("x-cache");
const AGE_TABLE: u64 = 3600;

/// `Age` header values for 0..=3600 s, built once, so a hit does not format a number.
fn age_value(secs: u64) -> HeaderValue {
    static TABLE: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..=AGE_TABLE).map(HeaderValue::from).collect());
    match table.get(secs as usize) {
        Some(v) => v.clone(),
        None => HeaderValue::from(secs),
    }
}

/// A cached entry as a response at `now` (Unix ms); no body for HEAD.
pub fn from_entry(e: &Entry, x: XCache, now: u64, head: bool) -> Response<Body> {
    let body = if head { Bytes::new() } else { e.body.clone() };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    h.reserve(e.headers.len() + 3);
    for (k, v) in &e.headers {
        h.append(k.clone(), v.clone());
    }
    h.insert(X_CACHE, HeaderValue::from_static(x.as_str()));
    h.insert(header::AGE, age_value(e.age_secs(now)));
    if head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(e.body.len()));
    }
    resp
}

/// An upstream answer that is not cached (no-store, 5xx, uncacheable status), passed
/// through: status, `Content-Type` and body, `X-Cache: MISS`.
pub fn passthrough(r: &upstream::Response, head: bool) -> Response<Body> {
    let body = if head { Bytes::new() } else { r.body.clone() };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let h = resp.headers_mut();
    for name in [
        header::CONTENT_TYPE,
        header::CACHE_CONTROL,
        header::RETRY_AFTER,
    ] {
        if let Some(v) = r.headers.get(&name) {
            h.insert(name, v.clone());
        }
    }
    h.insert(X_CACHE, HeaderValue::from_static(XCache::Miss.as_str()));
    if head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(r.body.len()));
    }
    resp
}

/// Everything that is answered with an error.
#[derive(Clone, Debug)]
pub enum Failure {
    /// A request target the relay refuses (400).
    BadRequest(KeyError),
    /// Not GET or HEAD (405 with `Allow`).
    MethodNotAllowed,
    /// The upstream failed and nothing usable is cached (502, or 504 for a timeout).
    Upstream(UpstreamError),
    /// The relay's own fault (500); should not happen.
    Internal,
}

impl Failure {
    /// The status this failure is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Failure::Upstream(e) if e.kind() == ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Failure::Upstream(_) => StatusCode::BAD_GATEWAY,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The short JSON answer: `{"error": ..., "detail": ...}`. Details name an upstream
    /// by origin only, never a path or query.
    pub fn into_response(self, head: bool) -> Response<Body> {
        let status = self.status();
        let (error, detail) = match &self {
            Failure::BadRequest(k) => ("bad request", k.to_string()),
            Failure::MethodNotAllowed => (
                "method not allowed",
                "the relay answers GET and HEAD only".to_string(),
            ),
            Failure::Upstream(e) if e.kind() == ErrorKind::Timeout => {
                ("upstream timed out", e.to_string())
            }
            Failure::Upstream(e) => ("upstream unavailable", e.to_string()),
            Failure::Internal => ("internal error", "see the relay's log".to_string()),
        };
        let body =
            serde_json::json!({ "error": error, "detail": detail, "status": status.as_u16() });
        let body = Bytes::from(body.to_string());
        let len = body.len();
        let mut resp = Response::new(Full::new(if head { Bytes::new() } else { body }));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if matches!(self, Failure::MethodNotAllowed) {
            h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        if head {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Age table matches formatting, inside and past it.
    #[test]
    fn ages() {
        for s in [0, 1, 59, 3600, 3601, 86_400] {
            assert_eq!(age_value(s).to_str().unwrap(), s.to_string());
        }
    }

    /// Status mapping: timeout 504, other upstream failures 502, 405 with Allow.
    #[test]
    fn failures() {
        let t = Failure::Upstream(UpstreamError::Timeout {
            provider: "http://h:1".into(),
        });
        assert_eq!(t.status(), StatusCode::GATEWAY_TIMEOUT);
        let c = Failure::Upstream(UpstreamError::Connect {
            provider: "http://h:1".into(),
        });
        assert_eq!(c.status(), StatusCode::BAD_GATEWAY);
        let r = Failure::MethodNotAllowed.into_response(false);
        assert_eq!(r.headers()[header::ALLOW], "GET, HEAD");
    }
}
