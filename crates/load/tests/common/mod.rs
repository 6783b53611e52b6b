//! Test servers on 127.0.0.1:0 that count what they receive: an HTTP/1.1 server parsing
//! with http-wire (plain or TLS with a certificate the test makes), and a fake herd server
//! checking every command line by hand.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub(crate) mod herd;
pub(crate) mod tls;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the test HTTP server answers.
#[derive(Clone, Copy)]
pub(crate) enum Behavior {
    /// 200 with a 5-byte body, keep-alive.
    Ok,
    /// This status for every request.
    Status(u16),
    /// Statuses in turn, request by request.
    Cycle(&'static [u16]),
    /// Answer request number `at` (1-based) after `pause`; all others at once.
    StallOnce { at: u64, pause: Duration },
    /// Answer every request after this delay.
    Delay(Duration),
    /// Read requests, never answer.
    Never,
    /// Never answer every `n`-th request (1-based), answer the others at once.
    SilentEvery(u64),
    /// 200 with `Connection: close`, then close.
    Close,
    /// `100 Continue` and `103 Early Hints` before each 200.
    Interim,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) body: Vec<u8>,
    /// Requests in flight (being answered) when this one arrived, itself included.
    pub(crate) in_flight: u64,
    /// When it arrived.
    pub(crate) at: Instant,
}

/// What a test server observed.
#[derive(Default)]
pub(crate) struct Observed {
    pub(crate) count: AtomicU64,
    pub(crate) connections: AtomicU64,
    in_flight: AtomicU64,
    pub(crate) seen: Mutex<Vec<Seen>>,
}

/// A running test server: its address and what it observed.
pub(crate) struct TestServer {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) count: Arc<AtomicU64>,
    pub(crate) observed: Arc<Observed>,
}

impl TestServer {
    /// Requests by target path.
    pub(crate) fn by_target(&self) -> std::collections::BTreeMap<String, u64> {
        let mut m = std::collections::BTreeMap::new();
        for s in self.observed.seen.lock().unwrap().iter() {
            *m.entry(s.target.clone()).or_default() += 1;
        }
        m
    }
}

/// Start an HTTP/1.1 keep-alive server on its own thread and runtime.
pub(crate) fn start(behavior: Behavior) -> TestServer {
    let count = Arc::new(AtomicU64::new(0));
    let observed = Arc::new(Observed::default());
    let (c, o) = (count.clone(), observed.clone());
    let addr = serve_on_thread(move |s| {
        o.connections.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(serve(s, c.clone(), o.clone(), behavior));
    });
    TestServer {
        addr,
        count,
        observed,
    }
}

/// Bind 127.0.0.1:0 and accept on a thread with its own runtime, handing each connection
/// to `on_accept` (which spawns its task). Returns the bound address.
pub(crate) fn serve_on_thread<F>(mut on_accept: F) -> std::net::SocketAddr
where
    F: FnMut(tokio::net::TcpStream) + Send + 'static,
{
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            while let Ok((s, _)) = listener.accept().await {
                on_accept(s);
            }
        });
    });
    addr
}

/// Serve HTTP/1.1 on one connection (plain or TLS) as `behavior` says.
pub(crate) async fn serve<S>(
    mut s: S,
    count: Arc<AtomicU64>,
    observed: Arc<Observed>,
    behavior: Behavior,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    loop {
        let (req, used) = loop {
            match http_wire::parse_request(&buf, &http_wire::Limits::default()) {
                Ok(Some(r)) => break r,
                Ok(None) => {}
                Err(_) => return,
            }
            buf.reserve(4096);
            match s.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        buf.drain(..used);
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        let in_flight = observed.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        observed.seen.lock().unwrap().push(Seen {
            method: req.method.clone(),
            target: req.target.clone(),
            body: req.body.clone(),
            in_flight,
            at: Instant::now(),
        });
        let mut headers = Vec::new();
        let mut out = Vec::new();
        let status = match behavior {
            Behavior::Never => std::future::pending::<u16>().await,
            Behavior::SilentEvery(k) if n.is_multiple_of(k) => std::future::pending::<u16>().await,
            Behavior::Status(code) => code,
            Behavior::Cycle(codes) => codes[(n as usize - 1) % codes.len()],
            Behavior::StallOnce { at, pause } => {
                if n == at {
                    tokio::time::sleep(pause).await;
                }
                200
            }
            Behavior::Delay(d) => {
                tokio::time::sleep(d).await;
                200
            }
            Behavior::Ok | Behavior::SilentEvery(_) => 200,
            Behavior::Close => {
                headers.push(("Connection".to_string(), b"close".to_vec()));
                200
            }
            Behavior::Interim => {
                out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                out.extend_from_slice(
                    b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
                );
                200
            }
        };
        observed.in_flight.fetch_sub(1, Ordering::SeqCst);
        http_wire::encode_response(status, "X", &headers, b"hello", &mut out);
        if s.write_all(&out).await.is_err() || matches!(behavior, Behavior::Close) {
            return;
        }
    }
}
