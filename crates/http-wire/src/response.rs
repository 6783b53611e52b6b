//! Responses: [`parse_response`], [`measure_response`], [`encode_response`] and
//! [`encode_response_head`].

use crate::body::{self, Framing};
use crate::{Error, Header, Limits};

/// A parsed response with its body decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Minor version.
    pub version: u8,
    /// Headers in order.
    pub headers: Vec<Header>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

/// What a load generator needs to know of a response, found without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    /// Status code.
    pub status: u16,
    /// Bytes of the whole response (head and body) in the buffer.
    pub len: usize,
    /// Whether the server keeps the connection open.
    pub keep_alive: bool,
}

/// Statuses that never have a body.
fn bodiless(status: u16, head_request: bool) -> bool {
    head_request || status == 204 || status == 304 || (100..200).contains(&status)
}

struct Head {
    status: u16,
    version: u8,
    head_len: usize,
    framing: Framing,
    keep_alive: bool,
}

/// Most interim (1xx) responses skipped before the final one. More is an error, so a
/// server cannot keep a client reading interim heads forever.
pub const MAX_INTERIM: usize = 8;

/// Whether a status is an interim response that the final one follows (RFC 9110 15.2).
/// 101 Switching Protocols is final: the connection stops speaking HTTP/1.1 after it.
fn interim(status: u16) -> bool {
    (100..200).contains(&status) && status != 101
}

/// Parse the head of the final response at the start of `buf`, skipping (up to
/// [`MAX_INTERIM`]) interim responses such as 100 Continue and 103 Early Hints. The
/// returned `head_len` counts from the start of `buf`, interim heads included.
fn head(
    buf: &[u8],
    limits: &Limits,
    head_request: bool,
    headers_out: Option<&mut Vec<Header>>,
) -> Result<Option<(Head, String)>, Error> {
    let mut start = 0;
    let mut skipped = 0;
    loop {
        let mut storage = [httparse::EMPTY_HEADER; 128];
        let n = limits.max_headers.min(storage.len());
        let mut resp = httparse::Response::new(&mut storage[..n]);
        let rest = &buf[start..];
        let Some(len) = crate::limits::head_len(resp.parse(rest)?, rest.len(), limits)? else {
            return Ok(None);
        };
        let status = resp.code.unwrap_or(0);
        if interim(status) {
            skipped += 1;
            if skipped > MAX_INTERIM {
                return Err(Error::Malformed("too many interim (1xx) responses"));
            }
            start += len;
            continue;
        }
        let version = resp.version.unwrap_or(1);
        let pairs = resp.headers.iter().map(|h| (h.name, h.value));
        let declared = body::framing_of(pairs, limits)?;
        let connection = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("connection"))
            .map(|h| h.value);
        let mut keep_alive = body::keep_alive(version, connection);
        let framing = if bodiless(status, head_request) {
            Framing::None
        } else {
            declared.unwrap_or(Framing::UntilClose)
        };
        if framing == Framing::UntilClose {
            keep_alive = false;
        }
        // Only the parsing path copies anything: measuring stays allocation-free.
        let mut reason = String::new();
        if let Some(out) = headers_out {
            out.extend(
                resp.headers
                    .iter()
                    .map(|h| (h.name.to_string(), h.value.to_vec())),
            );
            reason = resp.reason.unwrap_or("").to_string();
        }
        return Ok(Some((
            Head {
                status,
                version,
                head_len: start + len,
                framing,
                keep_alive,
            },
            reason,
        )));
    }
}

