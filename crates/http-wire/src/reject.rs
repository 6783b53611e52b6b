//! [`Reject`]: why a server refuses a request, and the status code it answers with.
//!
//! Kept apart from [`crate::Error`] (the client side's parse error) because a server must
//! answer each refusal with a specific status (RFC 9110 15.5, RFC 6585 5), and the status is
//! decided here, in one place, not in every server model.

/// A request the server refuses. After any of these the connection's framing is no longer
/// trustworthy, so the server answers [`Reject::status`] and closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// Malformed request line, header, framing or chunk (400).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The request line is longer than `max_request_line` (414).
    #[error("request line too long")]
    UriTooLong,
    /// The head (request line and headers) is larger than `max_head` (431).
    #[error("request header section too large")]
    HeadTooLarge,
    /// More header lines than `max_headers` (431).
    #[error("too many request headers")]
    TooManyHeaders,
    /// The body is larger than `max_body` (413).
    #[error("request body too large")]
    BodyTooLarge,
    /// A transfer coding other than `chunked` (501, RFC 9112 6.1).
    #[error("transfer coding not implemented")]
    NotImplemented,
    /// An `Expect` other than `100-continue` (417, RFC 9110 10.1.1).
    #[error("expectation not supported")]
    ExpectationFailed,
    /// An HTTP version other than 1.0 and 1.1 (505).
    #[error("HTTP version not supported")]
    VersionNotSupported,
}

impl Reject {
    /// The status code to answer with.
    pub fn status(self) -> u16 {
        match self {
            Reject::BadRequest(_) => 400,
            Reject::UriTooLong => 414,
            Reject::HeadTooLarge | Reject::TooManyHeaders => 431,
            Reject::BodyTooLarge => 413,
            Reject::NotImplemented => 501,
            Reject::ExpectationFailed => 417,
            Reject::VersionNotSupported => 505,
        }
    }
}

impl From<httparse::Error> for Reject {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::TooManyHeaders => Reject::TooManyHeaders,
            httparse::Error::HeaderName => Reject::BadRequest("header name"),
            httparse::Error::HeaderValue => Reject::BadRequest("header value"),
            httparse::Error::NewLine => Reject::BadRequest("line ending"),
            httparse::Error::Status => Reject::BadRequest("status"),
            httparse::Error::Token => Reject::BadRequest("request line"),
            httparse::Error::Version => Reject::BadRequest("version"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each refusal maps to its RFC status.
    #[test]
    fn statuses() {
        let cases = [
            (Reject::BadRequest("x"), 400),
            (Reject::UriTooLong, 414),
            (Reject::HeadTooLarge, 431),
            (Reject::TooManyHeaders, 431),
            (Reject::BodyTooLarge, 413),
            (Reject::NotImplemented, 501),
            (Reject::ExpectationFailed, 417),
            (Reject::VersionNotSupported, 505),
        ];
        for (r, s) in cases {
            assert_eq!(r.status(), s, "{r}");
        }
    }
}
