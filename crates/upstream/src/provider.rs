//! [`Provider`]: one base URL with its latency moving average and circuit breaker, and
//! [`order`], the fastest-healthy-first order in which providers are tried.

use std::time::Duration;

use tokio::time::Instant;

use crate::{Breaker, UpstreamConfig};

/// One redundant provider of the same data.
#[derive(Debug)]
pub struct Provider {
    /// Base URL, without a trailing slash; requests append their path and query.
    pub base: String,
    /// `scheme://host:port`, the only part of the URL that errors and metrics show.
    pub origin: String,
    /// Moving average of successful exchange times, in seconds; `None` until measured.
    pub latency: Option<f64>,
    /// The circuit breaker.
    pub breaker: Breaker,
}

impl Provider {
    /// A provider for `base` (already validated) with a closed breaker.
    pub fn new(base: String, origin: String, cfg: &UpstreamConfig) -> Provider {
        Provider {
            base,
            origin,
            latency: None,
            breaker: Breaker::new(cfg.breaker_failures, cfg.breaker_open_for),
        }
    }

    /// Fold one exchange time into the moving average.
    pub fn observe(&mut self, took: Duration, alpha: f64) {
        let s = took.as_secs_f64();
        self.latency = Some(match self.latency {
            None => s,
            Some(avg) => avg + alpha.clamp(0.0, 1.0) * (s - avg),
        });
    }
}

/// The order to try providers in at `now`: those whose breaker lets a request through,
/// healthy ones (no recent failure) first, each group fastest first; a provider not yet
/// measured counts as fastest, so every provider gets measured. Providers whose breaker
/// is open are left out.
pub fn order(providers: &[Provider], now: Instant) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..providers.len())
        .filter(|&i| providers[i].breaker.would_allow(now))
        .collect();
    idx.sort_by(|&a, &b| {
        let (pa, pb) = (&providers[a], &providers[b]);
        let ka = (pa.breaker.failures() > 0, pa.latency.unwrap_or(0.0));
        let kb = (pb.breaker.failures() > 0, pb.latency.unwrap_or(0.0));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
    });
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn providers(n: usize) -> Vec<Provider> {
        let cfg = UpstreamConfig::for_test();
        (0..n)
            .map(|i| Provider::new(format!("http://p{i}"), format!("http://p{i}"), &cfg))
            .collect()
    }

    /// Unmeasured first (in given order), then fastest first; failing ones last; open
    /// breakers left out.
    #[test]
    fn fastest_healthy_first() {
        let now = Instant::now();
        let mut p = providers(4);
        assert_eq!(order(&p, now), vec![0, 1, 2, 3]);
        p[0].observe(Duration::from_millis(50), 0.3);
        p[1].observe(Duration::from_millis(5), 0.3);
        p[2].observe(Duration::from_millis(20), 0.3);
        p[3].observe(Duration::from_millis(1), 0.3);
        p[3].breaker.on_failure(now);
        assert_eq!(order(&p, now), vec![1, 2, 0, 3]);
        for _ in 0..3 {
            p[1].breaker.on_failure(now);
        }
        assert_eq!(order(&p, now), vec![2, 0, 3]);
    }

    /// The moving average moves toward new samples by alpha.
    #[test]
    fn moving_average() {
        let mut p = providers(1).remove(0);
        p.observe(Duration::from_millis(100), 0.5);
        p.observe(Duration::from_millis(200), 0.5);
        let avg = p.latency.unwrap_or_default();
        assert!((avg - 0.150).abs() < 1e-9, "{avg}");
    }
}
