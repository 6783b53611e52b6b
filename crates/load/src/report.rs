//! Turning merged stats into a [`RunResult`], and results into text, JSON and HTML.

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
    if let Some(rate) = r.target_rate.filter(|&t| r.requests_per_sec < 0.95 * t) {
        let _ = writeln!(
            s,
            "Warning   reached {:.0} of {rate} req/s: add connections (-c) or threads",
            r.requests_per_sec
        );
    }
    match &r.uncorrected_latency_ms {
        Some(u) => {
            row(&mut s, " intended", &r.latency_ms);
            row(&mut s, " sent", u);
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

/// The `--json` document: one run's object, or `{"levels": [...]}` for a `--users` series
/// (`levels` true). Fields are documented in docs/load.md.
///
/// # Errors
/// Only if serialization fails, which these plain types do not.
pub fn json(runs: &[RunResult], levels: bool) -> Result<String, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Levels<'a> {
        levels: &'a [RunResult],
    }
    match runs {
        [one] if !levels => serde_json::to_string_pretty(one),
        _ => serde_json::to_string_pretty(&Levels { levels: runs }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ErrorKind;

    fn sample(rate: Option<f64>) -> RunResult {
        let mut st = Stats::default();
        for ms in 1..=100 {
            st.record(Duration::from_millis(ms), Duration::from_millis(1), 10, 0);
        }
        st.status(503);
        st.error(ErrorKind::Connect);
        let plan = crate::Plan {
            rate,
            ..crate::Plan::for_test("127.0.0.1:9".parse().unwrap())
        };
        result(&plan, st, Duration::from_secs(1))
    }

    /// The summary names every percentile, both rows for open loop, and the errors.
    #[test]
    fn summary_text() {
        let s = summary(&sample(None));
        assert!(s.contains("100 in 1.00 s") && s.contains("p99.9"), "{s}");
        assert!(s.contains("connect 1, HTTP 503: 1"), "{s}");
        let open = summary(&sample(Some(1000.0)));
        assert!(open.contains("intended") && open.contains("sent"), "{open}");
        assert!(open.contains("Warning   reached 100 of 1000"), "{open}");
        let widths: Vec<usize> = open
            .lines()
            .filter(|l| l.contains(" ms") || l.starts_with("Latency"))
            .map(str::len)
            .collect();
        assert!(
            widths.len() == 3 && widths.iter().all(|&w| w == widths[0]),
            "{open}"
        );
        let lines: Vec<&str> = s.lines().filter(|l| l.contains(" ms")).collect();
        assert_eq!(lines.len(), 1);
    }

    /// One run is a bare object; a --users series is wrapped in `levels`.
    #[test]
    fn json_shapes() {
        let one = json(&[sample(None)], false).unwrap();
        let v: serde_json::Value = serde_json::from_str(&one).unwrap();
        assert_eq!(v["requests"], 100);
        assert!(v["target_rate"].is_null() && v.get("uncorrected_latency_ms").is_none());
        let many = json(&[sample(None), sample(Some(5.0))], true).unwrap();
        let v: serde_json::Value = serde_json::from_str(&many).unwrap();
        assert_eq!(v["levels"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["levels"][1]["target_rate"], 5.0);
    }

    /// The users table has a header and one aligned row per level.
    #[test]
    fn users_table_rows() {
        let t = users_table(&[sample(None), sample(None)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("users") && lines[0].contains("p99"));
        assert_eq!(lines[1].len(), lines[0].len());
    }
}
