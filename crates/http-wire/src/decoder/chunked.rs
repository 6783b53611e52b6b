//! [`Chunked`]: a chunked request body decoded as it arrives, each byte looked at once.

use super::{find_lf, DecodeLimits};
use crate::Reject;

/// Longest chunk-size line (size, extensions, CRLF): extensions are ignored, so they need
/// not be long, and a bound keeps a client from streaming one forever.
pub(super) const MAX_CHUNK_LINE: usize = 1024;

/// Decoding progress through a chunked body.
#[derive(Debug)]
pub(super) struct Chunked {
    /// Next byte of the buffer to look at.
    pos: usize,
    phase: Phase,
    /// Decoded bytes so far.
    body: Vec<u8>,
}

#[derive(Debug)]
enum Phase {
    /// Reading a chunk-size line that starts at `line_start`.
    Size { line_start: usize },
    /// `left` bytes of chunk data to come.
    Data { left: usize },
    /// The CRLF after chunk data; `need` is 2 (CR next) or 1 (LF next).
    DataEnd { need: u8 },
    /// Trailer lines after the last chunk; `start` is where they began.
    Trailers { start: usize, line_start: usize },
}

impl Chunked {
    /// A body starting at `start` in the buffer.
    pub(super) fn new(start: usize) -> Self {
        Chunked {
            pos: start,
            phase: Phase::Size { line_start: start },
            body: Vec::new(),
        }
    }

    /// Go through the bytes not yet seen. `Some((body, end))` once the last chunk and the
    /// trailers are in; `end` is where the request ends in the buffer.
    pub(super) fn advance(
        &mut self,
        buf: &[u8],
        limits: &DecodeLimits,
    ) -> Result<Option<(Vec<u8>, usize)>, Reject> {
        loop {
            match self.phase {
                Phase::Size { line_start } => {
                    let Some(nl) = find_lf(buf, self.pos) else {
                        if buf.len() - line_start > MAX_CHUNK_LINE {
                            return Err(Reject::BadRequest("chunk size line too long"));
                        }
                        self.pos = buf.len();
                        return Ok(None);
                    };
                    if nl - line_start > MAX_CHUNK_LINE {
                        return Err(Reject::BadRequest("chunk size line too long"));
                    }
                    let size = chunk_size(&buf[line_start..nl])?;
                    if size > limits.max_body - self.body.len().min(limits.max_body) {
                        return Err(Reject::BodyTooLarge);
                    }
                    self.pos = nl + 1;
                    self.phase = if size == 0 {
                        Phase::Trailers {
                            start: nl + 1,
                            line_start: nl + 1,
                        }
                    } else {
                        Phase::Data { left: size }
                    };
                }
                Phase::Data { left } => {
                    let take = left.min(buf.len() - self.pos);
                    self.body.extend_from_slice(&buf[self.pos..self.pos + take]);
                    self.pos += take;
                    if take < left {
                        self.phase = Phase::Data { left: left - take };
                        return Ok(None);
                    }
                    self.phase = Phase::DataEnd { need: 2 };
                }
                Phase::DataEnd { need } => {
                    let Some(&b) = buf.get(self.pos) else {
                        return Ok(None);
                    };
                    let want = if need == 2 { b'\r' } else { b'\n' };
                    if b != want {
                        return Err(Reject::BadRequest("chunk data not followed by CRLF"));
                    }
                    self.pos += 1;
                    self.phase = if need == 2 {
                        Phase::DataEnd { need: 1 }
                    } else {
                        Phase::Size {
                            line_start: self.pos,
                        }
                    };
                }
                Phase::Trailers { start, line_start } => {
                    // Trailers count against the head limit, checked by position first,
                    // as the head scan does.
                    let Some(nl) = find_lf(buf, self.pos) else {
                        if buf.len() - start > limits.max_head {
                            return Err(Reject::HeadTooLarge);
                        }
                        self.pos = buf.len();
                        return Ok(None);
                    };
                    if nl + 1 - start > limits.max_head {
                        return Err(Reject::HeadTooLarge);
                    }
                    self.pos = nl + 1;
                    let line = &buf[line_start..nl];
                    if line.strip_suffix(b"\r").unwrap_or(line).is_empty() {
                        return Ok(Some((std::mem::take(&mut self.body), nl + 1)));
                    }
                    self.phase = Phase::Trailers {
                        start,
                        line_start: nl + 1,
                    };
                }
            }
        }
    }
}

/// The size on a chunk-size line (`line` ends just before its LF): hex digits, then
/// optional extensions after `;`, then CR.
fn chunk_size(line: &[u8]) -> Result<usize, Reject> {
    let line = line
        .strip_suffix(b"\r")
        .ok_or(Reject::BadRequest("chunk size line without CRLF"))?;
    let digits = line.split(|&b| b == b';').next().unwrap_or_default();
    // Bad whitespace is allowed before extensions (RFC 9112 7.1.1), never before the size.
    let digits = digits.trim_ascii_end();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(Reject::BadRequest("chunk size"));
    }
    digits.iter().try_fold(0usize, |n, &d| {
        let v = (d as char).to_digit(16).unwrap_or(0) as usize;
        n.checked_mul(16)
            .and_then(|n| n.checked_add(v))
            .ok_or(Reject::BodyTooLarge)
    })
}
