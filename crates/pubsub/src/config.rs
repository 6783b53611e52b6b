//! [`Config`] of one pub/sub node, and [`StoreConfig`], which store it runs on.

use std::fmt;
use std::time::Duration;

use netkit::Limits;

use crate::error::redact;
use crate::Error;

/// Where subscriptions and messages live.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In this process ([`crate::MemoryStore`]); lost on exit.
    Memory,
    /// In Redis ([`crate::RedisStore`]): one URL, or several seed URLs of one cluster.
    Redis(Vec<String>),
}

impl StoreConfig {
    /// Parse `memory` or `redis://...` (`rediss://` too; several comma-separated URLs are
    /// seeds of one Redis Cluster).
    ///
    /// # Errors
    /// [`Error::Config`] naming what is accepted; never quoting a password.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s == "memory" {
            return Ok(StoreConfig::Memory);
        }
        let urls: Vec<String> = s.split(',').map(|u| u.trim().to_string()).collect();
        if urls
            .iter()
            .all(|u| u.starts_with("redis://") || u.starts_with("rediss://"))
        {
            return Ok(StoreConfig::Redis(urls));
        }
        Err(Error::Config(format!(
            "unknown store {:?}; use memory or redis://[:password@]host:port",
            hide_password(s)
        )))
    }
}

/// Shown in tables and logs with passwords replaced by `***`.
impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreConfig::Memory => f.write_str("memory"),
            StoreConfig::Redis(urls) => {
                let shown: Vec<String> = urls.iter().map(|u| hide_password(u)).collect();
                f.write_str(&shown.join(","))
            }
        }
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreConfig({self})")
    }
}

/// `scheme://user:password@host` -> `scheme://user:***@host`.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    match authority
        .rsplit_once('@')
        .and_then(|(auth, _)| auth.split_once(':'))
    {
        Some((_, pw)) if !pw.is_empty() => format!("{scheme}://{}", redact(rest, &[pw.into()])),
        _ => url.to_string(),
    }
}

/// The shortest claim lease: below it, replies in progress would routinely be taken over
/// by the subscriber's next read and delivered twice.
pub const MIN_LEASE: Duration = Duration::from_millis(100);

/// One node's configuration. [`Config::default`] is what `herd pubsub` runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Connection limits and timeouts (the body limit answers 413 past it). Default:
    /// [`Limits::default`] (1 MiB bodies).
    pub limits: Limits,
    /// The store. Default: memory.
    pub store: StoreConfig,
    /// Longest long poll a client may ask for with `?wait=`; more is a 400. Must stay
    /// below `limits.idle_timeout`. Default 30 s.
    pub max_wait: Duration,
    /// Memory store: most bytes of message bodies held at once; past it publishes get 503
    /// until readers catch up. Default 1 GiB.
    pub max_pending_bytes: u64,
    /// Redis store: how long any one Redis call may take before the request fails with
    /// 503. Default 2 s.
    pub redis_timeout: Duration,
    /// Redis store: how long a read's claim holds its message before another read may
    /// take it again. A read cut off by a node crash is redelivered this long after it
    /// began; a reply still being written when it ends may be delivered twice. Default
    /// 30 s.
    pub claim_lease: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            store: StoreConfig::Memory,
            max_wait: Duration::from_secs(30),
            max_pending_bytes: 1 << 30,
            redis_timeout: Duration::from_secs(2),
            claim_lease: crate::store::redis::DEFAULT_LEASE,
        }
    }
}

impl Config {
    /// The defaults with test limits ([`Limits::for_test`]).
    pub fn for_test() -> Self {
        Config {
            limits: Limits::for_test(),
            ..Config::default()
        }
    }

    /// Check values that cannot work.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        self.limits
            .validate()
            .map_err(|e| Error::Config(e.to_string()))?;
        if self.max_wait >= self.limits.idle_timeout {
            return Err(Error::Config(format!(
                "max_wait ({:?}) must be shorter than idle_timeout ({:?})",
                self.max_wait, self.limits.idle_timeout
            )));
        }
        if self.redis_timeout.is_zero() {
            return Err(Error::Config("redis_timeout must be above zero".into()));
        }
        if self.claim_lease < MIN_LEASE {
            return Err(Error::Config(format!(
                "claim_lease ({:?}) must be at least {MIN_LEASE:?}",
                self.claim_lease
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// memory, one URL, several URLs; anything else is refused without echoing a password.
    #[test]
    fn parse_store() {
        assert_eq!(StoreConfig::parse("memory").unwrap(), StoreConfig::Memory);
        assert_eq!(
            StoreConfig::parse("redis://a:1,redis://b:2").unwrap(),
            StoreConfig::Redis(vec!["redis://a:1".into(), "redis://b:2".into()])
        );
        let e = StoreConfig::parse("http://:hunter2@x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("use memory or redis://") && !e.contains("hunter2"),
            "{e}"
        );
    }

    /// Display hides passwords, with or without a user name.
    #[test]
    fn display_hides_password() {
        let s = StoreConfig::parse("redis://:pw1@h:1/0,redis://me:pw2@h:2").unwrap();
        assert_eq!(s.to_string(), "redis://:***@h:1/0,redis://me:***@h:2");
        assert!(!format!("{s:?}").contains("pw1"));
    }

    /// A wait as long as the idle timeout would be cut by it: refused.
    #[test]
    fn validate_wait() {
        assert!(Config::default().validate().is_ok());
        let mut c = Config::default();
        c.max_wait = c.limits.idle_timeout;
        assert!(c.validate().unwrap_err().to_string().contains("max_wait"));
    }

    /// The claim lease at its minimum is accepted, 1 ms less is refused.
    #[test]
    fn validate_lease_edge() {
        let mut c = Config {
            claim_lease: MIN_LEASE,
            ..Config::default()
        };
        assert!(c.validate().is_ok());
        c.claim_lease = MIN_LEASE - Duration::from_millis(1);
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("claim_lease"));
    }
}
