//! The per-server log: `<log-dir>/<name>.log`, one JSON object per line.
//!
//! Every client input and output and every peer connect, drop and rejection is recorded,
//! so the log is on the hot path of every command and must be cheap:
//! - a record is formatted straight into bytes ([`json`]), with no intermediate value;
//! - it is appended to a shared in-memory queue under a short lock; the writer thread is
//!   not woken per record but drains the queue on a short tick (or early when the queue
//!   passes a high-water mark), so a busy server pays no context switch per line;
//! - the queue is bounded in bytes ([`LogConfig::max_queue_bytes`]); past it records are
//!   dropped and counted (logs are diagnostics, not acknowledged data), and the count is
//!   written as a `log_dropped` record;
//! - files rotate by size ([`LogConfig::max_file_bytes`]) into `<name>.log.1` ...
//!   `<name>.log.<keep_files>`;
//! - [`NodeLog::close`] writes what is queued, the `log_dropped` count, and joins the
//!   writer, so the last records (`stopped`) are on disk when the server returns.

mod json;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use herd_proto::Timestamp;

pub(crate) use json::Field;

/// Where and how much to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// Directory of `<name>.log`; created if missing.
    pub dir: PathBuf,
    /// Rotate the file once it passes this many bytes. Default 64 MiB.
    pub max_file_bytes: u64,
    /// Rotated files kept (`.1` is the newest). Default 3.
    pub keep_files: usize,
    /// Bytes of records waiting for the writer before new ones are dropped (the record
    /// that crosses the bound is kept, so the queue holds at most this plus one record).
    /// Default 16 MiB.
    pub max_queue_bytes: usize,
    /// How often the writer drains the queue. Default 50 ms.
    pub flush_every: Duration,
}

impl LogConfig {
    /// Defaults, logging into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LogConfig {
            dir: dir.into(),
            max_file_bytes: 64 * 1024 * 1024,
            keep_files: 3,
            max_queue_bytes: 16 * 1024 * 1024,
            flush_every: Duration::from_millis(50),
        }
    }
}

/// The writer is woken early once this much is queued, so bursts are written in
/// reasonable chunks without waiting for the tick.
const HIGH_WATER: usize = 256 * 1024;

/// A handle to one server's log; cheap to clone. A disabled log ignores every record.
#[derive(Clone, Debug)]
pub(crate) struct NodeLog {
    inner: Option<Arc<Shared>>,
}

#[derive(Debug)]
struct Shared {
    /// The server name as a JSON string literal (quoted and escaped once).
    server: String,
    queue: Mutex<Vec<u8>>,
    wake: Condvar,
    closed: AtomicBool,
    dropped: AtomicU64,
    max_queue: usize,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Vec<u8>> {
        // A byte buffer is valid whatever a panicking holder did.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl NodeLog {
    /// A log that records nothing.
    pub(crate) fn disabled() -> Self {
        NodeLog { inner: None }
    }

    /// Open (append) `<dir>/<server>.log` and start its writer thread.
    ///
    /// # Errors
    /// The I/O error from creating the directory, opening the file or starting the thread.
    pub(crate) fn open(config: &LogConfig, server: &str) -> std::io::Result<Self> {
        let file = writer::File::open(config, server)?;
        let mut name = Vec::new();
        json::string(&mut name, server.as_bytes());
        let shared = Arc::new(Shared {
            server: String::from_utf8_lossy(&name).into_owned(),
            queue: Mutex::new(Vec::with_capacity(HIGH_WATER)),
            wake: Condvar::new(),
            closed: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            max_queue: config.max_queue_bytes,
            thread: Mutex::new(None),
        });
        let s2 = shared.clone();
        let tick = config.flush_every;
        let handle = std::thread::Builder::new()
            .name(format!("log-{server}"))
            .spawn(move || writer::run(&s2, file, tick))?;
        *shared.thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        Ok(NodeLog {
            inner: Some(shared),
        })
    }

    /// Whether records are kept (so callers can skip preparing them).
    pub(crate) fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Record one event. `ts` (POSIX seconds, exact), `server` and `event` come first.
    pub(crate) fn record(&self, event: &str, fields: &[(&str, Field<'_>)]) {
        let Some(s) = &self.inner else { return };
        let now = Timestamp::now();
        // Formatted straight into the queue: no buffer per record. The lock is held for
        // the formatting only (well under a microsecond for a typical line).
        let mut q = s.queue();
        if q.len() >= s.max_queue {
            drop(q);
            s.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let was_below = q.len() < HIGH_WATER;
        json::record(&mut q, now, &s.server, event, fields);
        if was_below && q.len() >= HIGH_WATER {
            s.wake.notify_one();
        }
    }

    /// A line a client sent.
    pub(crate) fn input(&self, peer: &str, line: &str) {
        self.record(
            "input",
            &[("from", Field::Str(peer)), ("line", Field::Str(line))],
        );
    }

    /// What was answered to a client.
    pub(crate) fn output(&self, peer: &str, text: &[u8]) {
        self.record(
            "output",
            &[("to", Field::Str(peer)), ("text", Field::Bytes(text))],
        );
    }

    /// Write everything queued and stop the writer thread, waiting for it. Later records
    /// are dropped. Idempotent.
    pub(crate) fn close(&self) {
        let Some(s) = &self.inner else { return };
        s.closed.store(true, Ordering::SeqCst);
        s.wake.notify_one();
        let handle = s.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests;
