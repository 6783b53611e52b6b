//! `herd load`: closed- and open-loop load with honest latency percentiles.
//!
//! Closed loop (the default) measures how fast a server answers when each connection waits
//! for its answer before asking again. Open loop (`rate`, or rate `stages`) sends on a
//! schedule and measures latency from when each request was *due*, so a server that
//! stalls, or a load thread that falls behind, shows up in the percentiles instead of
//! silently slowing the load down (coordinated omission). Failed attempts are in the
//! latency figures too, at the time they were given up. HTTP and HTTPS (rustls), one URL
//! or many, and the herd protocol.
//!
//! # Layout
//! - [`plan`]: [`Plan`] and [`Target`], validated before any traffic.
//! - [`url`]: URL, duration and request-encoding helpers.
//! - [`requests`]: the encoded requests and round-robin or weighted picking.
//! - [`urls`]: the `--urls FILE` parser.
//! - [`schedule`]: `--stages` and the open-loop schedule / closed-loop users.
//! - [`tls`]: the rustls client configuration.
//! - `engine`: threads, connections, pacing; `transport`: TCP/TLS connections;
//!   `exchange`: one request's write and read; `herd`: the herd protocol driver.
//! - `stats`: per-thread recording; `interval`: per-second windows and their collector;
//!   `live`: the live view.
//! - [`result`]: [`RunResult`], the `--json` document.
//! - [`hdr`]: histogram encoding and the `--hdr-log` interval log.
//! - [`merge`]: combining runs from several machines.
//! - [`threshold`]: `--fail-if` conditions.
//! - [`report`]: the human summary, the `--users` table, JSON text and the HTML report.

#![deny(missing_docs)]

mod engine;
mod exchange;
pub mod hdr;
mod herd;
mod interval;
mod live;
pub mod merge;
pub mod plan;
pub mod report;
pub mod requests;
pub mod result;
pub mod schedule;
mod stats;
pub mod threshold;
pub mod tls;
mod transport;
pub mod url;
pub mod urls;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub use engine::{MAX_URL_PERCENTILES, TIMER_SLACK};
pub use live::LiveView;
pub use plan::{Plan, Target};
pub use result::{Latency, RunResult};
pub use stats::{ErrorKind, Errors};

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The flags, URL or input files are unusable; the message says what to change.
    #[error("{0}")]
    Usage(String),
    /// A thread or runtime could not be started, or an output file not written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where a run reports while it runs.
#[derive(Debug, Default)]
pub struct Outputs<'a> {
    /// The live view.
    pub live: LiveView,
    /// The `--hdr-log` file, if any.
    pub hdr_log: Option<&'a mut hdr::IntervalLog>,
    /// Tag for this run's intervals in the log (set per level by [`run_levels`]).
    pub tag: Option<String>,
}

impl Outputs<'_> {
    /// Nothing while running (tests, scripts).
    pub fn none() -> Outputs<'static> {
        Outputs::default()
    }
}

/// Run `plan` to completion (it always ends: by duration, by request count, or by the
/// end of its stages).
///
/// # Errors
/// [`Error::Usage`] for an unusable plan (see [`Plan::validated`]); [`Error::Io`] if
/// threads cannot be started or the interval log cannot be written.
pub fn run(plan: Plan, out: &mut Outputs<'_>) -> Result<RunResult, Error> {
    let plan = plan.validated()?;
    let threads = plan.threads;
    let shared = Arc::new(engine::Shared::new(plan.clone()));
    let (tx, rx) = mpsc::channel();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let s = shared.clone();
            let tx = tx.clone();
            std::thread::Builder::new()
                .name(format!("load-{t}"))
                .spawn(move || engine::thread_main(s, t, Some(tx)))
        })
        .collect::<Result<_, _>>()?;
    drop(tx);
    let wall_start = SystemTime::now()
        + shared
            .measure_from
            .saturating_duration_since(Instant::now());
    let length = plan.duration.map(|d| d + plan.warmup);
    let live = live::Live::new(&out.live, shared.start, shared.measure_from, length);
    let mut collector = interval::Collector::new(
        threads,
        out.hdr_log.as_deref_mut(),
        out.tag.clone(),
        wall_start,
        live,
    );
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(tick) => collector.on(tick),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        collector.live.tick();
    }
    let mut total: Option<stats::Stats> = None;
    for h in handles {
        let s = match h.join() {
            Ok(r) => r?,
            Err(_) => return Err(Error::Io(std::io::Error::other("a load thread panicked"))),
        };
        match &mut total {
            Some(t) => t.merge(&s),
            None => total = Some(s),
        }
    }
    let elapsed = Instant::now().saturating_duration_since(shared.measure_from);
    let (timeline, log_error) = collector.finish(elapsed);
    if let Some(e) = log_error {
        return Err(Error::Io(std::io::Error::new(
            e.kind(),
            format!("writing --hdr-log: {e}"),
        )));
    }
    let total = total.ok_or_else(|| Error::Io(std::io::Error::other("no load thread ran")))?;
    Ok(result::build(&plan, &total, elapsed, timeline))
}

/// Run a closed-loop plan once per connection count in `levels` (the `--users` table).
/// Each level's intervals in the `--hdr-log` are tagged `users-N`.
///
/// # Errors
/// As [`run`].
pub fn run_levels(
    plan: &Plan,
    levels: &[usize],
    out: &mut Outputs<'_>,
) -> Result<Vec<RunResult>, Error> {
    levels
        .iter()
        .map(|&c| {
            out.tag = Some(format!("users-{c}"));
            run(
                Plan {
                    connections: c,
                    ..plan.clone()
                },
                out,
            )
        })
        .collect()
}
