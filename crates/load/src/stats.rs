//! Per-thread recording: [`Stats`], merged once at the end of a run.
//!
//! Each engine thread owns a [`Stats`] (no lock, no atomics on the hot path). Every
//! attempt is recorded, answered or failed: a failure (refused connect, timeout, broken
//! connection, bad answer) goes into the latency histograms at the time it was given up,
//! and into a histogram of its own, so a run where requests time out cannot show a clean
//! p99. Latencies are kept in microseconds in HDR histograms (1 µs to 1 h, 3 significant
//! digits). The current second's histogram goes to the collector (see `interval`) each
//! second, for the live view, the timeline and the `--hdr-log`.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::hdr::{coarse_histogram, histogram};
use crate::interval::Window;

/// Why an attempt failed; each is counted separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Could not connect (refused, unreachable, or no connection within the timeout).
    Connect,
    /// The TLS handshake failed (certificate not trusted, no common protocol, ...).
    Tls,
    /// No complete answer within the timeout.
    Timeout,
    /// Read or write failed, or the server closed mid-answer.
    Io,
    /// The answer did not parse.
    Parse,
    /// A herd server answered `? ...`.
    Rejected,
}

impl ErrorKind {
    const ALL: [ErrorKind; 6] = [
        ErrorKind::Connect,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Io,
        ErrorKind::Parse,
        ErrorKind::Rejected,
    ];
}

/// What happened to one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An answer of `bytes`, with an HTTP status (0 for herd answers).
    Answer { bytes: usize, status: u16 },
    /// No usable answer.
    Failed(ErrorKind),
}

impl Outcome {
    /// Whether it counts as an error: a failure, or an HTTP status outside 2xx.
    pub(crate) fn is_error(self) -> bool {
        match self {
            Outcome::Answer { status, .. } => status != 0 && !(200..300).contains(&status),
            Outcome::Failed(_) => true,
        }
    }
}

/// One recorded attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    /// From when it was due (open loop) or started (closed loop) to answer or give-up.
    pub(crate) corrected: Duration,
    /// From the actual send to answer or give-up.
    pub(crate) uncorrected: Duration,
    /// Whole seconds since measuring started, at answer or give-up.
    pub(crate) second: u64,
    /// Index of the request (per-URL rows).
    pub(crate) url: usize,
    /// Index of the stage it was due in.
    pub(crate) stage: usize,
    /// What happened.
    pub(crate) outcome: Outcome,
}

/// Counts and latencies of a subset of attempts: one URL, or one stage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Group {
    pub(crate) count: u64,
    pub(crate) answers: u64,
    pub(crate) errors: u64,
    pub(crate) sum_us: u128,
    pub(crate) max_us: u64,
    /// Percentiles when the run keeps them for this kind of group.
    pub(crate) hist: Option<Histogram<u64>>,
}

impl Group {
    /// A group with a histogram (`fine`: 3 digits, else 2) or with counts only.
    pub(crate) fn new(hist: Option<bool>) -> Group {
        Group {
            hist: hist.map(|fine| {
                if fine {
                    histogram()
                } else {
                    coarse_histogram()
                }
            }),
            ..Group::default()
        }
    }

    fn record(&mut self, us: u64, outcome: Outcome) {
        self.count += 1;
        if matches!(outcome, Outcome::Answer { .. }) {
            self.answers += 1;
        }
        self.errors += u64::from(outcome.is_error());
        self.sum_us += u128::from(us);
        self.max_us = self.max_us.max(us);
        if let Some(h) = &mut self.hist {
            h.saturating_record(us);
        }
    }

    pub(crate) fn merge(&mut self, other: &Group) {
        self.count += other.count;
        self.answers += other.answers;
        self.errors += other.errors;
        self.sum_us += other.sum_us;
        self.max_us = self.max_us.max(other.max_us);
        match (&mut self.hist, &other.hist) {
            (Some(a), Some(b)) => add(a, b),
            (None, Some(b)) => self.hist = Some(b.clone()),
            _ => {}
        }
    }
}

/// Add `b` into `a`. Both come from this crate's constructors or from `hdr::decode`,
/// which only accepts the same range, so adding cannot fail.
pub(crate) fn add(a: &mut Histogram<u64>, b: &Histogram<u64>) {
    let _ = a.add(b);
}

/// What one thread saw.
#[derive(Debug)]
pub(crate) struct Stats {
    /// Every attempt, from when it was due.
    pub(crate) corrected: Histogram<u64>,
    /// Every attempt, from its actual send.
    pub(crate) uncorrected: Histogram<u64>,
    /// Failed attempts only, from when they were due.
    pub(crate) failed: Histogram<u64>,
    /// Answers (any status).
    pub(crate) answers: u64,
    pub(crate) bytes: u64,
    /// Failures by kind, in `ErrorKind::ALL` order.
    pub(crate) failures: [u64; 6],
    /// Answers by HTTP status, indexed by code (0 for herd answers).
    pub(crate) status: Vec<u64>,
    /// Answers completed in each second.
    pub(crate) per_second: Vec<u64>,
    /// Per-URL rows (empty for a single URL).
    pub(crate) urls: Vec<Group>,
    /// Per-stage rows (empty without stages).
    pub(crate) stages: Vec<Group>,
    /// The current second, handed to the collector as seconds pass.
    pub(crate) window: Window,
}

