//! CGI/1.1 (RFC 3875) under `/cgi-bin/`: the first segment after it names a script in
//! `<root>/cgi-bin/`, the rest is PATH_INFO.
//!
//! The script gets the request meta-variables in its environment (section 4.1, plus the
//! usual REQUEST_URI, SCRIPT_FILENAME, DOCUMENT_ROOT, REMOTE_PORT), one `HTTP_*` variable
//! per other request header, and the request body on stdin. Left out on purpose:
//! `Authorization` (4.1.18 says to), `Proxy` (as HTTP_PROXY it would set the script's
//! outbound proxy: "httpoxy"), and headers whose names have characters other than letters,
//! digits and `-` (`X_Forwarded` and `X-Forwarded` would both become HTTP_X_FORWARDED).
//!
//! A script that fails to start, exits non-zero, writes malformed output or more than the
//! output limit is answered 502; one still running at the timeout is killed and answered
//! 504. A `Location` starting with `/` and no `Status` is a local redirect: the server
//! serves that path instead (section 6.2.2).

mod output;
#[allow(unsafe_code)] // fork and exec: see the module's docs and each SAFETY comment.
mod spawn;

use std::ffi::CString;
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_wire::Request;

use super::target::Target;
use crate::reply::{Body, Reply};

/// What a CGI request came to.
#[derive(Debug)]
pub(crate) enum CgiOutcome {
    /// Send this.
    Reply(Reply),
    /// Serve this local path (with GET) instead.
    LocalRedirect(String),
}

/// The CGI handler.
#[derive(Debug)]
pub(crate) struct Cgi {
    /// Canonical root.
    root: PathBuf,
    timeout: Duration,
    max_output: usize,
}

impl Cgi {
    pub(crate) fn new(root: PathBuf, timeout: Duration, max_output: usize) -> Self {
        Cgi {
            root,
            timeout,
            max_output,
        }
    }

