//! [`Url`] and the other small flag parsers: [`parse_url`], [`resolve`], [`parse_duration`],
//! and [`http_request`], which encodes the bytes a run sends.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::Error;

/// A parsed URL: scheme, host:port, path and query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// `http`, `https`, `herd` or `tcp`.
    pub scheme: String,
    /// `host:port` (port defaulted: 80 for http, 443 for https).
    pub authority: String,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Url {
    /// The host without the port (and without the brackets of an IPv6 literal).
    pub fn host(&self) -> &str {
        let host = self
            .authority
            .rsplit_once(':')
            .map_or(self.authority.as_str(), |(h, _)| h);
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The `Host` header value: the authority without the scheme's default port.
    pub fn host_header(&self) -> &str {
        let default = match self.scheme.as_str() {
            "https" => ":443",
            _ => ":80",
        };
        self.authority
            .strip_suffix(default)
            .unwrap_or(&self.authority)
    }
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
    if !matches!(scheme.as_str(), "http" | "https" | "herd" | "tcp") {
        return Err(Error::Usage(format!(
            "scheme {scheme:?} is not supported: use http:// or https://, or herd:// with --protocol herd"
        )));
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    if authority.is_empty() || authority.starts_with(':') {
        return Err(Error::Usage(format!("{url:?} has no host")));
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(h, p)| p.parse::<u16>().is_ok() && (!h.contains(':') || h.ends_with(']')));
    let authority = match scheme.as_str() {
        _ if has_port => authority.to_string(),
        "http" => format!("{authority}:80"),
        "https" => format!("{authority}:443"),
        _ => return Err(Error::Usage(format!("{url:?} needs a port"))),
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

/// Parse `10s`, `500ms`, `2m`, `1h`, `1.5s`, `250us`, or plain seconds.
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
        "us" | "µs" => n / 1e6,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(Error::Usage(format!(
                "{s:?}: unknown unit {unit:?} (use us, ms, s, m, h)"
            )))
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|_| Error::Usage(format!("{s:?} is out of range")))
}

/// Encode one HTTP request to `url`: `Host` (unless among `headers`), then `headers`.
pub fn http_request(url: &Url, method: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut all: Vec<http_wire::Header> = Vec::new();
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        all.push(("Host".into(), url.host_header().as_bytes().to_vec()));
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

    /// URLs with and without ports, paths and queries; https defaults to 443.
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
        let s = parse_url("HTTPS://example.test/x").unwrap();
        assert_eq!(
            (s.scheme.as_str(), s.authority.as_str()),
            ("https", "example.test:443")
        );
        assert_eq!(
            (s.host(), s.host_header()),
            ("example.test", "example.test")
        );
        let v6 = parse_url("https://[::1]:8443/").unwrap();
        assert_eq!((v6.host(), v6.host_header()), ("::1", "[::1]:8443"));
        assert_eq!(parse_url("http://[::1]/").unwrap().authority, "[::1]:80");
        for bad in ["ftp://x", "herd://x", "nonsense", "http://", "http://:80/"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    /// Durations in every unit.
    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("ten").is_err() && parse_duration("3d").is_err());
        assert!(parse_duration("1e400").is_err() && parse_duration("").is_err());
    }

    /// The request carries Host (without the default port) and the extra headers.
    #[test]
    fn request_bytes() {
        let u = parse_url("http://example.test/x").unwrap();
        let r = http_request(&u, "GET", &[("X-A".into(), "1".into())], b"");
        assert_eq!(
            r,
            b"GET /x HTTP/1.1\r\nHost: example.test\r\nX-A: 1\r\n\r\n"
        );
        let u = parse_url("https://example.test:8443/").unwrap();
        let r = http_request(&u, "GET", &[], b"");
        assert!(r.starts_with(b"GET / HTTP/1.1\r\nHost: example.test:8443\r\n"));
    }
}
