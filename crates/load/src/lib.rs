//! `herd load`: closed- and open-loop load with honest latency percentiles.
//!
//! Closed loop (the default) measures how fast a server answers when each connection waits
//! for its answer before asking again. Open loop (`rate`) sends on a fixed schedule and
//! measures latency from when each request was *due*, so a server that stalls shows up in
//! the percentiles instead of silently slowing the load down (coordinated omission). Both
//! the corrected and the uncorrected figures are reported.
//!
//! # Layout
//! - [`plan`]: [`Plan`], URL and duration parsing, the request encoded once.
//! - `engine`: threads, connections, pacing, and the exchange of one request.
//! - `herd`: the herd protocol driver (IAMAT/WHATSAT lines and answer framing).
//! - [`stats`]: per-thread histograms and counters, merged into a [`RunResult`].
//! - [`report`]: the human summary, the `--users` table and the HTML report.
//! - `progress`: the live progress bar.

#![deny(missing_docs)]

mod engine;
mod herd;
pub mod plan;
mod progress;
pub mod report;
pub mod stats;

use std::sync::Arc;
use std::time::Instant;

pub use plan::{Plan, Target};
pub use stats::{Errors, Latency, RunResult};

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The flags or URL are unusable; the message says what to change.
    #[error("{0}")]
    Usage(String),
    /// A thread or runtime could not be started, or a report not written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Run `plan` to completion (it always ends: by duration, by request count, or both).
/// With `progress`, a live bar is drawn on stderr when it is a terminal.
///
/// # Errors
/// [`Error::Usage`] for an unusable plan (no connections, no bound, a rate that is not
/// positive, a duration over a year); [`Error::Io`] if threads cannot be started.
pub fn run(plan: Plan, progress: bool) -> Result<RunResult, Error> {
    if plan.connections == 0 {
        return Err(Error::Usage("need at least one connection (-c)".into()));
    }
    if plan.duration.is_none() && plan.requests.is_none() {
        return Err(Error::Usage(
            "give a duration (-d) or a request count (-n)".into(),
        ));
    }
    if plan.rate.is_some_and(|r| !(r.is_finite() && r >= 0.001)) {
        return Err(Error::Usage(
            "the rate must be a positive number of requests per second".into(),
        ));
    }
    // Keeps `Instant + duration` arithmetic in the engine far from overflow.
    let longest = std::time::Duration::from_secs(365 * 24 * 3600);
    let durations = [Some(plan.warmup), plan.duration, Some(plan.timeout)];
    if durations.into_iter().flatten().any(|d| d > longest) {
        return Err(Error::Usage(
            "durations (-d, --warmup, --timeout) are limited to a year".into(),
        ));
    }
    let threads = plan.threads.clamp(1, plan.connections);
    let plan = Plan { threads, ..plan };
    let shared = Arc::new(engine::Shared::new(plan.clone()));
    let bar = progress.then(|| progress::Progress::start(shared.clone()));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let s = shared.clone();
            std::thread::Builder::new()
                .name(format!("load-{t}"))
                .spawn(move || engine::thread_main(s, t))
        })
        .collect::<Result<_, _>>()?;
    let mut total = stats::Stats::default();
    for h in handles {
        match h.join() {
            Ok(r) => total.merge(r?),
            Err(_) => return Err(Error::Io(std::io::Error::other("a load thread panicked"))),
        }
    }
    let elapsed = Instant::now().saturating_duration_since(shared.measure_from);
    if let Some(b) = bar {
        b.finish();
    }
    Ok(report::result(&plan, total, elapsed))
}

/// Run a closed-loop plan once per connection count in `levels` (the `--users` table).
///
/// # Errors
/// As [`run`].
pub fn run_levels(plan: &Plan, levels: &[usize], progress: bool) -> Result<Vec<RunResult>, Error> {
    levels
        .iter()
        .map(|&c| {
            run(
                Plan {
                    connections: c,
                    ..plan.clone()
                },
                progress,
            )
        })
        .collect()
}
