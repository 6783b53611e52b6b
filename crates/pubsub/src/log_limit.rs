//! [`LogLimit`]: at most one log line per interval for a failure that repeats, with the
//! number of occurrences left out since the last line.
//!
//! While Redis is down every request fails the same way; one WARN line per failed request
//! would bury everything else in the log (and cost more than the request). The first
//! failure is logged at once, the next ones within the interval are only counted, and the
//! first one after it is logged with that count.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A rate limit for one kind of log line.
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// No line before this instant; `None` until the first line.
    next: Option<Instant>,
    /// Occurrences not logged since the last line.
    suppressed: u64,
}

impl LogLimit {
    /// At most one line per `every`.
    pub fn new(every: Duration) -> Self {
        LogLimit {
            every,
            state: Mutex::new(State::default()),
        }
    }

    /// One occurrence at `now`: `Some(n)` if it should be logged, `n` being how many were
    /// counted but not logged since the last line; `None` if it is only counted.
    pub fn admit(&self, now: Instant) -> Option<u64> {
        // A poisoned lock means a panic in the few lines below, which cannot panic; the
        // counts stay usable either way.
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match s.next {
            Some(t) if now < t => {
                s.suppressed += 1;
                None
            }
            _ => {
                s.next = Some(now + self.every);
                Some(std::mem::take(&mut s.suppressed))
            }
        }
    }
}

impl Default for LogLimit {
    /// One line per second.
    fn default() -> Self {
        LogLimit::new(Duration::from_secs(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first occurrence is logged; the rest of the second only counted, up to the
    /// edge (1 ms before the interval ends); the first one at the interval's end is
    /// logged with the count, and the count starts again.
    #[test]
    fn one_line_per_interval_with_count() {
        let l = LogLimit::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(l.admit(t0), Some(0));
        for i in 1..=99u64 {
            assert_eq!(l.admit(t0 + Duration::from_millis(i * 10 - 9)), None);
        }
        assert_eq!(l.admit(t0 + Duration::from_millis(999)), None);
        assert_eq!(l.admit(t0 + Duration::from_secs(1)), Some(100));
        assert_eq!(l.admit(t0 + Duration::from_millis(1500)), None);
        assert_eq!(l.admit(t0 + Duration::from_secs(5)), Some(1));
        assert_eq!(l.admit(t0 + Duration::from_secs(7)), Some(0));
    }

    /// Many threads at once: exactly one line, every other occurrence counted.
    #[test]
    fn concurrent_occurrences_are_all_counted() {
        let l = std::sync::Arc::new(LogLimit::new(Duration::from_secs(3600)));
        let t0 = Instant::now();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || (0..1000).filter(|_| l.admit(t0).is_some()).count())
            })
            .collect();
        let logged: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(logged, 1);
        assert_eq!(l.admit(t0 + Duration::from_secs(3600)), Some(3999));
    }
}
