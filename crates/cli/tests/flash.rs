//! One conformance suite over the eight server models. Each case runs once per model
//! (`model_test!`, in the style of ripgrep's `rgtest!`), against its own `herd flash`
//! process on 127.0.0.1:0 (see `flash/support.rs` for why a process). One case for every
//! model: `cargo test -p herd-cli --test flash pipelining`; every case for one model:
//! `cargo test -p herd-cli --test flash epoll_pool`.

#[path = "flash/support.rs"]
mod support;

use std::time::{Duration, Instant};

use flash::Model;
use support::*;

/// `model_test!(name, flags, |srv| { ... })`: a module `name` with one test per model,
/// each starting `herd flash --model M` with `flags` and running the body against it.
macro_rules! model_test {
    ($name:ident, $flags:expr, |$srv:ident| $body:block) => {
        mod $name {
            use super::*;

            fn case($srv: &mut Server) $body

            fn run(model: Model) {
                let mut srv = Server::start(model, $flags);
                case(&mut srv);
            }

            #[test]
            fn sequential() {
                run(Model::Sequential)
            }
            #[test]
            fn fork() {
                run(Model::Fork)
            }
            #[test]
            fn thread() {
                run(Model::Thread)
            }
            #[test]
            fn epoll() {
                run(Model::Epoll)
            }
            #[test]
            fn epoll_pool() {
                run(Model::EpollPool)
            }
            #[test]
            fn prefork() {
                run(Model::Prefork)
            }
            #[test]
            fn worker() {
                run(Model::Worker)
            }
            #[test]
            fn tokio() {
                run(Model::Tokio)
            }
        }
    };
}

// The index page is served for `/`, with its content type.
model_test!(index, &[], |srv| {
    let r = srv.get("/");
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("<h1>flash</h1>"));
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    assert!(header(&r, "last-modified").is_some() && header(&r, "date").is_some());
});

// A 1 MiB file (sent with sendfile) and the 600-byte file arrive byte-exact; a Range
// request gets exactly its bytes.
model_test!(files_byte_exact, &[], |srv| {
    let big = srv.get("/big.bin");
    assert_eq!(big.status, 200);
    assert!(big.body == flash::site::big_bin(), "1 MiB body differs");
    assert_eq!(srv.get("/small.html").body, flash::site::small_html());
    let mut s = srv.connect();
    s.send(
        "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=1000-1999\r\nConnection: close\r\n\r\n",
    );
    let r = s.response(false);
    assert_eq!(
        (r.status, header(&r, "content-range")),
        (206, Some("bytes 1000-1999/1048576"))
    );
    assert!(r.body == flash::site::big_bin()[1000..2000]);
});

// A missing file is 404; a directory without a slash is redirected.
model_test!(not_found, &[], |srv| {
    assert_eq!(srv.get("/no/such/file.html").status, 404);
    srv.root.write("sub/index.html", b"sub");
    let r = srv.get("/sub");
    assert_eq!((r.status, header(&r, "location")), (301, Some("/sub/")));
});

// `..` plain or percent-encoded, and a symbolic link out of the root, are refused; NUL
// is a bad request.
model_test!(traversal_refused, &[], |srv| {
    std::os::unix::fs::symlink("/etc/passwd", srv.root.path().join("leak")).unwrap();
    for t in [
        "/../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/cgi-bin/../../etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/leak",
    ] {
        let r = srv.get(t);
        assert_eq!(r.status, 403, "{t}");
        assert!(!String::from_utf8_lossy(&r.body).contains("root:"), "{t}");
    }
    assert_eq!(srv.get("/small.html%00.txt").status, 400);
});

// CGI: the query string reaches the script; a POST body arrives on its stdin.
model_test!(cgi_query_and_post, &[], |srv| {
    let r = srv.get("/cgi-bin/hello.sh?name=conformance");
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).starts_with("Hello, conformance!\n"));
    let mut s = srv.connect();
    s.send("POST /cgi-bin/echo.sh?x=1&y=2 HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
    let r = s.response(false);
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "method=POST query=x=1&y=2 length=11 type=text/plain\nhello world"
    );
    assert_eq!(srv.get("/cgi-bin/fail.sh").status, 502);
});