impl Stats {
    /// Empty stats with `urls` and `stages` rows (0 for none) and a window that sends
    /// finished seconds to `window`.
    pub(crate) fn new(urls: usize, url_percentiles: bool, stages: usize, window: Window) -> Stats {
        Stats {
            corrected: histogram(),
            uncorrected: histogram(),
            failed: histogram(),
            answers: 0,
            bytes: 0,
            failures: [0; 6],
            status: vec![0; 1000],
            per_second: Vec::new(),
            urls: (0..urls)
                .map(|_| Group::new(url_percentiles.then_some(false)))
                .collect(),
            stages: (0..stages).map(|_| Group::new(Some(true))).collect(),
            window,
        }
    }

    /// Record one attempt.
    pub(crate) fn record(&mut self, s: &Sample) {
        let us = micros(s.corrected);
        self.corrected.saturating_record(us);
        self.uncorrected.saturating_record(micros(s.uncorrected));
        match s.outcome {
            Outcome::Answer { bytes, status } => {
                self.answers += 1;
                self.bytes += bytes as u64;
                if let Some(n) = self.status.get_mut(usize::from(status)) {
                    *n += 1;
                }
                let second = usize::try_from(s.second).unwrap_or(usize::MAX);
                if self.per_second.len() <= second && second < 366 * 24 * 3600 {
                    self.per_second.resize(second + 1, 0);
                }
                if let Some(n) = self.per_second.get_mut(second) {
                    *n += 1;
                }
            }
            Outcome::Failed(kind) => {
                self.failed.saturating_record(us);
                if let Some(i) = ErrorKind::ALL.iter().position(|&k| k == kind) {
                    self.failures[i] += 1;
                }
            }
        }
        if let Some(g) = self.urls.get_mut(s.url) {
            g.record(us, s.outcome);
        }
        if let Some(g) = self.stages.get_mut(s.stage) {
            g.record(us, s.outcome);
        }
        let answered = matches!(s.outcome, Outcome::Answer { .. });
        self.window
            .record(s.second, us, answered, s.outcome.is_error());
    }

    /// Fold another thread's stats into this one (their windows are already flushed).
    pub(crate) fn merge(&mut self, other: &Stats) {
        add(&mut self.corrected, &other.corrected);
        add(&mut self.uncorrected, &other.uncorrected);
        add(&mut self.failed, &other.failed);
        self.answers += other.answers;
        self.bytes += other.bytes;
        for (a, b) in self.failures.iter_mut().zip(other.failures) {
            *a += b;
        }
        for (a, b) in self.status.iter_mut().zip(&other.status) {
            *a += b;
        }
        if self.per_second.len() < other.per_second.len() {
            self.per_second.resize(other.per_second.len(), 0);
        }
        for (a, b) in self.per_second.iter_mut().zip(&other.per_second) {
            *a += b;
        }
        for (a, b) in self.urls.iter_mut().zip(&other.urls) {
            a.merge(b);
        }
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            a.merge(b);
        }
    }

    /// Failure counts and non-2xx statuses, as reported.
    pub(crate) fn errors(&self) -> Errors {
        let f = |k: ErrorKind| {
            ErrorKind::ALL
                .iter()
                .position(|&x| x == k)
                .map_or(0, |i| self.failures[i])
        };
        Errors {
            connect: f(ErrorKind::Connect),
            tls: f(ErrorKind::Tls),
            timeout: f(ErrorKind::Timeout),
            io: f(ErrorKind::Io),
            parse: f(ErrorKind::Parse),
            rejected: f(ErrorKind::Rejected),
            status: self
                .statuses()
                .into_iter()
                .filter(|(code, _)| !code.starts_with('2'))
                .collect(),
        }
    }

    /// Answers by HTTP status code, every code that occurred (herd answers have none).
    pub(crate) fn statuses(&self) -> BTreeMap<String, u64> {
        self.status
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, &n)| n > 0)
            .map(|(code, &n)| (code.to_string(), n))
            .collect()
    }
}

/// A duration in whole microseconds, at least 1 (the histogram's lowest value).
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Failure counts by kind; non-2xx HTTP answers by status code.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Errors {
    /// Connection failures.
    pub connect: u64,
    /// TLS handshake failures.
    #[serde(default)]
    pub tls: u64,
    /// Timeouts.
    pub timeout: u64,
    /// Read/write failures and early closes.
    pub io: u64,
    /// Unparseable answers.
    pub parse: u64,
    /// Herd `?` answers.
    pub rejected: u64,
    /// Non-2xx HTTP answers by status code (these are answers too).
    pub status: BTreeMap<String, u64>,
}

impl Errors {
    /// Attempts that got no usable answer (every kind except `status`).
    pub fn failures(&self) -> u64 {
        self.connect + self.tls + self.timeout + self.io + self.parse + self.rejected
    }

    /// All errors, non-2xx statuses included.
    pub fn total(&self) -> u64 {
        self.failures() + self.status.values().sum::<u64>()
    }

    /// Add another run's counts.
    pub(crate) fn add(&mut self, o: &Errors) {
        self.connect += o.connect;
        self.tls += o.tls;
        self.timeout += o.timeout;
        self.io += o.io;
        self.parse += o.parse;
        self.rejected += o.rejected;
        for (k, v) in &o.status {
            *self.status.entry(k.clone()).or_default() += v;
        }
    }
}

#[cfg(test)]
mod tests;
