//! [`Error`]: why bytes are not an acceptable HTTP/1.1 message.

/// An invalid message, or one over a [`crate::Limits`] bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The head is larger than `max_head`.
    #[error("header section too large")]
    HeadTooLarge,
    /// More headers than `max_headers`.
    #[error("too many headers")]
    TooManyHeaders,
    /// The body is larger than `max_body`.
    #[error("body too large")]
    BodyTooLarge,
    /// The head does not parse.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// A chunked body is malformed.
    #[error("malformed chunked body")]
    BadChunk,
}

impl From<httparse::Error> for Error {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::TooManyHeaders => Error::TooManyHeaders,
            httparse::Error::HeaderName => Error::Malformed("header name"),
            httparse::Error::HeaderValue => Error::Malformed("header value"),
            httparse::Error::NewLine => Error::Malformed("line ending"),
            httparse::Error::Status => Error::Malformed("status"),
            httparse::Error::Token => Error::Malformed("token"),
            httparse::Error::Version => Error::Malformed("version"),
        }
    }
}
