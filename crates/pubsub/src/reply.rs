//! [`Reply`]: the HTTP response body, which confirms a claimed message only once its last
//! byte has been written to the socket.
//!
//! The body is one [`Chunk`], a `Buf` that hyper queues as it is (hyper's vectored-write
//! queue: the socket supports `writev`, so hyper neither copies nor flattens it) and
//! advances as the socket accepts bytes. When the last byte is accepted the chunk has no
//! bytes left and hyper drops it; a chunk dropped in that state confirms its
//! [`Receipt`], one dropped with bytes left (the client vanished, the write timed out,
//! the connection was torn down) releases it, so the next read gets the message again.
//! Bytes the kernel has accepted still reach the client if the process is then killed
//! (the kernel sends them before closing), so a confirmed message was handed off
//! completely; a node killed earlier never confirms, and the claim lapses.
//!
//! A message with an empty body has no byte to wait for: its receipt confirms when hyper
//! drops the body, right after it queued the response head.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use hyper::body::{Body, Frame, SizeHint};

use crate::broker::Receipt;
use crate::Store;

/// A response body: plain bytes, or a message whose receipt settles with the write.
#[derive(Debug)]
pub struct Reply<S: Store> {
    /// `None` once handed to hyper.
    chunk: Option<Chunk<S>>,
    len: u64,
}

impl<S: Store> Reply<S> {
    /// A body with nothing to settle.
    pub fn plain(bytes: Bytes) -> Self {
        Reply::message(bytes, None)
    }

    /// A message body; `receipt`, if any, is confirmed once every byte was written and
    /// released otherwise.
    pub fn message(bytes: Bytes, receipt: Option<Receipt<S>>) -> Self {
        Reply {
            len: bytes.len() as u64,
            chunk: Some(Chunk { bytes, receipt }),
        }
    }
}

impl<S: Store> Body for Reply<S> {
    type Data = Chunk<S>;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Chunk<S>>, Infallible>>> {
        // An empty chunk is dropped here (hyper discards empty frames anyway), which
        // confirms an empty message.
        Poll::Ready(
            self.get_mut()
                .chunk
                .take()
                .filter(Buf::has_remaining)
                .map(|c| Ok(Frame::data(c))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.chunk.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        // Exact, so hyper sends Content-Length as for a `Full` body.
        SizeHint::with_exact(if self.chunk.is_some() { self.len } else { 0 })
    }
}

/// The bytes of a reply, with the receipt that settles when they are gone.
#[derive(Debug)]
pub struct Chunk<S: Store> {
    bytes: Bytes,
    receipt: Option<Receipt<S>>,
}

impl<S: Store> Buf for Chunk<S> {
    fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn chunk(&self) -> &[u8] {
        &self.bytes
    }

    fn advance(&mut self, cnt: usize) {
        self.bytes.advance(cnt);
    }
}

impl<S: Store> Drop for Chunk<S> {
    fn drop(&mut self) {
        if let Some(r) = self.receipt.take() {
            if self.bytes.is_empty() {
                r.delivered();
            }
            // Otherwise dropping `r` releases the claim.
        }
    }
}

#[cfg(test)]
mod tests;
