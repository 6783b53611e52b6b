//! Freshness of a new entry from the upstream's headers (RFC 9111, with RFC 5861's
//! `stale-while-revalidate` and `stale-if-error`).
//!
//! - Stored: 200, 203, 204, 300, 301, 308 (positive) and 404 (negative, for at most the
//!   negative TTL, never served stale). Everything else, 5xx included, is not stored.
//! - Not stored: `no-store`, `private` (this is a shared cache).
//! - Fresh for `s-maxage`, else `max-age`, else `Expires - Date`, else the default TTL,
//!   minus the upstream's `Age`. `no-cache`: stored, but never fresh (always revalidated).
//! - Stale windows after that: `stale-while-revalidate` (default none) and
//!   `stale-if-error` (default: the configured default, since serving stale when the
//!   upstream is down is what the relay is for); `must-revalidate`/`proxy-revalidate`
//!   turn both off.
//!
//! The parser reads at most [`MAX_DIRECTIVES`] directives from at most
//! [`MAX_CACHE_CONTROL_BYTES`] of header text; delta-seconds saturate at 2^31 as RFC 9111
//! 1.2.2 says.

use std::time::Duration;

use http::header::{AGE, CACHE_CONTROL, DATE, EXPIRES};
use http::HeaderMap;

use crate::Freshness;

/// Most directives read from `Cache-Control`.
pub const MAX_DIRECTIVES: usize = 32;
/// Most bytes of `Cache-Control` text read.
pub const MAX_CACHE_CONTROL_BYTES: usize = 4096;
const MAX_DELTA: u64 = 1 << 31;

/// The directives of a response's `Cache-Control` that matter to a shared cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// `max-age`, seconds.
    pub max_age: Option<u64>,
    /// `s-maxage`, seconds (wins over `max-age` in a shared cache).
    pub s_maxage: Option<u64>,
    /// `no-store`.
    pub no_store: bool,
    /// `no-cache` (with or without field names: treated as the whole response).
    pub no_cache: bool,
    /// `private` (with or without field names).
    pub private: bool,
    /// `must-revalidate` or `proxy-revalidate`.
    pub must_revalidate: bool,
    /// `stale-while-revalidate`, seconds.
    pub stale_while_revalidate: Option<u64>,
    /// `stale-if-error`, seconds.
    pub stale_if_error: Option<u64>,
}

impl CacheControl {
    /// Read every `Cache-Control` header of `headers` (bounded; unknown directives and
    /// malformed values are ignored).
    pub fn from_headers(headers: &HeaderMap) -> CacheControl {
        let mut cc = CacheControl::default();
        let mut budget = MAX_CACHE_CONTROL_BYTES;
        let mut seen = 0;
        for value in headers.get_all(CACHE_CONTROL) {
            let bytes = value.as_bytes();
            let text = &bytes[..bytes.len().min(budget)];
            budget -= text.len();
            let Ok(text) = std::str::from_utf8(text) else {
                continue;
            };
            for directive in text.split(',') {
                if seen == MAX_DIRECTIVES {
                    return cc;
                }
                seen += 1;
                cc.apply(directive);
            }
            if budget == 0 {
                break;
            }
        }
        cc
    }

    fn apply(&mut self, directive: &str) {
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        let secs = || value.and_then(|v| v.parse::<u64>().ok().or_else(|| saturated(v)));
        match name.to_ascii_lowercase().as_str() {
            "max-age" => self.max_age = secs().or(self.max_age),
            "s-maxage" => self.s_maxage = secs().or(self.s_maxage),
            "no-store" => self.no_store = true,
            "no-cache" => self.no_cache = true,
            "private" => self.private = true,
            "must-revalidate" | "proxy-revalidate" => self.must_revalidate = true,
            "stale-while-revalidate" => self.stale_while_revalidate = secs(),
            "stale-if-error" => self.stale_if_error = secs(),
            _ => {}
        }
    }
}

/// All digits but too large for u64: the maximum delta.
fn saturated(v: &str) -> Option<u64> {
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then_some(MAX_DELTA)
}

