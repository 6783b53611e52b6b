//! `sequential`: one loop accepts a connection, serves it to the end, and only then
//! accepts the next.
//!
//! The simplest correct server and the baseline: no concurrency at all. While one client
//! holds its keep-alive connection, every other client waits in the kernel's accept queue;
//! one slow request (`/app/slow`, a slow CGI script, a slow reader) stalls everyone. Its
//! numbers at one connection show the cost of the handler alone; at ten connections they
//! collapse (nine clients wait for the first to leave). Choose it for a debugging shim or
//! a test double that must answer one thing at a time, never for real traffic.

use std::net::TcpListener;

use netkit::blocking::StopFlag;

use crate::conn::{self, Shared};
use crate::Error;

pub(crate) fn serve(listener: &TcpListener, shared: &Shared, stop: &StopFlag) -> Result<(), Error> {
    let mut errors = 0;
    loop {
        match stop.accept(listener) {
            Ok(None) => return Ok(()),
            Ok(Some((stream, peer))) => {
                errors = 0;
                conn::serve(stream, peer, shared, stop);
            }
            Err(e) => {
                if !super::backoff(stop, &mut errors, &e) {
                    return Ok(());
                }
            }
        }
    }
}
