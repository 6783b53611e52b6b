//! [`Decoder`]: the server's incremental request parser, the same for every server model.
//!
//! A connection reads into a buffer and calls [`Decoder::decode`] after each read. The
//! decoder remembers how far it got (the head scan position, the body's chunk state), so a
//! request trickled in one byte at a time costs linear work, not a re-parse from byte 0 on
//! every read. It answers [`Step::Incomplete`] (read more), [`Step::Continue`] (the client
//! waits for `100 Continue` before sending its body), or [`Step::Request`] with how many
//! bytes the request used; the caller drains exactly those bytes and calls again, which is
//! how pipelined requests are taken one after the other.
//!
//! The rules (RFC 9112): the head is bounded by `max_head` and its request line by
//! `max_request_line`, with at most `max_headers` header lines; the body is framed by
//! `Content-Length` or chunked transfer coding and bounded by `max_body`; HTTP/1.1 needs one
//! `Host`; keep-alive follows the version and `Connection`; a request with both
//! `Transfer-Encoding` and `Content-Length` is served but its connection closes afterwards
//! (RFC 9112 6.3). Any [`Reject`] leaves the stream's framing unknown: answer
//! [`Reject::status`] and close.
//!
//! The outcome depends only on the bytes, never on how they were split into reads: every
//! limit is checked at a byte position, so a prefix fails exactly where the whole stream
//! would (the property tests in `tests/decoder.rs` check this).
//!
//! # Example
//! ```
//! use http_wire::{DecodeLimits, Decoder, Step};
//! let mut d = Decoder::new(DecodeLimits::default());
//! let mut buf = b"GET /a HTTP/1.1\r\nHost: x\r\n".to_vec();
//! assert_eq!(d.decode(&buf).unwrap(), Step::Incomplete);
//! buf.extend_from_slice(b"\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
//! let Step::Request(first) = d.decode(&buf).unwrap() else { panic!() };
//! assert_eq!(first.request.target, "/a");
//! buf.drain(..first.consumed);
//! let Step::Request(second) = d.decode(&buf).unwrap() else { panic!() };
//! assert_eq!((second.request.target.as_str(), second.keep_alive), ("/b", true));
//! ```

mod chunked;
mod head;

use crate::{Reject, Request};
use chunked::Chunked;
use head::{Framing, Head, HeadScan};

/// Bounds on one request, as a server enforces them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest request line (method, target, version; without CRLF). Default 8,192 (414
    /// past it).
    pub max_request_line: usize,
    /// Largest head: request line, headers and the empty line ending them, plus any empty
    /// lines before the request line. Default 8,192 (431 past it).
    pub max_head: usize,
    /// Most header lines. Default 100 (431 past it).
    pub max_headers: usize,
    /// Largest body in bytes, after de-chunking. Default 1 MiB (413 past it).
    pub max_body: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_request_line: 8 * 1024,
            max_head: 8 * 1024,
            max_headers: 100,
            max_body: 1024 * 1024,
        }
    }
}

/// What [`Decoder::decode`] found in the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// More bytes are needed; append them to the buffer and call again.
    Incomplete,
    /// The head is in, it asked for `100 Continue`, and no body byte has arrived yet:
    /// write [`crate::reply::CONTINUE`] (if the request is welcome), then read the body.
    /// Returned at most once per request.
    Continue,
    /// A complete request.
    Request(Decoded),
}

/// A complete request and what the connection should do after answering it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The request, body de-chunked.
    pub request: Request,
    /// Bytes of the buffer it used; drain them before the next call.
    pub consumed: usize,
    /// Whether the connection may stay open after the response: the version's default,
    /// overridden by `Connection`, and false after `Transfer-Encoding` with
    /// `Content-Length`.
    pub keep_alive: bool,
}

/// Incremental request parser; one per connection. See the module docs.
#[derive(Debug)]
pub struct Decoder {
    limits: DecodeLimits,
    state: State,
}

#[derive(Debug)]
enum State {
    Head(HeadScan),
    Body(Box<Pending>),
}

/// A parsed head waiting for its body.
#[derive(Debug)]
struct Pending {
    head: Head,
    /// Where the body starts in the buffer.
    body_start: usize,
    body: BodyState,
    continue_sent: bool,
}

#[derive(Debug)]
enum BodyState {
    Length(usize),
    Chunked(Chunked),
}

impl Decoder {
    /// A decoder at the start of a connection.
    pub fn new(limits: DecodeLimits) -> Self {
        Decoder {
            limits,
            state: State::Head(HeadScan::new()),
        }
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }

    /// Whether it is still reading a request head (as opposed to a body), for the
    /// header-read timeout.
    pub fn in_head(&self) -> bool {
        matches!(self.state, State::Head(_))
    }

    /// Look for the next request at the start of `buf`. Between calls the caller may only
    /// append to `buf`, except after [`Step::Request`], when it drains the `consumed`
    /// bytes first.
    ///
    /// # Errors
    /// [`Reject`] for a malformed request or one over a limit; the decoder is then spent
    /// (answer the status and close the connection).
    pub fn decode(&mut self, buf: &[u8]) -> Result<Step, Reject> {
        if let State::Head(scan) = &mut self.state {
            let Some((start, end)) = scan.scan(buf, &self.limits)? else {
                return Ok(Step::Incomplete);
            };
            let head = head::parse(&buf[start..end], &self.limits)?;
            let body = match head.framing {
                Framing::None | Framing::Length(0) => {
                    self.state = State::Head(HeadScan::new());
                    return Ok(Step::Request(finish(head, Vec::new(), end)));
                }
                Framing::Length(n) => BodyState::Length(n),
                Framing::Chunked => BodyState::Chunked(Chunked::new(end)),
            };
            self.state = State::Body(Box::new(Pending {
                head,
                body_start: end,
                body,
                continue_sent: false,
            }));
        }
        let State::Body(p) = &mut self.state else {
            return Ok(Step::Incomplete);
        };
        let done = match &mut p.body {
            BodyState::Length(n) => {
                let end = p.body_start + *n;
                (buf.len() >= end).then(|| (buf[p.body_start..end].to_vec(), end))
            }
            BodyState::Chunked(c) => c.advance(buf, &self.limits)?,
        };
        match done {
            Some((body, end)) => {
                let State::Body(p) =
                    std::mem::replace(&mut self.state, State::Head(HeadScan::new()))
                else {
                    unreachable!("matched State::Body above");
                };
                Ok(Step::Request(finish(p.head, body, end)))
            }
            None if p.head.expect_continue && !p.continue_sent && buf.len() == p.body_start => {
                p.continue_sent = true;
                Ok(Step::Continue)
            }
            None => Ok(Step::Incomplete),
        }
    }
}

/// The position of the first LF at or after `from`, eight bytes at a time: heads and
/// chunk lines are scanned with this, so it is the decoder's inner loop.
fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let rest = buf.get(from..)?;
    let mut words = rest.chunks_exact(8);
    let mut base = from;
    for w in words.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_ne_bytes(word) ^ LF;
        // Some byte of x is zero exactly when this is non-zero (the classic SWAR test).
        if x.wrapping_sub(LOW) & !x & HIGH != 0 {
            return w.iter().position(|&b| b == b'\n').map(|i| base + i);
        }
        base += 8;
    }
    let tail = words.remainder();
    tail.iter().position(|&b| b == b'\n').map(|i| base + i)
}

fn finish(head: Head, body: Vec<u8>, consumed: usize) -> Decoded {
    let mut request = head.request;
    request.body = body;
    Decoded {
        request,
        consumed,
        keep_alive: head.keep_alive,
    }
}

#[cfg(test)]
mod tests;
