//! The HTTP contract (shared/DESIGN.md "Pub/sub contract") on top of the [`Broker`]:
//!
//! | request | answer |
//! |---|---|
//! | `POST /<topic>/<user>` | subscribe: 200 |
//! | `DELETE /<topic>/<user>` | 200, or 404 if not subscribed |
//! | `POST /<topic>` + body | publish: 200 (also with no subscribers) |
//! | `GET /<topic>/<user>[?wait=10s]` | 200 + next message, 204 if none, 404 if not subscribed |
//! | `GET /metrics`, `GET /health` | Prometheus text; `ok` or 503 |
//!
//! Every other path is 404, another method on a contract path 405 (with `Allow`), a body
//! over [`netkit::Limits::max_body_bytes`] 413, a bad `wait` 400, a store that is down or
//! full 503 with `Retry-After: 1`. All of these answers have empty bodies; a message comes
//! back byte for byte. Status mapping happens here and nowhere else.
//!
//! A message is claimed, not consumed: its body is a [`Reply`] that confirms the claim
//! once the last byte is written to the socket, and hands the message back if the
//! connection breaks first (see [`crate::reply`]).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use netkit::Shutdown;

use crate::broker::Read;
use crate::reply::Reply;
use crate::route::{parse_path, parse_wait, Target};
use crate::{Broker, Error, Polled, Store};

/// What a connection handler needs: the broker and the request limits.
#[derive(Debug)]
pub struct App<S> {
    /// The broker.
    pub broker: Broker<S>,
    /// Largest request body.
    pub max_body: usize,
    /// Longest `?wait=`.
    pub max_wait: std::time::Duration,
}

type Resp<S> = Response<Reply<S>>;

fn empty<S: Store>(status: StatusCode) -> Resp<S> {
    let mut r = Response::new(Reply::plain(Bytes::new()));
    *r.status_mut() = status;
    r
}

fn with_body<S: Store>(body: Reply<S>, content_type: &'static str) -> Resp<S> {
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Answer one request. Never fails: every outcome is a response.
pub async fn handle<S: Store>(
    app: Arc<App<S>>,
    stop: Shutdown,
    req: Request<Incoming>,
) -> Result<Resp<S>, Infallible> {
    let resp = route(&app, &stop, req).await;
    app.broker.metrics().response(resp.status().as_u16());
    Ok(resp)
}

async fn route<S: Store>(app: &App<S>, stop: &Shutdown, req: Request<Incoming>) -> Resp<S> {
    let path = req.uri().path();
    let broker = &app.broker;
    if req.method() == Method::GET {
        match path {
            "/metrics" => {
                let text = broker.metrics().render(broker.store().stats());
                return with_body(Reply::plain(text.into()), "text/plain; version=0.0.4");
            }
            "/health" => {
                return match broker.store().health().await {
                    Ok(()) => with_body(Reply::plain(Bytes::from_static(b"ok\n")), "text/plain"),
                    Err(e) => store_error(broker, e),
                };
            }
            _ => {}
        }
    }
    let Some(target) = parse_path(path) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let method = req.method().clone();
    let wait = parse_wait(req.uri().query(), app.max_wait);
    let outcome = match (method, target) {
        (Method::POST, Target::Topic(topic)) => match read_body(req, app.max_body).await {
            Ok(body) => broker
                .publish(&topic, body)
                .await
                .map(|_| empty(StatusCode::OK)),
            Err(status) => return empty(status),
        },
        (Method::POST, Target::Subscription { topic, user }) => {
            if let Err(status) = read_body(req, app.max_body).await {
                return empty(status);
            }
            broker
                .subscribe(&topic, &user)
                .await
                .map(|()| empty(StatusCode::OK))
        }
        (Method::DELETE, Target::Subscription { topic, user }) => {
            broker.unsubscribe(&topic, &user).await.map(|was| {
                empty(if was {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                })
            })
        }
        (Method::GET, Target::Subscription { topic, user }) => {
            let Ok(wait) = wait else {
                return empty(StatusCode::BAD_REQUEST);
            };
            broker
                .claim(&topic, &user, wait, stop)
                .await
                .map(|Read { polled, receipt }| match polled {
                    Polled::Message(body) => {
                        with_body(Reply::message(body, receipt), "application/octet-stream")
                    }
                    Polled::Empty => empty(StatusCode::NO_CONTENT),
                    Polled::NotSubscribed => empty(StatusCode::NOT_FOUND),
                })
        }
        (_, Target::Topic(_)) => return not_allowed("POST"),
        (_, Target::Subscription { .. }) => return not_allowed("GET, POST, DELETE"),
    };
    outcome.unwrap_or_else(|e| store_error(broker, e))
}

fn not_allowed<S: Store>(allow: &'static str) -> Resp<S> {
    let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    r
}

/// The one place store errors become statuses. Logged through the broker, which writes
/// at most one line a second while the store is down.
fn store_error<S: Store>(broker: &Broker<S>, e: Error) -> Resp<S> {
    if e.is_transient() {
        broker.report(&e, "answering 503");
        let mut r = empty(StatusCode::SERVICE_UNAVAILABLE);
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        r
    } else {
        broker.report(&e, "answering 500");
        empty(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The whole body, at most `max` bytes: 413 past it (refused from `Content-Length` before
/// reading when the client declares it), 400 if the client breaks off mid-body.
async fn read_body(req: Request<Incoming>, max: usize) -> Result<Bytes, StatusCode> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    match Limited::new(req.into_body(), max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}
