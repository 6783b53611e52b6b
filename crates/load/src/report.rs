//! Turning merged stats into a [`RunResult`], and results into text and HTML.

mod html;

use std::fmt::Write;
use std::time::Duration;

pub use html::html;

use crate::stats::{Latency, Stats};
use crate::{Plan, RunResult};

/// Percentiles sampled for the latency curve (chart and HTML table).
const CURVE: [f64; 12] = [
    0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 100.0,
];

/// Build the result of a run that measured for `elapsed`.
pub(crate) fn result(plan: &Plan, stats: Stats, elapsed: Duration) -> RunResult {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let open = plan.rate.is_some();
    let curve = CURVE
        .iter()
        .map(|&p| (p, stats.corrected.value_at_percentile(p) as f64 / 1000.0))
        .collect();
    let non_2xx = stats.errors.status.values().sum();
    RunResult {
        url: plan.url.clone(),
        mode: if open { "open" } else { "closed" },
        connections: plan.connections,
        threads: plan.threads,
        target_rate: plan.rate,
        requests: stats.requests,
        duration_secs: secs,
        requests_per_sec: stats.requests as f64 / secs,
        bytes_per_sec: stats.bytes as f64 / secs,
        latency_ms: Latency::of(&stats.corrected),
        uncorrected_latency_ms: open.then(|| Latency::of(&stats.uncorrected)),
        errors: stats.errors,
        non_2xx,
        per_second: stats.per_second,
        curve,
    }
}

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

fn bytes(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} GB", v / 1e9),
        v if v >= 1e6 => format!("{:.2} MB", v / 1e6),
        v if v >= 1e3 => format!("{:.2} kB", v / 1e3),
        v => format!("{v:.0} B"),
    }
}

/// The error counts in one line ("none" when clean).
pub fn errors_line(r: &RunResult) -> String {
    let e = &r.errors;
    let mut parts: Vec<String> = [
        ("connect", e.connect),
        ("timeout", e.timeout),
        ("io", e.io),
        ("parse", e.parse),
        ("rejected", e.rejected),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| format!("{k} {n}"))
    .collect();
    parts.extend(e.status.iter().map(|(code, n)| format!("HTTP {code}: {n}")));
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// The human summary of one run.
pub fn summary(r: &RunResult) -> String {
    let mut s = String::new();
    let mode = match r.target_rate {
        Some(rate) => format!("open loop at {rate} req/s"),
        None => "closed loop".into(),
    };
    let _ = writeln!(
        s,
        "Target    {}  ({mode}, {} connections, {} threads)",
        r.url, r.connections, r.threads
    );
    let _ = writeln!(
        s,
        "Requests  {} in {:.2} s  =  {:.1} req/s, {}/s",
        r.requests,
        r.duration_secs,
        r.requests_per_sec,
        bytes(r.bytes_per_sec)
    );
    let _ = writeln!(s, "Errors    {}", errors_line(r));
    let _ = writeln!(
        s,
        "Latency   {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "mean", "p50", "p90", "p99", "p99.9", "max"
    );
    let row = |s: &mut String, label: &str, l: &Latency| {
        let _ = writeln!(
            s,
            "{label:<9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            ms(l.mean),
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max)
        );
    };
    match &r.uncorrected_latency_ms {
        Some(u) => {
            row(&mut s, "  intended", &r.latency_ms);
            row(&mut s, "  sent", u);
            let _ = writeln!(s, "          (intended: from when each request was due, corrected for coordinated omission;\n           sent: from when it was actually sent)");
        }
        None => row(&mut s, "", &r.latency_ms),
    }
    s
}

/// The `--users` table: one row per level, as the original relay study printed it.
pub fn users_table(levels: &[RunResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>7} {:>12} {:>12} {:>12} {:>8}",
        "users", "requests/s", "mean", "p99", "errors"
    );
    for r in levels {
        let _ = writeln!(
            s,
            "{:>7} {:>12.1} {:>12} {:>12} {:>8}",
            r.connections,
            r.requests_per_sec,
            ms(r.latency_ms.mean),
            ms(r.latency_ms.p99),
            r.errors.total() - r.non_2xx
        );
    }
    s
}
