//! `thread`: a new thread for every connection, at most `max_connections` at once.
//!
//! Blocking code, as readable as `sequential`, and every connection proceeds on its own:
//! a slow request blocks only its own thread. The costs are per connection: a thread
//! spawn (tens of microseconds) for each new connection, a stack (8 MiB of address space,
//! a few pages resident) for each open one, and, with many busy connections, the kernel
//! scheduler switching between them. Idle keep-alive connections each pin a thread. Fine up
//! to a few thousand connections; choose it when handlers block (disk, databases, CGI) and
//! connections are not counted in tens of thousands.

use std::net::TcpListener;
use std::sync::Arc;

use netkit::blocking::{ConnLimit, StopFlag};

use crate::conn::{self, Shared};
use crate::Error;

pub(crate) fn serve(
    listener: &TcpListener,
    shared: Arc<Shared>,
    stop: &StopFlag,
) -> Result<(), Error> {
    let limit = ConnLimit::new(shared.limits.max_connections);
    let mut threads = Vec::new();
    let mut errors = 0;
    loop {
        // A slot first: past the limit, connections wait in the kernel's accept queue.
        let Some(permit) = limit.acquire(stop) else {
            break;
        };
        match stop.accept(listener) {
            Ok(None) => break,
            Ok(Some((stream, peer))) => {
                errors = 0;
                threads.retain(|h: &std::thread::JoinHandle<()>| !h.is_finished());
                let (shared, stop) = (shared.clone(), stop.clone());
                let spawned =
                    std::thread::Builder::new()
                        .name("flash-conn".into())
                        .spawn(move || {
                            conn::serve(stream, peer, &shared, &stop);
                            drop(permit);
                        });
                match spawned {
                    Ok(h) => threads.push(h),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not start a thread; connection dropped")
                    }
                }
            }
            Err(e) => {
                if !super::backoff(stop, &mut errors, &e) {
                    break;
                }
            }
        }
    }
    super::join_within(threads, shared.limits.grace);
    Ok(())
}
