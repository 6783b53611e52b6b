//! Writing responses as a server does: [`write_head`] with the body framed by
//! `Content-Length` or chunked ([`BodyLength`]), [`write_chunk`] / [`write_last_chunk`] for
//! a chunked body, [`CONTINUE`] for `Expect: 100-continue`, and [`reason`] phrases.
//!
//! Header values that contain CR, LF or NUL are dropped rather than written: a value from
//! a CGI script or a request must never be able to start a header or a response of its own
//! (response splitting). Callers validate; this is the last line of defence.

/// The interim response to `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// How the body after a head is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLength {
    /// `Content-Length: n` (also for a HEAD answer, the length the GET would have).
    Known(u64),
    /// `Transfer-Encoding: chunked`: write the body with [`write_chunk`], then
    /// [`write_last_chunk`]. Only for HTTP/1.1 clients.
    Chunked,
    /// No framing header: a status that has no body (1xx, 204, 304).
    None,
}

/// Write the status line, `headers` and the framing header, then the empty line.
/// A `Content-Length` is not written for 1xx and 204, which cannot carry one (RFC 9110
/// 8.6), nor for 304.
pub fn write_head<'a, I>(out: &mut Vec<u8>, status: u16, headers: I, length: BodyLength)
where
    I: IntoIterator<Item = (&'a str, &'a [u8])>,
{
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason(status).as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if !safe(name.as_bytes()) || !safe(value) || name.is_empty() {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    let bodiless = (100..200).contains(&status) || status == 204 || status == 304;
    match length {
        BodyLength::Known(n) if !bodiless => {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        BodyLength::Chunked if !bodiless => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        _ => {}
    }
    out.extend_from_slice(b"\r\n");
}

fn safe(v: &[u8]) -> bool {
    !v.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0)
}

/// Append one chunk of a chunked body. An empty `data` writes nothing: a zero-size chunk
/// would end the body.
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let mut hex = [0u8; 16];
    let mut n = data.len();
    let mut i = hex.len();
    while {
        i -= 1;
        hex[i] = b"0123456789abcdef"[n & 15];
        n >>= 4;
        n > 0
    } {}
    out.extend_from_slice(&hex[i..]);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// End a chunked body (no trailers).
pub fn write_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

/// Append `n` in decimal without going through `fmt`.
pub fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The reason phrase for a status code ("Unknown" for codes without one).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_response, Limits};

    /// A head with Content-Length parses back with the client's parser.
    #[test]
    fn length_framed() {
        let mut out = Vec::new();
        write_head(
            &mut out,
            200,
            [("Content-Type", &b"text/plain"[..])],
            BodyLength::Known(5),
        );
        out.extend_from_slice(b"hello");
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
        );
        let (r, n) = parse_response(&out, &Limits::default(), false, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), n),
            (200, &b"hello"[..], out.len())
        );
    }

    /// A chunked body parses back, empty chunks are skipped, sizes are hex.
    #[test]
    fn chunked() {
        let mut out = Vec::new();
        write_head(&mut out, 200, [], BodyLength::Chunked);
        write_chunk(&mut out, b"abc");
        write_chunk(&mut out, b"");
        write_chunk(&mut out, &[b'x'; 300]);
        write_last_chunk(&mut out);
        assert!(out.windows(5).any(|w| w == b"12c\r\n"));
        let (r, n) = parse_response(&out, &Limits::default(), false, false)
            .unwrap()
            .unwrap();
        assert_eq!(r.body.len(), 303);
        assert_eq!(n, out.len());
    }

    /// Bodiless statuses carry no framing header; unsafe header values are dropped.
    #[test]
    fn bodiless_and_unsafe() {
        let mut out = Vec::new();
        write_head(
            &mut out,
            304,
            [("X-Bad", &b"a\r\nSet-Cookie: x"[..]), ("X-Ok", b"1")],
            BodyLength::Known(10),
        );
        assert_eq!(out, b"HTTP/1.1 304 Not Modified\r\nX-Ok: 1\r\n\r\n");
        out.clear();
        write_head(&mut out, 204, [], BodyLength::Chunked);
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\n\r\n");
    }

    /// Decimal digits for the edges of u64.
    #[test]
    fn decimals() {
        for n in [0u64, 9, 10, 1234567890, u64::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
