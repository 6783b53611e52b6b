//! The in-process app under `/app/`: `hello`, `echo` and `slow`.
//!
//! `/app/slow?ms=N` sleeps N milliseconds (up to `slow_max`) in whatever thread runs the
//! handler, like a request that waits on a database. That is its point: in the
//! sequential and epoll models the one handling thread sleeps and every other connection
//! waits behind it (head-of-line blocking); in the others only its own connection does.

use std::time::Duration;

use http_wire::Request;

use super::target::Target;
use crate::reply::Reply;
use crate::Model;

/// The app.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) model: Model,
    pub(crate) slow_max: Duration,
}

impl App {
    /// Answer `/app/...`.
    pub(crate) fn serve(&self, req: &Request, t: &Target) -> Reply {
        let name = t.segments().nth(1).unwrap_or("");
        match (name, t.segments().count()) {
            ("hello", 2) => get_only(req).unwrap_or_else(|| {
                Reply::new(
                    200,
                    "text/plain; charset=utf-8",
                    format!("Hello from the {} model\n", self.model),
                )
            }),
            ("echo", 2) => self.echo(req),
            ("slow", 2) => get_only(req).unwrap_or_else(|| self.slow(t)),
            _ => Reply::error(404),
        }
    }

    /// POST/PUT: the body back, with its Content-Type. GET: the request head as text.
    fn echo(&self, req: &Request) -> Reply {
        match req.method.as_str() {
            "POST" | "PUT" => {
                let ct = req.header("content-type").map_or_else(
                    || bytes::Bytes::from_static(b"application/octet-stream"),
                    bytes::Bytes::copy_from_slice,
                );
                let mut r = Reply::new(200, "application/octet-stream", req.body.clone());
                r.headers[0].1 = ct;
                r
            }
            "GET" | "HEAD" => {
                let mut text = format!("{} {} HTTP/1.{}\n", req.method, req.target, req.version);
                for (n, v) in &req.headers {
                    text.push_str(n);
                    text.push_str(": ");
                    text.push_str(&String::from_utf8_lossy(v));
                    text.push('\n');
                }
                Reply::new(200, "text/plain; charset=utf-8", text)
            }
            _ => Reply::error(405).with("Allow", "GET, HEAD, POST, PUT"),
        }
    }

    fn slow(&self, t: &Target) -> Reply {
        let ms = t
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("ms="))
            .and_then(|v| v.parse::<u64>().ok());
        let Some(ms) = ms else {
            return Reply::new(
                400,
                "text/plain; charset=utf-8",
                "give ?ms=N (milliseconds)\n",
            );
        };
        let d = Duration::from_millis(ms).min(self.slow_max);
        std::thread::sleep(d);
        Reply::new(
            200,
            "text/plain; charset=utf-8",
            format!("slept {} ms\n", d.as_millis()),
        )
    }
}

fn get_only(req: &Request) -> Option<Reply> {
    (!matches!(req.method.as_str(), "GET" | "HEAD"))
        .then(|| Reply::error(405).with("Allow", "GET, HEAD"))
}
