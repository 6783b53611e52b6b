//! The handler without sockets: static files, CGI and the app, request by request.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_wire::Request;

use crate::testdir::{test_root, TestDir};
use crate::{Body, Config, Handler, Model, Reply};

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}
fn local() -> SocketAddr {
    "127.0.0.1:8080".parse().unwrap()
}

fn handler(root: &TestDir) -> Handler {
    let mut c = Config::for_test(Model::Thread, root.path());
    c.cgi_timeout = Duration::from_millis(800);
    c.cgi_max_output = 1024 * 1024;
    Handler::new(&c).unwrap()
}

fn req(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    let mut h: Vec<(String, Vec<u8>)> = vec![("Host".into(), b"localhost:8080".to_vec())];
    h.extend(
        headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
    );
    Request {
        method: method.into(),
        target: target.into(),
        version: 1,
        headers: h,
        body: body.to_vec(),
    }
}

fn get(h: &Handler, target: &str) -> Reply {
    h.handle(&req("GET", target, &[], b""), peer(), local())
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a [u8]> {
    r.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

fn body(r: &Reply) -> Vec<u8> {
    match &r.body {
        Body::Empty => Vec::new(),
        Body::Bytes(b) => b.to_vec(),
        Body::File { file, offset, len } => {
            use std::os::unix::fs::FileExt;
            let mut v = vec![0; *len as usize];
            file.read_exact_at(&mut v, *offset).unwrap();
            v
        }
    }
}

/// Index, files byte-exact with their types, 404, directory redirect, HEAD, 405.
#[test]
fn static_files() {
    let root = test_root();
    let h = handler(&root);
    let index = get(&h, "/");
    assert_eq!(index.status, 200);
    assert!(String::from_utf8(body(&index))
        .unwrap()
        .contains("<h1>flash</h1>"));
    let small = get(&h, "/small.html");
    assert_eq!(
        (small.status, body(&small)),
        (200, crate::site::small_html())
    );
    assert_eq!(
        header(&small, "content-type"),
        Some(&b"text/html; charset=utf-8"[..])
    );
    let big = get(&h, "/big.bin");
    assert!(
        matches!(big.body, Body::File { .. }),
        "large files go out with sendfile"
    );
    assert_eq!(body(&big), crate::site::big_bin());
    assert_eq!(get(&h, "/nothing.html").status, 404);
    assert_eq!(get(&h, "/small.html/").status, 404);
    root.write("docs/index.html", b"docs");
    let r = get(&h, "/docs?x=1");
    assert_eq!(
        (r.status, header(&r, "location")),
        (301, Some(&b"/docs/?x=1"[..]))
    );
    assert_eq!(body(&get(&h, "/docs/")), b"docs");
    root.write("empty/.keep", b"");
    assert_eq!(get(&h, "/empty/").status, 403);
    let post = h.handle(&req("POST", "/small.html", &[], b"x"), peer(), local());
    assert_eq!(
        (post.status, header(&post, "allow")),
        (405, Some(&b"GET, HEAD"[..]))
    );
}

/// `..` (plain or encoded), NUL and links out of the root are refused.
#[test]
fn traversal_refused() {
    let root = test_root();
    let outside = TestDir::new();
    outside.write("secret.txt", b"secret");
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        root.path().join("link.txt"),
    )
    .unwrap();
    let h = handler(&root);
    for t in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/a/../../etc/passwd",
        "/%2E%2E%2Fetc%2Fpasswd",
    ] {
        assert_eq!(get(&h, t).status, 403, "{t}");
    }
    assert_eq!(get(&h, "/small.html%00.txt").status, 400);
    assert_eq!(get(&h, "/link.txt").status, 403);
}