/// Find the extent of one response at the start of `buf` without copying it.
/// Interim 1xx responses before it (100 Continue, 103 Early Hints) are skipped: `status`
/// is the final one's and `len` covers them all. `Ok(None)`: incomplete. A response framed by connection close is complete only when
/// `eof` is true (then `len` is all of `buf`).
///
/// # Errors
/// [`Error`] for malformed input or a message over `limits`.
pub fn measure_response(
    buf: &[u8],
    limits: &Limits,
    head_request: bool,
    eof: bool,
) -> Result<Option<Measured>, Error> {
    let Some((h, _)) = head(buf, limits, head_request, None)? else {
        return Ok(None);
    };
    let rest = &buf[h.head_len..];
    let body_len = match h.framing {
        Framing::None => 0,
        Framing::Length(n) if rest.len() >= n => n,
        Framing::Length(_) => return Ok(None),
        Framing::Chunked => match body::chunked(rest, limits, None)? {
            Some((_, used)) => used,
            None => return Ok(None),
        },
        Framing::UntilClose if rest.len() > limits.max_body => return Err(Error::BodyTooLarge),
        Framing::UntilClose if eof => rest.len(),
        Framing::UntilClose => return Ok(None),
    };
    Ok(Some(Measured {
        status: h.status,
        len: h.head_len + body_len,
        keep_alive: h.keep_alive,
    }))
}

/// Parse one response from the start of `buf`, body decoded, skipping interim 1xx
/// responses as [`measure_response`] does (which also explains `head_request` and `eof`).
///
/// # Errors
/// [`Error`] for malformed input or a message over `limits`.
pub fn parse_response(
    buf: &[u8],
    limits: &Limits,
    head_request: bool,
    eof: bool,
) -> Result<Option<(Response, usize)>, Error> {
    let Some(m) = measure_response(buf, limits, head_request, eof)? else {
        return Ok(None);
    };
    let mut headers = Vec::new();
    let Some((h, reason)) = head(buf, limits, head_request, Some(&mut headers))? else {
        return Ok(None);
    };
    let rest = &buf[h.head_len..m.len];
    let body = match h.framing {
        Framing::Chunked => {
            let mut out = Vec::new();
            body::chunked(rest, limits, Some(&mut out))?;
            out
        }
        _ => rest.to_vec(),
    };
    Ok(Some((
        Response {
            status: h.status,
            reason,
            version: h.version,
            headers,
            body,
        },
        m.len,
    )))
}

/// Write an HTTP/1.1 response with a `Content-Length`.
///
/// Statuses that cannot have a body (1xx, 204, 304) are written without `body`, and 1xx and
/// 204 without `Content-Length` (RFC 9110 8.6). For an answer to HEAD use
/// [`encode_response_head`].
pub fn encode_response(
    status: u16,
    reason: &str,
    headers: &[Header],
    body: &[u8],
    out: &mut Vec<u8>,
) {
    encode_response_head(status, reason, headers, body.len(), out);
    if !bodiless(status, false) {
        out.extend_from_slice(body);
    }
}

