//! [`Limits`]: the one vocabulary of connection limits and timeouts every service uses.
//!
//! The async skeleton ([`crate::serve`]) and the blocking one ([`crate::blocking`]) read the
//! same struct, so `--max-connections` or `idle_timeout = "30s"` mean the same thing for the
//! herd, the relay, pub/sub and all eight server models. Services take it in their config;
//! the binary fills it from config files (serde, durations as `"10s"`) and flags.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A limit that would make a server unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be above zero")]
pub struct LimitsError {
    /// The field, as named in config files.
    pub field: &'static str,
}

/// Connection limits and timeouts. Every field has a default; see each for its unit.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Connections served at once. More wait in the kernel's accept queue (past the
    /// overflow slots below). Default 10,000.
    pub max_connections: usize,
    /// Extra slots past `max_connections` for connections that are accepted only to be
    /// identified or refused: the herd lets a peer in through one when clients hold every
    /// normal slot, HTTP services answer 503. Such a connection must identify itself
    /// within `header_timeout`. Default 64.
    pub overflow_connections: usize,
    /// Time allowed for the first line (herd) or the request head (HTTP) to arrive
    /// completely, so a trickling client cannot hold a slot. Default 10 s.
    #[serde(with = "crate::duration::serde")]
    pub header_timeout: Duration,
    /// A read that waits this long for any byte ends the connection: an idle keep-alive
    /// connection, or a client that stopped mid-request. Default 60 s.
    #[serde(with = "crate::duration::serde")]
    pub idle_timeout: Duration,
    /// A write that cannot make progress for this long ends the connection, so a client
    /// that never reads cannot hold a slot and its unsent replies. Default 10 s.
    #[serde(with = "crate::duration::serde")]
    pub write_timeout: Duration,
    /// On shutdown, how long connections may take to finish what is in hand before they
    /// are abandoned. Default 5 s.
    #[serde(with = "crate::duration::serde")]
    pub grace: Duration,
    /// Longest line (herd) or request head (HTTP) in bytes. Default 8,192.
    pub max_header_bytes: usize,
    /// Largest request body in bytes (HTTP services; 413 past it). Default 1 MiB.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 10_000,
            overflow_connections: 64,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(5),
            max_header_bytes: 8 * 1024,
            max_body_bytes: 1024 * 1024,
        }
    }
}

impl Limits {
    /// Limits for tests: the defaults with a 1 s grace period and 2 s write timeout, so a
    /// test of stuck clients does not wait long.
    pub fn for_test() -> Self {
        Limits {
            grace: Duration::from_secs(1),
            write_timeout: Duration::from_secs(2),
            ..Limits::default()
        }
    }

    /// Check values that would make a server unusable.
    ///
    /// # Errors
    /// [`LimitsError`] naming the field: a zero connection limit, a zero timeout, or a zero
    /// byte limit.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let zero = |field| Err(LimitsError { field });
        if self.max_connections == 0 {
            return zero("max_connections");
        }
        for (field, d) in [
            ("header_timeout", self.header_timeout),
            ("idle_timeout", self.idle_timeout),
            ("write_timeout", self.write_timeout),
        ] {
            if d.is_zero() {
                return zero(field);
            }
        }
        if self.max_header_bytes == 0 {
            return zero("max_header_bytes");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config table sets some fields; the rest keep their defaults; typos are errors.
    #[test]
    fn from_config_text() {
        let l: Limits =
            toml_like(r#"{"max_connections": 5, "idle_timeout": "30s", "grace": "250ms"}"#);
        assert_eq!(l.max_connections, 5);
        assert_eq!(l.idle_timeout, Duration::from_secs(30));
        assert_eq!(l.grace, Duration::from_millis(250));
        assert_eq!(l.write_timeout, Limits::default().write_timeout);
        assert!(serde_json::from_str::<Limits>(r#"{"max_conections": 5}"#).is_err());
        assert!(serde_json::from_str::<Limits>(r#"{"grace": "soon"}"#).is_err());
    }

    fn toml_like(json: &str) -> Limits {
        serde_json::from_str(json).unwrap()
    }

    /// Zero limits and timeouts are refused by name.
    #[test]
    fn validation() {
        assert!(Limits::default().validate().is_ok());
        let zero = Limits {
            max_connections: 0,
            ..Limits::default()
        };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "max_connections must be above zero"
        );
        let idle = Limits {
            idle_timeout: Duration::ZERO,
            ..Limits::default()
        };
        assert_eq!(idle.validate().unwrap_err().field, "idle_timeout");
    }
}