    /// Run the script `t` names for `req`.
    pub(crate) fn serve(
        &self,
        req: &Request,
        t: &Target,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> CgiOutcome {
        let mut segments = t.segments().skip(1);
        let Some(script) = segments.next() else {
            return CgiOutcome::Reply(Reply::error(404));
        };
        let path_info: Vec<&str> = segments.collect();
        let path_info = if path_info.is_empty() {
            String::new()
        } else {
            format!("/{}{}", path_info.join("/"), if t.dir { "/" } else { "" })
        };
        let file = self.root.join("cgi-bin").join(script);
        let file = match std::fs::canonicalize(&file) {
            Ok(f) if f.starts_with(&self.root) => f,
            Ok(_) => return CgiOutcome::Reply(Reply::error(403)),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return CgiOutcome::Reply(Reply::error(403))
            }
            Err(_) => return CgiOutcome::Reply(Reply::error(404)),
        };
        match std::fs::metadata(&file) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {}
            Ok(_) => return CgiOutcome::Reply(Reply::error(403)),
            Err(_) => return CgiOutcome::Reply(Reply::error(404)),
        }
        let env = self.environment(req, t, script, &path_info, &file, peer, local);
        let cmd = spawn::Command {
            path: cstring(file.as_os_str().as_bytes()),
            argv: vec![cstring(file.as_os_str().as_bytes())],
            env,
            cwd: cstring(file.parent().unwrap_or(&self.root).as_os_str().as_bytes()),
        };
        let out = match spawn::run(&cmd, &req.body, self.timeout, self.max_output) {
            Ok(out) if out.success => out.stdout,
            Ok(_) => {
                tracing::warn!(script, "CGI script exited with an error");
                return CgiOutcome::Reply(Reply::error(502));
            }
            Err(spawn::RunError::Timeout) => {
                tracing::warn!(script, "CGI script timed out; killed");
                return CgiOutcome::Reply(Reply::error(504));
            }
            Err(spawn::RunError::TooLarge) => {
                tracing::warn!(
                    script,
                    limit = self.max_output,
                    "CGI output over the limit; killed"
                );
                return CgiOutcome::Reply(Reply::error(502));
            }
            Err(spawn::RunError::Spawn(e)) => {
                tracing::error!(script, error = %e, "could not start a CGI script");
                return CgiOutcome::Reply(Reply::error(500));
            }
        };
        match output::parse(out) {
            Ok(r) => respond(r),
            Err(why) => {
                tracing::warn!(script, why, "malformed CGI output");
                CgiOutcome::Reply(Reply::error(502))
            }
        }
    }

    /// The meta-variables (RFC 3875 4.1) and HTTP_* variables.
    #[allow(clippy::too_many_arguments)]
    fn environment(
        &self,
        req: &Request,
        t: &Target,
        script: &str,
        path_info: &str,
        file: &std::path::Path,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Vec<CString> {
        let host = req
            .header("host")
            .and_then(|h| std::str::from_utf8(h).ok())
            .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name).to_string())
            .unwrap_or_else(|| local.ip().to_string());
        let root = self.root.to_string_lossy();
        let mut vars: Vec<(String, Vec<u8>)> = vec![
            ("GATEWAY_INTERFACE".into(), b"CGI/1.1".to_vec()),
            (
                "SERVER_SOFTWARE".into(),
                concat!("flash/", env!("CARGO_PKG_VERSION")).into(),
            ),
            (
                "SERVER_PROTOCOL".into(),
                format!("HTTP/1.{}", req.version).into(),
            ),
            ("SERVER_NAME".into(), host.into()),
            ("SERVER_PORT".into(), local.port().to_string().into()),
            ("REQUEST_METHOD".into(), req.method.clone().into()),
            ("REQUEST_URI".into(), req.target.clone().into()),
            ("SCRIPT_NAME".into(), format!("/cgi-bin/{script}").into()),
            (
                "SCRIPT_FILENAME".into(),
                file.as_os_str().as_bytes().to_vec(),
            ),
            ("QUERY_STRING".into(), t.query.clone().into()),
            ("REMOTE_ADDR".into(), peer.ip().to_string().into()),
            ("REMOTE_HOST".into(), peer.ip().to_string().into()),
            ("REMOTE_PORT".into(), peer.port().to_string().into()),
            ("DOCUMENT_ROOT".into(), root.as_bytes().to_vec()),
            ("PATH".into(), b"/usr/local/bin:/usr/bin:/bin".to_vec()),
        ];
        if !path_info.is_empty() {
            vars.push(("PATH_INFO".into(), path_info.into()));
            vars.push((
                "PATH_TRANSLATED".into(),
                format!("{root}{path_info}").into(),
            ));
        }
        if !req.body.is_empty() || req.header("content-length").is_some() {
            vars.push(("CONTENT_LENGTH".into(), req.body.len().to_string().into()));
        }
        if let Some(ct) = req.header("content-type") {
            vars.push(("CONTENT_TYPE".into(), ct.to_vec()));
        }
        for (name, value) in &req.headers {
            let lower = name.to_ascii_lowercase();
            let skip = matches!(
                lower.as_str(),
                "content-length"
                    | "content-type"
                    | "authorization"
                    | "proxy-authorization"
                    | "proxy"
            ) || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if skip {
                continue;
            }
            let key = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
            match vars.iter_mut().find(|(k, _)| *k == key) {
                // Repeated fields are one comma-separated list (RFC 3875 4.1.18).
                Some((_, v)) => {
                    v.extend_from_slice(b", ");
                    v.extend_from_slice(value);
                }
                None => vars.push((key, value.clone())),
            }
        }
        vars.into_iter()
            .filter_map(|(k, v)| CString::new([k.as_bytes(), b"=", &v].concat()).ok())
            .collect()
    }
}

/// A C string from bytes that cannot hold NUL (paths, which the OS gave us or which passed
/// the NUL check of the target); a NUL would make an empty string, which exec refuses.
fn cstring(b: &[u8]) -> CString {
    CString::new(b).unwrap_or_default()
}

/// Turn the script's response into a reply (or a local redirect).
fn respond(r: output::CgiResponse) -> CgiOutcome {
    if let (Some(loc), None) = (&r.location, r.status) {
        if loc.starts_with('/') {
            return CgiOutcome::LocalRedirect(loc.clone());
        }
    }
    let status = r
        .status
        .unwrap_or(if r.location.is_some() { 302 } else { 200 });
    let mut reply = Reply {
        status,
        headers: Vec::with_capacity(r.headers.len() + 2),
        body: Body::Bytes(r.body),
        close: false,
    };
    if let Some(ct) = r.content_type {
        reply = reply.with("Content-Type", ct);
    }
    if let Some(loc) = r.location {
        reply = reply.with("Location", loc);
    }
    for (n, v) in r.headers {
        reply.headers.push((n.into(), v));
    }
    if reply.body.is_empty() && r.status.is_none() && status == 302 {
        reply.body = Body::Bytes(Bytes::new());
    }
    CgiOutcome::Reply(reply)
}
