//! The per-server log: `<log-dir>/<name>.log`, one JSON object per line.
//!
//! Every client input and output and every peer connect, drop and rejection is recorded.
//! Records go through a bounded channel to a dedicated writer thread, so a slow disk never
//! stalls a connection; if the channel is full the record is counted as dropped and the
//! count is written when the log closes (logs are diagnostics, not acknowledged data).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use herd_proto::Timestamp;
use serde_json::{json, Value};

/// Records waiting for the writer thread before new ones are dropped.
const QUEUE: usize = 100_000;

/// A handle to one server's log; cheap to clone. A disabled log ignores every record.
#[derive(Clone, Debug)]
pub struct NodeLog {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    server: String,
    tx: SyncSender<String>,
    dropped: AtomicU64,
}

impl NodeLog {
    /// A log that records nothing.
    pub fn disabled() -> Self {
        NodeLog { inner: None }
    }

    /// Open (append) `<dir>/<server>.log`, creating `dir` if needed.
    ///
    /// # Errors
    /// The I/O error from creating the directory or opening the file.
    pub fn open(dir: &Path, server: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{server}.log")))?;
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name(format!("log-{server}"))
            .spawn(move || write_loop(rx, file))?;
        Ok(NodeLog {
            inner: Some(Arc::new(Inner {
                server: server.to_string(),
                tx,
                dropped: AtomicU64::new(0),
            })),
        })
    }

    /// Whether records are kept (so callers can skip formatting them).
    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Record one event with extra fields (an object). `ts` (POSIX seconds, exact),
    /// `server` and `event` are added.
    pub fn record(&self, event: &str, fields: Value) {
        let Some(inner) = &self.inner else { return };
        let mut obj = json!({
            "ts": Timestamp::now().to_string(),
            "server": inner.server,
            "event": event,
        });
        if let (Some(o), Value::Object(extra)) = (obj.as_object_mut(), fields) {
            o.extend(extra);
        }
        match inner.tx.try_send(obj.to_string()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                inner.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A line a client sent.
    pub fn input(&self, peer: &str, line: &str) {
        self.record("input", json!({ "from": peer, "line": line }));
    }

    /// What was answered to a client.
    pub fn output(&self, peer: &str, text: &str) {
        self.record("output", json!({ "to": peer, "text": text }));
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            let line = json!({
                "ts": Timestamp::now().to_string(),
                "server": self.server,
                "event": "log_dropped",
                "count": dropped,
            });
            let _ = self.tx.try_send(line.to_string());
        }
    }
}

fn write_loop(rx: Receiver<String>, file: File) {
    let mut out = BufWriter::new(file);
    // Block for the first record, then take whatever else is queued before one flush, so a
    // burst costs one write and a quiet log is still on disk within one record.
    while let Ok(first) = rx.recv() {
        let mut ok = writeln!(out, "{first}").is_ok();
        while let Ok(more) = rx.try_recv() {
            ok &= writeln!(out, "{more}").is_ok();
        }
        if !(ok && out.flush().is_ok()) {
            tracing::warn!("cannot write the herd log; records are being lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records land in the file as JSON lines with the standard fields.
    #[test]
    fn writes_json_lines() {
        let dir = std::env::temp_dir().join(format!("herd-log-test-{}", std::process::id()));
        let log = NodeLog::open(&dir, "Alpha").unwrap();
        log.input("127.0.0.1:1", "IAMAT a +1+1 1");
        log.record("peer_connect", json!({"peer": "Beta"}));
        drop(log);
        let path = dir.join("Alpha.log");
        let mut text = String::new();
        for _ in 0..100 {
            text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().count() >= 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["event"], "input");
        assert_eq!(lines[0]["server"], "Alpha");
        assert_eq!(lines[1]["peer"], "Beta");
        let _ = std::fs::remove_dir_all(dir);
    }
}
