//! [`Children`]: the child processes of a forking server, reaped as they exit and stopped
//! together.
//!
//! Forking itself stays in the server models (it is their lesson, and their `unsafe`); this
//! is the bookkeeping every forking model needs: reap finished children without blocking
//! (so none lingers as a zombie while the server runs), and on stop send SIGTERM to all,
//! wait up to a grace period, then SIGKILL the rest and reap them too.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// Live child processes.
#[derive(Debug, Default)]
pub struct Children {
    pids: Vec<Pid>,
}

impl Children {
    /// None yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Track a child just forked.
    pub fn add(&mut self, pid: Pid) {
        self.pids.push(pid);
    }

    /// How many are still running (as of the last reap).
    pub fn len(&self) -> usize {
        self.pids.len()
    }

    /// Whether none is running.
    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    /// The tracked process ids.
    pub fn pids(&self) -> &[Pid] {
        &self.pids
    }

    /// Collect every child that has exited, without waiting. Returns how many.
    pub fn reap(&mut self) -> usize {
        let before = self.pids.len();
        self.pids.retain(|&pid| !exited(pid, WaitPidFlag::WNOHANG));
        before - self.pids.len()
    }

    /// SIGTERM every child, wait up to `grace` for them to exit, SIGKILL the rest and reap
    /// all. Afterwards no child of ours is left, running or zombie.
    pub fn stop_all(&mut self, grace: Duration) {
        for &pid in &self.pids {
            let _ = kill(pid, Signal::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        while !self.pids.is_empty() && Instant::now() < deadline {
            self.reap();
            if !self.pids.is_empty() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        for &pid in &self.pids {
            let _ = kill(pid, Signal::SIGKILL);
        }
        self.pids.retain(|&pid| !exited(pid, WaitPidFlag::empty()));
    }
}

/// Whether `pid` has exited (and is now reaped). A pid that is not our child any more
/// (ECHILD) counts as exited, so it is not tracked forever.
fn exited(pid: Pid, flags: WaitPidFlag) -> bool {
    loop {
        match waitpid(pid, Some(flags)) {
            Ok(WaitStatus::StillAlive) => return false,
            Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) => return true,
            Ok(_) => return false,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    /// Reaping is what `Children` is for, so the `Child` handle is deliberately dropped.
    #[allow(clippy::zombie_processes)]
    fn spawn(cmd: &str) -> Pid {
        let child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .process_group(0)
            .spawn()
            .unwrap();
        Pid::from_raw(child.id() as i32)
    }

    /// Finished children are reaped while others keep running; stop_all ends the rest,
    /// even one that ignores SIGTERM, and leaves no zombie.
    #[test]
    fn reap_and_stop() {
        let mut c = Children::new();
        c.add(spawn("exit 0"));
        c.add(spawn("sleep 30"));
        c.add(spawn("trap '' TERM; sleep 30"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while c.len() == 3 && Instant::now() < deadline {
            c.reap();
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(c.len(), 2);
        c.stop_all(Duration::from_millis(300));
        assert!(c.is_empty());
    }
}
