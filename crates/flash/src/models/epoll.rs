//! `epoll`: one thread, every connection non-blocking, an event loop over epoll (mio).
//!
//! The kernel says which sockets are ready; the loop reads, parses, answers and writes
//! for each in turn ([`crate::machine::Conn`] keeps each connection's state between
//! turns). No thread or process per connection: an open idle connection costs a few
//! hundred bytes of state and one kernel socket, so ten thousand of them are cheap, and
//! there is no context switch between requests. This is nginx's design (one worker), and
//! what the small-file numbers reward.
//!
//! The catch is that the handler runs in the loop: while it works, nobody else is served.
//! Static files from the page cache are fast enough not to matter; `/app/slow` or a slow
//! CGI script stalls every connection (head-of-line blocking), and one core is all it can
//! use. Choose it for many connections with short, non-blocking work; move blocking work
//! off the loop (epoll-pool) or run one loop per core.

use std::net::TcpListener;

use crate::conn::Shared;
use crate::event_loop::{Dispatch, EventLoop, Job};
use crate::reply::Reply;
use crate::{Error, Handler};
use netkit::blocking::StopFlag;

/// Requests are answered in the loop itself.
struct Inline<'a>(&'a Handler);

impl Dispatch for Inline<'_> {
    fn inline(&self) -> Option<&Handler> {
        Some(self.0)
    }
    fn submit(&self, _job: Job) {}
    fn finished(&self) -> Vec<(usize, u64, Reply)> {
        Vec::new()
    }
}

pub(crate) fn serve(listener: TcpListener, shared: &Shared, stop: &StopFlag) -> Result<(), Error> {
    EventLoop::new(listener, shared, stop)?.run(&Inline(&shared.handler))
}
