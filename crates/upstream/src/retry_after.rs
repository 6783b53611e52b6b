//! `Retry-After` (RFC 9110 10.2.3): how long a 429 or 503 asks a client to wait, as
//! delta-seconds or an HTTP date. Bounded: a value that is neither is ignored.

use std::time::Duration;

use http::header::RETRY_AFTER;
use http::HeaderMap;

/// `Retry-After: <seconds>` or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate_parse(v)?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn httpdate_parse(v: &str) -> Option<std::time::SystemTime> {
    // reqwest does not re-export a date parser; RFC 9110 IMF-fixdate is the only form
    // servers must send, which this accepts ("Sun, 06 Nov 1994 08:49:37 GMT").
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months.iter().position(|x| *x == mon)? as u64 + 1;
    let (d, y): (u64, u64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<u64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, s] = hms[..] else { return None };
    if !(1970..10000).contains(&y) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), valid for years >= 1970 here.
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2 / 400;
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seconds and IMF dates; garbage is ignored.
    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, http::HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            http::HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, http::HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
        assert_eq!(
            httpdate_parse("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(std::time::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
    }

    proptest::proptest! {
        /// No header value makes the Retry-After parser panic.
        #[test]
        fn retry_after_never_panics(s in "[ -~]{0,40}") {
            let _ = httpdate_parse(&s);
            if let Ok(v) = http::HeaderValue::from_str(&s) {
                let mut h = HeaderMap::new();
                h.insert(RETRY_AFTER, v);
                let _ = parse_retry_after(&h);
            }
        }
    }
}
