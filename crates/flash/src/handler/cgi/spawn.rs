//! Running a CGI script: fork, exec, feed stdin, collect stdout, within a deadline.
//!
//! The child does only async-signal-safe things between `fork` and `execve` (the parent
//! may have other threads, whose locks a forked child must never touch): `setpgid`,
//! `dup2`, `chdir`, resetting the signal mask and SIGPIPE, `execve` with argument and
//! environment arrays built before the fork, and `_exit` if that fails. Every descriptor
//! the server opens is close-on-exec, so the script sees only its stdin, stdout and the
//! server's stderr (where its complaints belong).
//!
//! The parent writes the request body and reads the output at the same time (poll over
//! both pipes), so a script that answers before reading all of a large body cannot
//! deadlock with the server. The script runs in its own process group; on timeout or
//! excess output the whole group is killed and the child reaped.

use std::ffi::CString;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, killpg, sigprocmask, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{dup2, fork, pipe2, setpgid, ForkResult, Pid};

/// A prepared command: everything `execve` needs, allocated before the fork.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) path: CString,
    pub(crate) argv: Vec<CString>,
    pub(crate) env: Vec<CString>,
    pub(crate) cwd: CString,
}

/// A finished script.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) stdout: Vec<u8>,
    /// Exited with status 0.
    pub(crate) success: bool,
}

/// Why a script produced no usable output.
#[derive(Debug)]
pub(crate) enum RunError {
    /// Still running at the deadline; killed.
    Timeout,
    /// Wrote more than the output limit; killed.
    TooLarge,
    /// Could not be started (pipes, fork).
    Spawn(io::Error),
}

impl From<nix::Error> for RunError {
    fn from(e: nix::Error) -> Self {
        RunError::Spawn(e.into())
    }
}

/// A pipe with both ends at descriptors above 2, so the child's dup2 onto 0 and 1 can
/// never overwrite one of them (a server started with stdin closed gets pipes at 0).
fn pipe() -> Result<(OwnedFd, OwnedFd), RunError> {
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    let lift = |fd: OwnedFd| -> Result<OwnedFd, RunError> {
        if fd.as_raw_fd() > 2 {
            return Ok(fd);
        }
        fd.try_clone().map_err(RunError::Spawn)
    };
    // try_clone uses F_DUPFD_CLOEXEC from 3 upwards.
    Ok((lift(r)?, lift(w)?))
}

/// Run `cmd` with `stdin` as its input, for at most `timeout`, keeping at most
/// `max_output` bytes of its output.
pub(crate) fn run(
    cmd: &Command,
    stdin: &[u8],
    timeout: Duration,
    max_output: usize,
) -> Result<Output, RunError> {
    let deadline = Instant::now() + timeout;
    let (in_r, in_w) = pipe()?;
    let (out_r, out_w) = pipe()?;
    let mut argv: Vec<*const libc::c_char> = cmd.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = cmd.env.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    let (child_in, child_out) = (in_r.as_raw_fd(), out_w.as_raw_fd());
    // SAFETY: the child runs only async-signal-safe code until execve or _exit (see
    // `exec_child` and the module docs), so forking a multi-threaded server is sound; the
    // pointers it uses point into `cmd`, `argv` and `envp`, alive in the parent's (and so
    // the child's copy of the) stack frame.
    let pid = match unsafe { fork() }? {
        ForkResult::Child => exec_child(cmd, child_in, child_out, &argv, &envp),
        ForkResult::Parent { child } => child,
    };
    drop((in_r, out_w));
    let result = exchange(pid, in_w, out_r, stdin, deadline, max_output);
    if result.is_err() {
        // The script runs in its own group (unless it died before setpgid): end both.
        let _ = killpg(pid, Signal::SIGKILL);
        let _ = kill(pid, Signal::SIGKILL);
        let _ = waitpid(pid, None);
    }
    result
}

/// In the child: wire the pipes to stdin and stdout and exec. Never returns.
fn exec_child(
    cmd: &Command,
    stdin: RawFd,
    stdout: RawFd,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
) -> ! {
    let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
    if dup2(stdin, 0).is_err() || dup2(stdout, 1).is_err() {
        // SAFETY: _exit is async-signal-safe and ends the child at once.
        unsafe { libc::_exit(126) };
    }
    // dup2 leaves 0 and 1 without close-on-exec; the originals (above 2) close at exec.
    let _ = nix::unistd::chdir(cmd.cwd.as_c_str());
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    // SAFETY: sigaction is async-signal-safe; the Rust runtime ignores SIGPIPE and an
    // ignored disposition would survive exec into the script.
    let _ = unsafe { nix::sys::signal::signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    // SAFETY: path, argv and envp are NUL-terminated C strings and NULL-terminated arrays
    // of them, built before the fork and still alive; execve only returns on failure.
    unsafe { libc::execve(cmd.path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    // SAFETY: as above; exec failed (not found, not executable, bad interpreter).
    unsafe { libc::_exit(127) }
}

/// Write the body and read the output concurrently, then wait for the exit.
fn exchange(
    pid: Pid,
    in_w: OwnedFd,
    out_r: OwnedFd,
    body: &[u8],
    deadline: Instant,
    max_output: usize,
) -> Result<Output, RunError> {
    let set_nonblocking =
        |fd: &OwnedFd| fcntl(fd.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
    set_nonblocking(&in_w)?;
    set_nonblocking(&out_r)?;
    let mut stdin = (!body.is_empty()).then(|| std::fs::File::from(in_w));
    let mut stdout = std::fs::File::from(out_r);
    let mut written = 0;
    let mut out = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RunError::Timeout);
        }
        let ms = PollTimeout::try_from(left.as_millis().min(60_000) as i32 + 1)
            .unwrap_or(PollTimeout::MAX);
        let mut fds = vec![PollFd::new(stdout.as_fd(), PollFlags::POLLIN)];
        if let Some(w) = &stdin {
            fds.push(PollFd::new(w.as_fd(), PollFlags::POLLOUT));
        }
        match poll(&mut fds, ms) {
            Err(nix::errno::Errno::EINTR) | Ok(0) => continue,
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        let can_write = fds
            .get(1)
            .and_then(|f| f.revents())
            .is_some_and(|r| !r.is_empty());
        let can_read = fds[0].revents().is_some_and(|r| !r.is_empty());
        drop(fds);
        if can_write {
            if let Some(w) = stdin.as_mut() {
                match w.write(&body[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // EPIPE: the script does not want (the rest of) its input.
                    Err(_) => written = body.len(),
                }
                if written >= body.len() {
                    stdin = None;
                }
            }
        }
        if can_read {
            match stdout.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if out.len() + n > max_output {
                        return Err(RunError::TooLarge);
                    }
                    out.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(RunError::Spawn(e)),
            }
        }
    }
    drop(stdin);
    // Output is complete; the exit usually follows at once.
    let mut pause = Duration::from_micros(50);
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => {
                return Ok(Output {
                    stdout: out,
                    success: code == 0,
                })
            }
            Ok(WaitStatus::Signaled(..)) => {
                return Ok(Output {
                    stdout: out,
                    success: false,
                })
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        if Instant::now() >= deadline {
            return Err(RunError::Timeout);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}
