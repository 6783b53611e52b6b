//! [`UpstreamError`]: what went wrong with a fetch, as a value.
//!
//! Messages name a provider by origin only (`scheme://host:port`): a URL's path or query
//! can carry an API key, and neither is ever put into an error.

use crate::Response;

/// The kind of an [`UpstreamError`], for callers that decide on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No connection could be made, or it was reset before an answer.
    Connect,
    /// The deadline (or the connect timeout) passed without a complete answer.
    Timeout,
    /// The provider answered with a failing status that failover could not get past.
    Status,
    /// The answer was larger than the configured limit.
    TooLarge,
    /// The answer was not valid HTTP, or its headers were too large.
    Invalid,
    /// Every provider's circuit breaker is open: nothing was tried.
    Unavailable,
}

impl ErrorKind {
    /// Short lower-case name for metrics labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Unavailable => "unavailable",
        }
    }
}

/// A failed fetch.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection to the provider, or it was refused or reset.
    #[error("cannot connect to {provider}")]
    Connect {
        /// The provider's origin.
        provider: String,
    },
    /// No complete answer in time.
    #[error("no answer from {provider} in time")]
    Timeout {
        /// The provider's origin (the last one tried).
        provider: String,
    },
    /// A failing status (502, 503, 504 or 429) from the last provider tried, after
    /// failover; the answer itself is kept so a caller can pass it through.
    #[error("{provider} answered HTTP {}", response.status)]
    Status {
        /// The provider's origin.
        provider: String,
        /// The answer as received.
        response: Box<Response>,
    },
    /// The body was larger than the limit.
    #[error("answer from {provider} is larger than {limit} bytes")]
    TooLarge {
        /// The provider's origin.
        provider: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// Not a usable HTTP answer.
    #[error("invalid answer from {provider}: {reason}")]
    Invalid {
        /// The provider's origin.
        provider: String,
        /// What was wrong (never the URL).
        reason: &'static str,
    },
    /// Every provider's breaker is open.
    #[error("every upstream provider is failing; retrying them shortly")]
    Unavailable,
}

impl UpstreamError {
    /// Which kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            UpstreamError::Connect { .. } => ErrorKind::Connect,
            UpstreamError::Timeout { .. } => ErrorKind::Timeout,
            UpstreamError::Status { .. } => ErrorKind::Status,
            UpstreamError::TooLarge { .. } => ErrorKind::TooLarge,
            UpstreamError::Invalid { .. } => ErrorKind::Invalid,
            UpstreamError::Unavailable => ErrorKind::Unavailable,
        }
    }

    /// Whether another attempt (the next provider, or the same one later) may succeed:
    /// connect failures, timeouts and the transient statuses. A too-large or invalid
    /// answer would be the same again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Status
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages name the origin and the kind, nothing else.
    #[test]
    fn messages() {
        let e = UpstreamError::Connect {
            provider: "http://127.0.0.1:9".into(),
        };
        assert_eq!(e.to_string(), "cannot connect to http://127.0.0.1:9");
        assert!(e.is_transient());
        let e = UpstreamError::TooLarge {
            provider: "http://a:1".into(),
            limit: 10,
        };
        assert_eq!(e.kind().as_str(), "too_large");
        assert!(!e.is_transient());
    }
}
