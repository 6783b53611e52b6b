//! [`LineReader`]: bounded line reading from any async reader, over the sans-IO
//! [`herd_proto::LineBuffer`]. Clients and peers both use it, so a 1 MB line without a
//! newline costs one chunk of memory, not a megabyte.

use herd_proto::LineBuffer;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes read from the socket at a time.
const CHUNK: usize = 8 * 1024;

/// What the next read produced.
#[derive(Debug)]
pub(crate) enum Next {
    /// A complete line, without its newline.
    Line(Vec<u8>),
    /// A line exceeded the limit; its bytes up to the next newline are discarded.
    TooLong,
    /// End of input, with the final unterminated line if there was one.
    Eof(Option<Vec<u8>>),
}

/// Lines from a reader, at most `max_line` bytes each.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    reader: R,
    buf: LineBuffer,
    chunk: Box<[u8]>,
}

impl<R> LineReader<R> {
    /// Wrap a new reader, keeping bytes already buffered (used when a connection is handed
    /// from the client loop to a peer session).
    pub(crate) fn with_buffer<S>(self, reader: S) -> LineReader<S> {
        LineReader {
            reader,
            buf: self.buf,
            chunk: self.chunk,
        }
    }

    /// The reader inside, to write to it or hand it on.
    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The reader, giving up the buffer.
    pub(crate) fn into_parts(self) -> (R, LineReader<()>) {
        let LineReader { reader, buf, chunk } = self;
        (
            reader,
            LineReader {
                reader: (),
                buf,
                chunk,
            },
        )
    }
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(reader: R, max_line: usize) -> Self {
        LineReader {
            reader,
            buf: LineBuffer::new(max_line),
            chunk: vec![0; CHUNK].into_boxed_slice(),
        }
    }

    /// A line already buffered, without reading.
    pub(crate) fn buffered(&mut self) -> Option<Next> {
        match self.buf.next_line() {
            Ok(Some(line)) => Some(Next::Line(line)),
            Ok(None) => None,
            Err(_) => Some(Next::TooLong),
        }
    }

    /// The next line, reading from the socket as needed.
    pub(crate) async fn next(&mut self) -> std::io::Result<Next> {
        loop {
            if let Some(next) = self.buffered() {
                return Ok(next);
            }
            let n = self.reader.read(&mut self.chunk).await?;
            if n == 0 {
                return Ok(Next::Eof(self.buf.take_rest()));
            }
            self.buf.extend(&self.chunk[..n]);
        }
    }
}
