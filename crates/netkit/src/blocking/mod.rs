//! The blocking counterpart of [`crate::serve`], for servers whose accept loop is the lesson
//! (the sequential, thread, fork, prefork, worker and epoll server models).
//!
//! Those servers write their own loops, but take every limit, timeout and the stop from
//! here, so all models stop, limit and time out the same way:
//! - [`StopFlag`]: "stop" as an atomic flag plus a file descriptor that becomes readable
//!   (and stays readable) once stopped, so a blocked `accept` ([`StopFlag::accept`]) or an
//!   epoll loop (register [`StopFlag::as_fd`]) wakes up; [`StopFlag::on_signals`] maps
//!   SIGINT and SIGTERM to it.
//! - [`ConnLimit`]: at most `max_connections` at once across threads.
//! - [`Children`]: child processes of the fork models, signalled and reaped on stop (no
//!   zombies, also while running).
//! - [`apply_timeouts`]: the idle and write timeouts as socket options.

mod children;
mod limit;
mod stop;

pub use children::Children;
pub use limit::{ConnLimit, ConnPermit};
pub use stop::{SignalGuard, StopFlag, Wait};

use std::net::TcpStream;

use crate::Limits;

/// Set the idle timeout (reads) and write timeout of `limits` on a blocking socket, so a
/// read that waits longer than `idle_timeout` or a write stuck longer than
/// `write_timeout` fails with `WouldBlock`/`TimedOut` instead of holding a worker.
///
/// # Errors
/// The socket option could not be set.
pub fn apply_timeouts(stream: &TcpStream, limits: &Limits) -> std::io::Result<()> {
    stream.set_read_timeout(Some(limits.idle_timeout))?;
    stream.set_write_timeout(Some(limits.write_timeout))?;
    Ok(())
}
