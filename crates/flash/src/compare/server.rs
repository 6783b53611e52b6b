//! Starting and stopping the servers under comparison: `herd flash --model M` as a child
//! process, or nginx with a configuration written for the run.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Model};

/// A running server.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) name: String,
    pub(crate) addr: SocketAddr,
    child: Child,
}

fn failed(what: impl Into<String>) -> Error {
    Error::Compare(what.into())
}

impl Server {
    /// `exe flash --model M --listen 127.0.0.1:0 --root ROOT`; the address is read from
    /// its first line of output. Its stderr goes to `log`.
    pub(crate) fn flash(
        exe: &Path,
        model: Model,
        root: &Path,
        log: &Path,
    ) -> Result<Server, Error> {
        let log = std::fs::File::create(log).map_err(Error::io("server log"))?;
        let mut child = Command::new(exe)
            .args([
                "flash",
                "--model",
                model.name(),
                "--listen",
                "127.0.0.1:0",
                "--root",
            ])
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", exe.display())))?;
        let addr = child.stdout.take().and_then(|out| {
            let mut line = String::new();
            BufReader::new(out).read_line(&mut line).ok()?;
            listening_addr(&line)
        });
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(format!(
                "the {model} server did not report its address"
            )));
        };
        wait_listening(addr)?;
        Ok(Server {
            name: model.name().to_string(),
            addr,
            child,
        })
    }

    /// nginx with one worker serving `root`, configured for small static files as an
    /// expert would (see [`nginx_conf`]), on a free port.
    pub(crate) fn nginx(nginx: &Path, root: &Path, dir: &Path) -> Result<Server, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(Error::io("free port"))?
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, nginx_conf(addr, root, dir)).map_err(Error::io("nginx.conf"))?;
        let child = Command::new(nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", nginx.display())))?;
        let mut s = Server {
            name: "nginx".into(),
            addr,
            child,
        };
        if let Err(e) = wait_listening(addr) {
            s.stop();
            return Err(e);
        }
        Ok(s)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (both flash and nginx stop gracefully on it), then SIGKILL after 15 s.
    pub(crate) fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::warn!(server = %self.name, "did not stop within 15 s; killed");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// The address in "flash: M model listening on http://ADDR/ (root ...)".
pub(crate) fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.split("http://").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

fn wait_listening(addr: SocketAddr) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            return Err(failed(format!("nothing listens on {addr} after 20 s")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// nginx tuned for small static files on one core: one worker, `open_file_cache` (open
/// descriptors and metadata kept, as flash's file cache does), sendfile, no access log
/// (flash has none), and keep-alive without a per-connection request cap (nginx closes a
/// connection after 1,000 requests by default, which would measure reconnects).
pub(crate) fn nginx_conf(addr: SocketAddr, root: &Path, dir: &Path) -> String {
    let d = dir.display();
    format!(
        "worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 60s;
    keepalive_requests 1000000;
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {addr} backlog=4096;
        root {root};
        location / {{ }}
    }}
}}
",
        root = root.display()
    )
}

/// A directory under the system temp dir for one comparison, removed on drop.
#[derive(Debug)]
pub(crate) struct WorkDir(pub(crate) PathBuf);

impl WorkDir {
    pub(crate) fn new() -> Result<WorkDir, Error> {
        let d = std::env::temp_dir().join(format!("herd-flash-compare-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).map_err(Error::io("work dir"))?;
        Ok(WorkDir(d))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The address is read from the line `herd flash` prints.
    #[test]
    fn reads_the_address() {
        let line = "flash: epoll model listening on http://127.0.0.1:43210/ (root /tmp/x)\n";
        assert_eq!(
            listening_addr(line),
            Some("127.0.0.1:43210".parse().unwrap())
        );
        assert_eq!(listening_addr("nothing here"), None);
    }
}
