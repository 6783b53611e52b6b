//! The request head: finding its end in a growing buffer ([`HeadScan`]), then parsing it
//! once with httparse and deciding the body's framing and the connection's fate ([`parse`]).

use super::find_lf;
use super::DecodeLimits;
use crate::{Header, Reject, Request};

/// Where the scan for the empty line that ends a head has got to. Each byte is looked at
/// once, however the head is split into reads.
#[derive(Debug)]
pub(super) struct HeadScan {
    /// First byte of the request line (after any empty lines before it).
    start: usize,
    /// First byte of the line being scanned.
    line_start: usize,
    /// Bytes already scanned.
    scanned: usize,
    /// Header lines seen.
    headers: usize,
    /// Whether the request line is still to come.
    in_request_line: bool,
}

impl HeadScan {
    pub(super) fn new() -> Self {
        HeadScan {
            start: 0,
            line_start: 0,
            scanned: 0,
            headers: 0,
            in_request_line: true,
        }
    }

    /// `Some((start, end))` of the head once its ending empty line is in `buf`.
    ///
    /// Limits are checked by byte position, head size first: a head over `max_head` is
    /// refused as soon as byte `max_head + 1` is in, whether or not its line is complete,
    /// so a prefix of a stream fails exactly as the whole stream does.
    pub(super) fn scan(
        &mut self,
        buf: &[u8],
        limits: &DecodeLimits,
    ) -> Result<Option<(usize, usize)>, Reject> {
        let mut i = self.scanned;
        while let Some(nl) = find_lf(buf, i) {
            if nl + 1 > limits.max_head {
                return Err(Reject::HeadTooLarge);
            }
            let line = &buf[self.line_start..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if self.in_request_line {
                if line.is_empty() {
                    // RFC 9112 2.2: ignore empty lines before the request line.
                    self.start = nl + 1;
                } else if line.len() > limits.max_request_line {
                    return Err(Reject::UriTooLong);
                } else {
                    self.in_request_line = false;
                }
            } else if line.is_empty() {
                self.scanned = nl + 1;
                return Ok(Some((self.start, nl + 1)));
            } else {
                self.headers += 1;
                if self.headers > limits.max_headers {
                    return Err(Reject::TooManyHeaders);
                }
            }
            self.line_start = nl + 1;
            i = nl + 1;
        }
        self.scanned = buf.len();
        if buf.len() > limits.max_head {
            return Err(Reject::HeadTooLarge);
        }
        Ok(None)
    }
}

/// How the request's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Framing {
    None,
    Length(usize),
    Chunked,
}

/// A parsed head.
#[derive(Debug)]
pub(super) struct Head {
    /// The request, body still empty.
    pub(super) request: Request,
    pub(super) framing: Framing,
    pub(super) keep_alive: bool,
    /// HTTP/1.1 with `Expect: 100-continue`.
    pub(super) expect_continue: bool,
}

/// Header storage on the stack for the common case; heads with more lines use the heap.
const INLINE_HEADERS: usize = 32;

/// What the headers that matter to framing and the connection said, gathered in one pass.
#[derive(Default)]
struct Seen {
    hosts: usize,
    /// Transfer codings in order, over every Transfer-Encoding line.
    codings: Vec<Vec<u8>>,
    transfer_encoding: bool,
    length: Option<usize>,
    close: bool,
    keep_alive: bool,
    expect_continue: bool,
}

