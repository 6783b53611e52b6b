//! Requests: [`parse_request`] and [`encode_request`].

use crate::body::{self, Framing};
use crate::{Error, Header, Limits};

/// A parsed request with its body decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Request target, e.g. `/p?q`.
    pub target: String,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// Headers in order.
    pub headers: Vec<Header>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Request {
    /// Whether the client wants the connection kept open after this request.
    pub fn keep_alive(&self) -> bool {
        body::keep_alive(self.version, body::connection(&self.headers))
    }

    /// A header's value, case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        crate::header(&self.headers, name)
    }
}

/// Parse one request from the start of `buf`: `Ok(Some((request, bytes consumed)))`,
/// `Ok(None)` if more bytes are needed.
///
/// # Errors
/// [`Error`] for malformed input or a message over `limits`.
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Option<(Request, usize)>, Error> {
    let mut storage = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut storage);
    let Some(head_len) = crate::limits::head_len(req.parse(buf)?, buf.len(), limits)? else {
        return Ok(None);
    };
    let headers: Vec<Header> = req
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    let framing = body::framing(&headers, limits)?.unwrap_or(Framing::None);
    let rest = &buf[head_len..];
    let (body, used) = match framing {
        Framing::None => (Vec::new(), 0),
        // A request cannot be delimited by close: its length would be unknowable.
        Framing::UntilClose => return Err(Error::Malformed("transfer-encoding not chunked")),
        Framing::Length(n) => {
            if rest.len() < n {
                return Ok(None);
            }
            (rest[..n].to_vec(), n)
        }
        Framing::Chunked => {
            let mut out = Vec::new();
            match body::chunked(rest, limits, Some(&mut out))? {
                Some((_, used)) => (out, used),
                None => return Ok(None),
            }
        }
    };
    let request = Request {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        version: req.version.unwrap_or(1),
        headers,
        body,
    };
    Ok(Some((request, head_len + used)))
}

/// Write an HTTP/1.1 request. `Content-Length` is added when there is a body (or the
/// method usually has one); `Host` must be among `headers`.
pub fn encode_request(
    method: &str,
    target: &str,
    headers: &[Header],
    body: &[u8],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete request, a truncated one, and a pipelined pair.
    #[test]
    fn parses_requests() {
        let l = Limits::default();
        let raw = b"POST /t?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n";
        let (r, n) = parse_request(raw, &l).unwrap().unwrap();
        assert_eq!(
            (r.method.as_str(), r.target.as_str(), r.body.as_slice()),
            ("POST", "/t?x=1", &b"abc"[..])
        );
        assert!(r.keep_alive());
        let (r2, _) = parse_request(&raw[n..], &l).unwrap().unwrap();
        assert!(!r2.keep_alive());
        for cut in 1..n {
            assert_eq!(parse_request(&raw[..cut], &l), Ok(None), "cut at {cut}");
        }
    }

    /// Chunked bodies are decoded; bad chunks and oversize inputs are errors.
    #[test]
    fn chunked_and_limits() {
        let l = Limits {
            max_head: 64,
            max_headers: 4,
            max_body: 8,
        };
        let raw = b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let (r, n) = parse_request(raw, &l).unwrap().unwrap();
        assert_eq!((r.body.as_slice(), n), (&b"abcde"[..], raw.len()));
        let bad = b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(parse_request(bad, &l), Err(Error::BadChunk));
        let big = b"PUT / HTTP/1.1\r\nContent-Length: 9\r\n\r\n";
        assert_eq!(parse_request(big, &l), Err(Error::BodyTooLarge));
        assert_eq!(parse_request(&[b'a'; 100], &l), Err(Error::HeadTooLarge));
        let many = b"GET / HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\ne: 1\r\n\r\n";
        assert_eq!(parse_request(many, &l), Err(Error::TooManyHeaders));
        let two = b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
        assert!(matches!(parse_request(two, &l), Err(Error::Malformed(_))));
        let gzip = b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxyz";
        assert!(matches!(parse_request(gzip, &l), Err(Error::Malformed(_))));
    }

    /// Encoding then parsing gives the same request.
    #[test]
    fn encode_round_trip() {
        let mut out = Vec::new();
        let headers = vec![("Host".to_string(), b"h".to_vec())];
        encode_request("POST", "/p", &headers, b"body", &mut out);
        let (r, n) = parse_request(&out, &Limits::default()).unwrap().unwrap();
        assert_eq!((r.body.as_slice(), n), (&b"body"[..], out.len()));
    }
}
