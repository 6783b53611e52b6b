//! [`Plan`]: a validated description of one run, built from flags before any traffic.
//!
//! Everything that can be prepared is prepared here (the target address resolved, the
//! TLS configuration built, every request encoded once), so the engine's hot loop only
//! writes and reads.

use std::net::SocketAddr;
use std::time::Duration;

use crate::requests::{Entry, Requests};
use crate::schedule::Stages;
use crate::tls::Tls;
use crate::url::{http_request, Url};
use crate::Error;

pub use crate::url::{parse_duration, parse_url, resolve};

/// What to send.
#[derive(Clone, Debug)]
pub enum Target {
    /// HTTP/1.1 keep-alive requests: one URL, or many (`--urls`).
    Http {
        /// The requests and how to pick among them.
        requests: Requests,
    },
    /// Herd protocol commands (IAMAT, and WHATSAT with this probability).
    Herd {
        /// Fraction of commands that are WHATSAT, 0..=1.
        whatsat_ratio: f64,
        /// Connect, send one command, half-close, read to EOF, as mobile clients do.
        connection_per_request: bool,
    },
}

/// One load run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The URL as given, for reports.
    pub url: String,
    /// Where to connect.
    pub addr: SocketAddr,
    /// TLS (https), or `None` for plain TCP.
    pub tls: Option<Tls>,
    /// What to send.
    pub target: Target,
    /// Concurrent connections (with closed-loop `stages`, set to the peak users).
    pub connections: usize,
    /// Threads, each with its own single-threaded runtime.
    pub threads: usize,
    /// How long to measure (after warm-up), unless `requests` is set.
    pub duration: Option<Duration>,
    /// Stop after recording this many attempts (warm-up traffic not counted).
    pub requests: Option<u64>,
    /// Open loop at this many requests per second; `None` is closed loop.
    pub rate: Option<f64>,
    /// Ramps of rate (open loop) or users (closed loop); exclusive with `rate`.
    pub stages: Option<Stages>,
    /// Unrecorded traffic before measuring.
    pub warmup: Duration,
    /// Per-request time limit; a request over it counts as a timeout and reconnects.
    pub timeout: Duration,
}

impl Plan {
    /// A closed-loop plan of plain `GET url` (http only), for programs that drive load
    /// as a library (`herd flash compare`): 10 connections on one thread for 10 s, 10 s
    /// timeout, no warm-up. Set the fields to change them.
    ///
    /// # Errors
    /// [`Error`] when the URL is not `http://host:port/path` or its host does not resolve.
    pub fn http_get(url_text: &str) -> Result<Plan, Error> {
        let url = crate::url::parse_url(url_text)?;
        if url.scheme != "http" {
            return Err(Error::Usage(format!(
                "{url_text}: Plan::http_get takes http:// URLs"
            )));
        }
        let addr = crate::url::resolve(&url.authority)?;
        Ok(Plan {
            connections: 10,
            threads: 1,
            duration: Some(Duration::from_secs(10)),
            timeout: Duration::from_secs(10),
            ..Plan::get(url, addr)
        })
    }

    /// A closed-loop `GET /x` plan for tests: 2 connections on 2 threads, 5 s timeout, no
    /// warm-up, and no bound yet (set `duration` or `requests`).
    pub fn for_test(addr: SocketAddr) -> Plan {
        let url = Url {
            scheme: "http".into(),
            authority: addr.to_string(),
            path: "/x".into(),
        };
        Plan::get(url, addr)
    }

    /// `GET url` at `addr`: 2 connections on 2 threads, 5 s timeout, no bound.
    fn get(url: Url, addr: SocketAddr) -> Plan {
        let text = format!("{}://{}{}", url.scheme, url.authority, url.path);
        Plan {
            url: text.clone(),
            addr,
            tls: None,
            target: Target::Http {
                requests: Requests::single(Entry {
                    label: format!("GET {text}"),
                    bytes: http_request(&url, "GET", &[], b""),
                    head: false,
                    weight: 1,
                }),
            },
            connections: 2,
            threads: 2,
            duration: None,
            requests: None,
            rate: None,
            stages: None,
            warmup: Duration::ZERO,
            timeout: Duration::from_secs(5),
        }
    }

    /// Whether requests go on a schedule (`rate`, or open-loop `stages`).
    pub fn is_open(&self) -> bool {
        self.rate.is_some() || self.stages.as_ref().is_some_and(|s| s.open)
    }

    /// Check the plan and fill in what follows from it (threads at most connections,
    /// connections and duration from closed-loop stages).
    ///
    /// # Errors
    /// [`Error::Usage`] for an unusable plan: no connections, no bound, a rate that is not
    /// positive, both a rate and stages, stages with warm-up, durations over a year, an
    /// empty request list, TLS on a herd target.
    pub fn validated(mut self) -> Result<Plan, Error> {
        if let Some(st) = &self.stages {
            st.validate()?;
            if self.rate.is_some() {
                return Err(Error::Usage(
                    "--rate and --stages exclude each other".into(),
                ));
            }
            if !self.warmup.is_zero() {
                return Err(Error::Usage(
                    "--warmup does not combine with --stages (start with a ramp stage instead)"
                        .into(),
                ));
            }
            if !st.open {
                self.connections = st.peak() as usize;
            }
            self.duration = Some(self.duration.map_or(st.total(), |d| d.min(st.total())));
        }
        if self.connections == 0 {
            return Err(Error::Usage("need at least one connection (-c)".into()));
        }
        if self.duration.is_none() && self.requests.is_none() {
            return Err(Error::Usage(
                "give a duration (-d) or a request count (-n)".into(),
            ));
        }
        if self.rate.is_some_and(|r| !(r.is_finite() && r >= 0.001)) {
            return Err(Error::Usage(
                "the rate must be a positive number of requests per second".into(),
            ));
        }
        // Keeps `Instant + duration` arithmetic in the engine far from overflow.
        let longest = Duration::from_secs(365 * 24 * 3600);
        let durations = [Some(self.warmup), self.duration, Some(self.timeout)];
        if durations.into_iter().flatten().any(|d| d > longest) {
            return Err(Error::Usage(
                "durations (-d, --warmup, --timeout) are limited to a year".into(),
            ));
        }
        match &self.target {
            Target::Http { requests } if requests.entries().is_empty() => {
                return Err(Error::Usage("no request to send".into()))
            }
            Target::Herd { .. } if self.tls.is_some() => {
                return Err(Error::Usage("the herd protocol has no TLS".into()))
            }
            _ => {}
        }
        self.threads = self.threads.clamp(1, self.connections);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GET plan for an http URL: resolved address, one request, library defaults; other
    /// schemes and malformed URLs are refused.
    #[test]
    fn http_get_plan() {
        let p = Plan::http_get("http://127.0.0.1:8080/small.html").unwrap();
        assert_eq!(p.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!((p.connections, p.threads), (10, 1));
        assert_eq!(p.duration, Some(Duration::from_secs(10)));
        let Target::Http { requests } = &p.target else {
            panic!("not http")
        };
        assert_eq!(requests.entries().len(), 1);
        assert_eq!(
            requests.entries()[0].label,
            "GET http://127.0.0.1:8080/small.html"
        );
        assert!(Plan::http_get("https://127.0.0.1:8443/").is_err());
        assert!(Plan::http_get("not a url").is_err());
    }
}
