//! One request's exchange on an open connection: write it, read until its answer is
//! complete. HTTP answers are measured in place by http-wire (no copy, no allocation);
//! herd answers end with their line (IAMAT) or the blank line after the JSON (WHATSAT).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::herd::{answer_len, Commands};
use crate::requests::Entry;
use crate::stats::ErrorKind;
use crate::transport::Stream;

/// Bytes of the answer, whether the connection stays usable, and the HTTP status (0 for
/// a herd answer).
pub(crate) type Answer = Result<(usize, bool, u16), ErrorKind>;

/// Largest HTTP answer body, and largest herd answer.
const MAX_BODY: usize = 64 * 1024 * 1024;
const MAX_HERD_ANSWER: usize = 1 << 20;

/// Send `entry` and read its answer.
pub(crate) async fn http(s: &mut Stream, entry: &Entry, buf: &mut Vec<u8>) -> Answer {
    buf.clear();
    s.write_all(&entry.bytes).await.map_err(|_| ErrorKind::Io)?;
    s.flush().await.map_err(|_| ErrorKind::Io)?;
    let limits = http_wire::Limits {
        max_body: MAX_BODY,
        ..Default::default()
    };
    loop {
        match http_wire::measure_response(buf, &limits, entry.head, false) {
            Ok(Some(m)) => return Ok((m.len, m.keep_alive, m.status)),
            Ok(None) => {}
            Err(_) => return Err(ErrorKind::Parse),
        }
        if read_more(s, buf).await? == 0 {
            return match http_wire::measure_response(buf, &limits, entry.head, true) {
                Ok(Some(m)) => Ok((m.len, false, m.status)),
                _ => Err(ErrorKind::Io),
            };
        }
    }
}

/// Send the next herd command and read its answer. With `per_request`, half-close after
/// sending and read to the server's close, as a mobile client does.
pub(crate) async fn herd(
    s: &mut Stream,
    commands: &mut Commands,
    per_request: bool,
    buf: &mut Vec<u8>,
) -> Answer {
    buf.clear();
    let (line, whatsat) = commands.next_line();
    s.write_all(line.as_bytes())
        .await
        .map_err(|_| ErrorKind::Io)?;
    if per_request {
        s.shutdown().await.map_err(|_| ErrorKind::Io)?;
    } else {
        s.flush().await.map_err(|_| ErrorKind::Io)?;
    }
    loop {
        if let Some(n) = answer_len(buf, whatsat) {
            if per_request {
                while read_more(s, buf).await? > 0 {
                    if buf.len() > MAX_HERD_ANSWER {
                        return Err(ErrorKind::Parse);
                    }
                }
            }
            if buf.starts_with(b"? ") {
                return Err(ErrorKind::Rejected);
            }
            return Ok((n, !per_request, 0));
        }
        if read_more(s, buf).await? == 0 {
            return Err(ErrorKind::Io);
        }
        if buf.len() > MAX_HERD_ANSWER {
            return Err(ErrorKind::Parse);
        }
    }
}

async fn read_more(s: &mut Stream, buf: &mut Vec<u8>) -> Result<usize, ErrorKind> {
    buf.reserve(16 * 1024);
    s.read_buf(buf).await.map_err(|_| ErrorKind::Io)
}