impl Seen {
    fn note(&mut self, name: &str, value: &[u8]) -> Result<(), Reject> {
        // Dispatch on length first: most headers are none of these.
        match name.len() {
            4 if name.eq_ignore_ascii_case("host") => self.hosts += 1,
            6 if name.eq_ignore_ascii_case("expect") => {
                // Only 100-continue exists (RFC 9110 10.1.1); anything else is 417.
                let mut tokens = tokens(value).peekable();
                if tokens.peek().is_none()
                    || !tokens.all(|t| t.eq_ignore_ascii_case(b"100-continue"))
                {
                    return Err(Reject::ExpectationFailed);
                }
                self.expect_continue = true;
            }
            10 if name.eq_ignore_ascii_case("connection") => {
                for t in tokens(value) {
                    self.close |= t.eq_ignore_ascii_case(b"close");
                    self.keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            14 if name.eq_ignore_ascii_case("content-length") => {
                // A list of identical values is one value (RFC 9110 8.6); values that
                // disagree are a smuggling attempt.
                for v in value.split(|&b| b == b',') {
                    let n = digits(v).ok_or(Reject::BadRequest("content-length"))?;
                    if self.length.is_some_and(|l| l != n) {
                        return Err(Reject::BadRequest("conflicting content-length"));
                    }
                    self.length = Some(n);
                }
            }
            17 if name.eq_ignore_ascii_case("transfer-encoding") => {
                self.transfer_encoding = true;
                self.codings.extend(tokens(value).map(<[u8]>::to_vec));
            }
            _ => {}
        }
        Ok(())
    }
}

/// The non-empty, trimmed elements of a comma-separated list.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// Parse a complete head (`buf` ends with its empty line).
pub(super) fn parse(buf: &[u8], limits: &DecodeLimits) -> Result<Head, Reject> {
    let mut inline = [httparse::EMPTY_HEADER; INLINE_HEADERS];
    let mut heap;
    // The scan counted the lines, so max_headers entries always suffice.
    let storage: &mut [httparse::Header<'_>] = if limits.max_headers <= INLINE_HEADERS {
        &mut inline[..limits.max_headers]
    } else {
        heap = vec![httparse::EMPTY_HEADER; limits.max_headers];
        &mut heap
    };
    let mut req = httparse::Request::new(storage);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n == buf.len() => {}
        Ok(_) => return Err(Reject::BadRequest("request head")),
        Err(httparse::Error::Version) => return Err(version_error(buf)),
        Err(e) => return Err(e.into()),
    }
    let version = req.version.unwrap_or(1);
    let mut seen = Seen::default();
    let mut headers: Vec<Header> = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        seen.note(h.name, h.value)?;
        headers.push((h.name.to_string(), h.value.to_vec()));
    }
    // RFC 9112 3.2: an HTTP/1.1 request has exactly one Host.
    match (version, seen.hosts) {
        (_, 2..) => return Err(Reject::BadRequest("more than one Host")),
        (1, 0) => return Err(Reject::BadRequest("HTTP/1.1 request without Host")),
        _ => {}
    }
    let (framing, smuggle_risk) = framing(&seen, version, limits)?;
    let keep_alive = !seen.close && (version >= 1 || seen.keep_alive) && !smuggle_risk;
    let request = Request {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        version,
        headers,
        body: Vec::new(),
    };
    Ok(Head {
        request,
        framing,
        keep_alive,
        // HTTP/1.0 clients' expectations are ignored (RFC 9110 10.1.1).
        expect_continue: seen.expect_continue && version == 1,
    })
}

/// httparse refuses any version but 1.0 and 1.1 with the same error as a garbled one;
/// a well-formed `HTTP/d.d` other than those is 505, anything else 400.
fn version_error(buf: &[u8]) -> Reject {
    let line = buf
        .split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty());
    let version = line.and_then(|l| l.trim_ascii().rsplit(|&b| b == b' ').next());
    match version {
        Some([b'H', b'T', b'T', b'P', b'/', major, b'.', minor])
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Reject::VersionNotSupported
        }
        _ => Reject::BadRequest("version"),
    }
}

/// The body framing, and whether the request carried both Transfer-Encoding and
/// Content-Length (served, then the connection closes: RFC 9112 6.3).
fn framing(seen: &Seen, version: u8, limits: &DecodeLimits) -> Result<(Framing, bool), Reject> {
    if seen.transfer_encoding {
        if version == 0 {
            // RFC 9112 6.1: the framing of an HTTP/1.0 message with Transfer-Encoding is
            // faulty.
            return Err(Reject::BadRequest("transfer-encoding in HTTP/1.0"));
        }
        let chunked = |c: &&Vec<u8>| c.eq_ignore_ascii_case(b"chunked");
        if !seen.codings.last().is_some_and(|c| chunked(&c)) {
            // RFC 9112 6.3: chunked not last means the length is unknowable.
            return Err(Reject::BadRequest(
                "chunked is not the final transfer coding",
            ));
        }
        if seen.codings.len() > 1 {
            return Err(if seen.codings.iter().filter(chunked).count() > 1 {
                Reject::BadRequest("chunked applied twice")
            } else {
                // gzip, deflate, ...: understood by name, not decoded here.
                Reject::NotImplemented
            });
        }
        return Ok((Framing::Chunked, seen.length.is_some()));
    }
    match seen.length {
        Some(n) if n > limits.max_body => Err(Reject::BodyTooLarge),
        Some(n) => Ok((Framing::Length(n), false)),
        None => Ok((Framing::None, false)),
    }
}

/// A decimal number of ASCII digits only (`usize::from_str` would also take `+5`).
fn digits(value: &[u8]) -> Option<usize> {
    let v = value.trim_ascii();
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0usize, |n, d| {
        n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })
}
