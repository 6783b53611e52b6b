//! Client lines: `IAMAT`, `WHATSAT` and `AT`, and the `?` error reply.
//!
//! [`parse_request`] accepts exactly the documented field counts; client ids and server
//! names are any run of non-white-space UTF-8. Every type's `Display` writes the canonical
//! single-spaced line (no newline), and `parse_request(x.to_string()) == x`.

use std::borrow::Cow;
use std::fmt;

use crate::{fields, is_space, Coords, ParseError, TimeDiff, Timestamp, MAX_LINE};

/// `IAMAT <client> <coords> <time>`: a client says where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct IAmAt {
    /// The client's id.
    pub client: String,
    /// Where it is, verbatim.
    pub coords: Coords,
    /// Its time exactly as sent.
    pub time_raw: String,
    /// Its time, parsed.
    pub time: Timestamp,
}

/// `WHATSAT <client> <radius_km> <bound>`: places near a client.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatsAt {
    /// The client asked about.
    pub client: String,
    /// Radius in kilometres, within [0, 50].
    pub radius_km: f64,
    /// The radius exactly as sent.
    pub radius_raw: String,
    /// Most results wanted, within [0, 20].
    pub bound: u32,
}

/// `AT <server> <diff> <client> <coords> <time>`: a location as recorded by the server that
/// heard it from the client.
#[derive(Clone, Debug, PartialEq)]
pub struct At {
    /// The server that heard the client.
    pub server: String,
    /// Server receive time minus client time.
    pub diff: TimeDiff,
    /// The client's id.
    pub client: String,
    /// Where it is, verbatim.
    pub coords: Coords,
    /// The client's time exactly as sent.
    pub time_raw: String,
    /// The client's time, parsed.
    pub time: Timestamp,
}

/// One line from a client connection.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// A location report.
    IAmAt(IAmAt),
    /// A places query.
    WhatsAt(WhatsAt),
    /// An AT line: valid only from an authenticated peer.
    At(At),
}

impl At {
    /// The record a server named `server` makes on receiving `iamat` at `received`.
    pub fn from_iamat(server: &str, received: Timestamp, iamat: &IAmAt) -> At {
        At {
            server: server.to_string(),
            diff: received.diff(&iamat.time),
            client: iamat.client.clone(),
            coords: iamat.coords.clone(),
            time_raw: iamat.time_raw.clone(),
            time: iamat.time,
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AT {} {} {} {} {}",
            self.server,
            self.diff,
            self.client,
            self.coords.as_str(),
            self.time_raw
        )
    }
}

impl fmt::Display for IAmAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IAMAT {} {} {}",
            self.client,
            self.coords.as_str(),
            self.time_raw
        )
    }
}

impl fmt::Display for WhatsAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WHATSAT {} {} {}",
            self.client, self.radius_raw, self.bound
        )
    }
}

/// Split a line into UTF-8 fields, checking length (at most `max` bytes) and encoding.
pub(crate) fn split_fields(line: &[u8], max: usize) -> Result<Vec<&str>, ParseError> {
    if line.len() > max {
        return Err(ParseError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| ParseError::NotUtf8)?;
    let parts: Vec<&str> = fields(text.as_bytes())
        .filter_map(|f| std::str::from_utf8(f).ok())
        .collect();
    if parts.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(parts)
}

/// Check that `parts` (command word included) has exactly `expected` arguments.
pub(crate) fn arity(
    parts: &[&str],
    command: &'static str,
    expected: usize,
) -> Result<(), ParseError> {
    let got = parts.len() - 1;
    if got == expected {
        Ok(())
    } else {
        Err(ParseError::WrongArity {
            command,
            expected,
            got,
        })
    }
}

/// WHATSAT radius: `[+]digits[.digits]` within [0, 50], the range checked exactly on the
/// text (so `50.0000000000000000001` is out, though it rounds to 50.0 as an `f64`).
fn radius(s: &str) -> Result<f64, ParseError> {
    let text = s.strip_prefix('+').unwrap_or(s);
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
        return Err(ParseError::BadRadius);
    }
    let int = int.trim_start_matches('0');
    let whole = int.bytes().fold(0u32, |acc, d| {
        acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    if whole > 50 || (whole == 50 && frac.bytes().any(|b| b != b'0')) {
        return Err(ParseError::BadRadius);
    }
    text.parse().map_err(|_| ParseError::BadRadius)
}

/// WHATSAT bound: `[+]digits` within [0, 20]; leading zeros are fine (`020` is 20).
fn bound(s: &str) -> Result<u32, ParseError> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadBound);
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 2 {
        return Err(ParseError::BadBound);
    }
    let v = digits
        .bytes()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    if v <= 20 {
        Ok(v)
    } else {
        Err(ParseError::BadBound)
    }
}

/// Parse the fields of an AT line (after the `AT` word).
pub(crate) fn parse_at(parts: &[&str]) -> Result<At, ParseError> {
    arity(parts, "AT", 5)?;
    Ok(At {
        server: parts[1].to_string(),
        diff: parts[2].parse()?,
        client: parts[3].to_string(),
        coords: Coords::parse(parts[4])?,
        time_raw: parts[5].to_string(),
        time: parts[5].parse()?,
    })
}

/// Parse one client line (newline removed; other white space allowed anywhere).
///
/// # Errors
/// A [`ParseError`] saying what is wrong; the caller answers [`error_reply`].
pub fn parse_request(line: &[u8]) -> Result<Request, ParseError> {
    let parts = split_fields(line, MAX_LINE)?;
    match parts[0] {
        "IAMAT" => {
            arity(&parts, "IAMAT", 3)?;
            Ok(Request::IAmAt(IAmAt {
                client: parts[1].to_string(),
                coords: Coords::parse(parts[2])?,
                time_raw: parts[3].to_string(),
                time: parts[3].parse()?,
            }))
        }
        "WHATSAT" => {
            arity(&parts, "WHATSAT", 3)?;
            Ok(Request::WhatsAt(WhatsAt {
                client: parts[1].to_string(),
                radius_km: radius(parts[2])?,
                radius_raw: parts[2].to_string(),
                bound: bound(parts[3])?,
            }))
        }
        "AT" => parse_at(&parts).map(Request::At),
        _ => Err(ParseError::UnknownCommand),
    }
}

/// The line without leading and trailing protocol white space, lossily decoded.
pub fn strip(line: &[u8]) -> Cow<'_, str> {
    let start = line
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    String::from_utf8_lossy(&line[start..end])
}

/// The answer to an invalid line: `? ` + the stripped line + newline.
pub fn error_reply(line: &[u8]) -> String {
    format!("? {}\n", strip(line))
}

#[cfg(test)]
mod tests;
