//! `serve` over real loopback TCP: limits, overflow admission, timeouts and the drain.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netkit::{serve, Admission, Limits, Shutdown};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Start `serve` with a handler that writes its admission ("N" or "O") and then echoes
/// until EOF. Returns the address, the stop handle and the serve task.
async fn echo_server(
    limits: Limits,
) -> (
    std::net::SocketAddr,
    Shutdown,
    tokio::task::JoinHandle<netkit::Served>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sd = Shutdown::new();
    let task = tokio::spawn(serve(listener, limits, sd.clone(), |mut conn| async move {
        let tag: &[u8] = match conn.admission {
            Admission::Normal => b"N",
            Admission::Overflow => b"O",
        };
        if conn.stream.write_all(tag).await.is_err() {
            return;
        }
        let mut buf = [0u8; 1024];
        loop {
            tokio::select! {
                r = conn.stream.read(&mut buf) => match r {
                    Ok(n @ 1..) => {
                        if conn.stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                    _ => return,
                },
                _ = conn.shutdown.cancelled() => return,
            }
        }
    }));
    (addr, sd, task)
}

async fn tag(s: &mut TcpStream) -> Option<u8> {
    let mut b = [0u8; 1];
    match tokio::time::timeout(Duration::from_millis(300), s.read_exact(&mut b)).await {
        Ok(Ok(_)) => Some(b[0]),
        _ => None,
    }
}

/// Two normal slots, one overflow slot: the third connection is admitted as overflow, the
/// fourth waits in the accept queue until a slot frees, and is then served normally.
#[tokio::test]
async fn limit_then_overflow_then_queue() {
    let limits = Limits {
        max_connections: 2,
        overflow_connections: 1,
        ..Limits::for_test()
    };
    let (addr, sd, task) = echo_server(limits).await;
    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    assert_eq!(tag(&mut a).await, Some(b'N'));
    assert_eq!(tag(&mut b).await, Some(b'N'));
    let mut c = TcpStream::connect(addr).await.unwrap();
    assert_eq!(tag(&mut c).await, Some(b'O'));
    let mut d = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        tag(&mut d).await,
        None,
        "a fourth connection is past both limits"
    );
    drop(a);
    let mut b2 = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(5), d.read_exact(&mut b2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b2[0], b'N');
    sd.trigger();
    assert!(task.await.unwrap().clean);
}

/// A connection that sends nothing is closed after the idle timeout; an active one stays.
#[tokio::test]
async fn idle_connection_is_closed() {
    let limits = Limits {
        idle_timeout: Duration::from_millis(200),
        ..Limits::for_test()
    };
    let (addr, sd, _task) = echo_server(limits).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(tag(&mut s).await, Some(b'N'));
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("closed by the server within its idle timeout")
        .unwrap_or(0);
    assert_eq!(n, 0);
    sd.trigger();
}

/// On stop the listener closes at once, and a handler busy with work finishes it before
/// `serve` returns.
#[tokio::test]
async fn drain_finishes_work_in_hand() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sd = Shutdown::new();
    let finished = Arc::new(AtomicUsize::new(0));
    let f2 = finished.clone();
    let task = tokio::spawn(serve(
        listener,
        Limits::for_test(),
        sd.clone(),
        move |mut conn| {
            let f = f2.clone();
            async move {
                let mut b = [0u8; 1];
                let _ = conn.stream.read_exact(&mut b).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                let _ = conn.stream.write_all(b"done").await;
                f.fetch_add(1, Ordering::SeqCst);
            }
        },
    ));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"x").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    sd.trigger();
    let served = task.await.unwrap();
    assert!(served.clean);
    assert_eq!(finished.load(Ordering::SeqCst), 1);
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert_eq!(out, b"done");
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

/// A handler stuck past the grace period makes the drain report unclean, not hang.
#[tokio::test]
async fn drain_gives_up_after_grace() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sd = Shutdown::new();
    let limits = Limits {
        grace: Duration::from_millis(100),
        ..Limits::for_test()
    };
    let task = tokio::spawn(serve(listener, limits, sd.clone(), |_conn| async move {
        std::future::pending::<()>().await
    }));
    let _s = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    sd.trigger();
    let served = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert!(!served.clean);
}

/// HTTP through `serve_http`: a normal slot gets the service's answer, an overflow slot a
/// 503 with Retry-After, and an oversized head a 431.
#[tokio::test]
async fn http_normal_overflow_and_big_head() {
    use bytes::Bytes;
    use http_body_util::Full;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sd = Shutdown::new();
    let limits = Limits {
        max_connections: 1,
        overflow_connections: 1,
        ..Limits::for_test()
    };
    tokio::spawn(serve(listener, limits, sd.clone(), |conn| {
        netkit::serve_http(
            conn,
            hyper::service::service_fn(|_req| async {
                Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(
                    "hello",
                ))))
            }),
        )
    }));
    let mut a = TcpStream::connect(addr).await.unwrap();
    a.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let text = read_some(&mut a).await;
    assert!(
        text.starts_with("HTTP/1.1 200") && text.ends_with("hello"),
        "{text}"
    );
    let mut b = TcpStream::connect(addr).await.unwrap();
    b.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    b.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let _ = a.write_all(big.as_bytes()).await;
    let text = read_some(&mut a).await;
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    sd.trigger();
}

async fn read_some(s: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}
