//! `--fail-if` thresholds, as k6 has them: `p99>5ms`, `errors>0.1%`, `rps<1000`. A run
//! (or a merge) exits non-zero when any condition holds, naming it. Without thresholds, a
//! run in which no request succeeded also fails.
//!
//! Grammar: `METRIC OP VALUE`, spaces allowed. METRIC is `pN` for any percentile N in
//! (0, 100] (`p50`, `p99.9`, ...), `mean`, `max` (latency: VALUE takes `us`, `ms` or `s`,
//! plain numbers are ms), `errors` (VALUE `N%` of attempts, or a plain count), `rps`
//! (answers per second) or `requests` (answers). OP is `>`, `>=`, `<` or `<=`.

use crate::result::RunResult;
use crate::Error;

/// Longest threshold text.
pub const MAX_TEXT: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Metric {
    Percentile(f64),
    Mean,
    Max,
    ErrorsPercent,
    ErrorsCount,
    Rps,
    Requests,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

/// One parsed `--fail-if` condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    text: String,
    metric: Metric,
    op: Op,
    /// In ms for latency, percent or count for errors, plain for rps and requests.
    value: f64,
}

fn usage(text: &str, why: &str) -> Error {
    Error::Usage(format!(
        "--fail-if {text:?}: {why} (e.g. 'p99>5ms', 'errors>0.1%', 'rps<1000')"
    ))
}

/// Parse one condition.
///
/// # Errors
/// [`Error::Usage`] naming the condition and what is wrong with it.
pub fn parse_threshold(text: &str) -> Result<Threshold, Error> {
    if text.len() > MAX_TEXT {
        return Err(usage(text, &format!("longer than {MAX_TEXT} characters")));
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let at = compact
        .find(['<', '>'])
        .ok_or_else(|| usage(text, "no comparison"))?;
    let (name, rest) = compact.split_at(at);
    let (op, value) = match rest.as_bytes() {
        [b'>', b'=', ..] => (Op::Ge, &rest[2..]),
        [b'<', b'=', ..] => (Op::Le, &rest[2..]),
        [b'>', ..] => (Op::Gt, &rest[1..]),
        _ => (Op::Lt, &rest[1..]),
    };
    let number = |v: &str| -> Result<f64, Error> {
        v.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| usage(text, &format!("{v:?} is not a number")))
    };
    let name = name.to_ascii_lowercase();
    let (metric, value) = match name.as_str() {
        "errors" => match value.strip_suffix('%') {
            Some(p) => (Metric::ErrorsPercent, number(p)?),
            None => (Metric::ErrorsCount, number(value)?),
        },
        "rps" => (Metric::Rps, number(value)?),
        "requests" => (Metric::Requests, number(value)?),
        "mean" | "max" | "p999" => {
            let m = match name.as_str() {
                "mean" => Metric::Mean,
                "max" => Metric::Max,
                _ => Metric::Percentile(99.9),
            };
            (m, latency(text, value)?)
        }
        p if p.starts_with('p') => {
            let q = number(&p[1..])?;
            if !(q > 0.0 && q <= 100.0) {
                return Err(usage(text, "a percentile is between 0 and 100"));
            }
            (Metric::Percentile(q), latency(text, value)?)
        }
        _ => return Err(usage(text, &format!("unknown metric {name:?}"))),
    };
    Ok(Threshold {
        text: text.trim().to_string(),
        metric,
        op,
        value,
    })
}

/// A latency value in ms: `250us`, `5ms`, `1.5s`, or a plain number of ms.
fn latency(text: &str, v: &str) -> Result<f64, Error> {
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| usage(text, &format!("{v:?} is not a latency")))?;
    match unit {
        "" | "ms" => Ok(n),
        "us" | "µs" => Ok(n / 1000.0),
        "s" => Ok(n * 1000.0),
        _ => Err(usage(
            text,
            &format!("unknown unit {unit:?} (use us, ms, s)"),
        )),
    }
}

impl Threshold {
    /// The condition as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What the run measured for this metric, and how to show it.
    fn observed(&self, r: &RunResult) -> (f64, String) {
        let ms = |v: f64| (v, format!("{v:.3} ms"));
        match self.metric {
            Metric::Mean => ms(r.latency_ms.mean),
            Metric::Max => ms(r.latency_ms.max),
            Metric::Percentile(q) => ms(percentile(r, q)),
            Metric::Rps => (
                r.requests_per_sec,
                format!("{:.1} req/s", r.requests_per_sec),
            ),
            Metric::Requests => (r.requests as f64, r.requests.to_string()),
            Metric::ErrorsCount => (r.errors.total() as f64, r.errors.total().to_string()),
            Metric::ErrorsPercent => {
                let pct = 100.0 * r.errors.total() as f64 / r.attempts().max(1) as f64;
                let shown = format!("{pct:.3}% ({} of {})", r.errors.total(), r.attempts());
                (pct, shown)
            }
        }
    }

    /// `Some(message)` when the condition holds for `r` (the run fails), naming what was
    /// measured.
    pub fn check(&self, r: &RunResult) -> Option<String> {
        let (v, shown) = self.observed(r);
        let holds = match self.op {
            Op::Gt => v > self.value,
            Op::Ge => v >= self.value,
            Op::Lt => v < self.value,
            Op::Le => v <= self.value,
        };
        holds.then(|| format!("{} (measured {shown})", self.text))
    }
}

/// Percentile `q` of the run's latency, from its histogram when it carries one.
fn percentile(r: &RunResult, q: f64) -> f64 {
    let from_hdr = r
        .hdr
        .as_ref()
        .and_then(|e| crate::hdr::decode(&e.latency).ok());
    match from_hdr {
        Some(h) if !h.is_empty() => h.value_at_percentile(q) as f64 / 1000.0,
        Some(_) => 0.0,
        None => match q {
            q if q <= 50.0 => r.latency_ms.p50,
            q if q <= 90.0 => r.latency_ms.p90,
            q if q <= 99.0 => r.latency_ms.p99,
            q if q <= 99.9 => r.latency_ms.p999,
            _ => r.latency_ms.max,
        },
    }
}

/// Why `r` fails: every threshold that holds; with none given, "no request succeeded"
/// when there was no attempt or every attempt failed or got a non-2xx answer.
pub fn verdict(r: &RunResult, thresholds: &[Threshold]) -> Vec<String> {
    if !thresholds.is_empty() {
        return thresholds.iter().filter_map(|t| t.check(r)).collect();
    }
    let ok = r.requests.saturating_sub(r.non_2xx);
    match r.attempts() {
        0 => vec!["no request was made".into()],
        n if ok == 0 => vec![format!(
            "no request succeeded ({n} attempts, {} errors)",
            r.errors.total()
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