/// Write only the head of a response whose body would be `body_len` bytes: the answer to a
/// HEAD request, or the start of a body the caller streams itself.
pub fn encode_response_head(
    status: u16,
    reason: &str,
    headers: &[Header],
    body_len: usize,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    if status != 204 && !(100..200).contains(&status) {
        out.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop_assert, prop_assert_eq, Just};

    /// Length, chunked, HEAD, 204 and close-delimited responses.
    #[test]
    fn measures_framings() {
        let l = Limits::default();
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No\r\n\r\n";
        let m = measure_response(ok, &l, false, false).unwrap().unwrap();
        assert_eq!((m.status, m.len, m.keep_alive), (200, 40, true));
        assert_eq!(
            measure_response(&ok[m.len..], &l, false, false)
                .unwrap()
                .unwrap()
                .status,
            204
        );
        for cut in 1..m.len {
            assert_eq!(measure_response(&ok[..cut], &l, false, false), Ok(None));
        }
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
        let (r, n) = parse_response(chunked, &l, false, false).unwrap().unwrap();
        assert_eq!((r.body.as_slice(), n), (&b"hi"[..], chunked.len()));
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
        assert_eq!(
            measure_response(head, &l, true, false)
                .unwrap()
                .unwrap()
                .len,
            head.len()
        );
        let close = b"HTTP/1.0 200 OK\r\n\r\nall of it";
        assert_eq!(measure_response(close, &l, false, false), Ok(None));
        let m = measure_response(close, &l, false, true).unwrap().unwrap();
        assert_eq!((m.len, m.keep_alive), (close.len(), false));
        let c = b"HTTP/1.1 500 X\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assert!(
            !measure_response(c, &l, false, false)
                .unwrap()
                .unwrap()
                .keep_alive
        );
    }

    /// 100 Continue and 103 Early Hints before the answer are skipped, not taken for it;
    /// 101 is final; up to MAX_INTERIM interim heads are allowed, one more is an error.
    #[test]
    fn interim_responses_are_skipped() {
        let l = Limits::default();
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        let hints = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
        let cont = b"HTTP/1.1 100 Continue\r\n\r\n";
        let mut buf = [&cont[..], hints, answer].concat();
        let m = measure_response(&buf, &l, false, false).unwrap().unwrap();
        assert_eq!((m.status, m.len, m.keep_alive), (200, buf.len(), true));
        let (r, n) = parse_response(&buf, &l, false, false).unwrap().unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), n),
            (200, &b"hi"[..], buf.len())
        );
        assert_eq!(crate::header(&r.headers, "link"), None);
        for cut in 0..buf.len() {
            assert_eq!(measure_response(&buf[..cut], &l, false, false), Ok(None));
        }
        let switch = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n";
        assert_eq!(
            measure_response(switch, &l, false, false)
                .unwrap()
                .unwrap()
                .status,
            101
        );
        buf = [hints.repeat(MAX_INTERIM).as_slice(), answer].concat();
        let m = measure_response(&buf, &l, false, false).unwrap().unwrap();
        assert_eq!((m.status, m.len), (200, buf.len()));
        buf = [hints.repeat(MAX_INTERIM + 1).as_slice(), answer].concat();
        assert!(measure_response(&buf, &l, false, false).is_err());
        assert!(parse_response(&buf, &l, true, false).is_err());
    }

    /// Encoded responses parse back.
    #[test]
    fn encode_round_trip() {
        let mut out = Vec::new();
        encode_response(
            404,
            "Not Found",
            &[("X-A".into(), b"b".to_vec())],
            b"nope",
            &mut out,
        );
        let (r, n) = parse_response(&out, &Limits::default(), false, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), n),
            (404, &b"nope"[..], out.len())
        );
        assert_eq!(crate::header(&r.headers, "x-a"), Some(&b"b"[..]));
    }

    /// 204 carries neither length nor body; a HEAD answer has the length and no body.
    #[test]
    fn bodiless_encodings() {
        let mut out = Vec::new();
        encode_response(204, "No Content", &[], b"ignored", &mut out);
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\n\r\n");
        out.clear();
        encode_response_head(200, "OK", &[], 42, &mut out);
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
        let m = measure_response(&out, &Limits::default(), true, false)
            .unwrap()
            .unwrap();
        assert_eq!(m.len, out.len());
    }

    proptest::proptest! {
        /// Any number of interim 1xx heads up to the limit before a response leave the final
        /// response unchanged; the measured length covers them all and every prefix is
        /// "incomplete".
        #[test]
        fn interim_heads_are_skipped(codes in proptest::collection::vec(proptest::prop_oneof![Just(100u16), Just(102), Just(103), 104u16..200], 0..=MAX_INTERIM), body in proptest::collection::vec(any::<u8>(), 0..50)) {
            let mut out = Vec::new();
            for c in codes.iter().filter(|&&c| c != 101) {
                encode_response_head(*c, "Interim", &[("X-I".to_string(), b"1".to_vec())], 0, &mut out);
            }
            let interim_len = out.len();
            encode_response(200, "OK", &[], &body, &mut out);
            let l = Limits::default();
            let (r, n) = parse_response(&out, &l, false, false).unwrap().unwrap();
            prop_assert_eq!((r.status, n), (200, out.len()));
            prop_assert_eq!(&r.body, &body);
            prop_assert!(crate::header(&r.headers, "x-i").is_none());
            let alone = parse_response(&out[interim_len..], &l, false, false).unwrap().unwrap();
            prop_assert_eq!(alone.0, r);
            for cut in 0..out.len() {
                prop_assert_eq!(measure_response(&out[..cut], &l, false, false), Ok(None));
            }
        }
    }
}
