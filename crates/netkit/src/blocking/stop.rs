//! [`StopFlag`]: a stop request that also wakes threads blocked in `accept` or `poll`.
//!
//! The flag is a self-pipe (a Unix socket pair): stopping writes one byte that is never
//! read, so the read end stays readable for every poller, now and later, with no race
//! between checking the flag and going to sleep. Signal handlers (through `signal-hook`,
//! which writes with `MSG_DONTWAIT` and is async-signal-safe) write to the same pipe.
//!
//! After `fork`, a child shares the pipe with its parent. A child that wants to stop on
//! its own signals (prefork workers) calls [`SignalGuard::forget`] on the parent's guard
//! and makes a fresh `StopFlag`; otherwise a signal to the child would wake the parent too.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

#[derive(Debug)]
struct Inner {
    stopped: AtomicBool,
    rx: UnixStream,
    tx: UnixStream,
}

/// A cloneable stop request with a wake-up file descriptor.
#[derive(Clone, Debug)]
pub struct StopFlag {
    inner: Arc<Inner>,
}

/// What [`StopFlag::wait_readable`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// The descriptor is readable (or closed, or in error: a read will tell).
    Ready,
    /// The timeout passed first.
    TimedOut,
    /// Stop was requested.
    Stopped,
}

impl StopFlag {
    /// A new, not yet stopped, flag.
    ///
    /// # Errors
    /// The socket pair could not be made (out of file descriptors).
    pub fn new() -> io::Result<Self> {
        let (rx, tx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        Ok(StopFlag {
            inner: Arc::new(Inner {
                stopped: AtomicBool::new(false),
                rx,
                tx,
            }),
        })
    }

    /// Request stop and wake every waiter. Idempotent.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        // A full pipe already wakes everyone; any other error leaves the flag set, which
        // loops also check.
        let _ = (&self.inner.tx).write(&[1]);
    }

    /// Whether stop was requested (by [`StopFlag::stop`] or a signal).
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst) || self.pipe_readable()
    }

    fn pipe_readable(&self) -> bool {
        let mut fds = [PollFd::new(self.inner.rx.as_fd(), PollFlags::POLLIN)];
        matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
    }

    /// The descriptor that becomes readable on stop, to register with epoll/mio next to
    /// the listener. It stays readable: never read from it.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.rx.as_fd()
    }

    /// Map SIGINT and SIGTERM to this flag until the guard is dropped.
    ///
    /// # Errors
    /// The handlers could not be installed.
    pub fn on_signals(&self) -> io::Result<SignalGuard> {
        let mut ids = Vec::new();
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            ids.push(signal_hook::low_level::pipe::register(
                sig,
                self.inner.tx.try_clone()?,
            )?);
        }
        Ok(SignalGuard { ids })
    }

    /// Wait until `fd` is readable, `timeout` passes (`None`: no limit) or stop is
    /// requested, whichever comes first.
    ///
    /// # Errors
    /// `poll` failed other than by interruption.
    pub fn wait_readable(&self, fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<Wait> {
        let t = match timeout {
            None => PollTimeout::NONE,
            // Round up so a sub-millisecond remainder still waits, and cap at poll's range.
            Some(d) => {
                PollTimeout::try_from(d.as_millis().saturating_add(1).min(i32::MAX as u128) as i32)
                    .unwrap_or(PollTimeout::MAX)
            }
        };
        loop {
            if self.inner.stopped.load(Ordering::SeqCst) {
                return Ok(Wait::Stopped);
            }
            let mut fds = [
                PollFd::new(self.inner.rx.as_fd(), PollFlags::POLLIN),
                PollFd::new(fd, PollFlags::POLLIN),
            ];
            match poll(&mut fds, t) {
                Ok(0) => return Ok(Wait::TimedOut),
                Ok(_) => {
                    if fds[0].any().unwrap_or(false) {
                        self.inner.stopped.store(true, Ordering::SeqCst);
                        return Ok(Wait::Stopped);
                    }
                    return Ok(Wait::Ready);
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Accept one connection, or `None` once stop is requested. The listener is switched
    /// to non-blocking (so a wake-up that another process or thread won does not block);
    /// the accepted stream is blocking.
    ///
    /// # Errors
    /// `accept` failed (for example out of file descriptors); the caller backs off.
    pub fn accept(&self, listener: &TcpListener) -> io::Result<Option<(TcpStream, SocketAddr)>> {
        listener.set_nonblocking(true)?;
        loop {
            match self.wait_readable(listener.as_fd(), None)? {
                Wait::Stopped => return Ok(None),
                Wait::TimedOut => continue,
                Wait::Ready => {}
            }
            match listener.accept() {
                Ok((s, a)) => {
                    s.set_nonblocking(false)?;
                    return Ok(Some((s, a)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Keeps SIGINT/SIGTERM mapped to a [`StopFlag`]; dropping it restores the previous
/// handling.
#[derive(Debug)]
pub struct SignalGuard {
    ids: Vec<signal_hook::SigId>,
}

impl SignalGuard {
    /// Unmap the signals (what dropping does), for a forked child that installs its own.
    pub fn forget(self) {}
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A thread blocked in accept wakes up when another thread stops the flag.
    #[test]
    fn stop_wakes_blocked_accept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stop = StopFlag::new().unwrap();
        let s2 = stop.clone();
        let t = std::thread::spawn(move || s2.accept(&listener).unwrap().is_none());
        std::thread::sleep(Duration::from_millis(50));
        stop.stop();
        assert!(t.join().unwrap());
        assert!(stop.is_stopped());
    }

    /// accept returns a connection that arrives, as a blocking stream.
    #[test]
    fn accept_returns_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = StopFlag::new().unwrap();
        let _c = TcpStream::connect(addr).unwrap();
        let (s, _) = stop.accept(&listener).unwrap().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        let mut buf = [0u8; 1];
        // Blocking with a timeout: WouldBlock after 10 ms, not at once.
        let t = Instant::now();
        assert!(std::io::Read::read(&mut &s, &mut buf).is_err());
        assert!(t.elapsed() >= Duration::from_millis(5));
    }

    /// wait_readable reports a timeout, then readiness, then stop.
    #[test]
    fn wait_readable_outcomes() {
        let stop = StopFlag::new().unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        let w = stop.wait_readable(a.as_fd(), Some(Duration::from_millis(10)));
        assert_eq!(w.unwrap(), Wait::TimedOut);
        b.write_all(b"x").unwrap();
        assert_eq!(stop.wait_readable(a.as_fd(), None).unwrap(), Wait::Ready);
        stop.stop();
        assert_eq!(stop.wait_readable(a.as_fd(), None).unwrap(), Wait::Stopped);
    }

    /// SIGTERM sent to this process sets the flag (through the signal pipe).
    #[test]
    fn sigterm_sets_flag() {
        let stop = StopFlag::new().unwrap();
        let guard = stop.on_signals().unwrap();
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !stop.is_stopped() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(stop.is_stopped());
        drop(guard);
    }
}
