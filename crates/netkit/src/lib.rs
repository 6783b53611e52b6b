//! The server skeleton every herd service is built on.
//!
//! Every service library exposes `run(listener, config, shutdown)`: the caller binds the
//! listener (so tests own the port) and passes a future that completes when the service
//! should stop. Inside, async services hand a per-connection handler to [`serve`], which
//! owns the accept loop, the connection limit, accept-error backoff, the idle and write
//! timeouts and the graceful drain; blocking servers (the thread, fork, prefork, worker and
//! epoll server models) take the same [`Limits`] and stop through [`blocking::StopFlag`].
//! `herd up` runs several services under one [`Supervisor`].
//!
//! # Layout
//! - [`limits`]: [`Limits`], the one vocabulary of connection limits and timeouts.
//! - [`serve`](mod@serve): [`serve()`], the async accept loop, and the [`Conn`] it hands to
//!   a handler.
//! - [`http`](mod@http): [`serve_http`], a [`Conn`] handed to hyper with the same limits.
//! - [`timed`]: [`Timed`], a stream whose reads and writes time out when they make no
//!   progress.
//! - [`shutdown`]: [`Shutdown`], a broadcast "stop" plus a tracker that waits for every task
//!   to let go, with a grace timeout.
//! - [`signal`]: [`signal::ctrl_c_or_term`], the one place SIGINT and SIGTERM become "stop"
//!   for async services.
//! - [`supervisor`]: [`Supervisor`], named services started together and stopped together.
//! - [`blocking`]: the same for blocking servers: stop flag, signals, connection limit,
//!   child reaping, socket timeouts.
//! - [`duration`]: `10s`/`500ms` parsing shared by flags and config files.
//!
//! # Example
//! ```no_run
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let shutdown = netkit::Shutdown::new();
//! shutdown.trigger_on(netkit::signal::ctrl_c_or_term());
//! netkit::serve(listener, netkit::Limits::default(), shutdown, |mut conn| async move {
//!     let mut buf = [0u8; 1024];
//!     while let Ok(n @ 1..) = conn.stream.read(&mut buf).await {
//!         if conn.stream.write_all(&buf[..n]).await.is_err() {
//!             break;
//!         }
//!     }
//! })
//! .await;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod blocking;
pub mod duration;
pub mod http;
pub mod limits;
pub mod serve;
pub mod shutdown;
pub mod signal;
pub mod supervisor;
pub mod timed;

pub use http::serve_http;
pub use limits::{Limits, LimitsError};
pub use serve::{serve, Admission, Conn, Served};
pub use shutdown::Shutdown;
pub use supervisor::{ServiceSpec, Started, Supervisor, SupervisorError};
pub use timed::Timed;
