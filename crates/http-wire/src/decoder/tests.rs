//! Unit tests of the decoder: every limit at its edge and one past it, the keep-alive and
//! framing rules, 100-continue and pipelining.

use super::*;

fn limits() -> DecodeLimits {
    DecodeLimits {
        max_request_line: 64,
        max_head: 128,
        max_headers: 4,
        max_body: 16,
    }
}

/// Decode `raw` fed whole; the first outcome that is not Continue.
fn one(raw: &[u8], l: DecodeLimits) -> Result<Step, Reject> {
    let mut d = Decoder::new(l);
    loop {
        match d.decode(raw)? {
            Step::Continue => continue,
            s => return Ok(s),
        }
    }
}

fn request(raw: &[u8], l: DecodeLimits) -> Decoded {
    match one(raw, l) {
        Ok(Step::Request(d)) => d,
        other => panic!(
            "expected a request from {:?}, got {other:?}",
            String::from_utf8_lossy(raw)
        ),
    }
}

/// A head of exactly max_head bytes is accepted; one byte more is 431.
#[test]
fn head_limit_edge() {
    let base = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
    let pad = 128 - base.len() - 4;
    let mut at = base.clone();
    at.extend(std::iter::repeat_n(b'a', pad));
    at.extend_from_slice(b"\r\n\r\n");
    assert_eq!(at.len(), 128);
    assert_eq!(request(&at, limits()).consumed, 128);
    let mut past = base;
    past.extend(std::iter::repeat_n(b'a', pad + 1));
    past.extend_from_slice(b"\r\n\r\n");
    assert_eq!(one(&past, limits()), Err(Reject::HeadTooLarge));
    // Still incomplete but already over: refused without waiting for the end.
    assert_eq!(one(&[b'a'; 129], limits()), Err(Reject::HeadTooLarge));
    assert_eq!(one(&[b'a'; 128], limits()), Ok(Step::Incomplete));
}

/// A request line of exactly max_request_line bytes is accepted; one more is 414.
#[test]
fn request_line_edge() {
    let line = |n: usize| {
        let mut v = b"GET /".to_vec();
        v.extend(std::iter::repeat_n(b'a', n - 5 - 9));
        v.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
        v
    };
    assert_eq!(
        request(&line(64), limits()).request.target.len(),
        64 - 14 + 1
    );
    assert_eq!(one(&line(65), limits()), Err(Reject::UriTooLong));
}

/// max_headers header lines are accepted; one more is 431.
#[test]
fn header_count_edge() {
    let with = |n: usize| {
        let mut v = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 1..n {
            v.extend_from_slice(format!("X{i}: v\r\n").as_bytes());
        }
        v.extend_from_slice(b"\r\n");
        v
    };
    assert_eq!(request(&with(4), limits()).request.headers.len(), 4);
    assert_eq!(one(&with(5), limits()), Err(Reject::TooManyHeaders));
}

/// Bodies of exactly max_body bytes are accepted, by length and chunked; one more is 413.
#[test]
fn body_limit_edge() {
    let by_length = |n: usize| {
        let mut v =
            format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {n}\r\n\r\n").into_bytes();
        v.extend(std::iter::repeat_n(b'b', n));
        v
    };
    assert_eq!(
        request(&by_length(16), limits()).request.body,
        vec![b'b'; 16]
    );
    assert_eq!(one(&by_length(17), limits()), Err(Reject::BodyTooLarge));
    let chunked = |sizes: &[usize]| {
        let mut v = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for &s in sizes {
            v.extend_from_slice(format!("{s:x}\r\n").as_bytes());
            v.extend(std::iter::repeat_n(b'c', s));
            v.extend_from_slice(b"\r\n");
        }
        v.extend_from_slice(b"0\r\n\r\n");
        v
    };
    assert_eq!(request(&chunked(&[10, 6]), limits()).request.body.len(), 16);
    assert_eq!(one(&chunked(&[10, 7]), limits()), Err(Reject::BodyTooLarge));
}

