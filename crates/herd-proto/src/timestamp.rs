//! Exact POSIX times and differences in integer nanoseconds.
//!
//! Client times are compared (newest wins) and subtracted (the AT line's diff) exactly:
//! going through `f64` would make `1520023934.918963997` and `1520023934.918963998` equal.
//! Fractions longer than nine digits are accepted and truncated toward negative infinity,
//! so ordering stays consistent for negative times too.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::ParseError;

const NANOS: i128 = 1_000_000_000;
/// Most integer digits accepted: keeps every value inside `i64` seconds.
const MAX_INT_DIGITS: usize = 18;

/// Most integer digits accepted in a time difference: a server's clock (at most
/// `i64::MAX` seconds, 19 digits) minus a client time of up to 18 digits, negative, can
/// reach 20 digits, and every difference a server writes must parse at its peers.
const MAX_DIFF_INT_DIGITS: usize = 20;

/// An exact POSIX time: `secs + nanos / 1e9`, with `nanos` in `0..1e9`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// A signed exact duration in nanoseconds. Always displayed with a sign and nine fraction
/// digits, never an exponent: `+0.263873386`, `-12.000000001`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeDiff(pub i128);

/// Parse `[+-]digits[.digits]` into nanoseconds, flooring past the ninth fraction digit.
fn parse_nanos(s: &str, max_int_digits: usize) -> Result<i128, ParseError> {
    let b = s.as_bytes();
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match rest.iter().position(|&c| c == b'.') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let all_digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return Err(ParseError::BadTimestamp);
    }
    if int.len() > max_int_digits {
        return Err(ParseError::BadTimestamp);
    }
    let mut value: i128 = 0;
    for &d in int {
        value = value * 10 + i128::from(d - b'0');
    }
    let mut ns: i128 = 0;
    for i in 0..9 {
        ns = ns * 10 + frac.get(i).map_or(0, |&d| i128::from(d - b'0'));
    }
    let beyond = frac.len() > 9 && frac[9..].iter().any(|&d| d != b'0');
    let magnitude = value * NANOS + ns;
    Ok(if neg {
        -magnitude - i128::from(beyond)
    } else {
        magnitude
    })
}

/// Write `nanos` as `[-]secs.nnnnnnnnn`, with `+` for non-negative values if `plus`.
fn write_nanos(f: &mut fmt::Formatter<'_>, nanos: i128, plus: bool) -> fmt::Result {
    let sign = if nanos < 0 {
        "-"
    } else if plus {
        "+"
    } else {
        ""
    };
    let abs = nanos.unsigned_abs();
    let n = NANOS.unsigned_abs();
    write!(f, "{sign}{}.{:09}", abs / n, abs % n)
}

impl Timestamp {
    /// A timestamp from parts; `None` unless `nanos < 1e9`.
    pub fn new(secs: i64, nanos: u32) -> Option<Self> {
        (nanos < 1_000_000_000).then_some(Timestamp { secs, nanos })
    }

    /// From total nanoseconds since the epoch; `None` if the seconds overflow `i64`.
    pub fn from_nanos(total: i128) -> Option<Self> {
        let secs = i64::try_from(total.div_euclid(NANOS)).ok()?;
        let nanos = u32::try_from(total.rem_euclid(NANOS)).ok()?;
        Some(Timestamp { secs, nanos })
    }

    /// Whole seconds (floor).
    pub fn secs(&self) -> i64 {
        self.secs
    }

    /// Nanoseconds past [`Timestamp::secs`].
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// A system time, including times before the epoch (saturating far outside ±292 years).
    pub fn from_system(t: SystemTime) -> Self {
        let total = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
            Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
        };
        Self::from_nanos(total).unwrap_or(if total < 0 {
            Timestamp {
                secs: i64::MIN,
                nanos: 0,
            }
        } else {
            Timestamp {
                secs: i64::MAX,
                nanos: 999_999_999,
            }
        })
    }

    /// The current system time.
    pub fn now() -> Self {
        Self::from_system(SystemTime::now())
    }

    /// Nanoseconds since the epoch.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.secs) * NANOS + i128::from(self.nanos)
    }

    /// `self - earlier`, exactly.
    pub fn diff(&self, earlier: &Timestamp) -> TimeDiff {
        TimeDiff(self.as_nanos() - earlier.as_nanos())
    }
}

impl FromStr for Timestamp {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::from_nanos(parse_nanos(s, MAX_INT_DIGITS)?).ok_or(ParseError::BadTimestamp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_nanos(f, self.as_nanos(), false)
    }
}

impl FromStr for TimeDiff {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_nanos(s, MAX_DIFF_INT_DIGITS).map(TimeDiff)
    }
}

impl fmt::Display for TimeDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_nanos(f, self.0, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Valid forms parse exactly; display is canonical.
    #[test]
    fn parses_exactly() {
        assert_eq!(
            ts("1520023934.918963997").as_nanos(),
            1_520_023_934_918_963_997
        );
        assert_eq!(ts("5").to_string(), "5.000000000");
        assert_eq!(ts("5.").to_string(), "5.000000000");
        assert_eq!(ts(".5").to_string(), "0.500000000");
        assert_eq!(ts("+7.25").to_string(), "7.250000000");
        assert_eq!(ts("-1.5"), Timestamp::new(-2, 500_000_000).unwrap());
        assert_eq!(ts("-1.5").to_string(), "-1.500000000");
        assert_eq!(ts("-0.25").to_string(), "-0.250000000");
    }

    /// Fractions past nine digits truncate toward negative infinity.
    #[test]
    fn long_fractions_floor() {
        assert_eq!(ts("1.1234567899999").as_nanos(), 1_123_456_789);
        assert_eq!(ts("-0.0000000001").as_nanos(), -1);
        assert_eq!(ts("-0.0000000000").as_nanos(), 0);
        assert!(ts("1.0000000009") < ts("1.000000001"));
    }

    /// Exponents, specials, junk and overflow are errors.
    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "",
            ".",
            "-",
            "+",
            "1e9",
            "inf",
            "nan",
            "0x10",
            "1,5",
            " 1",
            "1.2.3",
            "--1",
            "1234567890123456789",
        ] {
            assert_eq!(
                bad.parse::<Timestamp>(),
                Err(ParseError::BadTimestamp),
                "{bad:?}"
            );
        }
    }

    /// Differences carry a sign and nine digits, never an exponent.
    #[test]
    fn diff_display() {
        let d = ts("1520023935.182837383").diff(&ts("1520023934.918963997"));
        assert_eq!(d.to_string(), "+0.263873386");
        assert_eq!(
            ts("0").diff(&ts("12.000000001")).to_string(),
            "-12.000000001"
        );
        assert_eq!(TimeDiff(0).to_string(), "+0.000000000");
        assert_eq!(
            "-12.000000001".parse::<TimeDiff>(),
            Ok(TimeDiff(-12_000_000_001))
        );
    }

    /// System times before the epoch are negative.
    #[test]
    fn system_times() {
        let before = UNIX_EPOCH - std::time::Duration::from_millis(1500);
        assert_eq!(Timestamp::from_system(before).to_string(), "-1.500000000");
        assert!(Timestamp::now().secs() > 1_700_000_000);
    }
}
