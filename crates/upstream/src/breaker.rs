//! [`Breaker`]: a per-provider circuit breaker, as a plain state machine.
//!
//! Closed: requests pass; consecutive failures are counted. At the threshold it opens: the
//! provider is skipped for `open_for`. Then it is half-open: exactly one request (the
//! probe) is let through; success closes it, failure opens it again for another period. A
//! probe that never reports back (its caller went away) is replaced by a new one after
//! another `open_for`, so the breaker cannot stick half-open.
//!
//! No clock inside: every call takes `now`, so the transitions are unit-tested directly.

use std::time::Duration;

use tokio::time::Instant;

/// The breaker's state, as reported in metrics (`0` closed, `1` open, `2` half-open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests pass.
    Closed,
    /// Requests skip this provider.
    Open,
    /// One probe request may pass.
    HalfOpen,
}

impl BreakerState {
    /// The metric value: 0 closed, 1 open, 2 half-open.
    pub fn as_gauge(self) -> i64 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        }
    }
}

/// One provider's breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    threshold: u32,
    open_for: Duration,
    failures: u32,
    opened_at: Option<Instant>,
    probe_since: Option<Instant>,
}

impl Breaker {
    /// Closed, opening after `threshold` consecutive failures (at least 1) for `open_for`.
    pub fn new(threshold: u32, open_for: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            open_for,
            failures: 0,
            opened_at: None,
            probe_since: None,
        }
    }

    /// The state at `now`.
    pub fn state(&self, now: Instant) -> BreakerState {
        match self.opened_at {
            None => BreakerState::Closed,
            Some(at) if now.saturating_duration_since(at) < self.open_for => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// May a request go to this provider at `now`? In the half-open state this admits one
    /// probe and records it; further calls say no until it reports back (or goes stale).
    pub fn try_acquire(&mut self, now: Instant) -> bool {
        match self.state(now) {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => match self.probe_since {
                Some(since) if now.saturating_duration_since(since) < self.open_for => false,
                _ => {
                    self.probe_since = Some(now);
                    true
                }
            },
        }
    }

    /// Would [`Breaker::try_acquire`] say yes, without taking the probe?
    pub fn would_allow(&self, now: Instant) -> bool {
        match self.state(now) {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => self
                .probe_since
                .is_none_or(|since| now.saturating_duration_since(since) >= self.open_for),
        }
    }

    /// A request succeeded: close.
    pub fn on_success(&mut self) {
        self.failures = 0;
        self.opened_at = None;
        self.probe_since = None;
    }

    /// A request failed transiently at `now`: count it, and open (again) at the threshold
    /// or when the half-open probe failed.
    pub fn on_failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let probing = self.opened_at.is_some();
        if probing || self.failures >= self.threshold {
            self.opened_at = Some(now);
            self.probe_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Duration = Duration::from_secs(10);

    /// Opens at the threshold, not before; a success in between resets the count.
    #[test]
    fn opens_at_threshold() {
        let t = Instant::now();
        let mut b = Breaker::new(3, OPEN);
        b.on_failure(t);
        b.on_failure(t);
        assert_eq!(b.state(t), BreakerState::Closed);
        b.on_success();
        b.on_failure(t);
        b.on_failure(t);
        assert!(b.try_acquire(t));
        b.on_failure(t);
        assert_eq!(b.state(t), BreakerState::Open);
        assert!(!b.try_acquire(t + Duration::from_secs(9)));
    }

    /// After the open period exactly one probe passes; its success closes the breaker.
    #[test]
    fn half_open_one_probe_then_close() {
        let t = Instant::now();
        let mut b = Breaker::new(1, OPEN);
        b.on_failure(t);
        let later = t + OPEN;
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert!(b.would_allow(later));
        assert!(b.try_acquire(later));
        assert!(!b.try_acquire(later));
        assert!(!b.would_allow(later));
        b.on_success();
        assert_eq!(b.state(later), BreakerState::Closed);
        assert!(b.try_acquire(later));
    }

    /// A failed probe opens the breaker for another full period.
    #[test]
    fn failed_probe_reopens() {
        let t = Instant::now();
        let mut b = Breaker::new(1, OPEN);
        b.on_failure(t);
        let probe = t + OPEN;
        assert!(b.try_acquire(probe));
        b.on_failure(probe);
        assert_eq!(b.state(probe + OPEN / 2), BreakerState::Open);
        assert_eq!(b.state(probe + OPEN), BreakerState::HalfOpen);
    }

    /// A probe that never reports back is replaced after another period.
    #[test]
    fn lost_probe_is_replaced() {
        let t = Instant::now();
        let mut b = Breaker::new(1, OPEN);
        b.on_failure(t);
        assert!(b.try_acquire(t + OPEN));
        assert!(!b.try_acquire(t + OPEN + OPEN / 2));
        assert!(b.try_acquire(t + OPEN * 2));
    }
}
