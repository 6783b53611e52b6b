//! [`Requests`]: the HTTP requests a run sends, encoded once, and which one goes next.
//!
//! One URL is the common case; `--urls FILE` gives many (see [`crate::urls`]). They are
//! taken round-robin, or by weight when any line has one. Weighted picks need no random
//! numbers and no table: request `n` maps to `(n * P) mod W` for a prime `P` that does not
//! divide the total weight `W`, which visits every slot of `0..W` once per `W` requests,
//! and the slot falls in an entry's share of the cumulative weights. Every window of `W`
//! requests therefore holds each entry exactly `weight` times, spread out.

use std::sync::Arc;

/// One request to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `METHOD URL`, for per-URL rows in the report.
    pub label: String,
    /// The encoded request.
    pub bytes: Vec<u8>,
    /// Whether it is a HEAD request (its answer has no body).
    pub head: bool,
    /// Relative weight, at least 1.
    pub weight: u64,
}

/// The requests of a run and how to pick among them; cheap to clone.
#[derive(Clone, Debug)]
pub struct Requests {
    entries: Arc<[Entry]>,
    /// Cumulative weights (end of each entry's share) when weighted, else empty.
    cumulative: Arc<[u64]>,
    stride: u64,
}

/// Strides tried in turn; the first that does not divide the total weight is used. Two
/// distinct primes cannot both divide a total below their product (about 10^18).
const STRIDES: [u64; 2] = [1_000_000_007, 998_244_353];

impl Requests {
    /// One request, sent every time.
    pub fn single(entry: Entry) -> Requests {
        Requests::new(vec![entry])
    }

    /// Several requests; weighted picking when any weight differs from 1. An empty list
    /// is refused by the plan's validation before a run starts.
    pub fn new(entries: Vec<Entry>) -> Requests {
        let weighted = entries.iter().any(|e| e.weight != 1);
        let cumulative: Vec<u64> = if weighted {
            entries
                .iter()
                .scan(0u64, |sum, e| {
                    *sum = sum.saturating_add(e.weight.max(1));
                    Some(*sum)
                })
                .collect()
        } else {
            Vec::new()
        };
        let total = cumulative.last().copied().unwrap_or(1);
        let stride = STRIDES.into_iter().find(|p| total % p != 0).unwrap_or(1);
        Requests {
            entries: entries.into(),
            cumulative: cumulative.into(),
            stride,
        }
    }

    /// All entries, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The index of the entry for request number `n` (counted across the run).
    pub fn pick(&self, n: u64) -> usize {
        let len = self.entries.len().max(1) as u64;
        match self.cumulative.last() {
            None => (n % len) as usize,
            Some(&total) => {
                let slot = ((u128::from(n) * u128::from(self.stride)) % u128::from(total)) as u64;
                self.cumulative.partition_point(|&end| end <= slot)
            }
        }
    }

    /// The entry at `index` (as returned by [`Requests::pick`]).
    pub fn get(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(weight: u64) -> Entry {
        Entry {
            label: format!("GET /{weight}"),
            bytes: Vec::new(),
            head: false,
            weight,
        }
    }

    /// Unweighted lists go round-robin.
    #[test]
    fn round_robin() {
        let r = Requests::new(vec![entry(1), entry(1), entry(1)]);
        let picks: Vec<usize> = (0..7).map(|n| r.pick(n)).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(Requests::single(entry(1)).pick(12345), 0);
    }

    /// Every window of total-weight requests holds each entry exactly its weight times,
    /// and picks are spread out rather than in runs.
    #[test]
    fn weights_are_exact_per_window() {
        let r = Requests::new(vec![entry(5), entry(1), entry(3), entry(1)]);
        for start in [0u64, 7, 1_000_003] {
            let mut counts = [0u64; 4];
            for n in start..start + 10 {
                counts[r.pick(n)] += 1;
            }
            assert_eq!(counts, [5, 1, 3, 1], "window from {start}");
        }
        let longest_run = (0..100u64)
            .map(|n| r.pick(n))
            .collect::<Vec<_>>()
            .chunk_by(|a, b| a == b)
            .map(<[usize]>::len)
            .max();
        assert!(longest_run < Some(4), "{longest_run:?}");
    }

    /// A total weight divisible by the first stride still covers every slot.
    #[test]
    fn stride_avoids_a_divisor() {
        let r = Requests::new(vec![entry(1_000_000_007), entry(1_000_000_007)]);
        assert_eq!(r.stride, STRIDES[1]);
    }
}
