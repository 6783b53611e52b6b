//! Threshold parsing (every form, the length limit at the edge and one past, arbitrary
//! input never panicking) and evaluation against results.

use super::*;
use proptest::prelude::*;

fn result(requests: u64, failures: u64, non_2xx: u64, p99: f64, rps: f64) -> RunResult {
    let v = serde_json::json!({
        "url": "http://x/", "mode": "closed", "connections": 1, "threads": 1,
        "target_rate": null, "requests": requests, "duration_secs": 1.0,
        "requests_per_sec": rps, "bytes_per_sec": 0.0,
        "latency_ms": {"mean": 1.0, "p50": 1.0, "p90": 2.0, "p99": p99, "p999": p99, "max": p99},
        "errors": {"connect": failures, "timeout": 0, "io": 0, "parse": 0, "rejected": 0,
                   "status": if non_2xx > 0 { serde_json::json!({"500": non_2xx}) } else { serde_json::json!({}) }},
        "non_2xx": non_2xx, "per_second": []
    });
    serde_json::from_value(v).unwrap()
}

/// Every documented form parses to the right metric, operator and value.
#[test]
fn forms() {
    let t = |s: &str| parse_threshold(s).unwrap();
    assert_eq!(
        (t("p99>5ms").metric, t("p99>5ms").op, t("p99>5ms").value),
        (Metric::Percentile(99.0), Op::Gt, 5.0)
    );
    assert_eq!(t("p99.9 >= 1.5s").value, 1500.0);
    assert_eq!(t("p999<250us").metric, Metric::Percentile(99.9));
    assert_eq!(t("p999<250us").value, 0.25);
    assert_eq!(t("mean<=3").value, 3.0);
    assert_eq!(t("MAX > 1s").metric, Metric::Max);
    assert_eq!(t("errors>0.1%").metric, Metric::ErrorsPercent);
    assert_eq!(t("errors>0.1%").value, 0.1);
    assert_eq!(t("errors > 10").metric, Metric::ErrorsCount);
    assert_eq!(
        (t("rps<1000").metric, t("rps<1000").op),
        (Metric::Rps, Op::Lt)
    );
    assert_eq!(t("requests<=5").op, Op::Le);
    assert_eq!(t(" rps < 1000 ").text(), "rps < 1000");
}

/// Malformed conditions are refused with the condition in the message.
#[test]
fn bad_forms() {
    for bad in [
        "p99",
        "p99=5",
        "p0>1ms",
        "p101>1ms",
        "px>1",
        "p99>5h",
        "p99>",
        "rps<fast",
        "errors>-1%",
        "latency>1ms",
        "<5",
        "rps<inf",
        "p99>NaN",
    ] {
        let err = parse_threshold(bad).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
    }
}

/// Conditions up to MAX_TEXT characters, not one more.
#[test]
fn text_limit() {
    let at = format!("rps<{}", "1".repeat(MAX_TEXT - 4));
    assert_eq!(at.len(), MAX_TEXT);
    assert!(parse_threshold(&at).is_ok());
    assert!(parse_threshold(&format!("{at}1")).is_err());
}

/// A condition that holds fails the run and says what was measured; one that does not
/// passes; edges follow the operator.
#[test]
fn evaluation() {
    let r = result(990, 10, 0, 7.0, 990.0);
    let check = |s: &str| parse_threshold(s).unwrap().check(&r);
    let p99 = check("p99>5ms").unwrap();
    assert!(
        p99.starts_with("p99>5ms") && p99.contains("7.000 ms"),
        "{p99}"
    );
    assert!(check("p99>7ms").is_none() && check("p99>=7ms").is_some());
    let e = check("errors>0.1%").unwrap();
    assert!(e.contains("1.000% (10 of 1000)"), "{e}");
    assert!(check("errors>1%").is_none() && check("errors>=1%").is_some());
    assert!(check("errors>9").is_some() && check("errors>10").is_none());
    assert!(check("rps<1000").unwrap().contains("990.0 req/s"));
    assert!(check("rps<990").is_none() && check("rps<=990").is_some());
    assert!(check("requests<991").is_some());
    let v = verdict(
        &r,
        &[
            parse_threshold("p99>5ms").unwrap(),
            parse_threshold("rps<10").unwrap(),
        ],
    );
    assert_eq!(v.len(), 1);
}

/// Without thresholds a run fails only when nothing succeeded.
#[test]
fn all_failed_fails() {
    assert!(verdict(&result(5, 0, 0, 1.0, 5.0), &[]).is_empty());
    assert!(verdict(&result(5, 100, 4, 1.0, 5.0), &[]).is_empty());
    let all = verdict(&result(0, 100, 0, 1.0, 0.0), &[]);
    assert!(
        all[0].contains("no request succeeded (100 attempts"),
        "{all:?}"
    );
    assert_eq!(verdict(&result(5, 0, 5, 1.0, 5.0), &[]).len(), 1);
    assert_eq!(
        verdict(&result(0, 0, 0, 0.0, 0.0), &[]),
        ["no request was made"]
    );
}

proptest! {
    /// Arbitrary text never panics the parser.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = parse_threshold(&text);
    }

    /// Generated latency conditions parse to their value in ms.
    #[test]
    fn latency_conditions_parse(p in 1u32..=100, n in 0u32..100_000, unit in prop_oneof![Just("us"), Just("ms"), Just("s"), Just("")], op in prop_oneof![Just(">"), Just(">="), Just("<"), Just("<=")]) {
        let t = parse_threshold(&format!("p{p} {op} {n}{unit}")).unwrap();
        let scale = match unit { "us" => 0.001, "s" => 1000.0, _ => 1.0 };
        prop_assert!((t.value - f64::from(n) * scale).abs() < 1e-9);
        prop_assert_eq!(t.metric, Metric::Percentile(f64::from(p)));
    }
}
