//! What the CLI integration tests share (`mod support;` in each file that uses it): a
//! child `herd` killed on drop ([`Proc`]), started on 127.0.0.1:0 with the address it
//! reports ([`spawn`]); `herd up` and its table ([`Up`]); raw HTTP over TCP ([`get`],
//! [`Client`]); temporary files and directories removed on drop; [`wait_until`].
//!
//! No helper picks a port for a server: every server binds port 0 itself and says where
//! it listens, so no test races another process for a port it bound and released.

// Each test file uses a subset.
#![allow(dead_code)]

mod http;
mod up;

// Each test file uses a subset of these too.
#[allow(unused_imports)]
pub(crate) use http::{get, Client};
#[allow(unused_imports)]
pub(crate) use up::Up;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The binary under test.
pub(crate) const HERD: &str = env!("CARGO_BIN_EXE_herd");

/// How long a started process may take to say where it listens, or to stop, on a loaded
/// 2-core machine (a debug build, other tests running beside it).
pub(crate) const START_LIMIT: Duration = Duration::from_secs(60);

/// A child process, killed (SIGKILL) and reaped on drop.
pub(crate) struct Proc(Child);

impl Proc {
    /// Take ownership of a started child.
    pub(crate) fn new(child: Child) -> Proc {
        Proc(child)
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Send it SIGTERM.
    pub(crate) fn terminate(&self) {
        kill(Pid::from_raw(self.pid() as i32), Signal::SIGTERM).expect("send SIGTERM");
    }

    /// Its exit status, waiting at most `limit` (panics after that).
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("wait for the child") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `herd args...` (stderr discarded) and return it with the address from the first
/// "listening on" line it prints; the rest of its stdout is drained so it never blocks.
pub(crate) fn spawn(args: &[&str]) -> (Proc, String) {
    let mut child = Command::new(HERD)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start herd");
    let out = child.stdout.take().expect("piped stdout");
    let proc = Proc(child);
    let addr = listening_addr(out, START_LIMIT)
        .unwrap_or_else(|| panic!("herd {args:?} did not say where it listens"));
    (proc, addr)
}

/// The address in the first "listening on" line of `out` within `limit` (the rest of
/// `out` is drained, see [`watch`]).
pub(crate) fn listening_addr(out: impl Read + Send + 'static, limit: Duration) -> Option<String> {
    watch(out, limit, |l| addr_in(l).map(str::to_string))
}

/// The address in a "NAME listening on ADDR, ..." line.
pub(crate) fn addr_in(line: &str) -> Option<&str> {
    let rest = line.split("listening on ").nth(1)?;
    rest.split([',', ' ']).next().filter(|a| !a.is_empty())
}

/// The first line of `out`, within `limit`, that `pick` finds something in; `None` if
/// `out` ends or the time runs out first. The rest of `out` is drained in the background
/// so the process writing it never blocks on a full pipe.
pub(crate) fn watch<T: Send + 'static>(
    out: impl Read + Send + 'static,
    limit: Duration,
    mut pick: impl FnMut(&str) -> Option<T> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = BufReader::new(out);
        let mut tx = Some(tx);
        let mut line = Vec::new();
        loop {
            line.clear();
            match out.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if tx.is_none() {
                continue; // found already: only draining
            }
            if let Some(found) = pick(String::from_utf8_lossy(&line).trim_end()) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(found);
                }
            }
        }
    });
    rx.recv_timeout(limit).ok()
}

/// Poll `done` every 20 ms until it holds; panics with `what` if it does not within
/// `limit`.
pub(crate) fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Poll `check` every 20 ms until it is `Ok`; panics with its last error if it is not
/// within `limit`.
pub(crate) fn wait_ok(limit: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        match check() {
            Ok(()) => return,
            Err(e) => assert!(Instant::now() < deadline, "{e} (for {limit:?})"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An address on 127.0.0.1 where nothing listens, for a URL that must point at a server
/// that is down (or for redis-server, which cannot bind port 0 and report the port; see
/// `redis()` in pubsub_fault.rs for how it is kept from racing). No server can report
/// such an address, so this binds port 0 and releases the port; it stays free unless the
/// kernel hands the same port to another socket meanwhile (rare; a test that then finds
/// something there fails, it does not pass wrongly).
pub(crate) fn unused_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("bound address").to_string()
}

/// A unique path under the temp dir, named after `tag` and this process.
fn unique(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("herd-cli-{tag}-{}-{n}", std::process::id()))
}

/// A new empty directory, removed (with what is in it) on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// Create it, named after `tag`.
    pub(crate) fn new(tag: &str) -> TempDir {
        let p = unique(tag);
        std::fs::create_dir_all(&p).expect("create a temp dir");
        TempDir(p)
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file holding `text`, in a directory of its own; both removed on drop.
pub(crate) struct TempFile {
    _dir: TempDir,
    path: PathBuf,
}

impl TempFile {
    /// Write it, named `name`.
    pub(crate) fn new(name: &str, text: &str) -> TempFile {
        let dir = TempDir::new("file");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write a temp file");
        TempFile { _dir: dir, path }
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// `herd up`'s other services on port 0 (they would default to fixed ports), so tests
/// never collide with each other or a running stack.
pub(crate) const UP_ON_PORT_0: [&str; 6] = [
    "--relay-listen",
    "127.0.0.1:0",
    "--menu-listen",
    "127.0.0.1:0",
    "--pubsub-listen",
    "127.0.0.1:0",
];

/// Run `cmd` to the end; its output, once it has exited 0 (else panics with its stderr).
pub(crate) fn succeed(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run the command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A herd file whose servers `names` all listen on port 0 (the binary binds and reports
/// the real ports), the first linked to the second if there are two or more.
pub(crate) fn herd_file(names: &[&str]) -> TempFile {
    let mut text = String::from("[servers]\n");
    for n in names {
        text.push_str(&format!("{n} = \"127.0.0.1:0\"\n"));
    }
    if names.len() > 1 {
        text.push_str(&format!("[links]\n{} = [\"{}\"]\n", names[0], names[1]));
    }
    text.push_str("[herd]\nsecret = \"cli-test\"\n");
    TempFile::new("herd.toml", &text)
}
