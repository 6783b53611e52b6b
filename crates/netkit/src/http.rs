//! [`serve_http`]: hand a [`Conn`] to hyper's HTTP/1.1 server with the skeleton's limits.
//!
//! Every HTTP service (relay, menu API, pub/sub, the tokio server model) serves its
//! connections through this one function, so they share:
//! - the request-head timeout ([`Limits::header_timeout`], hyper's `header_read_timeout`)
//!   and head size ([`Limits::max_header_bytes`]; hyper answers 431 past it, and cannot go
//!   below its own floor of 8 KiB);
//! - the idle and write timeouts, already on the [`Conn`]'s stream;
//! - graceful stop: when the service stops, the response in progress is finished and the
//!   connection is closed instead of kept alive;
//! - overflow admission: a connection in an overflow slot gets `503 Service Unavailable`
//!   with `Retry-After: 1` and is closed, which tells a client more than a stalled accept.
//!
//! Request bodies are not limited here: the service knows whether it wants one and
//! enforces [`Limits::max_body_bytes`] (with `http_body_util::Limited`) as it reads.

use std::convert::Infallible;
use std::future::Future;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::{Admission, Conn};

/// hyper refuses read buffers below 8 KiB.
const HYPER_MIN_BUF: usize = 8 * 1024;

/// Serve HTTP/1.1 on `conn` with `service` until the client closes, a timeout fires or
/// the service stops. Errors (a client that vanished, a malformed request hyper answered
/// with 400) end this connection only, and are logged at debug level.
pub async fn serve_http<S, B>(conn: Conn, service: S)
where
    S: Service<Request<Incoming>, Response = Response<B>> + Send,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Conn {
        stream,
        peer,
        admission,
        shutdown,
        limits,
    } = conn;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(HYPER_MIN_BUF));
    let io = TokioIo::new(stream);
    let result = if admission == Admission::Overflow {
        http.keep_alive(false);
        http.serve_connection(io, hyper::service::service_fn(busy))
            .await
    } else {
        let conn = http.serve_connection(io, service);
        tokio::pin!(conn);
        tokio::select! {
            r = conn.as_mut() => r,
            _ = shutdown.cancelled() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "http connection ended with an error");
    }
}

fn busy(
    _req: Request<Incoming>,
) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(
        b"{\"error\":\"server busy: too many connections\"}",
    )));
    *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let h = resp.headers_mut();
    h.insert(
        hyper::header::RETRY_AFTER,
        hyper::header::HeaderValue::from_static("1"),
    );
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    std::future::ready(Ok(resp))
}
