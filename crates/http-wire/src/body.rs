//! Body framing after the head: `Content-Length`, chunked, or none.

use crate::{has_token, header, Error, Header, Limits};

/// How the body after a head is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(usize),
    /// Chunked transfer encoding.
    Chunked,
    /// Until the connection closes (responses without a length).
    UntilClose,
}

/// The framing declared by headers. Chunked wins over Content-Length (RFC 9112 6.3); two
/// different Content-Length values are an error (request smuggling). A `Transfer-Encoding`
/// whose final coding is not `chunked` gives [`Framing::UntilClose`]: fine for a response,
/// an error for a request (the request parser rejects it, as RFC 9112 6.3 requires).
pub fn framing_of<'h, I>(headers: I, limits: &Limits) -> Result<Option<Framing>, Error>
where
    I: IntoIterator<Item = (&'h str, &'h [u8])>,
{
    let mut length: Option<usize> = None;
    // Some(final coding is chunked) once a Transfer-Encoding header was seen.
    let mut transfer: Option<bool> = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value
                .split(|&b| b == b',')
                .map(<[u8]>::trim_ascii)
                .rfind(|t| !t.is_empty());
            match last {
                Some(t) => transfer = Some(t.eq_ignore_ascii_case(b"chunked")),
                None => transfer = transfer.or(Some(false)),
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            let n = digits(value).ok_or(Error::Malformed("content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Error::Malformed("conflicting content-length"));
            }
            length = Some(n);
        }
    }
    match (transfer, length) {
        (Some(true), _) => Ok(Some(Framing::Chunked)),
        (Some(false), _) => Ok(Some(Framing::UntilClose)),
        (None, Some(n)) if n > limits.max_body => Err(Error::BodyTooLarge),
        (None, Some(n)) => Ok(Some(Framing::Length(n))),
        (None, None) => Ok(None),
    }
}

