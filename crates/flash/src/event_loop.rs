//! [`EventLoop`]: the epoll (mio) loop the epoll and epoll-pool models share.
//!
//! One thread owns every socket. The listener, the stop flag's descriptor and (for the
//! pool) a waker are registered next to the connections; the loop accepts while under
//! `max_connections`, drives each connection whose socket is ready, collects replies the
//! pool finished, and every tick closes connections past their deadline. On stop it
//! closes the listener and idle connections at once, lets the others finish their
//! answer, and gives up on them after `grace`.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use netkit::blocking::StopFlag;

use crate::conn::Shared;
use crate::machine::{Conn, Progress};
use crate::reply::Reply;
use crate::Error;

pub(crate) const LISTENER: Token = Token(0);
pub(crate) const STOP: Token = Token(1);
pub(crate) const WAKER: Token = Token(2);
const FIRST: usize = 3;
/// How often deadlines are checked.
const TICK: Duration = Duration::from_millis(100);

/// A request handed to a pool thread, and the slot its answer goes back to.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
    pub(crate) decoded: Box<http_wire::Decoded>,
    pub(crate) peer: std::net::SocketAddr,
    pub(crate) local: std::net::SocketAddr,
}

/// Where requests go: answered in the loop, or handed to a pool.
pub(crate) trait Dispatch {
    /// Handle in the loop (`Some`), or `None` to [`Dispatch::submit`] each request.
    fn inline(&self) -> Option<&crate::Handler>;
    /// Hand a request to the pool.
    fn submit(&self, job: Job);
    /// Replies the pool has finished: (slot, generation, reply).
    fn finished(&self) -> Vec<(usize, u64, Reply)>;
}

/// The loop; see the module docs.
pub(crate) struct EventLoop<'a> {
    poll: Poll,
    listener: Option<mio::net::TcpListener>,
    /// Slot i holds token FIRST + i: (generation, connection, peer, local).
    slots: Vec<Option<(u64, Conn, std::net::SocketAddr, std::net::SocketAddr)>>,
    free: Vec<usize>,
    open: usize,
    generation: u64,
    shared: &'a Shared,
    stop: &'a StopFlag,
    stopping: Option<Instant>,
    /// Accepting paused at the connection limit (or after an accept error).
    paused: bool,
}

impl<'a> EventLoop<'a> {
    pub(crate) fn new(
        listener: TcpListener,
        shared: &'a Shared,
        stop: &'a StopFlag,
    ) -> Result<Self, Error> {
        listener
            .set_nonblocking(true)
            .map_err(Error::io("listener"))?;
        let poll = Poll::new().map_err(Error::io("epoll"))?;
        let mut listener = mio::net::TcpListener::from_std(listener);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(Error::io("epoll register"))?;
        poll.registry()
            .register(
                &mut SourceFd(&stop.as_fd().as_raw_fd()),
                STOP,
                Interest::READABLE,
            )
            .map_err(Error::io("epoll register"))?;
        Ok(EventLoop {
            poll,
            listener: Some(listener),
            slots: Vec::new(),
            free: Vec::new(),
            open: 0,
            generation: 0,
            shared,
            stop,
            stopping: None,
            paused: false,
        })
    }

    /// The registry, to register a pool's waker.
    pub(crate) fn registry(&self) -> &mio::Registry {
        self.poll.registry()
    }

    /// Run until stopped and drained.
    pub(crate) fn run(&mut self, dispatch: &dyn Dispatch) -> Result<(), Error> {
        let mut events = Events::with_capacity(1024);
        let mut next_tick = Instant::now() + TICK;
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(Error::io("epoll wait")(e));
                }
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    STOP => self.begin_stop(),
                    WAKER => {
                        for (slot, generation, reply) in dispatch.finished() {
                            self.answer(slot, generation, &reply, dispatch);
                        }
                    }
                    Token(t) => {
                        let slot = t - FIRST;
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            if let Some(Some((_, conn, ..))) = self.slots.get_mut(slot) {
                                conn.mark_readable();
                            }
                        }
                        self.ready(slot, dispatch);
                    }
                }
            }
            let now = Instant::now();
            if now >= next_tick {
                next_tick = now + TICK;
                if self.stop.is_stopped() {
                    self.begin_stop();
                }
                self.expire(now);
                if self.paused {
                    self.accept();
                }
            }
            if let Some(since) = self.stopping {
                if self.open == 0 || since.elapsed() >= self.shared.limits.grace {
                    if self.open > 0 {
                        tracing::warn!(
                            connections = self.open,
                            "connections still busy after the grace period"
                        );
                    }
                    return Ok(());
                }
            }
        }
    }

    fn accept(&mut self) {
        self.paused = false;
        let Some(listener) = &self.listener else {
            return;
        };
        while self.open < self.shared.limits.max_connections {
            let (mut stream, peer) = match listener.accept() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of descriptors, say: try again next tick rather than spin.
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    self.paused = true;
                    return;
                }
            };
            let Ok(local) = stream.local_addr() else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let slot = self.free.pop().unwrap_or_else(|| {
                self.slots.push(None);
                self.slots.len() - 1
            });
            let interest = Interest::READABLE | Interest::WRITABLE;
            if self
                .poll
                .registry()
                .register(&mut stream, Token(FIRST + slot), interest)
                .is_err()
            {
                self.free.push(slot);
                continue;
            }
            self.generation += 1;
            let conn = Conn::new(stream, peer, local, self.shared.decode, &self.shared.limits);
            self.slots[slot] = Some((self.generation, conn, peer, local));
            self.open += 1;
        }
        // At the limit: leave the rest in the accept queue until a connection closes.
        self.paused = true;
    }

    fn ready(&mut self, slot: usize, dispatch: &dyn Dispatch) {
        let stopping = self.stopping.is_some();
        let Some(Some((generation, conn, peer, local))) = self.slots.get_mut(slot) else {
            return;
        };
        match conn.drive(dispatch.inline(), &self.shared.limits, stopping) {
            Progress::Wait => {}
            Progress::Close => self.close(slot),
            Progress::Dispatch(decoded) => dispatch.submit(Job {
                slot,
                generation: *generation,
                decoded,
                peer: *peer,
                local: *local,
            }),
        }
    }

    fn answer(&mut self, slot: usize, generation: u64, reply: &Reply, dispatch: &dyn Dispatch) {
        let stopping = self.stopping.is_some();
        match self.slots.get_mut(slot) {
            Some(Some((g, conn, ..))) if *g == generation => conn.respond(reply, stopping),
            _ => return,
        }
        self.ready(slot, dispatch);
    }

    fn close(&mut self, slot: usize) {
        if let Some(Some((_, mut conn, ..))) = self.slots.get_mut(slot).map(Option::take) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.free.push(slot);
            self.open -= 1;
            if self.paused && self.stopping.is_none() {
                self.accept();
            }
        }
    }

    fn begin_stop(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        self.stopping = Some(Instant::now());
        if let Some(mut l) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut l);
        }
        let idle: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().filter(|(_, c, ..)| c.is_idle()).map(|_| i))
            .collect();
        for slot in idle {
            self.close(slot);
        }
    }

    fn expire(&mut self, now: Instant) {
        let limits = &self.shared.limits;
        let late: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let (_, c, ..) = s.as_ref()?;
                c.deadline(limits).filter(|d| *d <= now).map(|_| i)
            })
            .collect();
        for slot in late {
            if let Some(Some((_, conn, ..))) = self.slots.get_mut(slot) {
                conn.time_out();
            }
            self.close(slot);
        }
    }
}
