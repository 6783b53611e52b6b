//! [`serve`]: the accept loop every async service runs on.
//!
//! The service supplies a connection handler (the herd's line loop, or hyper serving HTTP
//! on the connection); `serve` owns everything around it:
//! - a connection limit ([`Limits::max_connections`]) plus a few overflow slots
//!   ([`Limits::overflow_connections`]) for connections accepted only to be identified or
//!   refused ([`Admission::Overflow`]); past both, new connections wait in the kernel's
//!   accept queue;
//! - accept-error backoff (out of file descriptors must not become a busy loop);
//! - per-connection read (idle) and write timeouts, by handing the handler a [`Timed`]
//!   stream;
//! - task tracking and the graceful drain: on stop the listener closes first, handlers see
//!   [`Conn::shutdown`] fire and finish what they hold, and `serve` waits up to
//!   [`Limits::grace`] for them.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Limits, Shutdown, Timed};

/// Which kind of slot a connection was accepted into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Under the connection limit: serve it.
    Normal,
    /// Every normal slot is taken. The handler should identify the connection within
    /// [`Limits::header_timeout`] and serve it only if it must get in regardless (a herd
    /// peer), else refuse it (an HTTP 503) and close.
    Overflow,
}

/// One accepted connection, handed to the service's handler.
#[derive(Debug)]
pub struct Conn {
    /// The socket, with the idle timeout on reads and the write timeout on writes.
    pub stream: Timed<TcpStream>,
    /// The remote address.
    pub peer: SocketAddr,
    /// Whether it took a normal or an overflow slot.
    pub admission: Admission,
    /// Fires when the service is stopping; a handler finishes what it holds and returns.
    pub shutdown: Shutdown,
    /// The limits the service runs with (header timeout, byte limits).
    pub limits: Arc<Limits>,
}

/// How a [`serve`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served {
    /// Every tracked task finished within the grace period.
    pub clean: bool,
}

/// Accept connections on `listener` and run `handler` on each, until `shutdown` fires;
/// then close the listener and drain (see the module docs).
///
/// Tasks the service spawned itself through the same `shutdown` (peer dialers, refreshers)
/// are drained with the connections.
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: Limits,
    shutdown: Shutdown,
    handler: H,
) -> Served
where
    H: Fn(Conn) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let limits = Arc::new(limits);
    let normal = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let overflow = Arc::new(Semaphore::new(limits.overflow_connections));
    let mut accept_errors = 0u32;
    loop {
        let slot = tokio::select! {
            s = slot(&normal, &overflow) => s,
            _ = shutdown.cancelled() => break,
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.cancelled() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                accept_errors = 0;
                // A normal slot may have freed while this one waited in accept.
                let (permit, admission) = match slot {
                    (p, Admission::Overflow) => match normal.clone().try_acquire_owned() {
                        Ok(n) => (n, Admission::Normal),
                        Err(_) => (p, Admission::Overflow),
                    },
                    s => s,
                };
                let _ = stream.set_nodelay(true);
                let conn = Conn {
                    stream: Timed::new(
                        stream,
                        Some(limits.idle_timeout),
                        Some(limits.write_timeout),
                    ),
                    peer,
                    admission,
                    shutdown: shutdown.clone(),
                    limits: limits.clone(),
                };
                let fut = handler(conn);
                shutdown.spawn(async move {
                    fut.await;
                    drop(permit);
                });
            }
            Err(e) => {
                // EMFILE and friends: back off (bounded) instead of spinning.
                accept_errors = (accept_errors + 1).min(8);
                tracing::warn!(error = %e, "accept failed; backing off");
                let pause = Duration::from_millis(5 << accept_errors);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        }
    }
    drop(listener);
    Served {
        clean: shutdown.drain(limits.grace).await,
    }
}

/// A normal slot if one is free, else an overflow slot, else wait for either.
async fn slot(
    normal: &Arc<Semaphore>,
    overflow: &Arc<Semaphore>,
) -> (OwnedSemaphorePermit, Admission) {
    if let Ok(p) = normal.clone().try_acquire_owned() {
        return (p, Admission::Normal);
    }
    if let Ok(p) = overflow.clone().try_acquire_owned() {
        return (p, Admission::Overflow);
    }
    // The semaphores are never closed, so acquire_owned cannot fail; should that change,
    // waiting forever (until shutdown) is the safe reading.
    tokio::select! {
        Ok(p) = normal.clone().acquire_owned() => (p, Admission::Normal),
        Ok(p) = overflow.clone().acquire_owned() => (p, Admission::Overflow),
        else => std::future::pending().await,
    }
}
