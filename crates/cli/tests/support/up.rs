//! `herd up` as a child process: its table (where each service listens) and what it
//! prints after the table (its "stopped" line).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Proc, HERD, START_LIMIT};

/// A running `herd up`, killed (SIGKILL) on drop.
pub(crate) struct Up {
    /// The process.
    pub(crate) proc: Proc,
    /// The table it printed, header first, up to (not including) its "Ctrl-C" line.
    pub(crate) table: String,
    /// Its stdout after the table, line by line (read in the background, so it never
    /// blocks on a full pipe).
    lines: mpsc::Receiver<String>,
}

impl Up {
    /// Start `herd up --no-log --config CONFIG FLAGS...` and read its table.
    pub(crate) fn start(config: &Path, flags: &[&str]) -> Up {
        let mut child = Command::new(HERD)
            .args(["up", "--no-log", "--config"])
            .arg(config)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start herd up");
        let out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let proc = Proc::new(child);
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let deadline = Instant::now() + START_LIMIT;
        let mut table = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.starts_with("Ctrl-C") => break,
                Ok(line) => {
                    table.push_str(&line);
                    table.push('\n');
                }
                Err(e) => panic!("herd up printed no whole table ({e}):\n{table}"),
            }
        }
        Up { proc, table, lines }
    }

    /// Where the service named `name` (the table's `name` column) listens (its `listen`
    /// column).
    pub(crate) fn listen(&self, name: &str) -> String {
        let mut rows = self.table.lines();
        let header = rows.next().unwrap_or("");
        let col = |c: &str| {
            header
                .find(c)
                .unwrap_or_else(|| panic!("no {c} column in {}", self.table))
        };
        let (n, l, d) = (col("name"), col("listen"), col("detail"));
        rows.find(|r| r.get(n..l).map(str::trim) == Some(name))
            .and_then(|r| r.get(l..d))
            .map(|a| a.trim().to_string())
            .unwrap_or_else(|| panic!("no row named {name} in\n{}", self.table))
    }

    /// SIGTERM, then the exit status (within [`START_LIMIT`]) and everything it printed
    /// after the table.
    pub(crate) fn stop(&mut self) -> (ExitStatus, String) {
        self.proc.terminate();
        let status = self.proc.wait_exit(START_LIMIT);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut rest = String::new();
        // Exited: the pipe ends once the reader thread has taken the last lines.
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            rest.push_str(&line);
            rest.push('\n');
        }
        (status, rest)
    }
}