/// If-Modified-Since gives 304; Range gives 206 or 416; If-Range with another date
/// gives the whole file.
#[test]
fn conditional_and_range() {
    let root = test_root();
    let h = handler(&root);
    let r = get(&h, "/big.bin");
    let lm = String::from_utf8(header(&r, "last-modified").unwrap().to_vec()).unwrap();
    let ims = h.handle(
        &req("GET", "/big.bin", &[("If-Modified-Since", &lm)], b""),
        peer(),
        local(),
    );
    assert_eq!((ims.status, ims.body.len()), (304, 0));
    let old = h.handle(
        &req(
            "GET",
            "/big.bin",
            &[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")],
            b"",
        ),
        peer(),
        local(),
    );
    assert_eq!(old.status, 200);
    let part = h.handle(
        &req("GET", "/big.bin", &[("Range", "bytes=1000-1999")], b""),
        peer(),
        local(),
    );
    assert_eq!(part.status, 206);
    assert_eq!(
        header(&part, "content-range"),
        Some(&b"bytes 1000-1999/1048576"[..])
    );
    assert_eq!(body(&part), crate::site::big_bin()[1000..2000].to_vec());
    let tail = h.handle(
        &req("GET", "/small.html", &[("Range", "bytes=-10")], b""),
        peer(),
        local(),
    );
    assert_eq!(body(&tail), crate::site::small_html()[590..].to_vec());
    let none = h.handle(
        &req("GET", "/big.bin", &[("Range", "bytes=2000000-")], b""),
        peer(),
        local(),
    );
    assert_eq!(
        (none.status, header(&none, "content-range")),
        (416, Some(&b"bytes */1048576"[..]))
    );
    let stale = h.handle(
        &req(
            "GET",
            "/big.bin",
            &[
                ("Range", "bytes=0-9"),
                ("If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ],
            b"",
        ),
        peer(),
        local(),
    );
    assert_eq!(stale.status, 200);
}

/// CGI: query string and body reach the script, meta-variables are set, HTTP_* passed,
/// Proxy and Authorization are not.
#[test]
fn cgi_environment_and_body() {
    let root = test_root();
    let h = handler(&root);
    let r = h.handle(
        &req(
            "POST",
            "/cgi-bin/echo.sh?a=1&b=two",
            &[("Content-Type", "text/x-test")],
            b"posted body",
        ),
        peer(),
        local(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8(body(&r)).unwrap(),
        "method=POST query=a=1&b=two length=11 type=text/x-test\nposted body"
    );
    let r = h.handle(
        &req(
            "GET",
            "/cgi-bin/env.sh/extra/path?q=%20x",
            &[
                ("X-Custom", "v1"),
                ("Proxy", "http://evil"),
                ("Authorization", "Basic c2VjcmV0"),
                ("X_Under", "u"),
            ],
            b"",
        ),
        peer(),
        local(),
    );
    let env = String::from_utf8(body(&r)).unwrap();
    for want in [
        "GATEWAY_INTERFACE=CGI/1.1",
        "REQUEST_METHOD=GET",
        "QUERY_STRING=q=%20x",
        "PATH_INFO=/extra/path",
        "SCRIPT_NAME=/cgi-bin/env.sh",
        "SERVER_NAME=localhost",
        "SERVER_PORT=8080",
        "REMOTE_ADDR=127.0.0.1",
        "SERVER_PROTOCOL=HTTP/1.1",
        "HTTP_X_CUSTOM=v1",
        "HTTP_HOST=localhost:8080",
    ] {
        assert!(env.lines().any(|l| l == want), "{want} missing from\n{env}");
    }
    for banned in [
        "HTTP_PROXY",
        "HTTP_AUTHORIZATION",
        "HTTP_X_UNDER",
        "CONTENT_LENGTH",
    ] {
        assert!(!env.contains(banned), "{banned} in\n{env}");
    }
}

/// Script statuses, redirects and failures map to the right answers.
#[test]
fn cgi_outcomes() {
    let root = test_root();
    let h = handler(&root);
    let r = get(&h, "/cgi-bin/status.sh");
    assert_eq!(
        (r.status, header(&r, "x-brew"), header(&r, "connection")),
        (418, Some(&b"tea"[..]), None)
    );
    let r = get(&h, "/cgi-bin/redirect.sh");
    assert_eq!((r.status, body(&r)), (200, crate::site::small_html()));
    let r = get(&h, "/cgi-bin/away.sh");
    assert_eq!(
        (r.status, header(&r, "location")),
        (302, Some(&b"http://example.com/elsewhere"[..]))
    );
    assert_eq!(get(&h, "/cgi-bin/fail.sh").status, 502);
    assert_eq!(get(&h, "/cgi-bin/garbage.sh").status, 502);
    assert_eq!(get(&h, "/cgi-bin/big.sh").status, 502);
    assert_eq!(get(&h, "/cgi-bin/noexec.sh").status, 403);
    assert_eq!(get(&h, "/cgi-bin/missing.sh").status, 404);
    assert_eq!(get(&h, "/cgi-bin/").status, 404);
    let t = Instant::now();
    assert_eq!(get(&h, "/cgi-bin/sleep.sh").status, 504);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// A script killed on timeout leaves no process behind (its group is killed and reaped).
#[test]
fn cgi_timeout_leaves_nothing() {
    let root = test_root();
    let h = handler(&root);
    assert_eq!(get(&h, "/cgi-bin/sleep.sh").status, 504);
    let mine = std::process::id().to_string();
    let children = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
            after.split_whitespace().nth(1) == Some(mine.as_str()) && stat.contains("(sleep")
        })
        .count();
    assert_eq!(children, 0);
}

/// The app: hello names the model, echo returns the body, slow sleeps, bad input is 400.
#[test]
fn app() {
    let root = test_root();
    let h = handler(&root);
    assert_eq!(
        body(&get(&h, "/app/hello")),
        b"Hello from the thread model\n"
    );
    let r = h.handle(
        &req(
            "POST",
            "/app/echo",
            &[("Content-Type", "application/json")],
            b"{\"a\":1}",
        ),
        peer(),
        local(),
    );
    assert_eq!(
        (body(&r), header(&r, "content-type")),
        (b"{\"a\":1}".to_vec(), Some(&b"application/json"[..]))
    );
    let t = Instant::now();
    assert_eq!(get(&h, "/app/slow?ms=150").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(get(&h, "/app/slow").status, 400);
    assert_eq!(get(&h, "/app/nope").status, 404);
    assert!(h.may_block(&req("GET", "/app/slow?ms=1", &[], b"")));
    assert!(h.may_block(&req("GET", "/cgi-bin/x", &[], b"")));
    assert!(!h.may_block(&req("GET", "/small.html", &[], b"")));
}
