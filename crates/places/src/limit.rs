//! [`RateLimit`]: a token bucket per remote provider, so no client can spend the API quota
//! (varying the radius defeats the answer cache; the bucket does not care).

use std::sync::Mutex;
use std::time::Instant;

/// Tokens refill at `rate` per second up to `burst`; each request takes one.
#[derive(Debug)]
pub(crate) struct RateLimit {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimit {
    /// A full bucket.
    pub(crate) fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        RateLimit {
            rate: rate.max(0.0),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Take a token if one is there.
    pub(crate) fn try_take(&self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&self, now: Instant) -> bool {
        // Two floats, valid whatever a panicking holder did.
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(s.1);
        s.0 = (s.0 + elapsed.as_secs_f64() * self.rate).min(self.burst);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            true
        } else {
            false
        }
    }

    /// The configured rate, for messages.
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }
}

/// How long until one more token, for tests.
#[cfg(test)]
fn per_token(rate: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(1.0 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly `burst` requests pass at once, the next is refused, and tokens come back at
    /// the configured rate.
    #[test]
    fn burst_then_rate() {
        let l = RateLimit::new(10.0, 3);
        let t0 = Instant::now();
        assert!(l.try_take_at(t0) && l.try_take_at(t0) && l.try_take_at(t0));
        assert!(!l.try_take_at(t0));
        assert!(!l.try_take_at(t0 + per_token(10.0) / 2));
        assert!(l.try_take_at(t0 + per_token(10.0)));
        assert!(!l.try_take_at(t0 + per_token(10.0)));
        // Idle time refills up to the burst, not beyond.
        let later = t0 + std::time::Duration::from_secs(60);
        assert!((0..3).all(|_| l.try_take_at(later)));
        assert!(!l.try_take_at(later));
    }
}
