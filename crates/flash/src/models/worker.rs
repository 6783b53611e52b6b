//! `worker`: N processes, each with one accepting thread and a pool of T threads that
//! serve one connection each (Apache's worker MPM).
//!
//! Threads are cheaper than processes, so N x T connections cost a few processes' memory;
//! the processes still contain a crash to 1/N of the server. The accepting thread takes a
//! connection only when one of its threads is idle, so a process whose threads are all
//! busy leaves new connections to the others instead of queueing them behind its own.
//! Like prefork, each connection holds a thread while it stays open, so concurrency is
//! capped at N x T (default 2 x 25). Choose it for blocking handlers at moderate
//! concurrency with some isolation.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{mpsc, Arc, Mutex};

use netkit::blocking::{ConnLimit, ConnPermit, SignalGuard, StopFlag};

use crate::conn::{self, Shared};
use crate::process;
use crate::{Config, Error, Model};

type Job = (TcpStream, SocketAddr, ConnPermit);

pub(crate) fn serve(
    listener: TcpListener,
    shared: &Shared,
    config: &Config,
    stop: &StopFlag,
    signals: &mut Option<SignalGuard>,
) -> Result<(), Error> {
    process::ensure_single_threaded(Model::Worker)?;
    // The connection limit split over the processes, never below one thread each (so
    // the limit is rounded up to a multiple of the processes).
    let procs = config.workers().min(shared.limits.max_connections).max(1);
    let per_proc = shared.limits.max_connections.div_ceil(procs);
    let threads = config.threads.min(per_proc).max(1);
    super::prefork::supervise(procs, stop, shared.limits.grace, |parent| {
        child(&listener, shared, threads, signals, parent)
    })
}

/// One worker process: an accepting thread (this one) feeding `threads` pool threads.
fn child(
    listener: &TcpListener,
    shared: &Shared,
    threads: usize,
    signals: &mut Option<SignalGuard>,
    parent: nix::unistd::Pid,
) -> i32 {
    let Ok((stop, _guard)) = process::child_stop(signals, parent) else {
        return 1;
    };
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let slots = ConnLimit::new(threads);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (rx, stop) = (rx.clone(), stop.clone());
            scope.spawn(move || loop {
                // The lock is held only while waiting for the next job, never while
                // serving one.
                let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((stream, peer, permit)) = job else {
                    return;
                };
                conn::serve(stream, peer, shared, &stop);
                drop(permit);
            });
        }
        let mut errors = 0;
        loop {
            let Some(permit) = slots.acquire(&stop) else {
                break;
            };
            match stop.accept(listener) {
                Ok(None) => break,
                Ok(Some((stream, peer))) => {
                    errors = 0;
                    if tx.send((stream, peer, permit)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    if !super::backoff(&stop, &mut errors, &e) {
                        break;
                    }
                }
            }
        }
        // Closing the queue ends each pool thread once its connection is done.
        drop(tx);
    });
    0
}
