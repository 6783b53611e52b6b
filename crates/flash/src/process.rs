//! Forking server processes: the check that makes it sound, the fork, and a child's
//! own stop flag.
//!
//! A forked child has one thread, a copy of the parent's memory, and any lock another
//! parent thread held at the fork held forever. So the fork, prefork and worker models
//! fork only from a single-threaded process ([`ensure_single_threaded`], checked at start;
//! these models never start threads in the parent), and `herd flash` runs them in a
//! process of their own. (CGI forks from any model, but its child only execs: see
//! `handler/cgi/spawn.rs`.)
//!
//! Signals: the parent maps SIGINT/SIGTERM to its stop flag. A child unmaps the copy of
//! that it inherited (else a SIGTERM to the child would stop the parent's flag, which
//! children share through the inherited pipe) and maps them to a flag of its own
//! ([`child_stop`]), so the parent stops a child by signalling it, the netkit `Children`
//! way. A child also asks for SIGTERM should the parent die, so no worker outlives its
//! server.

use netkit::blocking::{SignalGuard, StopFlag};
use nix::sys::signal::Signal;
use nix::unistd::{fork, ForkResult, Pid};

use crate::{Error, Model};

/// Threads in this process, from /proc/self/status.
pub(crate) fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        // Without /proc, assume the worst.
        .unwrap_or(usize::MAX)
}

/// Refuse to run a forking model in a multi-threaded process.
pub(crate) fn ensure_single_threaded(model: Model) -> Result<(), Error> {
    match threads() {
        1 => Ok(()),
        threads => Err(Error::NotSingleThreaded { model, threads }),
    }
}

/// Which side of a fork this is.
pub(crate) enum Forked {
    /// In the child; the parent's pid, to notice if it is already gone.
    Child {
        parent: Pid,
    },
    Parent(Pid),
}

/// Fork a server process. Only for the forking models, after
/// [`ensure_single_threaded`].
pub(crate) fn fork_server() -> std::io::Result<Forked> {
    let parent = nix::unistd::getpid();
    // SAFETY: the caller's model checked at start that this process is single-threaded,
    // and the forking models start no threads in the parent, so the child inherits no lock
    // held by a thread that does not exist there; it may then run any code.
    match unsafe { fork() }? {
        ForkResult::Child => Ok(Forked::Child { parent }),
        ForkResult::Parent { child } => Ok(Forked::Parent(child)),
    }
}

/// In a freshly forked child: drop the parent's signal mapping, map SIGINT/SIGTERM to a
/// new flag of the child's own, and get SIGTERM if the parent dies.
pub(crate) fn child_stop(
    parent_signals: &mut Option<SignalGuard>,
    parent: Pid,
) -> std::io::Result<(StopFlag, SignalGuard)> {
    drop(parent_signals.take());
    let stop = StopFlag::new()?;
    let guard = stop.on_signals()?;
    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
    // The parent may have died before set_pdeathsig took effect: then we were adopted.
    if nix::unistd::getppid() != parent {
        stop.stop();
    }
    Ok((stop, guard))
}

/// End a forked child without running the parent's destructors or flushing its copies of
/// the parent's buffers.
pub(crate) fn exit_child(code: i32) -> ! {
    // SAFETY: _exit ends the process at once; it touches no Rust state, which is the
    // point in a forked child.
    unsafe { nix::libc::_exit(code) }
}
