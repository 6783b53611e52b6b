//! [`LineBuffer`]: split a byte stream into lines, with a hard bound on line length.
//!
//! Memory stays bounded by `max_line` plus one read chunk whatever the peer sends: once a
//! pending line passes the bound, the caller is told ([`LineError::TooLong`]) and the rest
//! of that line is discarded as it arrives, up to and including its newline.

/// A line exceeded the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The pending line is longer than the limit; it is being discarded.
    #[error("line too long")]
    TooLong,
}

/// Accumulates bytes and yields complete lines.
#[derive(Debug)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline (so a slow trickle is not rescanned).
    scanned: usize,
    max_line: usize,
    /// Dropping bytes until the end of an over-long line.
    discarding: bool,
}

impl LineBuffer {
    /// An empty buffer accepting lines of at most `max_line` bytes (newline excluded).
    pub fn new(max_line: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            scanned: 0,
            max_line,
            discarding: false,
        }
    }

    /// Add bytes read from the stream.
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
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line without its `\n` (a `\r` before it is kept; it is white
    /// space to the parser). `Ok(None)`: no complete line yet.
    ///
    /// # Errors
    /// [`LineError::TooLong`] once, when the pending line passes the limit; its bytes are
    /// dropped up to its newline, and later lines come normally.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, LineError> {
        match self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = self.scanned + i;
                self.scanned = 0;
                if end > self.max_line {
                    self.buf.drain(..=end);
                    return Err(LineError::TooLong);
                }
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                Ok(Some(line))
            }
            None => {
                self.scanned = self.buf.len();
                if self.buf.len() > self.max_line {
                    self.buf.clear();
                    self.scanned = 0;
                    self.discarding = true;
                    return Err(LineError::TooLong);
                }
                Ok(None)
            }
        }
    }

    /// At end of stream: the final line that had no newline, if any bytes are pending.
    pub fn take_rest(&mut self) -> Option<Vec<u8>> {
        self.scanned = 0;
        if self.discarding || self.buf.is_empty() {
            self.buf.clear();
            return None;
        }
        Some(std::mem::take(&mut self.buf))
    }

    /// Bytes currently held (for tests and metrics).
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines split at newlines, across chunk boundaries, with the rest at EOF.
    #[test]
    fn splits_lines() {
        let mut b = LineBuffer::new(100);
        b.extend(b"one\r\ntw");
        assert_eq!(b.next_line(), Ok(Some(b"one\r".to_vec())));
        assert_eq!(b.next_line(), Ok(None));
        b.extend(b"o\nthree");
        assert_eq!(b.next_line(), Ok(Some(b"two".to_vec())));
        assert_eq!(b.next_line(), Ok(None));
        assert_eq!(b.take_rest(), Some(b"three".to_vec()));
        assert_eq!(b.take_rest(), None);
    }

    /// A 1 MB line is reported once, never buffered, and the next line works.
    #[test]
    fn one_megabyte_line_is_bounded() {
        let mut b = LineBuffer::new(8192);
        let chunk = vec![b'x'; 8192];
        let mut errors = 0;
        for _ in 0..128 {
            b.extend(&chunk);
            while let Err(LineError::TooLong) = b.next_line() {
                errors += 1;
            }
            assert!(b.buffered_len() <= 8192 * 2);
        }
        assert_eq!(errors, 1);
        b.extend(b"tail\nnext\n");
        assert_eq!(b.next_line(), Ok(Some(b"next".to_vec())));
        assert_eq!(b.take_rest(), None);
    }

    /// An over-long line that arrives whole with its newline is rejected too.
    #[test]
    fn long_complete_line() {
        let mut b = LineBuffer::new(4);
        b.extend(b"12345\nok\n");
        assert_eq!(b.next_line(), Err(LineError::TooLong));
        assert_eq!(b.next_line(), Ok(Some(b"ok".to_vec())));
        b.extend(b"1234\n");
        assert_eq!(b.next_line(), Ok(Some(b"1234".to_vec())));
    }

    /// A pending over-long line with no newline gives nothing at EOF.
    #[test]
    fn discarding_at_eof() {
        let mut b = LineBuffer::new(4);
        b.extend(b"123456");
        assert_eq!(b.next_line(), Err(LineError::TooLong));
        b.extend(b"789");
        assert_eq!(b.take_rest(), None);
    }
}
