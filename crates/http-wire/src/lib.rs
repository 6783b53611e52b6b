//! Sans-IO HTTP/1.1: parse and encode messages in buffers, with limits on everything.
//!
//! Built on `httparse` for the head; bodies framed by `Content-Length` or chunked transfer
//! encoding. Every parser returns `Ok(None)` when more bytes are needed ("incomplete"), kept
//! apart from `Err` (invalid or over a limit), so a connection loop reads more on `None`
//! and answers 400 (or drops) on `Err`. The same code serves blocking, forking, epoll and
//! async servers and the load generator.
//!
//! # Layout
//! - [`limits`]: [`Limits`] on head size, header count and body size.
//! - [`body`]: body framing: Content-Length, chunked, none.
//! - [`request`]: [`Request`], [`parse_request`], [`encode_request`].
//! - [`response`]: [`Response`], [`parse_response`], [`measure_response`] (no allocation,
//!   for load generation), [`encode_response`], [`encode_response_head`].
//! - [`error`]: the [`Error`] type.
//! - [`decoder`]: the server's incremental request parser, [`Decoder`] (one per connection,
//!   linear work however a request is split into reads, pipelining, 100-continue).
//! - [`reject`]: [`Reject`], why a server refuses a request and the status it answers.
//! - [`reply`]: writing responses as a server: Content-Length or chunked bodies.

#![deny(missing_docs)]

pub mod body;
pub mod decoder;
pub mod error;
pub mod limits;
pub mod reject;
pub mod reply;
pub mod request;
pub mod response;

pub use decoder::{DecodeLimits, Decoded, Decoder, Step};
pub use error::Error;
pub use limits::Limits;
pub use reject::Reject;
pub use request::{encode_request, parse_request, Request};
pub use response::{
    encode_response, encode_response_head, measure_response, parse_response, Measured, Response,
};

/// A header: name as received, raw value bytes.
pub type Header = (String, Vec<u8>);

/// Case-insensitive header lookup.
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Whether a comma-separated header value contains `token` (case-insensitive).
pub(crate) fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}
