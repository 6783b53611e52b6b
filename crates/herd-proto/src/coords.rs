//! ISO 6709 decimal-degree coordinates, validated and kept verbatim.
//!
//! The AT line must echo the client's coordinates exactly as sent, so the raw text is kept
//! beside the parsed values. Grammar: `±DD[.D+]±DDD[.D+]`, one or two latitude digits, one to
//! three longitude digits, at most 20 fraction digits; latitude within ±90 and longitude
//! within ±180, compared exactly on the decimal text (so `+90.0000001` is out of range).

use crate::ParseError;

/// Most fraction digits accepted per number.
const MAX_FRACTION: usize = 20;

/// A validated ISO 6709 coordinate pair with its original text.
#[derive(Clone, Debug, PartialEq)]
pub struct Coords {
    raw: String,
    lat: f64,
    lon: f64,
}

/// Parse one signed decimal with at most `int_digits` integer digits and `limit` as the
/// largest magnitude; returns (value, bytes consumed).
fn number(b: &[u8], int_digits: usize, limit: u32) -> Result<(f64, usize), ParseError> {
    let neg = match b.first() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Err(ParseError::BadCoords),
    };
    let mut i = 1;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int = &b[int_start..i];
    if int.is_empty() || int.len() > int_digits {
        return Err(ParseError::BadCoords);
    }
    let mut frac: &[u8] = &[];
    if b.get(i) == Some(&b'.') {
        let fs = i + 1;
        i = fs;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac = &b[fs..i];
        if frac.is_empty() || frac.len() > MAX_FRACTION {
            return Err(ParseError::BadCoords);
        }
    }
    let whole: u32 = int.iter().fold(0, |acc, &d| acc * 10 + u32::from(d - b'0'));
    if whole > limit || (whole == limit && frac.iter().any(|&d| d != b'0')) {
        return Err(ParseError::BadCoords);
    }
    let text = std::str::from_utf8(&b[1..i]).map_err(|_| ParseError::BadCoords)?;
    let v: f64 = text.parse().map_err(|_| ParseError::BadCoords)?;
    Ok((if neg { -v } else { v }, i))
}

impl Coords {
    /// Parse and validate, e.g. `"+34.068930-118.445127"`.
    ///
    /// # Errors
    /// [`ParseError::BadCoords`] for anything but two signed in-range decimals.
    pub fn parse(s: &str) -> Result<Coords, ParseError> {
        let b = s.as_bytes();
        let (lat, used) = number(b, 2, 90)?;
        let (lon, used2) = number(&b[used..], 3, 180)?;
        if used + used2 != b.len() {
            return Err(ParseError::BadCoords);
        }
        Ok(Coords {
            raw: s.to_string(),
            lat,
            lon,
        })
    }

    /// The text exactly as sent.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Latitude in degrees, north positive.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees, east positive.
    pub fn lon(&self) -> f64 {
        self.lon
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classic example and the range edges parse; the text is kept.
    #[test]
    fn valid() {
        let c = Coords::parse("+34.068930-118.445127").unwrap();
        assert_eq!((c.lat(), c.lon()), (34.068930, -118.445127));
        assert_eq!(c.as_str(), "+34.068930-118.445127");
        assert!(Coords::parse("+90.000-180.0").is_ok());
        assert!(Coords::parse("-90+180").is_ok());
        assert!(Coords::parse("+0+0").is_ok());
        assert_eq!(Coords::parse("-33.9+151.2").unwrap().lat(), -33.9);
    }

    /// Missing signs, out of range, junk and exponents are errors.
    #[test]
    fn invalid() {
        for bad in [
            "34.0-118.0",
            "+34.0118.0",
            "+90.0000001+0",
            "+0+180.5",
            "+91+0",
            "+0-181",
            "+1e1+0",
            "+1.+2",
            "+1+2/",
            "+1 +2",
            "",
            "+",
            "+123+0",
            "+1+1234",
            "+1+2+3",
            "+1.000000000000000000001+0",
        ] {
            assert!(Coords::parse(bad).is_err(), "{bad:?}");
        }
    }
}
