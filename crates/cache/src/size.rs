//! Byte sizes as people write them in flags: `64MiB`, `512KiB`, `1GB`, `1000`.

/// A size that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a size; write it like 64MiB, 512KiB, 1GiB or 1000000")]
pub struct SizeError {
    /// The text as given.
    pub input: String,
}

/// Parse a byte count with an optional unit: `B`, `K`/`KB` (1000), `KiB` (1024), `M`/`MB`,
/// `MiB`, `G`/`GB`, `GiB` (case-insensitive).
///
/// # Errors
/// [`SizeError`] for anything else or a value that overflows `u64`.
pub fn parse(s: &str) -> Result<u64, SizeError> {
    let err = || SizeError {
        input: s.to_string(),
    };
    let t = s.trim();
    if t.len() > 32 {
        return Err(err());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| err())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(err()),
    };
    n.checked_mul(mult).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every unit, and the errors.
    #[test]
    fn units() {
        assert_eq!(parse("64MiB"), Ok(64 << 20));
        assert_eq!(parse("1 GiB"), Ok(1 << 30));
        assert_eq!(parse("2k"), Ok(2000));
        assert_eq!(parse("1000"), Ok(1000));
        for bad in [
            "",
            "MiB",
            "1.5MiB",
            "-1",
            "5TB",
            "99999999999999999999",
            "1GiBx",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("18446744073709551615GiB").is_err());
    }

    proptest! {
        /// No input panics; plain numbers read back exactly.
        #[test]
        fn never_panics(s in ".{0,40}", n in 0u64..u64::MAX) {
            let _ = parse(&s);
            prop_assert_eq!(parse(&n.to_string()), Ok(n));
        }
    }
}
