//! Starting `herd flash` as a process on 127.0.0.1:0 and talking raw HTTP to it.
//!
//! Every model runs as a child process of the test rather than in the test process: the
//! fork, prefork and worker models fork, which is sound only in a single-threaded process
//! (the test harness has many threads), and a process of its own also lets each test
//! send it SIGTERM and check what it leaves behind.
//!
//! Also `model_test!`, which flash.rs and flash_timing.rs both expand their cases with.

// flash.rs and flash_timing.rs each use a subset.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flash::testdir::TestDir;
use flash::Model;
use http_wire::Response;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use crate::support::HERD;

/// A running `herd flash` and the root it serves.
pub(crate) struct Server {
    pub(crate) model: Model,
    pub(crate) addr: SocketAddr,
    pub(crate) root: TestDir,
    child: Child,
}

impl Server {
    /// The model with the test timeouts (2 s header, 5 s idle, 2 s grace) and 4 workers
    /// where workers apply; `extra` flags override.
    pub(crate) fn start(model: Model, extra: &[&str]) -> Server {
        let root = flash::testdir::test_root();
        let mut cmd = Command::new(HERD);
        cmd.args([
            "flash",
            "--model",
            model.name(),
            "--listen",
            "127.0.0.1:0",
            "--root",
        ])
        .arg(root.path());
        for (flag, value) in [
            ("--header-timeout", "2s"),
            ("--idle-timeout", "5s"),
            ("--grace", "2s"),
            ("--cgi-timeout", "3s"),
        ] {
            if !extra.contains(&flag) {
                cmd.args([flag, value]);
            }
        }
        if model.workers_meaning().is_some() && !extra.contains(&"--workers") {
            cmd.args(["--workers", "4"]);
        }
        cmd.args(extra)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Its own process group, so a failed test can kill everything it started.
            .process_group(0);
        let mut child = cmd.spawn().expect("start herd flash");
        let mut line = String::new();
        let out = child.stdout.take().expect("stdout");
        BufReader::new(out)
            .read_line(&mut line)
            .expect("read the first line");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("{model}: no address in {line:?}"));
        Server {
            model,
            addr,
            root,
            child,
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A connection with generous timeouts (a stuck server fails the test, not hangs it).
    pub(crate) fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// `GET path` on a new connection (closed after).
    pub(crate) fn get(&self, path: &str) -> Response {
        let mut c = self.connect();
        c.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ));
        c.response(false)
    }

    /// SIGTERM; the exit status once it has stopped (panics after 30 s: well past any
    /// --grace the tests give, on a loaded machine).
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        kill(Pid::from_raw(self.pid() as i32), Signal::SIGTERM).expect("SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{}: still running 30 s after SIGTERM",
                self.model
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pgid = Pid::from_raw(self.pid() as i32);
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// A raw HTTP client connection with its own read buffer, so responses that arrive
/// together (pipelining) are taken one at a time.
pub(crate) struct Client {
    pub(crate) stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub(crate) fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub(crate) fn send(&mut self, raw: &str) {
        self.stream
            .write_all(raw.as_bytes())
            .expect("write request");
    }

    /// Wait at most `d` for each read.
    pub(crate) fn read_timeout(&mut self, d: Duration) {
        self.stream.set_read_timeout(Some(d)).unwrap();
    }

    /// The next response (`head`: it answers a HEAD request).
    pub(crate) fn response(&mut self, head: bool) -> Response {
        self.try_response(head)
            .unwrap_or_else(|e| panic!("no response: {e}"))
    }

    /// The next response, or why there was none (EOF, timeout, malformed).
    pub(crate) fn try_response(&mut self, head: bool) -> Result<Response, String> {
        let limits = http_wire::Limits {
            max_body: 4 << 20,
            ..http_wire::Limits::default()
        };
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let parsed = http_wire::parse_response(&self.buf, &limits, head, false)
                .map_err(|e| e.to_string())?;
            if let Some((r, n)) = parsed {
                self.buf.drain(..n);
                return Ok(r);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return match http_wire::parse_response(&self.buf, &limits, head, true) {
                        Ok(Some((r, n))) => {
                            self.buf.drain(..n);
                            Ok(r)
                        }
                        _ => Err(format!("EOF after {} bytes", self.buf.len())),
                    }
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Raw bytes up to and including `needle` (left in the buffer after it: none, as it
    /// reads byte by byte).
    pub(crate) fn raw_until(&mut self, needle: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        while !out.windows(needle.len()).any(|w| w == needle) {
            match self.stream.read(&mut b) {
                Ok(1) => out.push(b[0]),
                _ => panic!(
                    "stream ended before {:?}: {:?}",
                    String::from_utf8_lossy(needle),
                    String::from_utf8_lossy(&out)
                ),
            }
        }
        out
    }

    /// Whether the server closed the connection (EOF) within `within`, ignoring any
    /// bytes it sent first.
    pub(crate) fn closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        self.stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return true,
            }
        }
        false
    }
}

/// `GET /app/slow?ms=MS` on a new connection (`Connection: close` if `close`, else
/// keep-alive), on a thread of its own: its status once it is answered.
pub(crate) fn slow_request(addr: SocketAddr, ms: u64, close: bool) -> std::thread::JoinHandle<u16> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    std::thread::spawn(move || {
        let mut s = Client::connect(addr);
        s.send(&format!(
            "GET /app/slow?ms={ms} HTTP/1.1\r\nHost: t\r\n{connection}\r\n"
        ));
        s.response(false).status
    })
}

pub(crate) fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    http_wire::header(&r.headers, name).and_then(|v| std::str::from_utf8(v).ok())
}

/// The processes whose parent is `pid`, with their state letter.
pub(crate) fn children(pid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let mut rest = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace();
        let state = rest.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if rest.next().and_then(|pp| pp.parse::<u32>().ok()) == Some(pid) {
            out.push((p, state));
        }
    }
    out
}

/// `pid` and all its descendants.
pub(crate) fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        all.extend(children(all[i]).into_iter().map(|(p, _)| p));
        i += 1;
    }
    all
}

/// Whether a process still exists (not even as a zombie).
pub(crate) fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// `model_test!(name, flags, |srv| { ... })`: a module `name` with one test per model,
/// each starting `herd flash --model M` with `flags` and running the body against it.
macro_rules! model_test {
    ($name:ident, $flags:expr, |$srv:ident| $body:block) => {
        mod $name {
            use super::*;

            fn case($srv: &mut Server) $body

            fn run(model: Model) {
                let mut srv = Server::start(model, $flags);
                case(&mut srv);
            }

            #[test]
            fn sequential() {
                run(Model::Sequential)
            }
            #[test]
            fn fork() {
                run(Model::Fork)
            }
            #[test]
            fn thread() {
                run(Model::Thread)
            }
            #[test]
            fn epoll() {
                run(Model::Epoll)
            }
            #[test]
            fn epoll_pool() {
                run(Model::EpollPool)
            }
            #[test]
            fn prefork() {
                run(Model::Prefork)
            }
            #[test]
            fn worker() {
                run(Model::Worker)
            }
            #[test]
            fn tokio() {
                run(Model::Tokio)
            }
        }
    };
}
