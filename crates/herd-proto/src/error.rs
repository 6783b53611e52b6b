//! [`ParseError`]: why a line is not a valid command or frame. Small and unboxed: it is
//! returned on the hot path for every bad line.

/// Why a line could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The line is longer than the limit ([`crate::MAX_LINE`] for clients,
    /// [`crate::MAX_PEER_LINE`] for peers).
    #[error("line too long")]
    TooLong,
    /// The line holds only white space.
    #[error("empty line")]
    Empty,
    /// The line is not valid UTF-8.
    #[error("line is not valid UTF-8")]
    NotUtf8,
    /// The first field names no known command or frame.
    #[error("unknown command")]
    UnknownCommand,
    /// The command has the wrong number of fields.
    #[error("{command} takes {expected} arguments, got {got}")]
    WrongArity {
        /// The command word.
        command: &'static str,
        /// Arguments it takes.
        expected: usize,
        /// Arguments given.
        got: usize,
    },
    /// A timestamp or time difference is malformed or out of range.
    #[error("bad timestamp")]
    BadTimestamp,
    /// Coordinates are not ISO 6709 decimal degrees within range.
    #[error("bad coordinates")]
    BadCoords,
    /// WHATSAT radius is not a number in [0, 50].
    #[error("radius must be a number from 0 to 50 km")]
    BadRadius,
    /// WHATSAT bound is not an integer in [0, 20].
    #[error("bound must be an integer from 0 to 20")]
    BadBound,
    /// A peer frame field (nonce, proof, digest) is malformed.
    #[error("bad peer frame field")]
    BadFrame,
}
