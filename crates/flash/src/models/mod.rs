//! The eight models, one file each, all with the same entry point: serve a bound
//! listener until the stop flag is set, then stop the same way (stop accepting, finish
//! what is in hand within `grace`, reap children).
//!
//! | model | who handles a connection | a blocked handler blocks |
//! |---|---|---|
//! | [`sequential`] | the accepting thread, one at a time | everyone |
//! | [`fork`] | a new process per connection | its connection |
//! | [`thread`] | a new thread per connection | its connection |
//! | [`epoll`] | one thread, all connections, event loop | everyone |
//! | [`epoll_pool`] | event loop for I/O, pool threads for handling | one pool thread |
//! | [`prefork`] | N processes, one connection each | one process |
//! | [`worker`] | N processes x T threads, one connection each | one thread |
//! | [`tokio_model`] | tokio tasks on a work-stealing thread pool | one blocking-pool thread |

pub(crate) mod epoll;
pub(crate) mod epoll_pool;
pub(crate) mod fork;
pub(crate) mod prefork;
pub(crate) mod sequential;
pub(crate) mod thread;
pub(crate) mod tokio_model;
pub(crate) mod worker;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netkit::blocking::{SignalGuard, StopFlag, Wait};

use crate::conn::Shared;
use crate::{Config, Error, Model};

/// Run `config.model` on `listener` until `stop`.
pub(crate) fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    config: &Config,
    stop: StopFlag,
    signals: &mut Option<SignalGuard>,
) -> Result<(), Error> {
    match config.model {
        Model::Sequential => sequential::serve(&listener, &shared, &stop),
        Model::Fork => fork::serve(listener, &shared, &stop, signals),
        Model::Thread => thread::serve(&listener, shared, &stop),
        Model::Epoll => epoll::serve(listener, &shared, &stop),
        Model::EpollPool => epoll_pool::serve(listener, shared, config.workers(), &stop),
        Model::Prefork => prefork::serve(listener, &shared, config.workers(), &stop, signals),
        Model::Worker => worker::serve(listener, &shared, config, &stop, signals),
        Model::Tokio => tokio_model::serve(listener, shared, config.workers(), &stop),
    }
}

/// What a bounded wait for a connection gave.
pub(crate) enum Accepted {
    Conn(TcpStream, SocketAddr),
    /// Nothing within the wait; look after children and come back.
    Idle,
    Stopped,
}

/// Wait up to `timeout` for a connection on a non-blocking listener.
pub(crate) fn accept_within(
    stop: &StopFlag,
    listener: &TcpListener,
    timeout: Duration,
) -> io::Result<Accepted> {
    match stop.wait_readable(listener.as_fd(), Some(timeout))? {
        Wait::Stopped => return Ok(Accepted::Stopped),
        Wait::TimedOut => return Ok(Accepted::Idle),
        Wait::Ready => {}
    }
    match listener.accept() {
        Ok((s, peer)) => {
            s.set_nonblocking(false)?;
            Ok(Accepted::Conn(s, peer))
        }
        // Another process or thread took it.
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Accepted::Idle),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(Accepted::Idle),
        Err(e) => Err(e),
    }
}

/// Sleep (bounded, growing with `errors`) after a failed accept, so running out of file
/// descriptors does not become a busy loop; returns false if stop came meanwhile.
pub(crate) fn backoff(stop: &StopFlag, errors: &mut u32, e: &io::Error) -> bool {
    *errors = (*errors + 1).min(8);
    tracing::warn!(error = %e, "accept failed; backing off");
    pause(stop, Duration::from_millis(5 << *errors))
}

/// Sleep for `d` unless stop comes first; false if it did.
pub(crate) fn pause(stop: &StopFlag, d: Duration) -> bool {
    !matches!(
        stop.wait_readable(stop.as_fd(), Some(d)),
        Ok(Wait::Stopped) | Err(_)
    )
}

/// Wait for `threads` to finish, up to `grace`; those still running are left behind
/// (the process is about to exit).
pub(crate) fn join_within(threads: Vec<std::thread::JoinHandle<()>>, grace: Duration) {
    let deadline = Instant::now() + grace;
    let mut left = threads;
    while !left.is_empty() && Instant::now() < deadline {
        let (done, running): (Vec<_>, Vec<_>) = left.into_iter().partition(|h| h.is_finished());
        for h in done {
            let _ = h.join();
        }
        left = running;
        if !left.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    if !left.is_empty() {
        tracing::warn!(
            threads = left.len(),
            "connections still busy after the grace period"
        );
    }
}
