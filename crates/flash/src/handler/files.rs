//! Static files under the root: GET and HEAD, directory index and redirect, Content-Type
//! by extension, Last-Modified with If-Modified-Since (304), and one byte range (206/416).

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_wire::Request;

use super::file_cache::{Entry, FileCache, Kind, OpenError};
use super::range::{self, Ranged};
use super::target::Target;
use crate::date;
use crate::reply::{Body, Reply};

/// The static file handler.
#[derive(Debug)]
pub(crate) struct Files {
    /// Canonical root directory.
    root: PathBuf,
    cache: FileCache,
}

impl Files {
    pub(crate) fn new(root: PathBuf, cache: FileCache) -> Self {
        Files { root, cache }
    }

    /// The canonical root.
    pub(crate) fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Answer a request for `t` (not under /cgi-bin/ or /app/).
    pub(crate) fn serve(&self, req: &Request, t: &Target) -> Reply {
        if !matches!(req.method.as_str(), "GET" | "HEAD") {
            return Reply::error(405).with("Allow", "GET, HEAD");
        }
        let entry = match self.cache.get(&self.root, &t.path) {
            Ok(e) => e,
            Err(e) => return Reply::error(e.status()),
        };
        let entry = match entry.kind {
            Kind::Dir if !t.dir => return redirect_to_dir(t),
            Kind::Dir => {
                let index = if t.path.is_empty() {
                    "index.html".to_string()
                } else {
                    format!("{}/index.html", t.path)
                };
                match self.cache.get(&self.root, &index) {
                    Ok(e) if e.kind == Kind::File => e,
                    // No index and no listing, as nginx without autoindex.
                    Ok(_) | Err(OpenError::NotFound) => return Reply::error(403),
                    Err(e) => return Reply::error(e.status()),
                }
            }
            Kind::File if t.dir => return Reply::error(404),
            Kind::File => entry,
        };
        respond(req, &entry)
    }
}

/// `/dir` names a directory: send the client to `/dir/` so relative links resolve.
fn redirect_to_dir(t: &Target) -> Reply {
    let mut location = String::from("/");
    location.push_str(&percent_encode_path(&t.path));
    location.push('/');
    if !t.query.is_empty() {
        location.push('?');
        location.push_str(&t.query);
    }
    Reply::error(301).with("Location", location)
}

/// Encode a decoded path for a Location header: unreserved characters, `/` and a few safe
/// sub-delimiters stay, everything else is %XX.
pub(crate) fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn respond(req: &Request, e: &Arc<Entry>) -> Reply {
    let mut reply = Reply {
        status: 200,
        headers: Vec::with_capacity(4),
        body: Body::Empty,
        close: false,
    }
    .with(
        "Content-Type",
        Bytes::from_static(e.content_type.as_bytes()),
    )
    .with("Last-Modified", e.last_modified.clone())
    .with("Accept-Ranges", Bytes::from_static(b"bytes"));
    if req.header("if-none-match").is_none() {
        let since = req
            .header("if-modified-since")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(date::parse);
        if since.is_some_and(|s| e.mtime <= s) {
            reply.status = 304;
            return reply;
        }
    }
    let mut part = 0..e.len;
    if req.method == "GET" {
        if let Some(value) = req.header("range") {
            // If-Range with another validator: the client's copy is stale, send it all.
            let current = req
                .header("if-range")
                .is_none_or(|v| v == e.last_modified.as_ref());
            match range::parse(value, e.len) {
                Ranged::Part(r) if current => {
                    reply.status = 206;
                    let cr = format!("bytes {}-{}/{}", r.start, r.end - 1, e.len);
                    reply = reply.with("Content-Range", cr);
                    part = r;
                }
                Ranged::Unsatisfiable if current => {
                    let mut r =
                        Reply::error(416).with("Content-Range", format!("bytes */{}", e.len));
                    r.headers.retain(|(n, _)| n != "Content-Type");
                    r.body = Body::Empty;
                    return r;
                }
                _ => {}
            }
        }
    }
    reply.body = match (&e.content, &e.file) {
        (Some(c), _) if part == (0..e.len) => Body::Bytes(c.clone()),
        (Some(c), _) => Body::Bytes(c.slice(part.start as usize..part.end as usize)),
        (None, Some(f)) => Body::File {
            file: f.clone(),
            offset: part.start,
            len: part.end - part.start,
        },
        (None, None) => Body::Empty,
    };
    reply
}
