//! flash: one HTTP server on eight concurrency models, proven equal by one test suite and
//! compared by one benchmark.
//!
//! Every model serves the same [`Handler`] (static files under a root, CGI scripts under
//! `/cgi-bin/`, an in-process app under `/app/`) through the same parser
//! ([`http_wire::Decoder`]) with the same limits and timeouts ([`netkit::Limits`]), and
//! stops the same way (a [`netkit::blocking::StopFlag`]: stop accepting, finish what is in
//! hand within the grace period, reap children). What differs is only who runs a
//! connection: the accepting thread, a process, a thread, an event loop, a pool, or tokio.
//! Each model's module doc says how it works, what it costs, and when to choose it;
//! `docs/flash.md` puts the measured numbers beside them.
//!
//! # Layout
//! - [`config`]: [`Config`] and [`Model`].
//! - [`handler`]: [`Handler`]: routing, static files (with an open-file cache), CGI
//!   (fork+exec), the app.
//! - [`reply`]: [`Reply`] and its body (bytes or a file range for sendfile).
//! - `conn`: the blocking connection loop (sequential, thread, fork, prefork, worker).
//! - `machine` and `event_loop`: the non-blocking connection and the mio loop (epoll,
//!   epoll-pool).
//! - `models`: one file per model, each with `serve(listener, .., stop)`.
//! - `process`: forking server processes soundly.
//! - [`listener`]: binding with a large accept backlog.
//! - [`site`]: the demo site (and the benchmark's files).
//! - [`compare`]: `herd flash compare`, the load generator against every model and nginx.
//! - [`date`]: HTTP dates.
//!
//! # Example
//! ```no_run
//! # fn demo() -> Result<(), flash::Error> {
//! let listener = flash::listener::bind("127.0.0.1:8080".parse().unwrap(), flash::listener::BACKLOG)
//!     .map_err(|e| flash::Error::Io { what: "bind", source: e })?;
//! let config = flash::Config::new(flash::Model::Epoll, "/srv/www");
//! let stop = netkit::blocking::StopFlag::new().map_err(|e| flash::Error::Io { what: "stop", source: e })?;
//! flash::serve(listener, config, stop)?; // until stop.stop() is called elsewhere
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod compare;
pub mod config;
mod conn;
pub mod date;
mod error;
mod event_loop;
pub mod handler;
pub mod listener;
mod machine;
mod models;
#[allow(unsafe_code)] // fork of server processes: see the module docs and SAFETY comments.
mod process;
pub mod reply;
mod send;
pub mod site;
#[doc(hidden)]
pub mod testdir;

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;

pub use config::{Config, Model};
pub use error::Error;
pub use handler::Handler;
pub use reply::{Body, Reply};

use netkit::blocking::StopFlag;

/// Serve `listener` with `config.model` until `stop` is set (or, with
/// [`Config::signals`], until SIGINT or SIGTERM). Blocks the calling thread.
///
/// # Errors
/// [`Error::Config`] for unusable settings, [`Error::Root`] for a root that cannot be
/// served, [`Error::NotSingleThreaded`] for a forking model started in a process that has
/// threads, [`Error::Io`] if the server's own resources (epoll, runtime, signals) fail.
pub fn serve(listener: TcpListener, config: Config, stop: StopFlag) -> Result<(), Error> {
    config.validate().map_err(Error::Config)?;
    let shared = Arc::new(conn::Shared {
        handler: Handler::new(&config)?,
        limits: config.limits.clone(),
        decode: config.decode_limits(),
    });
    let mut signals = if config.signals {
        Some(stop.on_signals().map_err(Error::io("signal handlers"))?)
    } else {
        None
    };
    raise_fd_limit();
    models::serve(listener, shared, &config, stop, &mut signals)
}

/// Serve until `shutdown` completes (the `run(listener, config, shutdown)` shape every
/// herd service has). A helper thread waits for `shutdown`, so the forking models, which
/// need a single-threaded process, refuse to start this way: run them with [`serve`].
///
/// # Errors
/// As [`serve`].
pub fn run<F>(listener: TcpListener, config: Config, shutdown: F) -> Result<(), Error>
where
    F: Future + Send + 'static,
{
    let stop = StopFlag::new().map_err(Error::io("stop flag"))?;
    let trigger = stop.clone();
    let stop_fd = stop
        .as_fd()
        .try_clone_to_owned()
        .map_err(Error::io("stop flag"))?;
    std::thread::Builder::new()
        .name("flash-shutdown".into())
        .spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async move {
                    // Ends when shutdown completes, or when the server stopped by itself
                    // (the stop flag's descriptor turned readable).
                    let stopped = std::os::unix::net::UnixStream::from(stop_fd);
                    let stopped = stopped
                        .set_nonblocking(true)
                        .and_then(|()| tokio::net::UnixStream::from_std(stopped));
                    match stopped {
                        Ok(fd) => {
                            tokio::select! {
                                _ = shutdown => {}
                                _ = fd.readable() => {}
                            }
                        }
                        Err(_) => {
                            shutdown.await;
                        }
                    }
                });
            }
            trigger.stop();
        })
        .map_err(Error::io("shutdown thread"))?;
    let result = serve(listener, config, stop.clone());
    // Wake the helper thread if the future has not completed.
    stop.stop();
    result
}

/// Raise the soft limit on open files to the hard limit: a thousand connections need a
/// thousand descriptors, and the default soft limit is often 1,024.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
}
