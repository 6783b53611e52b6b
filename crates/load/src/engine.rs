//! The engine: threads, connections, pacing, and one request's exchange.
//!
//! Each thread runs a single-threaded tokio runtime with its share of the connections as
//! local tasks, and records into its own [`Stats`] (an `Rc<RefCell<_>>`, no lock). Closed
//! loop: a connection sends its next request when the previous answer is in. Open loop
//! (`--rate R` over `C` connections): request `j` of connection `c` is due at
//! `start + (j*C + c) / R`; if the connection is still busy then, the request goes late,
//! and its latency is measured from when it was due (coordinated-omission correction, as
//! wrk2 does) as well as from when it was actually sent. A request whose connection was
//! idle when it fell due is measured from its actual send, so the runtime's millisecond
//! timer granularity is not charged to the server.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::herd::{answer_len, Commands};
use crate::stats::{ErrorKind, Stats};
use crate::{Plan, Target};

/// What all threads share: the schedule and the counters the progress bar reads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) plan: Plan,
    /// Schedule origin (start of warm-up).
    pub(crate) start: Instant,
    /// Recording starts here.
    pub(crate) measure_from: Instant,
    /// No request is started at or after this.
    pub(crate) end: Option<Instant>,
    remaining: Option<AtomicI64>,
    /// Completed requests, for live progress.
    pub(crate) done: AtomicU64,
}

impl Shared {
    pub(crate) fn new(plan: Plan) -> Shared {
        let start = Instant::now();
        let measure_from = start + plan.warmup;
        Shared {
            end: plan.duration.map(|d| measure_from + d),
            remaining: plan
                .requests
                .map(|n| AtomicI64::new(i64::try_from(n).unwrap_or(i64::MAX))),
            done: AtomicU64::new(0),
            plan,
            start,
            measure_from,
        }
    }

    /// Claim one request of a `-n` budget (always granted without one).
    fn claim(&self) -> bool {
        self.remaining
            .as_ref()
            .is_none_or(|r| r.fetch_sub(1, Ordering::Relaxed) > 0)
    }
}

/// Run one thread's connections to completion.
pub(crate) fn thread_main(shared: Arc<Shared>, thread: usize) -> std::io::Result<Stats> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stats = Rc::new(RefCell::new(Stats::default()));
    let local = tokio::task::LocalSet::new();
    let plan = &shared.plan;
    for conn in (thread..plan.connections).step_by(plan.threads.max(1)) {
        local.spawn_local(connection(shared.clone(), stats.clone(), conn));
    }
    rt.block_on(local);
    drop(rt);
    Ok(Rc::try_unwrap(stats)
        .map(RefCell::into_inner)
        .unwrap_or_default())
}

/// The outcome of one exchange: response bytes, whether the connection stays usable,
/// and the HTTP status (0 for herd).
type Exchange = Result<(usize, bool, u16), ErrorKind>;

