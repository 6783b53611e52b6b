//! Shared runtime pieces every herd service uses.
//!
//! Every service library exposes `run(listener, config, shutdown)`: the caller binds the
//! listener (so tests own the port) and passes a future that completes when the service
//! should stop. This crate holds the pieces that make that shape cheap to follow.
//!
//! # Layout
//! - [`shutdown`]: [`Shutdown`], a broadcast "stop" plus a tracker that waits for every task
//!   to let go, with a grace timeout.
//! - [`signal`]: [`signal::ctrl_c_or_term`], the one place SIGINT and SIGTERM are mapped to
//!   "stop".

#![deny(missing_docs)]

pub mod shutdown;
pub mod signal;

pub use shutdown::Shutdown;
