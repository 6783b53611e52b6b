//! Per-thread recording and the merged [`RunResult`].
//!
//! Each engine thread owns a [`Stats`] (no lock, no atomics on the hot path); they are merged
//! once at the end. Latencies are recorded in microseconds in HDR histograms (3 significant
//! digits, up to an hour), so percentiles are exact to 0.1 % whatever the spread.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Error kinds, counted separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Could not connect.
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// Read or write failed, or the server closed mid-answer.
    Io,
    /// The answer did not parse.
    Parse,
    /// A herd server answered `? ...`.
    Rejected,
}

/// What one thread saw.
#[derive(Debug)]
pub struct Stats {
    pub(crate) corrected: Histogram<u64>,
    pub(crate) uncorrected: Histogram<u64>,
    pub(crate) requests: u64,
    pub(crate) bytes: u64,
    pub(crate) errors: Errors,
    pub(crate) per_second: Vec<u64>,
}

/// Error counts by kind; non-2xx HTTP statuses by code.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Errors {
    /// Connection failures.
    pub connect: u64,
    /// Timeouts.
    pub timeout: u64,
    /// Read/write failures and early closes.
    pub io: u64,
    /// Unparseable answers.
    pub parse: u64,
    /// Herd `?` answers.
    pub rejected: u64,
    /// Non-2xx HTTP answers by status code.
    pub status: BTreeMap<String, u64>,
}

impl Errors {
    /// All errors, statuses included.
    pub fn total(&self) -> u64 {
        self.connect
            + self.timeout
            + self.io
            + self.parse
            + self.rejected
            + self.status.values().sum::<u64>()
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 1 h at 3 significant digits: valid bounds, so construction cannot fail.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            corrected: histogram(),
            uncorrected: histogram(),
            requests: 0,
            bytes: 0,
            errors: Errors::default(),
            per_second: Vec::new(),
        }
    }
}

impl Stats {
    /// A completed request: latency from the intended and from the actual send time.
    pub(crate) fn record(
        &mut self,
        corrected: Duration,
        uncorrected: Duration,
        bytes: usize,
        second: usize,
    ) {
        self.corrected.saturating_record(micros(corrected));
        self.uncorrected.saturating_record(micros(uncorrected));
        self.requests += 1;
        self.bytes += bytes as u64;
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        self.per_second[second] += 1;
    }

    /// A failed request.
    pub(crate) fn error(&mut self, kind: ErrorKind) {
        let e = &mut self.errors;
        match kind {
            ErrorKind::Connect => e.connect += 1,
            ErrorKind::Timeout => e.timeout += 1,
            ErrorKind::Io => e.io += 1,
            ErrorKind::Parse => e.parse += 1,
            ErrorKind::Rejected => e.rejected += 1,
        }
    }

    /// A non-2xx status (the request also counts as completed).
    pub(crate) fn status(&mut self, code: u16) {
        *self.errors.status.entry(code.to_string()).or_default() += 1;
    }

    /// Fold another thread's stats into this one.
    pub(crate) fn merge(&mut self, other: Stats) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.corrected.add(&other.corrected);
        let _ = self.uncorrected.add(&other.uncorrected);
        self.requests += other.requests;
        self.bytes += other.bytes;
        let (a, b) = (&mut self.errors, other.errors);
        a.connect += b.connect;
        a.timeout += b.timeout;
        a.io += b.io;
        a.parse += b.parse;
        a.rejected += b.rejected;
        for (k, v) in b.status {
            *a.status.entry(k).or_default() += v;
        }
        if self.per_second.len() < other.per_second.len() {
            self.per_second.resize(other.per_second.len(), 0);
        }
        for (i, v) in other.per_second.into_iter().enumerate() {
            self.per_second[i] += v;
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Latency summary in milliseconds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Latency {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl Latency {
    pub(crate) fn of(h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// The result of one run; field names are stable (documented in docs/load.md).
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// The URL loaded.
    pub url: String,
    /// `closed` or `open`.
    pub mode: &'static str,
    /// Connections used.
    pub connections: usize,
    /// Engine threads used.
    pub threads: usize,
    /// Requested rate for open loop, else null.
    pub target_rate: Option<f64>,
    /// Completed requests (any status).
    pub requests: u64,
    /// Measured seconds.
    pub duration_secs: f64,
    /// Completed requests per second.
    pub requests_per_sec: f64,
    /// Response bytes per second.
    pub bytes_per_sec: f64,
    /// Latency; for open loop measured from the intended send time (corrected).
    pub latency_ms: Latency,
    /// Open loop only: latency from the actual send time (what a naive tool reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncorrected_latency_ms: Option<Latency>,
    /// Errors by kind.
    pub errors: Errors,
    /// Completed requests with a non-2xx status.
    pub non_2xx: u64,
    /// Completed requests in each second of the run.
    pub per_second: Vec<u64>,
    /// Percentile curve of the (corrected) latency: (percentile, ms) pairs, for charts.
    #[serde(skip)]
    pub curve: Vec<(f64, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Merging two threads' stats adds counts, histograms, statuses and seconds.
    #[test]
    fn merge_adds_everything() {
        let mut a = Stats::default();
        a.record(Duration::from_millis(5), Duration::from_millis(1), 100, 0);
        a.status(500);
        a.error(ErrorKind::Timeout);
        let mut b = Stats::default();
        b.record(Duration::from_millis(9), Duration::from_millis(2), 50, 2);
        b.status(500);
        b.status(404);
        b.error(ErrorKind::Connect);
        b.error(ErrorKind::Rejected);
        a.merge(b);
        assert_eq!((a.requests, a.bytes), (2, 150));
        assert_eq!(a.per_second, vec![1, 0, 1]);
        assert_eq!(a.errors.status.get("500"), Some(&2));
        assert_eq!(a.errors.total(), 6);
        let l = Latency::of(&a.corrected);
        assert!((8.9..9.1).contains(&l.max), "{l:?}");
        assert!((1.9..2.1).contains(&Latency::of(&a.uncorrected).max));
    }

    /// Sub-microsecond and absurd latencies are clamped into the histogram, not dropped.
    #[test]
    fn extremes_are_recorded() {
        let mut s = Stats::default();
        s.record(Duration::ZERO, Duration::ZERO, 0, 0);
        s.record(Duration::from_secs(10_000), Duration::ZERO, 0, 0);
        assert_eq!(s.corrected.len(), 2);
    }
}