async fn connection(shared: Arc<Shared>, stats: Rc<RefCell<Stats>>, conn: usize) {
    let plan = &shared.plan;
    let mut stream: Option<TcpStream> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut commands = Commands::new(
        conn,
        match plan.target {
            Target::Herd { whatsat_ratio, .. } => whatsat_ratio,
            Target::Http { .. } => 0.0,
        },
    );
    for j in 0u64.. {
        let intended = match plan.rate {
            Some(r) => {
                let offset = (j as f64 * plan.connections as f64 + conn as f64) / r;
                // Past any representable time: the schedule (an -n run at a tiny rate) is over.
                match Duration::try_from_secs_f64(offset)
                    .ok()
                    .and_then(|d| shared.start.checked_add(d))
                {
                    Some(t) => t,
                    None => break,
                }
            }
            None => Instant::now(),
        };
        if shared.end.is_some_and(|end| intended >= end) || !shared.claim() {
            break;
        }
        // If the connection was free before the request was due, the wait is ours, and
        // tokio's millisecond timer would add up to 1 ms of our own lateness: measure from
        // the actual send. If the request is already overdue (the previous answer was slow),
        // measure from when it was due: that delay is the server's.
        let mut origin = intended;
        if plan.rate.is_some() && intended > Instant::now() {
            tokio::time::sleep_until(intended.into()).await;
            origin = Instant::now();
        }
        let per_request = matches!(
            plan.target,
            Target::Herd {
                connection_per_request: true,
                ..
            }
        );
        if stream.is_none() || per_request {
            match tokio::time::timeout(plan.timeout, connect(plan.addr, conn)).await {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    stream = Some(s);
                }
                Ok(Err(_)) | Err(_) => {
                    if intended >= shared.measure_from {
                        stats.borrow_mut().error(ErrorKind::Connect);
                    }
                    stream = None;
                    // Do not spin on a dead port; a refused connect is immediate.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = stream.as_mut() else { continue };
        let sent = Instant::now();
        let outcome = tokio::time::timeout(
            plan.timeout,
            exchange(s, &plan.target, &mut commands, &mut buf),
        )
        .await;
        let done = Instant::now();
        let record = intended >= shared.measure_from;
        match outcome {
            Ok(Ok((bytes, reusable, status))) => {
                if !reusable {
                    stream = None;
                }
                shared.done.fetch_add(1, Ordering::Relaxed);
                if record {
                    let mut st = stats.borrow_mut();
                    let second = done
                        .saturating_duration_since(shared.measure_from)
                        .as_secs() as usize;
                    st.record(done - origin, done - sent, bytes, second);
                    if status != 0 && !(200..300).contains(&status) {
                        st.status(status);
                    }
                }
            }
            Ok(Err(kind)) => {
                // A herd `?` answer leaves the connection in step; anything else may not.
                if kind != ErrorKind::Rejected || per_request {
                    stream = None;
                }
                if record {
                    stats.borrow_mut().error(kind);
                }
            }
            Err(_) => {
                stream = None;
                if record {
                    stats.borrow_mut().error(ErrorKind::Timeout);
                }
            }
        }
    }
}

async fn exchange(
    s: &mut TcpStream,
    target: &Target,
    commands: &mut Commands,
    buf: &mut Vec<u8>,
) -> Exchange {
    buf.clear();
    match target {
        Target::Http { request, head } => {
            s.write_all(request).await.map_err(|_| ErrorKind::Io)?;
            let limits = http_wire::Limits {
                max_body: 64 * 1024 * 1024,
                ..Default::default()
            };
            loop {
                match http_wire::measure_response(buf, &limits, *head, false) {
                    Ok(Some(m)) => return Ok((m.len, m.keep_alive, m.status)),
                    Ok(None) => {}
                    Err(_) => return Err(ErrorKind::Parse),
                }
                if read_more(s, buf).await? == 0 {
                    return match http_wire::measure_response(buf, &limits, *head, true) {
                        Ok(Some(m)) => Ok((m.len, false, m.status)),
                        _ => Err(ErrorKind::Io),
                    };
                }
            }
        }
        Target::Herd {
            connection_per_request,
            ..
        } => {
            let (line, whatsat) = commands.next_line();
            s.write_all(line.as_bytes())
                .await
                .map_err(|_| ErrorKind::Io)?;
            if *connection_per_request {
                s.shutdown().await.map_err(|_| ErrorKind::Io)?;
            }
            loop {
                if let Some(n) = answer_len(buf, whatsat) {
                    if *connection_per_request {
                        // Read to the server's close, as a mobile client does.
                        while read_more(s, buf).await? > 0 {}
                    }
                    if buf.starts_with(b"? ") {
                        return Err(ErrorKind::Rejected);
                    }
                    return Ok((n, !connection_per_request, 0));
                }
                if read_more(s, buf).await? == 0 {
                    return Err(ErrorKind::Io);
                }
                if buf.len() > 1 << 20 {
                    return Err(ErrorKind::Parse);
                }
            }
        }
    }
}

/// Connect, spreading loopback connections over source addresses 127.0.0.1-32.
///
/// A client that closes first (as herd clients do, by half-closing) leaves its side of
/// every connection in TIME_WAIT; from one source address the 28k ephemeral ports fill up
/// within seconds and each connect then pays for a long port search. Real clients come
/// from many addresses; so does the load on loopback, where all of 127/8 is ours.
async fn connect(addr: std::net::SocketAddr, conn: usize) -> std::io::Result<TcpStream> {
    match addr {
        std::net::SocketAddr::V4(v4) if v4.ip().is_loopback() => {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_reuseaddr(true)?;
            let source = std::net::Ipv4Addr::new(127, 0, 0, 1 + (conn % 32) as u8);
            socket.bind((source, 0).into())?;
            socket.connect(addr).await
        }
        _ => TcpStream::connect(addr).await,
    }
}

async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<usize, ErrorKind> {
    buf.reserve(16 * 1024);
    s.read_buf(buf).await.map_err(|_| ErrorKind::Io)
}
