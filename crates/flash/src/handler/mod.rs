//! [`Handler`]: the one request-to-reply function every model calls.
//!
//! It knows nothing of sockets or concurrency: a model hands it a parsed request and the
//! two addresses, and writes the [`Reply`] it gets back. Routing: `/cgi-bin/...` runs a
//! CGI script, `/app/...` the in-process app, anything else is a static file.

mod app;
mod cgi;
mod file_cache;
mod files;
mod mime;
mod range;
pub(crate) mod target;

use std::net::SocketAddr;
use std::path::PathBuf;

use http_wire::Request;

use crate::reply::Reply;
use crate::{Config, Error};
use cgi::{Cgi, CgiOutcome};
use file_cache::FileCache;
use files::Files;

/// Local redirects followed for one request before giving up (a script redirecting to
/// itself would loop).
const MAX_LOCAL_REDIRECTS: usize = 5;

/// The shared handler: static files, CGI and the app.
#[derive(Debug)]
pub struct Handler {
    files: Files,
    cgi: Cgi,
    app: app::App,
}

impl Handler {
    /// A handler for `config`'s root and settings.
    ///
    /// # Errors
    /// [`Error::Root`] if the root is not a readable directory.
    pub fn new(config: &Config) -> Result<Handler, Error> {
        let root = std::fs::canonicalize(&config.root).map_err(|e| Error::Root {
            path: config.root.clone(),
            reason: e.to_string(),
        })?;
        if !root.is_dir() {
            return Err(Error::Root {
                path: config.root.clone(),
                reason: "not a directory".into(),
            });
        }
        Ok(Handler {
            files: Files::new(root.clone(), FileCache::new(config.file_cache_valid)),
            cgi: Cgi::new(root, config.cgi_timeout, config.cgi_max_output),
            app: app::App {
                model: config.model,
                slow_max: config.slow_max,
            },
        })
    }

    /// The canonical root directory served.
    pub fn root(&self) -> PathBuf {
        self.files.root().to_path_buf()
    }

    /// Answer `req`, which came from `peer` to `local`.
    pub fn handle(&self, req: &Request, peer: SocketAddr, local: SocketAddr) -> Reply {
        let mut redirected: Option<Request> = None;
        for _ in 0..=MAX_LOCAL_REDIRECTS {
            let current = redirected.as_ref().unwrap_or(req);
            let t = match target::parse(&current.target) {
                Ok(t) => t,
                Err(e) => return Reply::error(e.status()),
            };
            match t.first() {
                "cgi-bin" => match self.cgi.serve(current, &t, peer, local) {
                    CgiOutcome::Reply(r) => return r,
                    CgiOutcome::LocalRedirect(to) => {
                        let next = Request {
                            method: "GET".into(),
                            target: to,
                            version: current.version,
                            headers: current.headers.clone(),
                            body: Vec::new(),
                        };
                        redirected = Some(next);
                    }
                },
                "app" => return self.app.serve(current, &t),
                _ => return self.files.serve(current, &t),
            }
        }
        tracing::warn!(target = %req.target, "too many CGI local redirects");
        Reply::error(500)
    }

    /// Whether answering `req` may block the calling thread for long (CGI scripts,
    /// `/app/slow`): the tokio model hands those to its blocking pool.
    pub fn may_block(&self, req: &Request) -> bool {
        let path = req.target.split('?').next().unwrap_or("");
        let path = path
            .split_once("://")
            .map_or(path, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
        // Cheap and conservative: any spelling that could normalise to these paths.
        path.starts_with("/cgi-bin")
            || path.starts_with("/app/slow")
            || path.contains('%')
            || path.contains("/.")
    }
}

#[cfg(test)]
mod tests;
