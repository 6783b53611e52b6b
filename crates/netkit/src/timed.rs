//! [`Timed`]: a stream whose reads and writes give up when they make no progress.
//!
//! A read pending for longer than the read timeout fails with `TimedOut` (an idle
//! keep-alive connection, a client that went quiet mid-request, a half-open peer link); a
//! write, flush or shutdown pending for longer than the write timeout fails the same way (a
//! client that never reads). The clock starts when an operation first returns `Pending`
//! and stops when it completes, so only waiting counts, never the work in between.
//!
//! The timer is lazy: it is set once when a wait starts and, if it fires early because a
//! later wait began after an earlier one ended, moved forward then. A busy connection
//! therefore costs one clock read per wait, not a timer-wheel update per read.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// One direction's deadline.
#[derive(Debug)]
struct Deadline {
    timeout: Option<Duration>,
    /// When the current wait began; `None` when nothing is waiting.
    since: Option<Instant>,
    /// Boxed so `Timed` stays `Unpin`; allocated once per connection.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Deadline {
    fn new(timeout: Option<Duration>) -> Self {
        Deadline {
            timeout,
            since: None,
            sleep: None,
        }
    }

    /// The operation completed: the next wait starts a new clock.
    fn done(&mut self) {
        self.since = None;
    }

    /// The operation is pending: has it waited too long? Registers the waker otherwise.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(timeout) = self.timeout else {
            return false;
        };
        let due = *self.since.get_or_insert_with(Instant::now) + timeout;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
        if sleep.deadline() > due {
            sleep.as_mut().reset(due);
        }
        loop {
            if sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= due {
                return true;
            }
            // Fired for an earlier wait: move on to this one's deadline.
            sleep.as_mut().reset(due);
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// A stream with a read (idle) timeout and a write timeout. `None` disables one.
#[derive(Debug)]
pub struct Timed<S> {
    inner: S,
    read: Deadline,
    write: Deadline,
}

impl<S> Timed<S> {
    /// Wrap `inner`.
    pub fn new(inner: S, read_timeout: Option<Duration>, write_timeout: Option<Duration>) -> Self {
        Timed {
            inner,
            read: Deadline::new(read_timeout),
            write: Deadline::new(write_timeout),
        }
    }

    /// Change the read timeout (a peer link with heartbeats waits longer than a client).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read = Deadline::new(timeout);
    }

    /// Change the write timeout.
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write = Deadline::new(timeout);
    }

    /// The stream inside.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The stream inside, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The stream inside, without its timeouts.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl Timed<TcpStream> {
    /// Split into a read half and a write half that keep their own timeouts, so a reader
    /// task and a writer task can run apart (the herd's peer links do).
    pub fn into_split(self) -> (Timed<OwnedReadHalf>, Timed<OwnedWriteHalf>) {
        let (r, w) = self.inner.into_split();
        (
            Timed {
                inner: r,
                read: self.read,
                write: Deadline::new(None),
            },
            Timed {
                inner: w,
                read: Deadline::new(None),
                write: self.write,
            },
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Timed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.read.done();
                Poll::Ready(r)
            }
            Poll::Pending if this.read.expired(cx) => Poll::Ready(Err(timed_out("read"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> Timed<S> {
    fn poll_write_op<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match op(Pin::new(&mut self.inner), cx) {
            Poll::Ready(r) => {
                self.write.done();
                Poll::Ready(r)
            }
            Poll::Pending if self.write.expired(cx) => Poll::Ready(Err(timed_out("write"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Timed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_op(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_op(cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write_op(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = ready!(self.poll_write_op(cx, |s, cx| s.poll_shutdown(cx)));
        Poll::Ready(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A read that waits past the timeout fails with TimedOut; data in time is read.
    #[tokio::test(start_paused = true)]
    async fn read_times_out_only_when_waiting() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut t = Timed::new(a, Some(Duration::from_secs(5)), None);
        let mut buf = [0u8; 4];
        b.write_all(b"hi").await.unwrap();
        assert_eq!(t.read(&mut buf).await.unwrap(), 2);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(4)).await;
            b.write_all(b"yo").await.unwrap();
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(b);
        });
        // 4 s of waiting is under the limit ...
        assert_eq!(t.read(&mut buf).await.unwrap(), 2);
        // ... and the next wait gets its own 5 s, not the 1 s left of the first.
        let start = Instant::now();
        let e = t.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    /// A write to a peer that never reads fails once the buffer is full and the timeout
    /// passes.
    #[tokio::test(start_paused = true)]
    async fn write_times_out_when_peer_never_reads() {
        let (a, _b) = tokio::io::duplex(16);
        let mut t = Timed::new(a, None, Some(Duration::from_secs(2)));
        let e = t.write_all(&[0u8; 64]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    /// Without timeouts nothing times out.
    #[tokio::test(start_paused = true)]
    async fn no_timeout_waits() {
        let (a, mut b) = tokio::io::duplex(16);
        let mut t = Timed::new(a, None, None);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            b.write_all(b"x").await.unwrap();
        });
        let mut buf = [0u8; 1];
        assert_eq!(t.read(&mut buf).await.unwrap(), 1);
    }
}
