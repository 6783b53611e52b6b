//! What a server uses, read from /proc: memory (PSS), threads and processes of its whole
//! process tree, sampled while a cell runs.
//!
//! Memory is PSS (proportional set size, `/proc/PID/smaps_rollup`): a page shared by N
//! processes counts 1/N to each, so forked servers are charged for what they really add,
//! not once per process for the shared binary and copy-on-write pages as RSS would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The largest use seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    /// PSS of the tree, KiB.
    pub(crate) pss_kib: u64,
    pub(crate) threads: u64,
    pub(crate) processes: u64,
}

impl Usage {
    fn max(self, o: Usage) -> Usage {
        Usage {
            pss_kib: self.pss_kib.max(o.pss_kib),
            threads: self.threads.max(o.threads),
            processes: self.processes.max(o.processes),
        }
    }
}

/// `pid` and all its descendants.
fn tree(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(pp) = ppid {
                children.entry(pp).or_default().push(p);
            }
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c);
        }
        i += 1;
    }
    out
}

fn field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The tree's use now.
pub(crate) fn usage(pid: u32) -> Usage {
    let mut u = Usage::default();
    for p in tree(pid) {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) else {
            continue;
        };
        u.processes += 1;
        u.threads += field(&status, "Threads:").unwrap_or(1);
        let pss = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .ok()
            .and_then(|s| field(&s, "Pss:"))
            .or_else(|| field(&status, "VmRSS:"));
        u.pss_kib += pss.unwrap_or(0);
    }
    u
}

/// Samples [`usage`] once a second on a thread of its own until [`Sampler::finish`].
#[derive(Debug)]
pub(crate) struct Sampler {
    done: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Usage>,
}

impl Sampler {
    pub(crate) fn start(pid: u32) -> std::io::Result<Sampler> {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let handle = std::thread::Builder::new()
            .name("flash-sampler".into())
            .spawn(move || {
                let mut max = Usage::default();
                // The first sample after the warm-up has opened the connections.
                std::thread::sleep(Duration::from_millis(300));
                while !d.load(Ordering::Relaxed) {
                    max = max.max(usage(pid));
                    for _ in 0..10 {
                        if d.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                max
            })?;
        Ok(Sampler { done, handle })
    }

    /// Stop sampling; the largest use seen (one last sample if none was taken).
    pub(crate) fn finish(self, pid: u32) -> Usage {
        self.done.store(true, Ordering::Relaxed);
        let max = self.handle.join().unwrap_or_default();
        if max == Usage::default() {
            usage(pid)
        } else {
            max
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test process: at least one process and one thread, some memory; a child
    /// started from it is counted in its tree.
    #[test]
    fn own_tree() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let u = usage(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(u.processes >= 2, "{u:?}");
        assert!(u.threads >= 2 && u.pss_kib > 100, "{u:?}");
    }
}
