//! `prefork`: N processes forked at start, each accepting on the shared listening socket
//! and serving one connection at a time (Apache's prefork MPM, without its pool resizing).
//!
//! The fork cost is paid once, not per connection, and processes stay isolated. But each
//! process is one connection: N processes serve N connections, and with keep-alive a
//! client that stays connected holds a whole process. The N+1th client waits in the
//! accept queue until someone leaves, so at 1,000 keep-alive connections all but N time
//! out. All idle processes wait on the same socket, and each new connection wakes every
//! one of them to race for it (the thundering herd). Choose it for isolation with
//! predictable, modest concurrency; size N to the connections you expect.
//!
//! The parent only supervises: it replaces children that die (with a pause if they keep
//! dying at once) and on stop SIGTERMs them, waits `grace`, SIGKILLs the rest, reaps all.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use netkit::blocking::{Children, SignalGuard, StopFlag};

use crate::conn::{self, Shared, HOUSEKEEPING};
use crate::process::{self, Forked};
use crate::{Error, Model};

pub(crate) fn serve(
    listener: TcpListener,
    shared: &Shared,
    workers: usize,
    stop: &StopFlag,
    signals: &mut Option<SignalGuard>,
) -> Result<(), Error> {
    process::ensure_single_threaded(Model::Prefork)?;
    let n = workers.min(shared.limits.max_connections).max(1);
    supervise(n, stop, shared.limits.grace, |parent| {
        child(&listener, shared, signals, parent)
    })
}

/// Keep `n` children running `child` until stop; then stop them all. Shared by prefork
/// and worker.
pub(crate) fn supervise(
    n: usize,
    stop: &StopFlag,
    grace: Duration,
    mut child: impl FnMut(nix::unistd::Pid) -> i32,
) -> Result<(), Error> {
    let mut children = Children::new();
    let mut started: Vec<Instant> = Vec::new();
    loop {
        children.reap();
        while children.len() < n && !stop.is_stopped() {
            // Children that die as soon as they start (a broken root, no descriptors)
            // must not turn the parent into a fork loop.
            started.retain(|t| t.elapsed() < Duration::from_secs(1));
            if started.len() >= 2 * n {
                tracing::warn!("server processes keep exiting; pausing before restarting them");
                break;
            }
            started.push(Instant::now());
            match process::fork_server() {
                Ok(Forked::Child { parent }) => process::exit_child(child(parent)),
                Ok(Forked::Parent(pid)) => children.add(pid),
                Err(e) => {
                    tracing::warn!(error = %e, "fork failed");
                    break;
                }
            }
        }
        if !super::pause(stop, HOUSEKEEPING) {
            break;
        }
    }
    children.stop_all(grace);
    Ok(())
}

/// One prefork process: accept, serve, repeat, until its own stop flag is set.
fn child(
    listener: &TcpListener,
    shared: &Shared,
    signals: &mut Option<SignalGuard>,
    parent: nix::unistd::Pid,
) -> i32 {
    let Ok((stop, _guard)) = process::child_stop(signals, parent) else {
        return 1;
    };
    let mut errors = 0;
    loop {
        match stop.accept(listener) {
            Ok(None) => return 0,
            Ok(Some((stream, peer))) => {
                errors = 0;
                conn::serve(stream, peer, shared, &stop);
            }
            Err(e) => {
                if !super::backoff(&stop, &mut errors, &e) {
                    return 0;
                }
            }
        }
    }
}
