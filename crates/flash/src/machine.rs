//! [`Conn`]: one connection as a non-blocking state machine, for the event-loop models
//! (epoll, epoll-pool).
//!
//! The loop calls [`Conn::drive`] whenever the socket may have progressed; `drive` does
//! all the work possible without blocking and says what it is waiting for. Reads happen
//! only when the decoder needs more bytes (so a pipelining client cannot make the buffer
//! grow past one request), writes until the kernel's buffer is full, a file body with
//! non-blocking `sendfile`. Edge-triggered readiness (mio) is handled by always trying the
//! I/O and waiting only on `WouldBlock`. Timeouts are deadlines the loop checks: the same
//! header, idle and write timeouts as the blocking models.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_wire::{reply::CONTINUE, DecodeLimits, Decoded, Decoder, Step};
use mio::net::TcpStream;
use netkit::Limits;
use nix::sys::sendfile::sendfile64;

use crate::conn::READ_CHUNK;
use crate::reply::{Body, Reply};
use crate::Handler;

/// What the connection needs next.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Waiting for the socket (or for a pool thread's reply).
    Wait,
    /// Done: drop it.
    Close,
    /// A request to hand to a pool thread; answer it with [`Conn::respond`].
    Dispatch(Box<Decoded>),
}

#[derive(Debug)]
enum Phase {
    Reading,
    Writing,
    /// A pool thread has the request; how to answer it once the reply comes back.
    Busy {
        head_only: bool,
        version: u8,
        keep_alive: bool,
    },
    /// Answered a refused request; reading and discarding until `until`.
    Lingering {
        until: Instant,
        discarded: usize,
    },
}

/// What to do once the output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Read,
    Close,
    Linger,
}

#[derive(Debug)]
struct FileSend {
    file: Arc<File>,
    offset: i64,
    end: u64,
}

/// One connection; see the module docs.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    buf: Vec<u8>,
    decoder: Decoder,
    out: Vec<u8>,
    sent: usize,
    file: Option<FileSend>,
    phase: Phase,
    then: Then,
    /// The whole head (or body) must be in by this time.
    request_deadline: Option<Instant>,
    reading_head: bool,
    /// Last time the socket made progress either way.
    last_io: Instant,
    /// Bytes may be waiting: set by a readable event, cleared by a read that came back
    /// short or with `WouldBlock`. A short read drained the socket, and new data brings a
    /// new edge, so the `read` that would only say `WouldBlock` is skipped (nginx does
    /// the same): one system call less per request.
    readable: bool,
}

impl Conn {
    /// A just-accepted connection; its first head is due within `header_timeout`.
    pub(crate) fn new(
        stream: TcpStream,
        peer: SocketAddr,
        local: SocketAddr,
        decode: DecodeLimits,
        limits: &Limits,
    ) -> Conn {
        let now = Instant::now();
        Conn {
            stream,
            peer,
            local,
            buf: Vec::new(),
            decoder: Decoder::new(decode),
            out: Vec::new(),
            sent: 0,
            file: None,
            phase: Phase::Reading,
            then: Then::Read,
            request_deadline: Some(now + limits.header_timeout),
            reading_head: true,
            last_io: now,
            readable: true,
        }
    }

    /// The socket reported readable (or closed, or in error: a read will tell).
    pub(crate) fn mark_readable(&mut self) {
        self.readable = true;
    }