// Two requests on one keep-alive connection; HTTP/1.0 closes unless asked not to.
model_test!(keep_alive_two_requests, &[], |srv| {
    let mut s = srv.connect();
    for _ in 0..2 {
        s.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
        let r = s.response(false);
        assert_eq!(
            (r.status, r.body.len(), header(&r, "connection")),
            (200, 600, None)
        );
    }
    let mut s = srv.connect();
    s.send("GET /small.html HTTP/1.0\r\n\r\n");
    assert_eq!(s.response(false).status, 200);
    assert!(s.closed_within(Duration::from_secs(3)));
    let mut s = srv.connect();
    for _ in 0..2 {
        s.send("GET /small.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let r = s.response(false);
        assert_eq!(
            (r.status, header(&r, "connection")),
            (200, Some("keep-alive"))
        );
    }
});

// Pipelined requests sent in one write are answered in order (HEAD without a body).
model_test!(pipelining, &[], |srv| {
    let mut s = srv.connect();
    s.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\nHEAD /small.html HTTP/1.1\r\nHost: t\r\n\r\nGET /app/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let a = s.response(false);
    let b = s.response(true);
    let c = s.response(false);
    assert_eq!((a.status, a.body.len()), (200, 600));
    assert_eq!(
        (b.status, b.body.len(), header(&b, "content-length")),
        (200, 0, Some("600"))
    );
    assert_eq!(
        c.body,
        format!("Hello from the {} model\n", srv.model).into_bytes()
    );
    assert!(s.closed_within(Duration::from_secs(3)));
});

// Garbage is answered 400 and the connection closed.
model_test!(garbage_is_400, &[], |srv| {
    let mut s = srv.connect();
    use std::io::Write;
    s.stream
        .write_all(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n")
        .unwrap();
    assert_eq!(s.response(false).status, 400);
    assert!(s.closed_within(Duration::from_secs(3)));
});

/// A request head of exactly `len` bytes.
fn head_of(len: usize) -> String {
    let base = "GET /small.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Pad: ";
    format!("{base}{}\r\n\r\n", "a".repeat(len - base.len() - 4))
}

// A head of exactly 8 KiB is served; one byte more is 431.
model_test!(oversized_headers_431, &[], |srv| {
    let mut s = srv.connect();
    s.send(&head_of(8192));
    assert_eq!(s.response(false).status, 200);
    let mut s = srv.connect();
    s.send(&head_of(8193));
    assert_eq!(s.response(false).status, 431);
});

// A body of exactly --max-body-bytes is accepted; one byte more is 413.
model_test!(body_limit_413, &["--max-body-bytes", "4096"], |srv| {
    for (len, status) in [(4096, 200), (4097, 413)] {
        let mut s = srv.connect();
        s.send(&format!("POST /app/echo HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{}", "b".repeat(len)));
        let r = s.response(false);
        assert_eq!(r.status, status, "{len} bytes");
        if status == 200 {
            assert_eq!(r.body.len(), len);
        }
    }
});

// Expect: 100-continue gets the interim response before the body is sent.
model_test!(expect_continue, &[], |srv| {
    let mut s = srv.connect();
    s.send("POST /app/echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
    let interim = s.raw_until(b"\r\n\r\n");
    assert!(
        interim.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{:?}",
        String::from_utf8_lossy(&interim)
    );
    s.send("hello");
    let r = s.response(false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
});

// Transfer-Encoding with Content-Length is served, then the connection is closed.
model_test!(te_with_cl_closes, &[], |srv| {
    let mut s = srv.connect();
    s.send("POST /app/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    let r = s.response(false);
    assert_eq!(
        (r.status, r.body.as_slice(), header(&r, "connection")),
        (200, &b"abc"[..], Some("close"))
    );
    assert!(s.closed_within(Duration::from_secs(3)));
});

// 20 concurrent clients are answered while one client sits idle on a connection; the
// sequential model, by design, serves them only once the idle one is timed out.
model_test!(
    concurrent_while_one_idles,
    &["--header-timeout", "6s"],
    |srv| {
        let _idle = srv.connect();
        std::thread::sleep(Duration::from_millis(200));
        let start = Instant::now();
        let addr = srv.addr;
        let clients: Vec<_> = (0..20)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut s = Client::connect(addr);
                    s.send("GET /small.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                    s.response(false).status
                })
            })
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap(), 200);
        }
        let took = start.elapsed();
        if srv.model == Model::Sequential {
            assert!(
                took >= Duration::from_secs(4),
                "sequential served others while one idled: {took:?}"
            );
        } else {
            assert!(took < Duration::from_secs(4), "{} took {took:?}", srv.model);
        }
    }
);

