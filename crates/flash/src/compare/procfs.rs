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

/// CPU time of the tree so far, in clock ticks: each process's own user and system time
/// plus its reaped children's (so a child that exits mid-cell, as fork-per-connection
/// children do, moves into its parent's count instead of vanishing).
pub(crate) fn cpu_ticks(pid: u32) -> u64 {
    tree(pid)
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .map(|stat| {
            let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
            // After the command: state is field 3, utime..cstime are fields 14..17.
            rest.split_whitespace()
                .skip(11)
                .take(4)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// Wait until the tree uses (nearly) no CPU over a 300 ms window, up to `max`; false if
/// it was still busy then.
pub(crate) fn settle(pid: u32, max: Duration) -> bool {
    let deadline = std::time::Instant::now() + max;
    let window = Duration::from_millis(300);
    // 2% of the window.
    let quiet = (ticks_per_sec() * window.as_secs_f64() * 0.02).max(1.0) as u64;
    loop {
        let before = cpu_ticks(pid);
        std::thread::sleep(window);
        if cpu_ticks(pid).saturating_sub(before) <= quiet {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
    }
}

/// Clock ticks per second.
pub(crate) fn ticks_per_sec() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100.0, |t| t as f64)
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

/// Samples [`usage`] once a second on a thread of its own until [`Sampler::finish`], and
/// the CPU the server uses from the end of the warm-up on.
#[derive(Debug)]
pub(crate) struct Sampler {
    done: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(Usage, Option<u64>)>,
}

/// What a sampler saw.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sampled {
    pub(crate) usage: Usage,
    /// Server CPU seconds from the end of the warm-up to the end of the run.
    pub(crate) cpu_secs: f64,
}

impl Sampler {
    pub(crate) fn start(pid: u32, warmup: Duration) -> std::io::Result<Sampler> {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let handle = std::thread::Builder::new()
            .name("flash-sampler".into())
            .spawn(move || {
                let mut max = Usage::default();
                std::thread::sleep(warmup);
                let base = (!d.load(Ordering::Relaxed)).then(|| cpu_ticks(pid));
                // The first sample once the connections are open and busy.
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
                (max, base)
            })?;
        Ok(Sampler { done, handle })
    }

    /// Stop sampling: the largest use seen (one last sample if none was taken) and the
    /// CPU used since the warm-up ended.
    pub(crate) fn finish(self, pid: u32) -> Sampled {
        let end = cpu_ticks(pid);
        self.done.store(true, Ordering::Relaxed);
        let (max, base) = self.handle.join().unwrap_or_default();
        let usage = if max == Usage::default() {
            usage(pid)
        } else {
            max
        };
        let cpu_secs = base.map_or(0.0, |b| end.saturating_sub(b) as f64 / ticks_per_sec());
        Sampled { usage, cpu_secs }
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

    /// CPU time grows while this process spins.
    #[test]
    fn cpu_is_counted() {
        let before = cpu_ticks(std::process::id());
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(200) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
        assert!(cpu_ticks(std::process::id()) > before);
    }
}