    /// Idle between requests (nothing buffered, nothing being answered).
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Reading) && self.buf.is_empty()
    }

    /// Make all the progress possible without blocking. With a `handler`, requests are
    /// answered in place (epoll); without, they are returned for a pool (epoll-pool).
    /// While `stopping`, no new request is started on an idle connection and none is kept
    /// alive after its answer.
    pub(crate) fn drive(
        &mut self,
        handler: Option<&Handler>,
        limits: &Limits,
        stopping: bool,
    ) -> Progress {
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            match self.phase {
                Phase::Busy { .. } => return Progress::Wait,
                Phase::Writing => match self.flush() {
                    Ok(true) => match self.then {
                        Then::Read => self.phase = Phase::Reading,
                        Then::Close => return Progress::Close,
                        Then::Linger => {
                            let _ = self.stream.shutdown(Shutdown::Write);
                            self.phase = Phase::Lingering {
                                until: Instant::now() + Duration::from_secs(1),
                                discarded: 0,
                            };
                        }
                    },
                    Ok(false) => return Progress::Wait,
                    Err(_) => return Progress::Close,
                },
                Phase::Lingering { until, discarded } => {
                    return match self.stream.read(&mut chunk) {
                        Ok(n) if n > 0 && discarded + n < 256 * 1024 => {
                            self.phase = Phase::Lingering {
                                until,
                                discarded: discarded + n,
                            };
                            continue;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Progress::Wait,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        _ => Progress::Close,
                    };
                }
                Phase::Reading => {
                    if stopping && self.buf.is_empty() {
                        return Progress::Close;
                    }
                    match self.decoder.decode(&self.buf) {
                        Err(reject) => {
                            self.queue(&Reply::error(reject.status()), false, 1, false);
                            self.then = Then::Linger;
                        }
                        Ok(Step::Continue) => {
                            self.out.clear();
                            self.out.extend_from_slice(CONTINUE);
                            self.sent = 0;
                            self.phase = Phase::Writing;
                            self.then = Then::Read;
                        }
                        Ok(Step::Request(d)) => {
                            self.buf.drain(..d.consumed);
                            self.request_deadline = None;
                            self.reading_head = true;
                            let head_only = d.request.method == "HEAD";
                            let version = d.request.version;
                            let keep_alive = d.keep_alive && !stopping;
                            let Some(h) = handler else {
                                self.phase = Phase::Busy {
                                    head_only,
                                    version,
                                    keep_alive,
                                };
                                return Progress::Dispatch(Box::new(d));
                            };
                            let reply = h.handle(&d.request, self.peer, self.local);
                            self.queue(&reply, head_only, version, keep_alive && !reply.close);
                        }
                        Ok(Step::Incomplete) => {
                            self.start_clocks(limits);
                            match self.stream.read(&mut chunk) {
                                Ok(0) => return Progress::Close,
                                Ok(n) => {
                                    self.buf.extend_from_slice(&chunk[..n]);
                                    self.last_io = Instant::now();
                                }
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                    return Progress::Wait
                                }
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                                Err(_) => return Progress::Close,
                            }
                        }
                    }
                }
            }
        }
    }

    /// The head's clock starts with its first byte (or at accept); the body's when the
    /// head is complete.
    fn start_clocks(&mut self, limits: &Limits) {
        if self.decoder.in_head() {
            if self.request_deadline.is_none() && !self.buf.is_empty() {
                self.request_deadline = Some(Instant::now() + limits.header_timeout);
            }
        } else if self.reading_head {
            self.reading_head = false;
            self.request_deadline = Some(Instant::now() + limits.header_timeout);
        }
    }

    /// The pool's reply to the dispatched request; call [`Conn::drive`] next.
    pub(crate) fn respond(&mut self, reply: &Reply, stopping: bool) {
        if let Phase::Busy {
            head_only,
            version,
            keep_alive,
        } = self.phase
        {
            self.queue(
                reply,
                head_only,
                version,
                keep_alive && !reply.close && !stopping,
            );
        }
    }

    fn queue(&mut self, reply: &Reply, head_only: bool, version: u8, keep_alive: bool) {
        self.out.clear();
        self.sent = 0;
        reply.write_head(&mut self.out, version, keep_alive);
        match &reply.body {
            Body::Bytes(b) if !head_only => self.out.extend_from_slice(b),
            Body::File { file, offset, len } if !head_only => {
                self.file = i64::try_from(*offset).ok().map(|o| FileSend {
                    file: file.clone(),
                    offset: o,
                    end: offset.saturating_add(*len),
                });
            }
            _ => {}
        }
        self.then = if keep_alive { Then::Read } else { Then::Close };
        self.phase = Phase::Writing;
        self.last_io = Instant::now();
    }

    /// Write what is pending; `Ok(true)` when all is written.
    fn flush(&mut self) -> io::Result<bool> {
        while self.sent < self.out.len() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(n) => {
                    self.sent += n;
                    self.last_io = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        while let Some(f) = &mut self.file {
            let left = f.end.saturating_sub(f.offset as u64);
            if left == 0 {
                self.file = None;
                break;
            }
            match sendfile64(
                self.stream.as_fd(),
                f.file.as_fd(),
                Some(&mut f.offset),
                left.min(1 << 20) as usize,
            ) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "file shrank while sent",
                    ))
                }
                Ok(_) => self.last_io = Instant::now(),
                Err(nix::errno::Errno::EAGAIN) => return Ok(false),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// When this connection has waited too long, or `None` while a pool thread has it.
    pub(crate) fn deadline(&self, limits: &Limits) -> Option<Instant> {
        match self.phase {
            Phase::Busy { .. } => None,
            Phase::Writing => Some(self.last_io + limits.write_timeout),
            Phase::Lingering { until, .. } => Some(until),
            Phase::Reading => {
                let idle = self.last_io + limits.idle_timeout;
                Some(self.request_deadline.map_or(idle, |d| d.min(idle)))
            }
        }
    }

    /// The deadline passed: answer 408 if a request had begun (best effort, no waiting).
    pub(crate) fn time_out(&mut self) {
        if matches!(self.phase, Phase::Reading) && !self.buf.is_empty() {
            let mut out = Vec::new();
            Reply::error(408).encode(&mut out, false, 1, false);
            let _ = self.stream.write(&out);
        }
    }
}
