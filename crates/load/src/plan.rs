//! [`Plan`]: a validated description of one run, built from flags before any traffic.
//!
//! Everything that can be prepared is prepared here (the target address resolved, the
//! request bytes encoded once), so the engine's hot loop only writes and reads.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::Error;

/// What to send.
#[derive(Clone, Debug)]
pub enum Target {
    /// HTTP/1.1 keep-alive requests, all the same.
    Http {
        /// The encoded request.
        request: Vec<u8>,
        /// Whether it is a HEAD request (responses then have no body).
        head: bool,
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
    /// What to send.
    pub target: Target,
    /// Concurrent connections.
    pub connections: usize,
    /// Threads, each with its own single-threaded runtime.
    pub threads: usize,
    /// How long to measure (after warm-up), unless `requests` is set.
    pub duration: Option<Duration>,
    /// Stop after this many requests.
    pub requests: Option<u64>,
    /// Open loop at this many requests per second; `None` is closed loop.
    pub rate: Option<f64>,
    /// Unrecorded traffic before measuring.
    pub warmup: Duration,
    /// Per-request time limit; a request over it counts as a timeout and reconnects.
    pub timeout: Duration,
}

impl Plan {
    /// A closed-loop `GET /x` plan for tests: 2 connections on 2 threads, 5 s timeout, no
    /// warm-up, and no bound yet (set `duration` or `requests`).
    pub fn for_test(addr: SocketAddr) -> Plan {
        let url = Url {
            scheme: "http".into(),
            authority: addr.to_string(),
            path: "/x".into(),
        };
        Plan {
            url: format!("http://{addr}/x"),
            addr,
            target: Target::Http {
                request: http_request(&url, "GET", &[], b""),
                head: false,
            },
            connections: 2,
            threads: 2,
            duration: None,
            requests: None,
            rate: None,
            warmup: Duration::ZERO,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A parsed URL: scheme, host:port, path and query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// `http`, `herd` or `tcp`.
    pub scheme: String,
    /// `host:port` (port defaulted: 80 for http).
    pub authority: String,
    /// Path and query, at least `/`.
    pub path: String,
}

/// Parse `scheme://host[:port][/path?query]`.
///
/// # Errors
/// [`Error::Usage`] when the URL is not of that form or the scheme is not supported.
pub fn parse_url(url: &str) -> Result<Url, Error> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::Usage(format!("{url:?} is not a URL; try http://127.0.0.1:8080/")))?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "herd" | "tcp") {
        return Err(Error::Usage(format!(
            "scheme {scheme:?} is not supported: use http:// (https is not), or herd:// with --protocol herd"
        )));
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    if authority.is_empty() {
        return Err(Error::Usage(format!("{url:?} has no host")));
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else if scheme == "http" {
        format!("{authority}:80")
    } else {
        return Err(Error::Usage(format!("{url:?} needs a port")));
    };
    Ok(Url {
        scheme,
        authority,
        path,
    })
}

/// Resolve `host:port` to the first address.
///
/// # Errors
/// [`Error::Usage`] if the name does not resolve.
pub fn resolve(authority: &str) -> Result<SocketAddr, Error> {
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| Error::Usage(format!("cannot resolve {authority}")))
}

/// Parse `10s`, `500ms`, `2m`, `1h`, `1.5s`, or plain seconds.
///
/// # Errors
/// [`Error::Usage`] for anything else.
pub fn parse_duration(s: &str) -> Result<Duration, Error> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| Error::Usage(format!("{s:?} is not a duration (try 10s, 500ms, 2m)")))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "us" => n / 1e6,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(Error::Usage(format!(
                "{s:?}: unknown unit {unit:?} (use ms, s, m, h)"
            )))
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|_| Error::Usage(format!("{s:?} is out of range")))
}

/// Encode the HTTP request the run sends.
pub fn http_request(url: &Url, method: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut all: Vec<http_wire::Header> = Vec::new();
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        let host = url.authority.strip_suffix(":80").unwrap_or(&url.authority);
        all.push(("Host".into(), host.as_bytes().to_vec()));
    }
    all.extend(
        headers
            .iter()
            .map(|(n, v)| (n.clone(), v.as_bytes().to_vec())),
    );
    let mut out = Vec::new();
    http_wire::encode_request(method, &url.path, &all, body, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// URLs with and without ports, paths and queries.
    #[test]
    fn urls() {
        let u = parse_url("http://127.0.0.1:8080/a/b?c=d").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.path.as_str()),
            ("127.0.0.1:8080", "/a/b?c=d")
        );
        assert_eq!(
            parse_url("http://localhost").unwrap().authority,
            "localhost:80"
        );
        assert_eq!(parse_url("http://h:1?x").unwrap().path, "/?x");
        assert_eq!(parse_url("herd://127.0.0.1:12000").unwrap().scheme, "herd");
        assert!(parse_url("https://x").is_err());
        assert!(parse_url("herd://x").is_err());
        assert!(parse_url("nonsense").is_err());
    }

    /// Durations in every unit.
    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("ten").is_err() && parse_duration("3d").is_err());
    }

    /// The request carries Host and the extra headers.
    #[test]
    fn request_bytes() {
        let u = parse_url("http://example.test/x").unwrap();
        let r = http_request(&u, "GET", &[("X-A".into(), "1".into())], b"");
        assert_eq!(
            r,
            b"GET /x HTTP/1.1\r\nHost: example.test\r\nX-A: 1\r\n\r\n"
        );
    }
}
