//! Test support: a fake upstream that can be told to be slow, fail, hang, answer 404 or
//! 500, and send Cache-Control or an ETag; a relay started on 127.0.0.1:0; a real
//! `redis-server` on a free port.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use relay::RelayConfig;
use tokio::net::TcpListener;

/// What the fake answers.
#[derive(Clone, Debug)]
pub struct Mode {
    pub status: u16,
    pub body: String,
    pub cache_control: Option<String>,
    pub etag: Option<String>,
    pub delay: Duration,
    pub hang: bool,
    pub retry_after: Option<String>,
}

impl Mode {
    pub fn ok(body: &str) -> Mode {
        Mode {
            status: 200,
            body: body.to_string(),
            cache_control: None,
            etag: None,
            delay: Duration::ZERO,
            hang: false,
            retry_after: None,
        }
    }
    pub fn cc(mut self, cc: &str) -> Mode {
        self.cache_control = Some(cc.to_string());
        self
    }
    pub fn etag(mut self, e: &str) -> Mode {
        self.etag = Some(e.to_string());
        self
    }
    pub fn status(mut self, s: u16) -> Mode {
        self.status = s;
        self
    }
    pub fn delay(mut self, d: Duration) -> Mode {
        self.delay = d;
        self
    }
    pub fn hang(mut self) -> Mode {
        self.hang = true;
        self
    }
}

#[derive(Debug)]
pub struct FakeState {
    pub mode: Mutex<Mode>,
    pub hits: AtomicUsize,
    pub not_modified: AtomicUsize,
    pub seen: Mutex<Vec<(String, Option<String>)>>,
}

/// A fake upstream on 127.0.0.1:0, served by netkit like every server here.
#[derive(Debug)]
pub struct Fake {
    pub addr: SocketAddr,
    pub state: Arc<FakeState>,
    stop: netkit::Shutdown,
}

impl Fake {
    pub async fn start(mode: Mode) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Fake::on(listener, mode)
    }

    pub fn on(listener: TcpListener, mode: Mode) -> Fake {
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(FakeState {
            mode: Mutex::new(mode),
            hits: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        });
        let stop = netkit::Shutdown::new();
        let st = state.clone();
        let sd = stop.clone();
        tokio::spawn(netkit::serve(
            listener,
            netkit::Limits::for_test(),
            sd,
            move |conn| {
                let st = st.clone();
                async move {
                    let svc = hyper::service::service_fn(move |req| answer(st.clone(), req));
                    netkit::serve_http(conn, svc).await
                }
            },
        ));
        Fake { addr, state, stop }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Stop listening (connections are then refused).
    pub async fn stop(&self) {
        self.stop.trigger();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn answer(
    st: Arc<FakeState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    st.hits.fetch_add(1, Ordering::SeqCst);
    let inm = req
        .headers()
        .get(http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    st.seen
        .lock()
        .unwrap()
        .push((req.uri().to_string(), inm.clone()));
    let mode = st.mode.lock().unwrap().clone();
    if mode.hang {
        std::future::pending::<()>().await;
    }
    if !mode.delay.is_zero() {
        tokio::time::sleep(mode.delay).await;
    }
    let not_modified = mode.etag.is_some() && inm == mode.etag;
    let mut resp = if not_modified {
        st.not_modified.fetch_add(1, Ordering::SeqCst);
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Full::new(Bytes::from(mode.body.clone())));
        *r.status_mut() = StatusCode::from_u16(mode.status).unwrap();
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        r
    };
    let h = resp.headers_mut();
    if let Some(cc) = &mode.cache_control {
        h.insert("cache-control", HeaderValue::from_str(cc).unwrap());
    }
    if let Some(e) = &mode.etag {
        h.insert("etag", HeaderValue::from_str(e).unwrap());
    }
    if let Some(r) = &mode.retry_after {
        h.insert("retry-after", HeaderValue::from_str(r).unwrap());
    }
    Ok(resp)
}

/// A relay on 127.0.0.1:0 with an admin listener; stops when dropped.
#[derive(Debug)]
pub struct Relay {
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<Result<(), relay::Error>>>,
}

impl Relay {
    pub async fn start(cfg: RelayConfig) -> Relay {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (addr, admin) = (l.local_addr().unwrap(), a.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(relay::run_with_admin(l, Some(a), cfg, rx));
        Relay {
            addr,
            admin,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin)
    }

    /// Stop and wait (cache writes flushed).
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// One GET (or other method): status, X-Cache, Age, body.
pub struct Got {
    pub status: u16,
    pub x_cache: String,
    pub age: Option<u64>,
    pub content_type: Option<String>,
    pub body: String,
    pub headers: http::HeaderMap,
}

pub async fn send(method: reqwest::Method, url: &str) -> Got {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = client.request(method, url).send().await.unwrap();
    let headers = r.headers().clone();
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    Got {
        status: r.status().as_u16(),
        x_cache: h("x-cache").unwrap_or_default(),
        age: h("age").and_then(|a| a.parse().ok()),
        content_type: h("content-type"),
        headers: headers.clone(),
        body: r.text().await.unwrap(),
    }
}

pub async fn get(url: &str) -> Got {
    send(reqwest::Method::GET, url).await
}

/// A port nothing listens on.
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("herd-relay-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A real redis-server on a free port with its own directory; killed on drop.
pub struct Redis {
    pub url: String,
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl Redis {
    pub fn start() -> Redis {
        let port = dead_port();
        let dir = temp_dir("redis");
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect(
                "redis-server must be installed for this test (apt-get install -y redis-server)",
            );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis {
            url: format!("redis://127.0.0.1:{port}/"),
            child,
            dir,
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Poll `f` until true or 5 s pass.
pub async fn eventually<F, Fut>(mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..500 {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}
