//! Request targets: `/<topic>` and `/<topic>/<user>`, each one percent-decoded path
//! segment, and the long-poll `?wait=` parameter. Sans-IO and bounded: the input is a
//! request target hyper already limited to the configured head size.

use std::time::Duration;

/// What a request path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `/<topic>`: publish.
    Topic(Vec<u8>),
    /// `/<topic>/<user>`: subscribe, unsubscribe, poll.
    Subscription {
        /// The topic, percent-decoded.
        topic: Vec<u8>,
        /// The user, percent-decoded.
        user: Vec<u8>,
    },
}

/// Parse a request path (without the query). `None` for anything that is not one or two
/// non-empty segments with valid percent escapes: the HTTP layer answers 404.
///
/// Names are opaque bytes after decoding: `%2F` yields a `/` inside a name, `%00` a NUL,
/// and invalid UTF-8 is kept as it is.
pub fn parse_path(path: &str) -> Option<Target> {
    let rest = path.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let topic = decode_segment(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(Target::Topic(topic)),
        (Some(user), None) => Some(Target::Subscription {
            topic,
            user: decode_segment(user)?,
        }),
        _ => None,
    }
}

/// Percent-decode one non-empty segment. `None` if it is empty or has a bad escape.
pub fn decode_segment(seg: &str) -> Option<Vec<u8>> {
    if seg.is_empty() {
        return None;
    }
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-encode a name into one path segment (every byte outside the unreserved set).
/// The inverse of [`decode_segment`]; clients and tests use it to build URLs.
pub fn encode_segment(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for &c in name {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Why a `?wait=` value was refused (HTTP 400).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    /// Not a duration.
    #[error("wait={0:?} is not a duration; write it like 500ms or 10s")]
    Malformed(String),
    /// Longer than the configured maximum.
    #[error("wait may be at most {max:?}")]
    TooLong {
        /// The configured maximum.
        max: Duration,
    },
}

/// The `wait` parameter of a query string, if present (the first one counts; other
/// parameters are ignored). Zero means "do not wait".
///
/// # Errors
/// [`WaitError`] for a value that is not a duration or exceeds `max`.
pub fn parse_wait(query: Option<&str>, max: Duration) -> Result<Option<Duration>, WaitError> {
    let Some(q) = query else { return Ok(None) };
    let Some(v) = q
        .split('&')
        .find_map(|kv| kv.strip_prefix("wait=").or((kv == "wait").then_some("")))
    else {
        return Ok(None);
    };
    let d = netkit::duration::parse(v).map_err(|_| WaitError::Malformed(v.to_string()))?;
    if d > max {
        return Err(WaitError::TooLong { max });
    }
    Ok((!d.is_zero()).then_some(d))
}

#[cfg(test)]
mod tests;
