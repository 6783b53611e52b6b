//! [`Error`]: what can go wrong in the broker and its stores, classified by who is at fault,
//! and [`redact`], which keeps a configured secret out of every error text.

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure of a broker operation. The HTTP layer maps each variant to a status in one
/// place (`http::respond`); the texts never carry a configured secret (see [`redact`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store cannot be reached or did not answer in time (Redis down or restarting).
    /// The request may be retried; HTTP 503.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refuses more pending data (the memory store's byte budget, Redis
    /// `maxmemory`). Readers must catch up first; HTTP 503.
    #[error("store full: {0}")]
    Full(String),
    /// The store answered something this code did not expect (a script replaced by hand,
    /// keys of the wrong type). A bug or tampering, not the client's fault; HTTP 500.
    #[error("store answered unexpectedly: {0}")]
    Protocol(String),
    /// The configuration cannot work (bad store URL, zero limits). Reported at start-up.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// Whether a client may retry later (the store is down or full, not broken).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable(_) | Error::Full(_))
    }
}

/// Replace every occurrence of each non-empty secret in `text` with `***`.
///
/// Library error texts (the redis crate's included) may quote the URL they were given,
/// and Redis URLs carry the password; every error leaving the Redis store goes through
/// this before it is logged or wrapped.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every occurrence of every secret goes; empty secrets are ignored, not matched.
    #[test]
    fn redact_all_occurrences() {
        let secrets = vec!["hunter2".to_string(), String::new()];
        let t = redact("redis://:hunter2@h:1 said hunter2", &secrets);
        assert_eq!(t, "redis://:***@h:1 said ***");
        assert_eq!(redact("nothing here", &secrets), "nothing here");
    }

    /// Down and full are transient (503 + retry); a protocol surprise is not.
    #[test]
    fn transient_classes() {
        assert!(Error::Unavailable("x".into()).is_transient());
        assert!(Error::Full("x".into()).is_transient());
        assert!(!Error::Protocol("x".into()).is_transient());
    }
}