/// The relay's freshness settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Freshness when the upstream says nothing (`--default-ttl`). Default 60 s.
    pub default_ttl: Duration,
    /// Longest a 404 is kept. Default 10 s.
    pub negative_ttl: Duration,
    /// Stale-if-error window when the upstream gives none. Default 24 h.
    pub default_stale_if_error: Duration,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            default_ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(10),
            default_stale_if_error: Duration::from_secs(24 * 3600),
        }
    }
}

/// Whether (and for how long) a response of `status` with `headers`, received at `now`
/// (Unix ms), may be stored and served; `None` means do not store it.
pub fn freshness(
    status: u16,
    headers: &HeaderMap,
    now: u64,
    cfg: &PolicyConfig,
) -> Option<Freshness> {
    let negative = match status {
        200 | 203 | 204 | 300 | 301 | 308 => false,
        404 => true,
        _ => return None,
    };
    let cc = CacheControl::from_headers(headers);
    if cc.no_store || cc.private {
        return None;
    }
    let initial_age = header_u64(headers, AGE).unwrap_or(0).min(MAX_DELTA);
    let lifetime = cc
        .s_maxage
        .or(cc.max_age)
        .or_else(|| expires_lifetime(headers, now))
        .unwrap_or(cfg.default_ttl.as_secs());
    let mut lifetime = if cc.no_cache { 0 } else { lifetime };
    if negative {
        lifetime = lifetime.min(cfg.negative_ttl.as_secs());
    }
    let fresh_until = now.saturating_add(lifetime.saturating_sub(initial_age).saturating_mul(1000));
    let (swr, sie) = if negative || cc.must_revalidate {
        (0, 0)
    } else {
        (
            cc.stale_while_revalidate.unwrap_or(0),
            cc.stale_if_error
                .unwrap_or(cfg.default_stale_if_error.as_secs()),
        )
    };
    Some(Freshness {
        stored_at: now,
        initial_age,
        fresh_until,
        swr_until: fresh_until.saturating_add(swr.saturating_mul(1000)),
        sie_until: fresh_until.saturating_add(sie.saturating_mul(1000)),
    })
}

