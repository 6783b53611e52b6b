//! The herd line protocol, sans-IO: parse and format lines, nothing else.
//!
//! No sockets, no runtime: the same code serves the async herd server, the load generator
//! and tests. Every parser is bounded ([`MAX_LINE`]) and total: any input yields a value or
//! a [`ParseError`], never a panic.
//!
//! # Layout
//! - [`timestamp`]: [`Timestamp`] and [`TimeDiff`], exact integer-nanosecond POSIX times.
//! - [`coords`]: [`Coords`], ISO 6709 decimal-degree pairs kept verbatim for echo.
//! - [`message`]: client lines ([`Request`]: [`IAmAt`], [`WhatsAt`], [`At`]) and replies.
//! - [`peer`]: server-to-server frames ([`PeerFrame`]) and handshake proofs.
//! - [`codec`]: [`LineBuffer`], a bounded line splitter.
//! - [`error`]: the [`ParseError`] type.
//!
//! # Example
//! ```
//! use herd_proto::{parse_request, At, Request, Timestamp};
//! let line = b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";
//! let Ok(Request::IAmAt(i)) = parse_request(line) else { panic!() };
//! let at = At::from_iamat("Hands", "1520023935.182837383".parse().unwrap(), &i);
//! assert_eq!(
//!     at.to_string(),
//!     "AT Hands +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"
//! );
//! ```

#![deny(missing_docs)]

pub mod codec;
pub mod coords;
pub mod error;
pub mod message;
pub mod peer;
pub mod timestamp;

pub use codec::{LineBuffer, LineError};
pub use coords::Coords;
pub use error::ParseError;
pub use message::{error_reply, parse_request, strip, At, IAmAt, Request, WhatsAt};
pub use peer::{
    is_peer_hello, new_nonce, parse_peer_frame, proof, verify_proof, PeerFrame, Role,
    DIGEST_BUCKETS,
};
pub use timestamp::{TimeDiff, Timestamp};

/// Longest accepted client line in bytes, newline excluded.
pub const MAX_LINE: usize = 8192;

/// Longest server name in a herd file. Bounds what an AT line adds to its IAMAT.
pub const MAX_SERVER_NAME: usize = 64;

/// Longest peer line in bytes, newline excluded. An accepted IAMAT must always fit on a
/// peer link as the AT line it becomes: `AT <server> <diff> <client> <coords> <time>` is
/// the IAMAT's fields (which with single spaces take at least their length plus 8) plus
/// the server name (at most [`MAX_SERVER_NAME`]) and the difference (a sign, at most 21
/// digits of seconds, a point and 9 digits: 32), less one; 256 bytes of headroom cover
/// that, and the digest frame (256 x 17 + 11 bytes) fits too.
pub const MAX_PEER_LINE: usize = MAX_LINE + 256;

/// The protocol's white space: space, tab, CR, LF, FF, VT.
pub const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// Split a line into fields at runs of protocol white space.
pub(crate) fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| is_space(b)).filter(|f| !f.is_empty())
}
