//! An API key in the request URL (Google's legacy API puts it in the query) never reaches
//! an error's text (`Display` or `Debug`), a log line (ours, reqwest's or hyper's, at
//! TRACE), or what the metrics observer is given, whatever the provider does: refuse the
//! connection, stall, break off mid-body, answer 503, send too much, or send junk.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use upstream::{ErrorKind, Request, Upstream, UpstreamConfig};

const KEY: &str = "AIzaSECRET-5d1e-in-the-query";

/// What a fake provider does with each request.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Refused,
    Stall,
    MidBody,
    Unavailable503,
    TooLarge,
    Junk,
}

/// A fake provider; returns its base URL and the request lines it received.
async fn provider(mode: Mode) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/maps/api/place/nearbysearch/json",
        l.local_addr().unwrap()
    );
    if let Mode::Refused = mode {
        return (base, seen); // dropped: nothing listens there any more
    }
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                log.lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or("").to_string());
                let reply: &[u8] = match mode {
                    Mode::Stall => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    Mode::MidBody => b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"res",
                    Mode::Unavailable503 => {
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
                    }
                    Mode::TooLarge => b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{}",
                    Mode::Junk => b"SMTP READY\r\n\r\n",
                    Mode::Refused => return,
                };
                let _ = s.write_all(reply).await;
            });
        }
    });
    (base, seen)
}

/// Log lines written by every crate at every level, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every failure mode, with the key in the query: the error, its Debug, the observer's
/// arguments and every log line are free of it, while the key did reach the provider.
#[tokio::test]
async fn key_in_query_never_leaks() {
    let logs = Captured::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .try_init()
        .unwrap();
    let cases = [
        (Mode::Refused, ErrorKind::Connect),
        (Mode::Stall, ErrorKind::Timeout),
        (Mode::MidBody, ErrorKind::Connect),
        (Mode::Unavailable503, ErrorKind::Status),
        (Mode::TooLarge, ErrorKind::TooLarge),
        (Mode::Junk, ErrorKind::Invalid),
    ];
    let req = Request::get(format!("?location=1%2C2&radius=500&key={KEY}"));
    assert!(!format!("{req:?}").contains(KEY));
    for (mode, kind) in cases {
        let (base, seen) = provider(mode).await;
        let observed = Arc::new(Mutex::new(String::new()));
        let o = observed.clone();
        let cfg = UpstreamConfig {
            max_body_bytes: 10_000,
            ..UpstreamConfig::for_test()
        };
        let up = Upstream::new(&[base.as_str()], cfg)
            .unwrap()
            .with_observer(Arc::new(move |origin, _, failure| {
                let mut o = o.lock().unwrap();
                o.push_str(&format!("{origin} {failure:?}\n"));
            }));
        let deadline = Instant::now() + Duration::from_millis(400);
        let err = up.fetch(&req, deadline).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{mode:?}: {err}");
        for shown in [err.to_string(), format!("{err:?}"), format!("{up:?}")] {
            assert!(!shown.contains(KEY), "{mode:?}: {shown}");
            assert!(!shown.contains("radius="), "{mode:?}: {shown}");
        }
        let observed = observed.lock().unwrap().clone();
        assert!(
            observed.starts_with("http://127.0.0.1:"),
            "{mode:?}: {observed}"
        );
        assert!(!observed.contains(KEY), "{mode:?}: {observed}");
        if !matches!(mode, Mode::Refused) {
            let seen = seen.lock().unwrap();
            assert!(seen.iter().any(|l| l.contains(KEY)), "{mode:?}: {seen:?}");
        }
    }
    // Breakers now open for the 503 provider: the Unavailable error is clean too.
    let (base, _) = provider(Mode::Unavailable503).await;
    let up = Upstream::new(&[base.as_str()], UpstreamConfig::for_test()).unwrap();
    for _ in 0..3 {
        let _ = up
            .fetch(&req, Instant::now() + Duration::from_secs(2))
            .await;
    }
    let err = up
        .fetch(&req, Instant::now() + Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(!format!("{err} {err:?}").contains(KEY));

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    // The capture works (our debug line and reqwest's own connection line are in it) ...
    assert!(text.contains("upstream attempt failed"), "{text}");
    assert!(text.contains("starting new connection"), "{text}");
    // ... and holds no key and no query anywhere.
    assert!(!text.contains(KEY), "{text}");
    assert!(!text.contains("radius="), "{text}");
}

/// A retry gate that says no ends the fetch after the first attempt; one that says yes
/// lets the configured attempts through.
#[tokio::test]
async fn retry_gate_bounds_attempts() {
    for (allow, want) in [(false, 1), (true, 3)] {
        let (base, seen) = provider(Mode::Unavailable503).await;
        let asked = Arc::new(Mutex::new(0));
        let a = asked.clone();
        let up = Upstream::new(&[base.as_str()], UpstreamConfig::for_test())
            .unwrap()
            .with_retry_gate(Arc::new(move || {
                *a.lock().unwrap() += 1;
                allow
            }));
        let err = up
            .fetch(
                &Request::get("?q=1"),
                Instant::now() + Duration::from_secs(5),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Status);
        assert_eq!(seen.lock().unwrap().len(), want, "allow {allow}");
        assert_eq!(*asked.lock().unwrap(), if allow { 2 } else { 1 });
    }
}
