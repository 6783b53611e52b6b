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

fn head(
    buf: &[u8],
    limits: &Limits,
    head_request: bool,
    headers_out: Option<&mut Vec<Header>>,
) -> Result<Option<(Head, String)>, Error> {
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let n = limits.max_headers.min(storage.len());
    let mut resp = httparse::Response::new(&mut storage[..n]);
    let Some(head_len) = crate::limits::head_len(resp.parse(buf)?, buf.len(), limits)? else {
        return Ok(None);
    };
    let status = resp.code.unwrap_or(0);
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
    if let Some(out) = headers_out {
        out.extend(
            resp.headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec())),
        );
    }
    let reason = resp.reason.unwrap_or("").to_string();
    Ok(Some((
        Head {
            status,
            version,
            head_len,
            framing,
            keep_alive,
        },
        reason,
    )))
}

/// Find the extent of one response at the start of `buf` without copying it.
/// `Ok(None)`: incomplete. A response framed by connection close is complete only when
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

/// Parse one response from the start of `buf`, body decoded. See [`measure_response`] for
/// `head_request` and `eof`.
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
}