/// A decimal number of ASCII digits only (`usize::from_str` would also take `+5`).
fn digits(value: &[u8]) -> Option<usize> {
    let v = value.trim_ascii();
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// [`framing_of`] over owned headers.
pub fn framing(headers: &[Header], limits: &Limits) -> Result<Option<Framing>, Error> {
    framing_of(
        headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        limits,
    )
}

/// Walk a chunked body at the start of `buf`. Returns `(body bytes, bytes consumed)` or
/// `None` if incomplete. `out`, if given, receives the decoded body. Trailers are skipped.
pub fn chunked(
    buf: &[u8],
    limits: &Limits,
    mut out: Option<&mut Vec<u8>>,
) -> Result<Option<(usize, usize)>, Error> {
    let mut pos = 0;
    let mut total = 0usize;
    loop {
        let Some(eol) = find_crlf(&buf[pos..]) else {
            return if buf.len() - pos > 1024 {
                Err(Error::BadChunk)
            } else {
                Ok(None)
            };
        };
        let line = &buf[pos..pos + eol];
        let size_text = line.split(|&b| b == b';').next().unwrap_or(&[]);
        let size_text = size_text.trim_ascii();
        if size_text.is_empty() || !size_text.iter().all(u8::is_ascii_hexdigit) {
            return Err(Error::BadChunk);
        }
        let size = std::str::from_utf8(size_text)
            .ok()
            .and_then(|t| usize::from_str_radix(t, 16).ok())
            .ok_or(Error::BadChunk)?;
        pos += eol + 2;
        if size == 0 {
            return trailers(buf, pos, limits).map(|end| end.map(|end| (total, end)));
        }
        total = total.checked_add(size).ok_or(Error::BodyTooLarge)?;
        if total > limits.max_body {
            return Err(Error::BodyTooLarge);
        }
        if buf.len() < pos + size + 2 {
            return Ok(None);
        }
        if &buf[pos + size..pos + size + 2] != b"\r\n" {
            return Err(Error::BadChunk);
        }
        if let Some(o) = out.as_deref_mut() {
            o.extend_from_slice(&buf[pos..pos + size]);
        }
        pos += size + 2;
    }
}

/// Skip trailer lines up to the empty line that ends the body; they count against
/// `max_head`, so a peer cannot stream trailers forever.
fn trailers(buf: &[u8], mut pos: usize, limits: &Limits) -> Result<Option<usize>, Error> {
    let start = pos;
    loop {
        let Some(eol) = find_crlf(&buf[pos..]) else {
            return if buf.len() - start > limits.max_head {
                Err(Error::HeadTooLarge)
            } else {
                Ok(None)
            };
        };
        pos += eol + 2;
        if eol == 0 {
            return Ok(Some(pos));
        }
        if pos - start > limits.max_head {
            return Err(Error::HeadTooLarge);
        }
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

/// Whether `headers` ask to keep the connection open, given the minor version.
pub fn keep_alive(version: u8, connection: Option<&[u8]>) -> bool {
    match connection {
        Some(v) if has_token(v, "close") => false,
        Some(v) if has_token(v, "keep-alive") => true,
        _ => version >= 1,
    }
}

/// Look up `Connection`.
pub fn connection(headers: &[Header]) -> Option<&[u8]> {
    header(headers, "connection")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing_for(headers: &[(&str, &str)]) -> Result<Option<Framing>, Error> {
        framing_of(
            headers.iter().map(|(n, v)| (*n, v.as_bytes())),
            &Limits::default(),
        )
    }

    /// Chunked must be the final coding; lengths are plain digits and must agree.
    #[test]
    fn framing_rules() {
        let te = "Transfer-Encoding";
        assert_eq!(framing_for(&[]), Ok(None));
        assert_eq!(
            framing_for(&[(te, "gzip, chunked"), ("Content-Length", "3")]),
            Ok(Some(Framing::Chunked))
        );
        assert_eq!(
            framing_for(&[(te, "chunked, gzip")]),
            Ok(Some(Framing::UntilClose))
        );
        assert_eq!(
            framing_for(&[(te, "gzip"), (te, "chunked")]),
            Ok(Some(Framing::Chunked))
        );
        assert_eq!(
            framing_for(&[("content-length", " 12 ")]),
            Ok(Some(Framing::Length(12)))
        );
        for bad in ["+5", "-1", "", "1 2", "0x10", "99999999999999999999999"] {
            assert!(
                framing_for(&[("Content-Length", bad)]).is_err(),
                "{bad:?} accepted"
            );
        }
        assert_eq!(
            framing_for(&[("Content-Length", "2000000")]),
            Err(Error::BodyTooLarge)
        );
    }

    /// Chunk sizes are hex digits only; a huge size is over the limit, not an overflow.
    #[test]
    fn chunk_sizes() {
        let l = Limits::default();
        let mut out = Vec::new();
        let ok = b"A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nnext";
        assert_eq!(
            chunked(ok, &l, Some(&mut out)),
            Ok(Some((10, ok.len() - 4)))
        );
        assert_eq!(out, b"0123456789");
        for bad in [
            &b"+3\r\nabc\r\n0\r\n\r\n"[..],
            b"\r\n",
            b"g\r\n",
            b"3\r\nabcX\r\n",
        ] {
            assert_eq!(chunked(bad, &l, None), Err(Error::BadChunk), "{bad:?}");
        }
        assert_eq!(
            chunked(b"ffffffffffffffffff\r\n", &l, None),
            Err(Error::BadChunk)
        );
        assert_eq!(
            chunked(b"fffffffffffffff\r\n", &l, None),
            Err(Error::BodyTooLarge)
        );
        assert_eq!(chunked(b"3\r\nab", &l, None), Ok(None));
        assert_eq!(chunked(b"0\r\nX-T: 1\r\n", &l, None), Ok(None));
    }

    /// Endless trailers hit the head limit.
    #[test]
    fn trailers_are_bounded() {
        let l = Limits {
            max_head: 32,
            ..Limits::default()
        };
        let mut buf = b"0\r\n".to_vec();
        for _ in 0..8 {
            buf.extend_from_slice(b"X-Trailer: value\r\n");
        }
        assert_eq!(chunked(&buf, &l, None), Err(Error::HeadTooLarge));
        let mut long = b"0\r\nX: ".to_vec();
        long.extend_from_slice(&[b'a'; 64]);
        assert_eq!(chunked(&long, &l, None), Err(Error::HeadTooLarge));
    }

    /// Keep-alive defaults by version, overridden by Connection tokens.
    #[test]
    fn keep_alive_rules() {
        assert!(keep_alive(1, None));
        assert!(!keep_alive(0, None));
        assert!(!keep_alive(1, Some(b"Upgrade, Close")));
        assert!(keep_alive(0, Some(b"keep-alive")));
    }
}