fn header_u64(headers: &HeaderMap, name: http::HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `Expires - Date` (or `- now` without a usable `Date`), in whole seconds; an invalid
/// `Expires` means already expired (RFC 9111 5.3).
fn expires_lifetime(headers: &HeaderMap, now: u64) -> Option<u64> {
    let expires = headers.get(EXPIRES)?;
    let Some(exp) = expires
        .to_str()
        .ok()
        .and_then(|s| httpdate::parse_http_date(s).ok())
    else {
        return Some(0);
    };
    let base = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(std::time::UNIX_EPOCH + Duration::from_millis(now));
    Some(exp.duration_since(base).map(|d| d.as_secs()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    const NOW: u64 = 1_700_000_000_000;

    fn cfg() -> PolicyConfig {
        PolicyConfig::default()
    }

    /// Directives, case, quotes, several headers, unknown ones.
    #[test]
    fn parses_directives() {
        let cc = CacheControl::from_headers(&h(&[
            (
                "cache-control",
                "Max-Age=\"30\", public, stale-while-revalidate=5",
            ),
            (
                "cache-control",
                "s-maxage=99, stale-if-error=600, x-foo=bar, must-revalidate",
            ),
        ]));
        assert_eq!(cc.max_age, Some(30));
        assert_eq!(cc.s_maxage, Some(99));
        assert_eq!(cc.stale_while_revalidate, Some(5));
        assert_eq!(cc.stale_if_error, Some(600));
        assert!(cc.must_revalidate && !cc.no_store);
        let big =
            CacheControl::from_headers(&h(&[("cache-control", "max-age=99999999999999999999999")]));
        assert_eq!(big.max_age, Some(MAX_DELTA));
        let bad = CacheControl::from_headers(&h(&[("cache-control", "max-age=-1, max-age=abc")]));
        assert_eq!(bad.max_age, None);
    }

    /// Only the first MAX_DIRECTIVES directives count.
    #[test]
    fn directive_limit() {
        let mut text = "x, ".repeat(MAX_DIRECTIVES - 1);
        text.push_str("no-store");
        assert!(CacheControl::from_headers(&h(&[("cache-control", &text)])).no_store);
        let mut text = "x, ".repeat(MAX_DIRECTIVES);
        text.push_str("no-store");
        assert!(!CacheControl::from_headers(&h(&[("cache-control", &text)])).no_store);
    }

    /// max-age beats the default TTL; s-maxage beats max-age; Age is subtracted.
    #[test]
    fn lifetimes() {
        let f = freshness(200, &h(&[("cache-control", "max-age=5")]), NOW, &cfg()).unwrap();
        assert_eq!(f.fresh_until, NOW + 5_000);
        let f = freshness(
            200,
            &h(&[("cache-control", "max-age=5, s-maxage=7")]),
            NOW,
            &cfg(),
        )
        .unwrap();
        assert_eq!(f.fresh_until, NOW + 7_000);
        let f = freshness(
            200,
            &h(&[("cache-control", "max-age=5"), ("age", "2")]),
            NOW,
            &cfg(),
        )
        .unwrap();
        assert_eq!((f.fresh_until, f.initial_age), (NOW + 3_000, 2));
        let f = freshness(200, &HeaderMap::new(), NOW, &cfg()).unwrap();
        assert_eq!(f.fresh_until, NOW + 60_000);
        assert_eq!(f.sie_until, NOW + 60_000 + 24 * 3_600_000);
        assert_eq!(f.swr_until, f.fresh_until);
    }

    /// Expires relative to Date; an invalid Expires is already stale.
    #[test]
    fn expires() {
        let f = freshness(
            200,
            &h(&[
                ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("expires", "Sun, 06 Nov 1994 08:50:37 GMT"),
            ]),
            NOW,
            &cfg(),
        )
        .unwrap();
        assert_eq!(f.fresh_until, NOW + 60_000);
        let f = freshness(200, &h(&[("expires", "0")]), NOW, &cfg()).unwrap();
        assert_eq!(f.fresh_until, NOW);
    }

    /// What is never stored, and the 404 and no-cache rules.
    #[test]
    fn storability() {
        for s in [500, 502, 503, 504, 400, 401, 403, 302, 206] {
            assert!(
                freshness(s, &HeaderMap::new(), NOW, &cfg()).is_none(),
                "{s}"
            );
        }
        assert!(freshness(200, &h(&[("cache-control", "no-store")]), NOW, &cfg()).is_none());
        assert!(freshness(200, &h(&[("cache-control", "private")]), NOW, &cfg()).is_none());
        let f = freshness(
            404,
            &h(&[("cache-control", "max-age=600, stale-if-error=60")]),
            NOW,
            &cfg(),
        )
        .unwrap();
        assert_eq!(f.fresh_until, NOW + 10_000);
        assert_eq!(f.sie_until, f.fresh_until);
        let f = freshness(
            200,
            &h(&[("cache-control", "no-cache, max-age=60")]),
            NOW,
            &cfg(),
        )
        .unwrap();
        assert_eq!(f.fresh_until, NOW);
        let f = freshness(
            200,
            &h(&[(
                "cache-control",
                "max-age=1, must-revalidate, stale-if-error=9",
            )]),
            NOW,
            &cfg(),
        )
        .unwrap();
        assert_eq!(f.sie_until, f.fresh_until);
    }

    proptest! {
        /// No header text panics the parser or the freshness computation.
        #[test]
        fn never_panics(s in "[ -~]{0,200}", status in 100u16..600, now in any::<u64>()) {
            if let Ok(v) = HeaderValue::from_str(&s) {
                let mut m = HeaderMap::new();
                m.insert(CACHE_CONTROL, v.clone());
                m.insert(EXPIRES, v.clone());
                m.insert(AGE, v);
                let _ = CacheControl::from_headers(&m);
                if let Some(f) = freshness(status, &m, now, &cfg()) {
                    prop_assert!(f.fresh_until >= f.stored_at);
                    prop_assert!(f.sie_until >= f.fresh_until && f.swr_until >= f.fresh_until);
                }
            }
        }
    }
}
