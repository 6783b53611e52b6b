//! [`FakeHttp`]: a local stand-in for a remote HTTP API (Google Places, Overpass, a menu
//! API), answering every request with one canned response, or never answering.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// This status and JSON body.
    Json(u16, String),
    /// Read the request, then never answer (to test client timeouts).
    Stall,
    /// Read the request, send these bytes exactly (a broken or truncated response), close.
    Raw(String),
}

/// One request as received.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// Request line, e.g. `GET /x?y HTTP/1.1`.
    pub request_line: String,
    /// Header lines as received.
    pub headers: Vec<String>,
    /// The body.
    pub body: String,
}

/// A fake HTTP server on 127.0.0.1:0; stops when dropped.
#[derive(Debug)]
pub struct FakeHttp {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeHttp {
    /// Start answering every request with `reply`.
    ///
    /// # Panics
    /// If no loopback port can be bound (test set-up failure).
    pub async fn start(reply: Reply) -> FakeHttp {
        // Test-only crate: a machine that cannot bind loopback cannot run the test that
        // asked, and the panic fails exactly that test with this message.
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn(serve(s, reply.clone(), log.clone()));
            }
        });
        FakeHttp { addr, seen, task }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.requests().len()
    }
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut s: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Recorded>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<String> = lines.map(String::from).collect();
    let len = headers
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + 4 + len {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body_end = buf.len().min(head_end + 4 + len);
    let body = String::from_utf8_lossy(&buf[head_end + 4..body_end]).into_owned();
    if let Ok(mut v) = log.lock() {
        v.push(Recorded {
            request_line,
            headers,
            body,
        });
    }
    match reply {
        Reply::Stall => std::future::pending::<()>().await,
        Reply::Raw(bytes) => {
            let _ = s.write_all(bytes.as_bytes()).await;
            let _ = s.shutdown().await;
        }
        Reply::Json(status, body) => {
            let resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    }
}
