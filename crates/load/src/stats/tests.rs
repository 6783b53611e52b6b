//! Recording and merging: answers, failures in the histograms, statuses, rows.

use super::*;
use crate::interval::Window;

fn sample(ms: u64, second: u64, url: usize, outcome: Outcome) -> Sample {
    Sample {
        corrected: Duration::from_millis(ms),
        uncorrected: Duration::from_millis(ms / 2),
        second,
        url,
        stage: url,
        outcome,
    }
}

fn ok(status: u16) -> Outcome {
    Outcome::Answer { bytes: 100, status }
}

/// Merging two threads' stats adds counts, histograms, statuses, seconds and rows.
#[test]
fn merge_adds_everything() {
    let mut a = Stats::new(2, true, 2, Window::new(0, None));
    a.record(&sample(5, 0, 0, ok(200)));
    a.record(&sample(6, 0, 1, ok(500)));
    a.record(&sample(7, 0, 1, Outcome::Failed(ErrorKind::Timeout)));
    let mut b = Stats::new(2, true, 2, Window::new(1, None));
    b.record(&sample(9, 2, 0, ok(500)));
    b.record(&sample(3, 2, 0, ok(404)));
    b.record(&sample(3, 2, 0, Outcome::Failed(ErrorKind::Connect)));
    b.record(&sample(3, 2, 0, Outcome::Failed(ErrorKind::Tls)));
    a.merge(&b);
    assert_eq!((a.answers, a.bytes), (4, 400));
    assert_eq!(a.per_second, vec![2, 0, 2]);
    let e = a.errors();
    assert_eq!(e.status.get("500"), Some(&2));
    assert_eq!((e.connect, e.tls, e.timeout), (1, 1, 1));
    assert_eq!((e.failures(), e.total()), (3, 6));
    assert_eq!(a.statuses().get("200"), Some(&1));
    assert_eq!(a.corrected.len(), 7);
    assert_eq!(a.failed.len(), 3);
    assert_eq!(
        (a.urls[0].count, a.urls[0].answers, a.urls[0].errors),
        (5, 3, 4)
    );
    assert_eq!(a.urls[1].hist.as_ref().map(Histogram::len), Some(2));
    assert_eq!(a.stages[1].max_us, 7_000);
}

/// Failures enter the latency histograms at the time they were given up.
#[test]
fn failures_are_in_the_latencies() {
    let mut s = Stats::new(0, false, 0, Window::new(0, None));
    for _ in 0..98 {
        s.record(&sample(1, 0, 0, ok(200)));
    }
    s.record(&sample(2000, 2, 0, Outcome::Failed(ErrorKind::Timeout)));
    s.record(&sample(2000, 2, 0, Outcome::Failed(ErrorKind::Timeout)));
    assert!(s.corrected.value_at_quantile(0.99) >= 1_990_000);
    assert_eq!(s.failed.len(), 2);
    assert_eq!(s.answers, 98);
}

/// Sub-microsecond and absurd latencies are clamped into the histogram, not dropped;
/// a second beyond a year does not grow the per-second vector.
#[test]
fn extremes_are_recorded() {
    let mut s = Stats::new(0, false, 0, Window::new(0, None));
    s.record(&sample(0, 0, 0, ok(200)));
    let mut far = sample(0, u64::MAX, 0, ok(200));
    far.corrected = Duration::from_secs(10_000);
    s.record(&far);
    assert_eq!(s.corrected.len(), 2);
    assert_eq!(s.per_second, vec![1]);
}
