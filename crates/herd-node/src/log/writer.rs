//! The writer thread: drains the queue on a tick, writes, and rotates files by size.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use herd_proto::Timestamp;

use super::{json, Field, LogConfig, Shared};

/// The open log file and its rotation state.
#[derive(Debug)]
pub(super) struct File {
    path: PathBuf,
    file: std::fs::File,
    written: u64,
    max_bytes: u64,
    keep: usize,
}

impl File {
    pub(super) fn open(config: &LogConfig, server: &str) -> std::io::Result<File> {
        std::fs::create_dir_all(&config.dir)?;
        let path = config.dir.join(format!("{server}.log"));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(File {
            path,
            file,
            written,
            max_bytes: config.max_file_bytes,
            keep: config.keep_files,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        self.written += bytes.len() as u64;
        if self.written >= self.max_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// `name.log` becomes `name.log.1`, `.1` becomes `.2`, ... the oldest beyond `keep`
    /// is overwritten; then a fresh `name.log` is opened.
    fn rotate(&mut self) -> std::io::Result<()> {
        let numbered = |i: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{i}"));
            PathBuf::from(p)
        };
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for i in (1..self.keep).rev() {
                let from = numbered(i);
                if from.exists() {
                    std::fs::rename(&from, numbered(i + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

/// Drain the queue every `tick` (or when woken) until closed, then write the rest and the
/// dropped-record count.
pub(super) fn run(shared: &Shared, mut file: File, tick: Duration) {
    let mut spare = Vec::new();
    let mut warned = false;
    loop {
        let closed = {
            let mut q = shared.queue();
            if q.is_empty() && !shared.closed.load(Ordering::SeqCst) {
                q = shared
                    .wake
                    .wait_timeout(q, tick)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            std::mem::swap(&mut *q, &mut spare);
            shared.closed.load(Ordering::SeqCst)
        };
        if !spare.is_empty() {
            if let Err(e) = file.write(&spare) {
                if !warned {
                    tracing::warn!(error = %e, "cannot write the herd log; records are being lost");
                    warned = true;
                }
            }
            spare.clear();
        }
        if closed {
            break;
        }
    }
    // Records that raced with close were swapped out above; what is left is written now.
    let rest = std::mem::take(&mut *shared.queue());
    let _ = file.write(&rest);
    let dropped = shared.dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        let mut rec = Vec::new();
        json::record(
            &mut rec,
            Timestamp::now(),
            &shared.server,
            "log_dropped",
            &[("count", Field::U64(dropped))],
        );
        let _ = file.write(&rec);
    }
    let _ = file.file.flush();
}
