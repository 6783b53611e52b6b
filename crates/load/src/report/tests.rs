//! The summary, users table and JSON shapes, on results built from recorded stats.

use std::time::Duration;

use super::*;
use crate::interval::Window;
use crate::stats::{ErrorKind, Outcome, Sample, Stats};

fn sample(corrected_ms: u64, outcome: Outcome) -> Sample {
    Sample {
        corrected: Duration::from_millis(corrected_ms),
        uncorrected: Duration::from_millis(1),
        second: 0,
        url: 0,
        stage: 0,
        outcome,
    }
}

fn result(rate: Option<f64>, failures: u64) -> RunResult {
    let mut st = Stats::new(0, false, 0, Window::new(0, None));
    for ms in 1..=100 {
        st.record(&sample(
            ms,
            Outcome::Answer {
                bytes: 10,
                status: 200,
            },
        ));
    }
    st.record(&sample(
        5,
        Outcome::Answer {
            bytes: 10,
            status: 503,
        },
    ));
    for _ in 0..failures {
        st.record(&sample(5000, Outcome::Failed(ErrorKind::Timeout)));
    }
    let plan = crate::Plan {
        rate,
        ..crate::Plan::for_test("127.0.0.1:9".parse().unwrap())
    };
    crate::result::build(&plan, &st, Duration::from_secs(1), Vec::new())
}

/// The summary names every percentile, both rows for open loop, statuses and errors.
#[test]
fn summary_text() {
    let s = summary(&result(None, 0));
    assert!(s.contains("101 in 1.00 s") && s.contains("p99.9"), "{s}");
    assert!(s.contains("Status    200: 100, 503: 1"), "{s}");
    assert!(s.contains("Errors    HTTP 503: 1"), "{s}");
    assert!(!s.contains("failed"), "{s}");
    let open = summary(&result(Some(1000.0), 0));
    assert!(open.contains("intended") && open.contains("sent"), "{open}");
    assert!(open.contains("Warning   reached 101 of 1000"), "{open}");
    let widths: Vec<usize> = open
        .lines()
        .filter(|l| l.contains(" ms") || l.starts_with("Latency"))
        .map(str::len)
        .collect();
    assert!(
        widths.len() == 3 && widths.iter().all(|&w| w == widths[0]),
        "{open}"
    );
}

/// Failures raise the latency rows and get their own row.
#[test]
fn failures_show_in_latency() {
    let r = result(None, 10);
    assert!(r.latency_ms.p99 >= 4900.0, "{:?}", r.latency_ms);
    let failed_p50 = r.failed_latency_ms.as_ref().map_or(0.0, |l| l.p50);
    assert!((4990.0..5010.0).contains(&failed_p50), "{failed_p50}");
    let s = summary(&r);
    assert!(s.contains(" failed ") && s.contains("given up"), "{s}");
    assert!(s.contains("timeout 10, HTTP 503: 1"), "{s}");
}

/// One run is a bare object; a --users series is wrapped in `levels`.
#[test]
fn json_shapes() {
    let one = json(&[result(None, 0)], false).unwrap();
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["requests"], 101);
    assert_eq!(v["status"]["200"], 100);
    assert!(v["target_rate"].is_null() && v.get("uncorrected_latency_ms").is_none());
    assert!(v["failed_latency_ms"].is_null() && v["hdr"]["latency"].is_string());
    let many = json(&[result(None, 0), result(Some(5.0), 0)], true).unwrap();
    let v: serde_json::Value = serde_json::from_str(&many).unwrap();
    assert_eq!(v["levels"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["levels"][1]["target_rate"], 5.0);
}

/// The users table has a header and one aligned row per level.
#[test]
fn users_table_rows() {
    let t = users_table(&[result(None, 0), result(None, 0)]);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("users") && lines[0].contains("p99"));
    assert_eq!(lines[1].len(), lines[0].len());
}
