//! Raw HTTP/1.1 over TCP, so the tests see exactly what the servers put on the wire: a
//! one-shot GET ([`get`]) and a keep-alive client ([`Client`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long a read may wait for a server that is alive but slow (loaded machine).
const READ_LIMIT: Duration = Duration::from_secs(20);

/// A GET on a new connection (closed after): (status, x-cache, body).
pub(crate) fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(READ_LIMIT)).expect("set a timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the reply");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let x = head
        .lines()
        .find_map(|l| l.strip_prefix("x-cache: "))
        .unwrap_or("")
        .to_string();
    (status, x, body.to_string())
}

/// Minimal keep-alive HTTP/1.1 client: one request, the status and body, or an error
/// (after which the connection is dropped and the next request opens a new one).
pub(crate) struct Client {
    conn: Option<BufReader<TcpStream>>,
    addr: String,
}

impl Client {
    /// A client of the server at `addr` (connects on the first request).
    pub(crate) fn new(addr: &str) -> Self {
        Client {
            conn: None,
            addr: addr.to_string(),
        }
    }

    /// Send `method path` with `body`: the status and body, or why there is none.
    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let r = self.try_send(method, path, body);
        if r.is_err() {
            self.conn = None;
        }
        r
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        if self.conn.is_none() {
            let s = TcpStream::connect(&self.addr).map_err(|e| e.to_string())?;
            s.set_read_timeout(Some(READ_LIMIT))
                .map_err(|e| e.to_string())?;
            self.conn = Some(BufReader::new(s));
        }
        let c = self.conn.as_mut().ok_or("no connection")?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let w = c.get_mut();
        w.write_all(head.as_bytes())
            .and_then(|_| w.write_all(body))
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        c.read_line(&mut line).map_err(|e| e.to_string())?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(format!("bad status line {line:?}"))?;
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            c.read_line(&mut h).map_err(|e| e.to_string())?;
            if h == "\r\n" || h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().map_err(|_| "bad length")?;
                }
            }
        }
        let mut b = vec![0u8; len];
        c.read_exact(&mut b).map_err(|e| e.to_string())?;
        Ok((status, b))
    }
}
