//! A load thread stalled for 50 ms must show in the corrected percentiles: the exemption
//! for a connection that sat idle until its slot is capped at the timer's granularity.
//!
//! The stall is real: a signal handler that sleeps 50 ms runs on the load thread (found by
//! its name, `load-0`) while the server, on its own thread, stays quick. This file is its
//! own test binary so that the handler affects nothing else.

#![allow(unsafe_code)]

mod common;

use std::time::Duration;

use common::{start, Behavior};
use load::{Outputs, Plan};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

extern "C" fn stall(_: nix::libc::c_int) {
    // nanosleep is async-signal-safe.
    std::thread::sleep(Duration::from_millis(50));
}

/// The kernel id of the thread named `name` in this process.
fn thread_id(name: &str) -> Option<i32> {
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            return entry.file_name().to_str()?.parse().ok();
        }
    }
    None
}

/// Open loop at 1000/s over 200 connections on one thread: each connection sends every
/// 200 ms and is idle in between, so each of the ~50 requests that one 50 ms stall of the
/// load thread delays is the first of its connection after the stall (none is overdue
/// behind a slow answer). The corrected p99 and max must show them; from the actual send
/// they look fast.
#[test]
fn stalled_load_thread_shows() {
    let action = SigAction::new(
        SigHandler::Handler(stall),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only sleeps, which is async-signal-safe, and this binary has no
    // other use for SIGUSR1.
    unsafe { sigaction(Signal::SIGUSR1, &action) }.unwrap();
    let server = start(Behavior::Ok);
    let plan = Plan {
        rate: Some(1000.0),
        duration: Some(Duration::from_secs(2)),
        connections: 200,
        threads: 1,
        ..Plan::for_test(server.addr)
    };
    let runner = std::thread::spawn(move || load::run(plan, &mut Outputs::none()));
    std::thread::sleep(Duration::from_millis(800));
    let tid = thread_id("load-0").expect("the load thread is running");
    // SAFETY: tgkill on a thread of this process with a signal whose handler is set above.
    let rc = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_tgkill,
            std::process::id() as nix::libc::c_long,
            tid as nix::libc::c_long,
            nix::libc::SIGUSR1 as nix::libc::c_long,
        )
    };
    assert_eq!(rc, 0);
    let r = runner.join().unwrap().unwrap();
    let sent = r.uncorrected_latency_ms.clone().unwrap();
    assert!(
        r.latency_ms.max >= 40.0,
        "the 50 ms stall is hidden: {:?}",
        r.latency_ms
    );
    assert!(r.latency_ms.p99 >= 15.0, "corrected p99 {:?}", r.latency_ms);
    assert!(
        sent.p99 < r.latency_ms.p99,
        "sent {sent:?} vs corrected {:?}",
        r.latency_ms
    );
}
