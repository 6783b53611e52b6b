//! Durations as people write them in flags and config files: `10s`, `500ms`, `2m`, `1h`,
//! `1.5` (seconds). One parser for every service, so `--idle-timeout 30s` means the same
//! thing to the herd, the relay and the server models.

use std::time::Duration;

/// A duration that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a duration; write it like 250ms, 10s, 2m or 1h")]
pub struct DurationError {
    /// The text as given.
    pub input: String,
}

/// Parse `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds (`1.5`).
///
/// # Errors
/// [`DurationError`] for anything else, a negative or non-finite number, or a value too
/// large for a [`Duration`].
pub fn parse(s: &str) -> Result<Duration, DurationError> {
    let err = || DurationError {
        input: s.to_string(),
    };
    let t = s.trim();
    // Unit length in milliseconds.
    let (num, unit_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (t, 1000)
    };
    let num = num.trim();
    // Whole numbers exactly; fractions through f64 (fine for a flag like 1.5s).
    if let Ok(n) = num.parse::<u64>() {
        return n
            .checked_mul(unit_ms)
            .map(Duration::from_millis)
            .ok_or_else(err);
    }
    let n: f64 = num.parse().map_err(|_| err())?;
    if !n.is_finite() || n < 0.0 {
        return Err(err());
    }
    Duration::try_from_secs_f64(n * unit_ms as f64 / 1000.0).map_err(|_| err())
}

/// Format a duration the way [`parse`] reads it back (whole units where exact).
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if !d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}s", d.as_secs_f64())
    } else if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else if ms.is_multiple_of(3_600_000) && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// serde support: `#[serde(with = "netkit::duration::serde")]` reads and writes `"10s"`.
pub mod serde {
    use std::time::Duration;

    use ::serde::{Deserialize, Deserializer, Serializer};

    /// Read a duration string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s).map_err(::serde::de::Error::custom)
    }

    /// Write a duration string.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every unit, bare seconds, and the errors.
    #[test]
    fn units() {
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        for bad in ["", "s", "ten", "3d", "-1s", "NaN", "inf", "1e300h"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse("x").unwrap_err().to_string().contains("250ms"));
    }

    proptest! {
        /// Formatting then parsing gives the same duration back, at millisecond precision.
        #[test]
        fn round_trip(ms in 0u64..10_000_000_000) {
            let d = Duration::from_millis(ms);
            prop_assert_eq!(parse(&format(d)), Ok(d));
        }

        /// No input panics.
        #[test]
        fn never_panics(s in ".{0,20}") {
            let _ = parse(&s);
        }
    }
}
