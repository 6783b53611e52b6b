//! `tokio`: async tasks on tokio's multi-threaded, work-stealing runtime, accepted by
//! netkit's [`serve`](netkit::serve) like every async herd service.
//!
//! Each connection is a task: a state machine the compiler writes from straight-line
//! `async` code, so it reads like the blocking loop and costs like the epoll one (a task
//! is a few hundred bytes; an idle connection is a registered socket and a parked task).
//! `--workers` threads run ready tasks and steal from each other, so unlike the epoll
//! model it uses every core. Handlers that may block (CGI, `/app/slow`) go to tokio's
//! blocking pool, so a slow request holds a pool thread, never a runtime thread. The
//! costs: the runtime's scheduling and the wake-ups between threads, and with one worker
//! thread it is the epoll model plus those costs. netkit adds the connection limit (with
//! a few overflow slots that answer 503 at once instead of leaving a client in the accept
//! queue), accept back-off, the idle and write timeouts, and the graceful drain. Choose it
//! by default for new network services in Rust.

use std::io;
use std::net::TcpListener;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_wire::{reply::CONTINUE, Decoder, Step};
use netkit::blocking::StopFlag;
use netkit::{Admission, Conn, Shutdown};
use nix::sys::sendfile::sendfile64;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};

use crate::conn::Shared;
use crate::reply::{Body, Reply};
use crate::Error;

pub(crate) fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    workers: usize,
    stop: &StopFlag,
) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("flash-tokio")
        .enable_all()
        .build()
        .map_err(Error::io("tokio runtime"))?;
    let grace = shared.limits.grace;
    let result = rt.block_on(async {
        listener
            .set_nonblocking(true)
            .map_err(Error::io("listener"))?;
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(Error::io("listener"))?;
        let shutdown = Shutdown::new();
        // The stop flag's descriptor becomes readable on stop: watch a duplicate of it.
        let fd = stop
            .as_fd()
            .try_clone_to_owned()
            .map_err(Error::io("stop flag"))?;
        let fd = std::os::unix::net::UnixStream::from(fd);
        fd.set_nonblocking(true).map_err(Error::io("stop flag"))?;
        let fd = tokio::net::UnixStream::from_std(fd).map_err(Error::io("stop flag"))?;
        shutdown.trigger_on(async move {
            let _ = fd.readable().await;
        });
        let limits = shared.limits.clone();
        netkit::serve(listener, limits, shutdown, move |conn| {
            connection(conn, shared.clone())
        })
        .await;
        Ok(())
    });
    // Blocking-pool work (a slow CGI script) must not hold the exit past the grace period.
    rt.shutdown_timeout(grace);
    result
}

async fn connection(conn: Conn, shared: Arc<Shared>) {
    let peer = conn.peer;
    if let Err(e) = run(conn, shared).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

async fn run(conn: Conn, shared: Arc<Shared>) -> io::Result<()> {
    let Conn {
        mut stream,
        peer,
        admission,
        shutdown,
        limits,
    } = conn;
    let mut out = Vec::new();
    if admission == Admission::Overflow {
        let reply = Reply::error(503).with("Retry-After", "1").closing();
        reply.encode(&mut out, false, 1, false);
        return stream.write_all(&out).await;
    }
    let local = stream.get_ref().local_addr()?;
    let mut buf: Vec<u8> = Vec::new();
    let mut decoder = Decoder::new(shared.decode);
    let mut deadline = Some(Instant::now() + limits.header_timeout);
    let mut reading_head = true;
    loop {
        match decoder.decode(&buf) {
            Err(reject) => {
                out.clear();
                Reply::error(reject.status()).encode(&mut out, false, 1, false);
                stream.write_all(&out).await?;
                return linger(stream.get_mut()).await;
            }
            Ok(Step::Continue) => {
                stream.write_all(CONTINUE).await?;
                continue;
            }
            Ok(Step::Request(d)) => {
                buf.drain(..d.consumed);
                let head_only = d.request.method == "HEAD";
                let version = d.request.version;
                let reply = if shared.handler.may_block(&d.request) {
                    let sh = shared.clone();
                    tokio::task::spawn_blocking(move || sh.handler.handle(&d.request, peer, local))
                        .await
                        .unwrap_or_else(|_| Reply::error(500))
                } else {
                    shared.handler.handle(&d.request, peer, local)
                };
                let keep = d.keep_alive && !reply.close && !shutdown.is_triggered();
                out.clear();
                reply.encode(&mut out, head_only, version, keep);
                stream.write_all(&out).await?;
                if let (Body::File { file, offset, len }, false) = (&reply.body, head_only) {
                    send_file(stream.get_ref(), file, *offset, *len, limits.write_timeout).await?;
                }
                if !keep {
                    return Ok(());
                }
                deadline = None;
                reading_head = true;
                continue;
            }
            Ok(Step::Incomplete) => {}
        }
        if decoder.in_head() {
            if deadline.is_none() && !buf.is_empty() {
                deadline = Some(Instant::now() + limits.header_timeout);
            }
        } else if reading_head {
            reading_head = false;
            deadline = Some(Instant::now() + limits.header_timeout);
        }
        // The idle timeout is on the stream (netkit's Timed); the request's on top.
        // Read straight into the buffer's spare room: an idle connection then holds no
        // read scratch space of its own (a thousand of them, 16 MiB less).
        buf.reserve(1024);
        // Between requests only the stream's idle timeout applies: no timer is set per
        // request, which would cost a timer-wheel insert and removal every time.
        let read = match deadline {
            Some(d) => tokio::select! {
                r = tokio::time::timeout_at(tokio::time::Instant::from_std(d), stream.read_buf(&mut buf)) => r,
                _ = shutdown.cancelled() => return Ok(()),
            },
            None => tokio::select! {
                r = stream.read_buf(&mut buf) => Ok(r),
                _ = shutdown.cancelled() => return Ok(()),
            },
        };
        match read {
            Err(_) => {
                if !buf.is_empty() {
                    out.clear();
                    Reply::error(408).encode(&mut out, false, 1, false);
                    stream.write_all(&out).await?;
                }
                return Ok(());
            }
            Ok(Ok(0)) => return Ok(()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.kind() == io::ErrorKind::TimedOut => return Ok(()),
            Ok(Err(e)) => return Err(e),
        }
    }
}

/// Send a file range with sendfile as the socket becomes writable.
async fn send_file(
    stream: &tokio::net::TcpStream,
    file: &std::fs::File,
    offset: u64,
    len: u64,
    write_timeout: Duration,
) -> io::Result<()> {
    let end = offset.saturating_add(len);
    let mut off = i64::try_from(offset).map_err(|_| io::Error::other("offset out of range"))?;
    while (off as u64) < end {
        let n = (end - off as u64).min(1 << 20) as usize;
        let sent = stream.try_io(Interest::WRITABLE, || {
            sendfile64(stream.as_fd(), file.as_fd(), Some(&mut off), n).map_err(io::Error::from)
        });
        match sent {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while sent",
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                tokio::time::timeout(write_timeout, stream.writable())
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))??;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// After a refusal: stop sending, read and discard briefly, then close (see
/// `send::linger_close`).
async fn linger(stream: &mut tokio::net::TcpStream) -> io::Result<()> {
    stream.shutdown().await?;
    // On the heap: an array here would sit in every connection's task, lingering or not.
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while total < 256 * 1024 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    })
    .await;
    Ok(())
}
