//! `fork`: a new process for every connection, as inetd and the first CGI-era servers did.
//!
//! The parent only accepts and forks; the child serves its one connection to the end and
//! exits; the parent reaps finished children as it goes (no zombies) and holds at most
//! `max_connections` of them. Isolation is total: a crash or a leak in one connection's
//! process cannot touch another's, and memory is shared copy-on-write until written. The
//! price is a fork per connection (page tables copied, on the order of 100 µs, more for a
//! bigger parent) and a process per open connection; with keep-alive the cost spreads over
//! the connection's requests, without it every request pays it. Choose it for isolation
//! (untrusted handlers) at modest connection rates.
//!
//! Stop: the parent stops accepting, then SIGTERMs the children, which finish the request
//! in hand and exit; after `grace` the rest get SIGKILL; all are reaped.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use netkit::blocking::{Children, SignalGuard, StopFlag};

use super::Accepted;
use crate::conn::{self, Shared, HOUSEKEEPING};
use crate::process::{self, Forked};
use crate::{Error, Model};

pub(crate) fn serve(
    listener: TcpListener,
    shared: &Shared,
    stop: &StopFlag,
    signals: &mut Option<SignalGuard>,
) -> Result<(), Error> {
    process::ensure_single_threaded(Model::Fork)?;
    listener
        .set_nonblocking(true)
        .map_err(Error::io("listener"))?;
    let mut children = Children::new();
    let mut errors = 0;
    let mut reaped = Instant::now();
    loop {
        // Reaping asks after every child (one waitpid each): do it on every pass only at
        // the limit, else every HOUSEKEEPING, so a burst of accepts with a thousand
        // children alive does not cost a million system calls.
        let full = children.len() >= shared.limits.max_connections;
        if full || reaped.elapsed() >= HOUSEKEEPING {
            children.reap();
            reaped = Instant::now();
        }
        if children.len() >= shared.limits.max_connections {
            if !super::pause(stop, Duration::from_millis(5)) {
                break;
            }
            continue;
        }
        let (stream, peer) = match super::accept_within(stop, &listener, HOUSEKEEPING) {
            Ok(Accepted::Conn(s, p)) => (s, p),
            Ok(Accepted::Idle) => continue,
            Ok(Accepted::Stopped) => break,
            Err(e) => {
                if !super::backoff(stop, &mut errors, &e) {
                    break;
                }
                continue;
            }
        };
        errors = 0;
        match process::fork_server() {
            Ok(Forked::Child { parent }) => {
                drop(listener);
                let code = match process::child_stop(signals, parent) {
                    Ok((own, _guard)) => {
                        conn::serve(stream, peer, shared, &own);
                        0
                    }
                    Err(_) => 1,
                };
                process::exit_child(code);
            }
            Ok(Forked::Parent(pid)) => children.add(pid),
            Err(e) => {
                tracing::warn!(error = %e, "fork failed; connection dropped");
                if !super::pause(stop, Duration::from_millis(50)) {
                    break;
                }
            }
        }
        // The child has its copy; the parent's must close or the client never sees EOF.
        drop(stream);
    }
    drop(listener);
    children.stop_all(shared.limits.grace);
    Ok(())
}
