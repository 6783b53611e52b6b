//! Parsing what a CGI script wrote (RFC 3875 6): header fields, an empty line, the body.
//!
//! `Status`, `Content-Type` and `Location` are the CGI fields; other fields pass through
//! to the client, except those that frame the connection (Connection, Transfer-Encoding,
//! Content-Length, ...) which are the server's to write. A response without any of the
//! three CGI fields, a body without a Content-Type, a malformed line or a header block
//! over [`MAX_HEADER`] bytes is a script error (502).

use bytes::Bytes;

/// Longest header block a script may write.
pub(crate) const MAX_HEADER: usize = 8 * 1024;

/// A script's parsed response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CgiResponse {
    /// From `Status: NNN reason`.
    pub(crate) status: Option<u16>,
    /// From `Location`.
    pub(crate) location: Option<String>,
    /// From `Content-Type`.
    pub(crate) content_type: Option<Bytes>,
    /// Every other field, to pass on.
    pub(crate) headers: Vec<(String, Bytes)>,
    pub(crate) body: Bytes,
}

/// Fields the server writes itself or that describe the connection, never the script's.
const DROPPED: [&str; 9] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "te",
    "trailer",
    "upgrade",
    "date",
    "server",
];

/// Parse a script's output.
pub(crate) fn parse(out: Vec<u8>) -> Result<CgiResponse, &'static str> {
    let out = Bytes::from(out);
    let mut pos = 0;
    let mut r = CgiResponse {
        status: None,
        location: None,
        content_type: None,
        headers: Vec::new(),
        body: Bytes::new(),
    };
    loop {
        let Some(nl) = out[pos..].iter().position(|&b| b == b'\n').map(|i| pos + i) else {
            return Err("no empty line after the header fields");
        };
        if nl >= MAX_HEADER {
            return Err("header fields too long");
        }
        let line = &out[pos..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        pos = nl + 1;
        if line.is_empty() {
            break;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or("header line without a colon")?;
        let name = std::str::from_utf8(&line[..colon]).map_err(|_| "header name")?;
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err("header name");
        }
        let value = line[colon + 1..].trim_ascii();
        if value.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f) {
            return Err("control character in a header value");
        }
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "status" => {
                let v = std::str::from_utf8(value).map_err(|_| "status")?;
                let code = v.split_ascii_whitespace().next().unwrap_or("");
                let code: u16 = code.parse().map_err(|_| "status")?;
                if !(200..=599).contains(&code) || r.status.replace(code).is_some() {
                    return Err("status");
                }
            }
            "location" => {
                let v = std::str::from_utf8(value).map_err(|_| "location")?;
                if v.is_empty() || r.location.replace(v.to_string()).is_some() {
                    return Err("location");
                }
            }
            "content-type" => {
                if value.is_empty() || r.content_type.replace(out.slice_ref(value)).is_some() {
                    return Err("content-type");
                }
            }
            l if DROPPED.contains(&l) => {}
            _ => r.headers.push((name.to_string(), out.slice_ref(value))),
        }
    }
    r.body = out.slice(pos..);
    if r.status.is_none() && r.location.is_none() && r.content_type.is_none() {
        return Err("none of Status, Content-Type, Location");
    }
    if !r.body.is_empty() && r.content_type.is_none() && r.location.is_none() {
        return Err("a body without Content-Type");
    }
    Ok(r)
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Document response, status, pass-through and dropped fields, LF or CRLF lines.
    #[test]
    fn documents() {
        let r = parse(
            b"Content-Type: text/plain\nX-Thing: 1\nConnection: close\nContent-Length: 9\n\nhello"
                .to_vec(),
        )
        .unwrap();
        assert_eq!(r.content_type.as_deref(), Some(&b"text/plain"[..]));
        assert_eq!(
            r.headers,
            vec![("X-Thing".to_string(), Bytes::from_static(b"1"))]
        );
        assert_eq!(&r.body[..], b"hello");
        let r = parse(b"Status: 404 Not Here\r\nContent-Type: text/html\r\n\r\n<p>no</p>".to_vec())
            .unwrap();
        assert_eq!((r.status, &r.body[..]), (Some(404), &b"<p>no</p>"[..]));
        let r = parse(b"Location: /other?x=1\n\n".to_vec()).unwrap();
        assert_eq!(r.location.as_deref(), Some("/other?x=1"));
    }

    /// Script errors: no header block, no CGI field, a body without type, bad lines,
    /// bad status, a huge header block.
    #[test]
    fn errors() {
        let cases: [&[u8]; 9] = [
            b"just text",
            b"X-Other: 1\n\n",
            b"Status: 200\n\nbody",
            b"Content-Type text/plain\n\n",
            b"Status: abc\n\n",
            b"Status: 99\n\n",
            b"Bad Name: x\nContent-Type: a/b\n\n",
            b"Content-Type: a/b\nContent-Type: c/d\n\n",
            b"Content-Type: a\x01b\n\n",
        ];
        for c in cases {
            assert!(
                parse(c.to_vec()).is_err(),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
        let mut huge = b"Content-Type: text/plain\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEADER));
        huge.extend_from_slice(b"\n\n");
        assert!(parse(huge).is_err());
    }
}
