//! [`Reply`]: what the handler answers, and how every model writes its head.
//!
//! A body is bytes in memory or a range of an open file; the models that can send a file
//! with `sendfile(2)` (all of them: blocking sockets, non-blocking ones in the event
//! loops, tokio through `try_io`) do, so a large file never passes through user space.

use std::borrow::Cow;
use std::fs::File;
use std::sync::Arc;

use bytes::Bytes;
use http_wire::reply::{write_head, BodyLength};

use crate::date;

/// A response header: name, value.
pub type Header = (Cow<'static, str>, Bytes);

/// The body of a reply.
#[derive(Clone, Debug)]
pub enum Body {
    /// No body.
    Empty,
    /// Bytes in memory (small files from the cache, CGI output, app responses).
    Bytes(Bytes),
    /// `len` bytes of `file` from `offset`, sent with sendfile.
    File {
        /// The open file (shared with the file cache).
        file: Arc<File>,
        /// First byte.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

impl Body {
    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A response from the handler.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers besides Date, Server, Content-Length and Connection (the writer adds
    /// those).
    pub headers: Vec<Header>,
    /// The body (left out when answering HEAD, its length still announced).
    pub body: Body,
    /// Close the connection after this reply (refused requests, whose framing is lost).
    pub close: bool,
}

impl Reply {
    /// A reply with a body and a content type.
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Reply {
            status,
            headers: vec![(
                Cow::Borrowed("Content-Type"),
                Bytes::from_static(content_type.as_bytes()),
            )],
            body: Body::Bytes(body.into()),
            close: false,
        }
    }

    /// A short plain-text error page: "404 Not Found".
    pub fn error(status: u16) -> Self {
        let text = format!("{status} {}\n", http_wire::reply::reason(status));
        Reply::new(status, "text/plain; charset=utf-8", text)
    }

    /// Add a header.
    pub fn with(mut self, name: &'static str, value: impl Into<Bytes>) -> Self {
        self.headers.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// Mark the connection for closing after this reply.
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// Write the head: status line, Date, Server, the reply's headers, Content-Length and,
    /// when it differs from the version's default, Connection.
    pub fn write_head(&self, out: &mut Vec<u8>, version: u8, keep_alive: bool) {
        let date = date::now();
        let connection: Option<&[u8]> = match (version, keep_alive) {
            (1, false) => Some(b"close"),
            (0, true) => Some(b"keep-alive"),
            _ => None,
        };
        let fixed = [("Date", &date[..]), ("Server", &b"flash"[..])];
        let headers = fixed
            .into_iter()
            .chain(self.headers.iter().map(|(n, v)| (n.as_ref(), v.as_ref())))
            .chain(connection.map(|c| ("Connection", c)));
        write_head(
            out,
            self.status,
            headers,
            BodyLength::Known(self.body.len()),
        );
    }
}

impl Reply {
    /// Write the head and, unless `head_only`, an in-memory body (a file body is the
    /// writer's to send).
    pub fn encode(&self, out: &mut Vec<u8>, head_only: bool, version: u8, keep_alive: bool) {
        self.write_head(out, version, keep_alive);
        if let (Body::Bytes(b), false) = (&self.body, head_only) {
            out.extend_from_slice(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head carries Date, Server, the headers, the length and the connection token
    /// only where the version's default differs.
    #[test]
    fn head() {
        let r = Reply::new(200, "text/plain", "hi").with("X-A", "1");
        let mut out = Vec::new();
        r.write_head(&mut out, 1, true);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nDate: "), "{text}");
        assert!(text.contains("\r\nServer: flash\r\nContent-Type: text/plain\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n"), "{text}");
        assert!(!text.contains("Connection"));
        let mut out = Vec::new();
        r.write_head(&mut out, 1, false);
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("Connection: close\r\n"));
        let mut out = Vec::new();
        r.write_head(&mut out, 0, true);
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("Connection: keep-alive\r\n"));
    }
}