// /app/slow blocks other connections exactly in the models that say so.
model_test!(slow_blocks_where_the_model_says, &[], |srv| {
    let addr = srv.addr;
    let slow = std::thread::spawn(move || {
        let mut s = Client::connect(addr);
        s.send("GET /app/slow?ms=3000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        s.response(false).status
    });
    std::thread::sleep(Duration::from_millis(400));
    let start = Instant::now();
    assert_eq!(srv.get("/app/hello").status, 200);
    let waited = start.elapsed();
    if srv.model.slow_blocks_others() {
        assert!(
            waited >= Duration::from_millis(1500),
            "{} did not block: {waited:?}",
            srv.model
        );
    } else {
        assert!(
            waited < Duration::from_millis(1500),
            "{} blocked: {waited:?}",
            srv.model
        );
    }
    assert_eq!(slow.join().unwrap(), 200);
});

// A client trickling its head (slowloris) is cut off at the header timeout with 408.
model_test!(slowloris_is_cut_off, &[], |srv| {
    let mut s = srv.connect();
    s.send("GET /small.html HTTP/1.1\r\n");
    let mut w = s.stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for i in 0..40 {
            std::thread::sleep(Duration::from_millis(200));
            if std::io::Write::write_all(&mut w, format!("X-{i}: y\r\n").as_bytes()).is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    let r = s.try_response(false);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "still reading after {took:?}"
    );
    if let Ok(r) = r {
        assert_eq!(r.status, 408);
    }
    let _ = trickle.join();
});

// An idle keep-alive connection is closed after the idle timeout.
model_test!(idle_keep_alive_closed, &["--idle-timeout", "1s"], |srv| {
    let mut s = srv.connect();
    s.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(s.response(false).status, 200);
    let start = Instant::now();
    assert!(s.closed_within(Duration::from_secs(5)));
    assert!(start.elapsed() >= Duration::from_millis(800));
});

// At --max-connections 2, a third connection is not served until one of the two leaves
// (sequential holds one by design; tokio answers 503 from an overflow slot instead of
// leaving it in the accept queue).
model_test!(
    connection_limit,
    &[
        "--max-connections",
        "2",
        "--header-timeout",
        "10s",
        "--idle-timeout",
        "10s"
    ],
    |srv| {
        let cap = if srv.model == Model::Sequential { 1 } else { 2 };
        let mut held = Vec::new();
        for _ in 0..cap {
            let mut s = srv.connect();
            s.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
            assert_eq!(s.response(false).status, 200);
            held.push(s);
        }
        let mut extra = srv.connect();
        extra.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
        extra.read_timeout(Duration::from_millis(800));
        let refused = match extra.try_response(false) {
            Ok(r) => {
                assert_eq!(
                    (srv.model, r.status),
                    (Model::Tokio, 503),
                    "served past the limit"
                );
                true
            }
            Err(_) => false,
        };
        drop(held.pop());
        if refused {
            // The slot is free once the server has seen the close: retry briefly.
            let deadline = Instant::now() + Duration::from_secs(5);
            while srv.get("/small.html").status != 200 {
                assert!(Instant::now() < deadline, "no slot freed");
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            extra.read_timeout(Duration::from_secs(10));
            assert_eq!(extra.response(false).status, 200);
        }
    }
);

// SIGTERM: the request in progress is finished, the server exits 0, and no process it
// started (children, CGI scripts) is left, running or zombie.
model_test!(graceful_sigterm, &[], |srv| {
    assert_eq!(srv.get("/cgi-bin/hello.sh").status, 200);
    for _ in 0..3 {
        assert_eq!(srv.get("/small.html").status, 200);
    }
    std::thread::sleep(Duration::from_millis(400));
    let zombies: Vec<_> = children(srv.pid())
        .into_iter()
        .filter(|(_, st)| *st == 'Z')
        .collect();
    assert!(zombies.is_empty(), "zombies while running: {zombies:?}");
    let addr = srv.addr;
    let slow = std::thread::spawn(move || {
        let mut s = Client::connect(addr);
        s.send("GET /app/slow?ms=1000 HTTP/1.1\r\nHost: t\r\n\r\n");
        s.response(false).status
    });
    std::thread::sleep(Duration::from_millis(300));
    let procs = tree(srv.pid());
    let status = srv.terminate();
    assert!(status.success(), "{}: exit {status:?}", srv.model);
    assert_eq!(slow.join().unwrap(), 200);
    std::thread::sleep(Duration::from_millis(200));
    let left: Vec<_> = procs.into_iter().filter(|p| alive(*p)).collect();
    assert!(
        left.is_empty(),
        "{}: processes left after exit: {left:?}",
        srv.model
    );
});

const HERD: &str = env!("CARGO_BIN_EXE_herd");

/// `herd flash --help` and `herd flash compare --help` show examples.
#[test]
fn help_has_examples() {
    for args in [&["flash", "--help"][..], &["flash", "compare", "--help"]] {
        let out = std::process::Command::new(HERD)
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("Examples"),
            "{args:?}: {text}"
        );
    }
}

/// Bad flags give a one-line error and a non-zero exit.
#[test]
fn bad_flags_one_line_errors() {
    for (args, expect) in [
        (&["flash", "--model", "bogus"][..], "epoll-pool"),
        (
            &[
                "flash",
                "--model",
                "thread",
                "--workers",
                "4",
                "--listen",
                "127.0.0.1:0",
            ],
            "--workers does not apply",
        ),
        (
            &[
                "flash",
                "--model",
                "epoll",
                "--root",
                "/no/such/dir",
                "--listen",
                "127.0.0.1:0",
            ],
            "/no/such/dir",
        ),
        (&["flash", "compare", "--mixes", "huge"], "unknown mix"),
        (&["flash", "compare", "--models", "nginxx"], "unknown model"),
        (&["flash"], "--model"),
    ] {
        let out = std::process::Command::new(HERD)
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(
            err.trim()
                .lines()
                .filter(|l| l.starts_with("herd: error") || l.starts_with("error:"))
                .count()
                == 1,
            "{args:?}: {err}"
        );
    }
}

/// A small `herd flash compare` writes the table and the chart with every server asked for.
#[test]
fn compare_writes_table_and_chart() {
    let dir = flash::testdir::TestDir::new();
    let (md, svg, json) = (
        dir.path().join("c.md"),
        dir.path().join("c.svg"),
        dir.path().join("c.json"),
    );
    let out = std::process::Command::new(HERD)
        .args([
            "flash",
            "compare",
            "--models",
            "epoll,thread",
            "--mixes",
            "small,slow",
            "--connections",
            "1,4",
        ])
        .args(["-d", "300ms", "--warmup", "100ms", "--nginx", "none"])
        .arg("--out")
        .arg(&md)
        .arg("--chart")
        .arg(&svg)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = std::fs::read_to_string(&md).unwrap();
    for want in [
        "| epoll |",
        "| thread |",
        "small static file",
        "blocking handler",
        "4 conns",
    ] {
        assert!(table.contains(want), "{want} missing:\n{table}");
    }
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let cells = report["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2 * 2 * 2);
    assert!(
        cells.iter().all(|c| c["requests"].as_u64().unwrap() > 0),
        "{cells:?}"
    );
}
