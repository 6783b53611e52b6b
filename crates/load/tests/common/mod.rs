//! Test servers on 127.0.0.1:0 that count what they receive: an HTTP/1.1 server parsing
//! with http-wire, and a fake herd server checking every command line by hand.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub(crate) mod herd;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the test HTTP server answers.
#[derive(Clone, Copy)]
pub(crate) enum Behavior {
    /// 200 with a 5-byte body, keep-alive.
    Ok,
    /// This status for every request.
    Status(u16),
    /// Answer request number `at` (1-based) after `pause`; all others at once.
    StallOnce { at: u64, pause: Duration },
    /// Read requests, never answer.
    Never,
    /// 200 with `Connection: close`, then close.
    Close,
}

/// A running test server: its address and how many requests it has parsed.
pub(crate) struct TestServer {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) count: Arc<AtomicU64>,
}

/// Start an HTTP/1.1 keep-alive server on its own thread and runtime.
pub(crate) fn start(behavior: Behavior) -> TestServer {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let addr = serve_on_thread(move |s| {
        tokio::spawn(serve(s, c.clone(), behavior));
    });
    TestServer { addr, count }
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

async fn serve(mut s: tokio::net::TcpStream, count: Arc<AtomicU64>, behavior: Behavior) {
    let mut buf = Vec::new();
    loop {
        let used = loop {
            match http_wire::parse_request(&buf, &http_wire::Limits::default()) {
                Ok(Some((_, n))) => break n,
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
        let mut headers = Vec::new();
        let status = match behavior {
            Behavior::Never => std::future::pending::<u16>().await,
            Behavior::Status(code) => code,
            Behavior::StallOnce { at, pause } => {
                if n == at {
                    tokio::time::sleep(pause).await;
                }
                200
            }
            Behavior::Ok => 200,
            Behavior::Close => {
                headers.push(("Connection".to_string(), b"close".to_vec()));
                200
            }
        };
        let mut out = Vec::new();
        http_wire::encode_response(status, "X", &headers, b"hello", &mut out);
        if s.write_all(&out).await.is_err() || matches!(behavior, Behavior::Close) {
            return;
        }
    }
}
