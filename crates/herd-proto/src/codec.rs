//! [`LineBuffer`]: split a byte stream into lines, with a hard bound on line length.
//!
//! Memory stays bounded whatever the peer sends: the buffer keeps at most the complete lines
//! of the chunks not yet drained plus one partial line of at most `max_line` bytes. A caller
//! that drains [`LineBuffer::next_line`] until `Ok(None)` after every
//! [`LineBuffer::extend`] therefore never holds more than `max_line` plus one read chunk.
//! Once a partial line passes the bound, its bytes are dropped as they arrive, up to and
//! including its newline, and the caller is told once ([`LineError::TooLong`]).

/// A line exceeded the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line is longer than the limit; its bytes were (or are being) discarded.
    #[error("line too long")]
    TooLong,
}

/// Accumulates bytes and yields complete lines.
#[derive(Debug)]
pub struct LineBuffer {
    /// Raw bytes; `buf[start..]` is not yet handed out.
    buf: Vec<u8>,
    /// First byte not yet handed out. Consumed bytes are dropped lazily in `extend`, so a
    /// chunk holding many short lines is not shifted once per line.
    start: usize,
    /// `buf[start..scanned]` holds no newline (so a slow trickle is not rescanned).
    scanned: usize,
    /// Start of the partial line: just after the last newline in `buf`.
    line_start: usize,
    /// Longest line accepted, newline excluded.
    max_line: usize,
    /// Dropping bytes until the end of an over-long line.
    discarding: bool,
    /// An over-long partial line was dropped; `next_line` reports it after the complete
    /// lines that came before it.
    owed: bool,
}

impl LineBuffer {
    /// An empty buffer accepting lines of at most `max_line` bytes (newline excluded).
    pub fn new(max_line: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            line_start: 0,
            max_line,
            discarding: false,
            owed: false,
        }
    }

    /// Change the line limit for what is not yet handed out: a connection that turns out to
    /// be a peer link accepts longer lines than a client. Lines already dropped stay dropped.
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    /// Add bytes read from the stream. If the partial line grows past the limit it is
    /// dropped here, so memory stays bounded even if the caller does not drain lines; a
    /// [`LineError::TooLong`] is then owed by [`LineBuffer::next_line`]. (Several over-long
    /// lines arriving between two drains are reported as one.)
    pub fn extend(&mut self, mut bytes: &[u8]) {
        if self.discarding {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.discarding = false;
                    bytes = &bytes[i + 1..];
                }
                None => return,
            }
        }
        if bytes.is_empty() {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.line_start -= self.start;
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.extend_from_slice(bytes);
        if let Some(i) = bytes.iter().rposition(|&b| b == b'\n') {
            self.line_start = old + i + 1;
        }
        if self.buf.len() - self.line_start > self.max_line {
            self.buf.truncate(self.line_start);
            self.scanned = self.scanned.min(self.line_start);
            self.discarding = true;
            self.owed = true;
        }
    }

    /// The next complete line, copied out without its `\n` (a `\r` before it is kept; it
    /// is white space to the parser). `Ok(None)`: no complete line yet.
    ///
    /// # Errors
    /// [`LineError::TooLong`] once per over-long line, in stream order relative to the
    /// lines before it; later lines come normally.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, LineError> {
        match self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = self.scanned + i;
                let begin = self.start;
                self.start = end + 1;
                self.scanned = self.start;
                let line = (end - begin <= self.max_line).then(|| self.buf[begin..end].to_vec());
                if self.start == self.buf.len() {
                    self.buf.clear();
                    (self.start, self.scanned, self.line_start) = (0, 0, 0);
                }
                line.map(Some).ok_or(LineError::TooLong)
            }
            None => {
                self.scanned = self.buf.len();
                if std::mem::take(&mut self.owed) {
                    return Err(LineError::TooLong);
                }
                Ok(None)
            }
        }
    }

    /// At end of stream: the final line that had no newline, if any bytes are pending and
    /// the line is not being discarded. Drain [`LineBuffer::next_line`] first.
    pub fn take_rest(&mut self) -> Option<Vec<u8>> {
        let rest = &self.buf[self.start..];
        let out = (!self.discarding && !rest.is_empty()).then(|| rest.to_vec());
        self.buf.clear();
        (self.start, self.scanned, self.line_start) = (0, 0, 0);
        self.discarding = false;
        self.owed = false;
        out
    }

    /// Bytes currently held and not yet handed out (for tests and metrics).
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }
}

#[cfg(test)]
mod tests;
