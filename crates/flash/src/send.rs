//! Writing replies to blocking sockets: head and small body in one write, a large body
//! from a file with `sendfile(2)` after the head, and the lingering close after a refusal.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::sys::sendfile::sendfile64;

use crate::reply::{Body, Reply};

/// Bodies up to this size are copied behind the head and sent with it in one write.
pub(crate) const INLINE_BODY: usize = 64 * 1024;

/// Write `reply` (its head only, for HEAD) on a blocking socket whose write timeout is
/// set. `out` is a reusable buffer.
pub(crate) fn send_reply(
    stream: &TcpStream,
    reply: &Reply,
    head_only: bool,
    version: u8,
    keep_alive: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    out.clear();
    reply.write_head(out, version, keep_alive);
    match &reply.body {
        Body::Bytes(b) if !head_only && b.len() <= INLINE_BODY => {
            out.extend_from_slice(b);
            (&*stream).write_all(out)
        }
        Body::Bytes(b) if !head_only => {
            (&*stream).write_all(out)?;
            (&*stream).write_all(b)
        }
        Body::File { file, offset, len } if !head_only => {
            (&*stream).write_all(out)?;
            sendfile_all(stream, file, *offset, *len)
        }
        _ => (&*stream).write_all(out),
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "write timed out")
}

/// Send `len` bytes of `file` from `offset`; the socket's send timeout bounds each wait.
pub(crate) fn sendfile_all(
    stream: &TcpStream,
    file: &std::fs::File,
    offset: u64,
    len: u64,
) -> io::Result<()> {
    let end = offset.saturating_add(len);
    let mut off = i64::try_from(offset).map_err(|_| io::Error::other("offset out of range"))?;
    while (off as u64) < end {
        let chunk = (end - off as u64).min(1 << 30) as usize;
        match sendfile64(stream.as_fd(), file.as_fd(), Some(&mut off), chunk) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while sent",
                ))
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(nix::errno::Errno::EAGAIN) => return Err(timed_out()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Close after answering a refused request: stop sending, then read and discard what the
/// client is still sending for a moment, so the kernel does not answer those bytes with a
/// reset that could destroy the response before the client reads it.
pub(crate) fn linger_close(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(1);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 4096];
    let mut total = 0usize;
    while Instant::now() < deadline && total < 256 * 1024 {
        match (&*stream).read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}
