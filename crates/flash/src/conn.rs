//! The blocking connection loop, shared by the sequential, thread, fork, prefork and
//! worker models: read, decode, handle, write, until the client or a timeout ends it.
//!
//! Timeouts (netkit [`Limits`]): waiting for a byte is bounded by `idle_timeout`; a whole
//! head by `header_timeout` (from accept for the first request, from its first byte for
//! later ones), and a whole body by another `header_timeout` from the end of its head, so
//! a client trickling bytes (slowloris) cannot hold the worker. Writes are bounded by the
//! socket's send timeout (`write_timeout`). Every wait for bytes also watches the stop
//! flag, so an idle keep-alive connection closes as soon as the server stops, while a
//! request being answered is finished first.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use http_wire::{reply::CONTINUE, DecodeLimits, Decoder, Step};
use netkit::blocking::{apply_timeouts, StopFlag, Wait};
use netkit::Limits;

use crate::send::{linger_close, send_reply};
use crate::{Handler, Reply};

/// What every connection of a server shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) handler: Handler,
    pub(crate) limits: Limits,
    pub(crate) decode: DecodeLimits,
}

/// Read buffer growth per read.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// Serve one connection to the end; errors end only this connection.
pub(crate) fn serve(stream: TcpStream, peer: SocketAddr, shared: &Shared, stop: &StopFlag) {
    if let Err(e) = run(&stream, peer, shared, stop) {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

fn run(stream: &TcpStream, peer: SocketAddr, shared: &Shared, stop: &StopFlag) -> io::Result<()> {
    apply_timeouts(stream, &shared.limits)?;
    stream.set_nodelay(true)?;
    let local = stream.local_addr()?;
    let limits = &shared.limits;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; READ_CHUNK];
    let mut decoder = Decoder::new(shared.decode);
    // The first head must arrive within header_timeout of the accept.
    let mut deadline = Some(Instant::now() + limits.header_timeout);
    let mut reading_head = true;
    loop {
        match decoder.decode(&buf) {
            Err(reject) => {
                let reply = Reply::error(reject.status()).closing();
                send_reply(stream, &reply, false, 1, false, &mut out)?;
                linger_close(stream);
                return Ok(());
            }
            Ok(Step::Continue) => {
                (&*stream).write_all(CONTINUE)?;
                continue;
            }
            Ok(Step::Request(d)) => {
                buf.drain(..d.consumed);
                let reply = shared.handler.handle(&d.request, peer, local);
                let keep = d.keep_alive && !reply.close && !stop.is_stopped();
                let head_only = d.request.method == "HEAD";
                send_reply(stream, &reply, head_only, d.request.version, keep, &mut out)?;
                if !keep {
                    return Ok(());
                }
                deadline = None;
                reading_head = true;
                continue;
            }
            Ok(Step::Incomplete) => {}
        }
        // A request has begun: start its head's clock; its head is in: start its body's.
        if decoder.in_head() {
            if deadline.is_none() && !buf.is_empty() {
                deadline = Some(Instant::now() + limits.header_timeout);
            }
        } else if reading_head {
            reading_head = false;
            deadline = Some(Instant::now() + limits.header_timeout);
        }
        let now = Instant::now();
        let wait = match deadline {
            Some(d) if d <= now => return request_timeout(stream, &buf, &mut out),
            Some(d) => limits.idle_timeout.min(d - now),
            None => limits.idle_timeout,
        };
        match stop.wait_readable(stream.as_fd(), Some(wait))? {
            Wait::Stopped => return Ok(()),
            Wait::TimedOut if deadline.is_some_and(|d| d <= Instant::now()) => {
                return request_timeout(stream, &buf, &mut out)
            }
            Wait::TimedOut => return Ok(()),
            Wait::Ready => {}
        }
        match (&*stream).read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// The head or body did not arrive in time: 408 if the client sent anything, then close.
fn request_timeout(stream: &TcpStream, buf: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    if !buf.is_empty() {
        let reply = Reply::error(408).closing();
        send_reply(stream, &reply, false, 1, false, out)?;
    }
    Ok(())
}

/// How long a blocking accept loop waits before looking at its children or workers again.
pub(crate) const HOUSEKEEPING: Duration = Duration::from_millis(100);
