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
/// different Content-Length values are an error (request smuggling).
pub fn framing_of<'h, I>(headers: I, limits: &Limits) -> Result<Option<Framing>, Error>
where
    I: IntoIterator<Item = (&'h str, &'h [u8])>,
{
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked |= has_token(value, "chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            let text =
                std::str::from_utf8(value).map_err(|_| Error::Malformed("content-length"))?;
            let n: usize = text
                .trim()
                .parse()
                .map_err(|_| Error::Malformed("content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Error::Malformed("conflicting content-length"));
            }
            length = Some(n);
        }
    }
    if chunked {
        return Ok(Some(Framing::Chunked));
    }
    match length {
        Some(n) if n > limits.max_body => Err(Error::BodyTooLarge),
        Some(n) => Ok(Some(Framing::Length(n))),
        None => Ok(None),
    }
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
        let size_text = std::str::from_utf8(size_text)
            .map_err(|_| Error::BadChunk)?
            .trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| Error::BadChunk)?;
        pos += eol + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(eol) = find_crlf(&buf[pos..]) else {
                    return Ok(None);
                };
                pos += eol + 2;
                if eol == 0 {
                    return Ok(Some((total, pos)));
                }
            }
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
