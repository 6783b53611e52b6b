//! One conformance suite over the eight server models. Each case runs once per model
//! (`model_test!`, in the style of ripgrep's `rgtest!`), against its own `herd flash`
//! process on 127.0.0.1:0 (see `flash/support.rs` for why a process). This file: the
//! protocol cases, and `herd flash`'s own help, errors and `compare`; the cases that
//! depend on time (concurrency, timeouts, limits, SIGTERM) are in `flash_timing.rs`. One
//! case for every model: `cargo test -p herd-cli --test flash pipelining`; every case for
//! one model: `cargo test -p herd-cli --test flash --test flash_timing epoll_pool`.

mod support;
#[macro_use]
#[path = "flash/support.rs"]
mod flash_support;

use std::time::Duration;

use flash::Model;
use flash_support::*;
use support::{succeed, HERD};

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
    succeed(
        std::process::Command::new(HERD)
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
            // 1 s cells: a 300 ms cell measured no request at all at times on a loaded
            // machine (a benchmark running beside the tests).
            .args(["-d", "1s", "--warmup", "200ms", "--nginx", "none"])
            .arg("--out")
            .arg(&md)
            .arg("--chart")
            .arg(&svg)
            .arg("--json")
            .arg(&json),
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
