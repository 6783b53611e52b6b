//! [`run`] and [`run_with_admin`]: the relay on netkit's skeleton.
//!
//! netkit owns the accept loop, limits, timeouts and drain; each connection is handed to
//! hyper through `netkit::serve_http`, with [`handle`] as the service. On stop, the
//! listeners close, connections finish what they hold, and background cache writes are
//! flushed within the grace period.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;
use tokio::net::TcpListener;

use crate::reply::Body;
use crate::{admin, Error, Relay, RelayConfig};

/// Serve the relay on `listener` until `shutdown` completes.
///
/// # Errors
/// [`Error`] when the relay cannot start (see [`Relay::new`]).
pub async fn run(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: impl Future + Send + 'static,
) -> Result<(), Error> {
    run_with_admin(listener, None, config, shutdown).await
}

/// Serve the relay on `listener`, and the admin endpoints on `admin` if given, until
/// `shutdown` completes.
///
/// # Errors
/// [`Error`] when the relay cannot start (see [`Relay::new`]).
pub async fn run_with_admin(
    listener: TcpListener,
    admin: Option<TcpListener>,
    config: RelayConfig,
    shutdown: impl Future + Send + 'static,
) -> Result<(), Error> {
    let relay = Relay::new(config).await?;
    serve(relay, listener, admin, shutdown).await;
    Ok(())
}

/// Serve an already built relay (for `herd up`, which builds it during its start phase).
pub async fn serve(
    relay: Arc<Relay>,
    listener: TcpListener,
    admin: Option<TcpListener>,
    shutdown: impl Future + Send + 'static,
) {
    let sd = netkit::Shutdown::new();
    sd.trigger_on(shutdown);
    let limits = relay.config().limits.clone();
    let admin_task = admin.map(|l| {
        let r = relay.clone();
        tokio::spawn(netkit::serve(l, limits.clone(), sd.child(), move |conn| {
            admin::serve_conn(r.clone(), conn)
        }))
    });
    let r = relay.clone();
    netkit::serve(listener, limits.clone(), sd, move |conn| {
        let r = r.clone();
        async move {
            let service = hyper::service::service_fn(move |req| handle(r.clone(), req));
            netkit::serve_http(conn, service).await
        }
    })
    .await;
    if let Some(t) = admin_task {
        let _ = t.await;
    }
    if !relay.cache().flush(limits.grace).await {
        tracing::warn!("cache writes still pending at exit");
    }
}

/// One request: answer it, count it, log it.
async fn handle(relay: Arc<Relay>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let started = std::time::Instant::now();
    let (resp, x) = relay.handle(req.method(), req.uri()).await;
    let status = resp.status().as_u16();
    relay.metrics().request(x, status);
    if relay.config().access_log {
        tracing::info!(
            target: "herd::access",
            method = %req.method(),
            path = %req.uri(),
            status,
            cache = x.as_str(),
            micros = started.elapsed().as_micros() as u64,
        );
    }
    Ok(resp)
}
