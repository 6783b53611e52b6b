//! [`Framed`]: one herd connection as lines in and lines out, for clients and peers alike.
//!
//! Reading goes through the sans-IO [`herd_proto::LineBuffer`] (bounded: a 1 MB line
//! without a newline costs one chunk of memory, not a megabyte); writing appends frames to
//! an output buffer ([`Framed::write_frame`]) that [`Framed::flush`] sends, so a pipelining
//! client costs one write per batch of replies. A peer session splits the connection into
//! its [`ReadHalf`] and [`WriteBuf`] halves.

use herd_proto::LineBuffer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

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

/// The reading side: bounded line splitting.
#[derive(Debug)]
pub(crate) struct ReadHalf {
    buf: LineBuffer,
    chunk: Box<[u8]>,
}

impl ReadHalf {
    fn new(max_line: usize) -> Self {
        ReadHalf {
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

    /// The next line, reading from `r` as needed.
    pub(crate) async fn next<R: AsyncRead + Unpin>(&mut self, r: &mut R) -> std::io::Result<Next> {
        loop {
            if let Some(next) = self.buffered() {
                return Ok(next);
            }
            let n = r.read(&mut self.chunk).await?;
            if n == 0 {
                return Ok(Next::Eof(self.buf.take_rest()));
            }
            self.buf.extend(&self.chunk[..n]);
        }
    }
}

/// The writing side: frames queued in memory until flushed.
#[derive(Debug, Default)]
pub(crate) struct WriteBuf {
    out: Vec<u8>,
}

impl WriteBuf {
    /// Queue one line (its newline added).
    pub(crate) fn write_frame(&mut self, line: &[u8]) {
        self.out.extend_from_slice(line);
        self.out.push(b'\n');
    }

    /// Queue raw bytes (the WHATSAT JSON with its blank-line terminator).
    pub(crate) fn write_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Bytes queued and not yet sent.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    /// What is queued from byte `from` on (for the log).
    pub(crate) fn since(&self, from: usize) -> &[u8] {
        &self.out[from.min(self.out.len())..]
    }

    /// Send everything queued. The writer's own timeout (see [`netkit::Timed`]) bounds how
    /// long a peer that does not read can hold this.
    pub(crate) async fn flush<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> std::io::Result<()> {
        if !self.out.is_empty() {
            w.write_all(&self.out).await?;
            self.out.clear();
        }
        w.flush().await
    }
}

/// A connection with its read and write halves.
#[derive(Debug)]
pub(crate) struct Framed<S> {
    /// The socket.
    pub(crate) io: S,
    /// Line splitting of what arrives.
    pub(crate) rd: ReadHalf,
    /// Replies waiting to be sent.
    pub(crate) wr: WriteBuf,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Framed<S> {
    /// Wrap `io`, accepting lines of at most `max_line` bytes.
    pub(crate) fn new(io: S, max_line: usize) -> Self {
        Framed {
            io,
            rd: ReadHalf::new(max_line),
            wr: WriteBuf::default(),
        }
    }

    /// The next line, reading as needed.
    pub(crate) async fn read_frame(&mut self) -> std::io::Result<Next> {
        self.rd.next(&mut self.io).await
    }

    /// Queue one line.
    pub(crate) fn write_frame(&mut self, line: &[u8]) {
        self.wr.write_frame(line);
    }

    /// Send what is queued.
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        self.wr.flush(&mut self.io).await
    }

    /// Change the line limit, keeping what is buffered (a connection that turns out to be
    /// a peer may send longer lines than a client).
    pub(crate) fn set_max_line(&mut self, max_line: usize) {
        self.rd.buf.set_max_line(max_line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines split across reads come out whole; frames queue until flushed.
    #[tokio::test]
    async fn lines_in_frames_out() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut f = Framed::new(a, 16);
        b.write_all(b"one\ntw").await.unwrap();
        b.write_all(b"o\n").await.unwrap();
        assert!(matches!(f.read_frame().await.unwrap(), Next::Line(l) if l == b"one"));
        assert!(matches!(f.read_frame().await.unwrap(), Next::Line(l) if l == b"two"));
        b.write_all(&[b'x'; 40]).await.unwrap();
        b.write_all(b"\nok").await.unwrap();
        drop(b.shutdown().await);
        assert!(matches!(f.read_frame().await.unwrap(), Next::TooLong));
        f.write_frame(b"reply");
        assert_eq!(f.wr.pending(), 6);
        f.flush().await.unwrap();
        assert_eq!(f.wr.pending(), 0);
        assert!(matches!(f.read_frame().await.unwrap(), Next::Eof(Some(l)) if l == b"ok"));
        let mut got = [0u8; 6];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"reply\n");
    }
}
