//! `Range: bytes=...` for one range (RFC 9110 14.2). Several ranges in one request are
//! answered with the whole file, which the RFC allows and which spares a multipart body.

use std::ops::Range;

/// What a Range header asks of a file of `len` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// Serve the whole file (no usable range: several ranges, another unit, bad syntax).
    Whole,
    /// Serve these bytes (206).
    Part(Range<u64>),
    /// No byte of the file is in the range (416).
    Unsatisfiable,
}

/// Interpret a Range header value for a file of `len` bytes.
pub(crate) fn parse(value: &[u8], len: u64) -> Ranged {
    let Ok(value) = std::str::from_utf8(value) else {
        return Ranged::Whole;
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), num(first), num(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(n)) if n > 0 && len > 0 => Ranged::Part(len.saturating_sub(n)..len),
        (true, _, Some(_)) => Ranged::Unsatisfiable,
        (false, Some(a), _) if a >= len => Ranged::Unsatisfiable,
        // bytes=A-: from A to the end.
        (false, Some(a), None) if last.trim().is_empty() => Ranged::Part(a..len),
        // bytes=A-B, B clipped to the end.
        (false, Some(a), Some(b)) if b >= a => Ranged::Part(a..b.saturating_add(1).min(len)),
        _ => Ranged::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three forms, clipping, unsatisfiable ranges and what is ignored.
    #[test]
    fn forms() {
        assert_eq!(parse(b"bytes=0-99", 1000), Ranged::Part(0..100));
        assert_eq!(parse(b"bytes=900-", 1000), Ranged::Part(900..1000));
        assert_eq!(parse(b"bytes=-100", 1000), Ranged::Part(900..1000));
        assert_eq!(parse(b"bytes=-5000", 1000), Ranged::Part(0..1000));
        assert_eq!(parse(b"bytes=990-5000", 1000), Ranged::Part(990..1000));
        assert_eq!(parse(b"bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse(b"bytes=-0", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse(b"bytes=0-0", 0), Ranged::Unsatisfiable);
        for ignored in [
            &b"bytes=0-1,5-6"[..],
            b"items=0-1",
            b"bytes=5-1",
            b"bytes=a-b",
            b"bytes=+1-2",
            b"\xff",
        ] {
            assert_eq!(parse(ignored, 1000), Ranged::Whole, "{ignored:?}");
        }
    }
}