/// Keep-alive by version and Connection; TE with CL is served but closes.
#[test]
fn keep_alive_rules() {
    let l = DecodeLimits::default();
    assert!(request(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", l).keep_alive);
    assert!(!request(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", l).keep_alive);
    assert!(!request(b"GET / HTTP/1.0\r\n\r\n", l).keep_alive);
    assert!(request(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", l).keep_alive);
    let both = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
    let d = request(both, l);
    assert_eq!(
        (d.request.body.as_slice(), d.keep_alive, d.consumed),
        (&b"ab"[..], false, both.len())
    );
}

/// Framing errors: each with its status.
#[test]
fn framing_errors() {
    let l = DecodeLimits::default();
    let cases: [(&[u8], u16); 10] = [
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            501,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n",
            400,
        ),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417),
    ];
    for (raw, status) in cases {
        match one(raw, l) {
            Err(r) => assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(raw)),
            ok => panic!("{} accepted: {ok:?}", String::from_utf8_lossy(raw)),
        }
    }
    assert_eq!(
        one(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc",
            l
        )
        .map(|s| matches!(s, Step::Request(_))),
        Ok(true)
    );
    for garbage in [
        &b"\x16\x03\x01\x02\x00\r\n\r\n"[..],
        b"hello there\r\n\r\n",
        b"GET\r\n\r\n",
    ] {
        assert_eq!(one(garbage, l).map_err(Reject::status), Err(400));
    }
}

/// Chunk syntax: CRLF after data, hex sizes, extensions and trailers.
#[test]
fn chunk_syntax() {
    let l = DecodeLimits::default();
    let head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    let with = |body: &[u8]| [&head[..], body].concat();
    let ok = with(b"3;name=value\r\nabc\r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n");
    assert_eq!(request(&ok, l).request.body, b"abc0123456789");
    for bad in [
        &b"3\r\nabcX\r\n0\r\n\r\n"[..],
        b"+3\r\nabc\r\n",
        b" 3\r\nabc\r\n",
        b"3\nabc\r\n",
        b"x\r\n",
    ] {
        assert!(
            matches!(one(&with(bad), l), Err(Reject::BadRequest(_))),
            "{bad:?}"
        );
    }
    assert_eq!(
        one(&with(b"fffffffffffffffffffff\r\n"), l),
        Err(Reject::BodyTooLarge)
    );
    let mut long = with(b"1;");
    long.extend(std::iter::repeat_n(b'x', 2000));
    assert!(matches!(one(&long, l), Err(Reject::BadRequest(_))));
}

/// Expect: 100-continue yields Continue once, only before any body byte, only in 1.1.
#[test]
fn expect_continue() {
    let l = DecodeLimits::default();
    let head = b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    let mut d = Decoder::new(l);
    let mut buf = head.to_vec();
    assert_eq!(d.decode(&buf), Ok(Step::Continue));
    assert_eq!(d.decode(&buf), Ok(Step::Incomplete));
    buf.extend_from_slice(b"ok");
    assert!(matches!(d.decode(&buf), Ok(Step::Request(r)) if r.request.body == b"ok"));
    // The body already started: no interim response.
    let mut d = Decoder::new(l);
    assert_eq!(d.decode(&[&head[..], b"o"].concat()), Ok(Step::Incomplete));
    // Too large: 413 instead of Continue, so the client never sends the body.
    let big =
        b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 9999999\r\n\r\n";
    assert_eq!(Decoder::new(l).decode(big), Err(Reject::BodyTooLarge));
    let old = b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    assert_eq!(Decoder::new(l).decode(old), Ok(Step::Incomplete));
}

/// Pipelined requests come out one at a time, in order; leading empty lines are skipped.
#[test]
fn pipelining() {
    let l = DecodeLimits::default();
    let mut buf = b"\r\nGET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nxGET /3 HTTP/1.1\r\nHost: h\r\n\r\n".to_vec();
    let mut d = Decoder::new(l);
    let mut seen = Vec::new();
    while let Ok(Step::Request(r)) = d.decode(&buf) {
        seen.push(r.request.target);
        buf.drain(..r.consumed);
    }
    assert_eq!(seen, ["/1", "/2", "/3"]);
    assert!(buf.is_empty());
}

/// A chunked body trickled in one byte at a time costs linear work: 256 KiB in single
/// bytes finishes quickly (a re-parse per read would take minutes).
#[test]
fn trickle_is_linear() {
    let l = DecodeLimits::default();
    let mut raw = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..64 {
        raw.extend_from_slice(b"1000\r\n");
        raw.extend(std::iter::repeat_n(b'z', 0x1000));
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let start = std::time::Instant::now();
    let mut d = Decoder::new(l);
    let mut got = None;
    for end in 1..=raw.len() {
        if let Step::Request(r) = d.decode(&raw[..end]).unwrap() {
            got = Some(r);
        }
    }
    assert_eq!(got.map(|r| r.request.body.len()), Some(64 * 0x1000));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
