//! Nothing hidden: failed requests are in the latency figures, every status is counted,
//! interim 1xx answers are skipped, `-n` with warm-up records exactly `-n`, and a run
//! where nothing succeeded fails even without thresholds. Real servers on 127.0.0.1:0.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{start, Behavior};
use load::threshold::{parse_threshold, verdict};
use load::{Outputs, Plan};

fn run(plan: Plan) -> load::RunResult {
    load::run(plan, &mut Outputs::none()).unwrap()
}

/// Every 20th request never answered (timeout 300 ms): the timeouts are 5 % of attempts,
/// so p99 is at least the timeout, and the failed row shows them alone.
#[test]
fn timeouts_show_in_latency() {
    let server = start(Behavior::SilentEvery(20));
    let r = run(Plan {
        requests: Some(400),
        timeout: Duration::from_millis(300),
        connections: 4,
        ..Plan::for_test(server.addr)
    });
    assert_eq!(r.requests + r.errors.timeout, 400, "{:?}", r.errors);
    assert_eq!(r.errors.timeout, 20);
    assert!(
        r.latency_ms.p99 >= 299.0,
        "p99 {} ms hides the timeouts",
        r.latency_ms.p99
    );
    assert!(r.latency_ms.p50 < 100.0, "{:?}", r.latency_ms);
    let failed = r.failed_latency_ms.clone().unwrap();
    assert!(failed.p50 >= 299.0 && failed.max < 2000.0, "{failed:?}");
    assert!(load::report::summary(&r).contains(" failed "));
}

/// A refused connection is in the latency figures as well (with its own row), and a run
/// where every attempt failed fails the verdict without any threshold.
#[test]
fn all_failed_fails() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = run(Plan {
        requests: Some(20),
        ..Plan::for_test(closed)
    });
    assert_eq!((r.requests, r.errors.connect), (0, 20));
    assert!(r.failed_latency_ms.is_some());
    let v = verdict(&r, &[]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("no request succeeded (20 attempts"), "{v:?}");
    let all_500 = start(Behavior::Status(500));
    let r = run(Plan {
        requests: Some(20),
        ..Plan::for_test(all_500.addr)
    });
    assert_eq!(verdict(&r, &[]).len(), 1);
    let ok = start(Behavior::Ok);
    let r = run(Plan {
        requests: Some(20),
        ..Plan::for_test(ok.addr)
    });
    assert!(verdict(&r, &[]).is_empty());
}

/// Thresholds over a real run: each one that holds is named with what was measured.
#[test]
fn thresholds_on_a_real_run() {
    let server = start(Behavior::Cycle(&[200, 200, 200, 500]));
    let r = run(Plan {
        requests: Some(200),
        ..Plan::for_test(server.addr)
    });
    let t = |s: &str| parse_threshold(s).unwrap();
    let failed = verdict(
        &r,
        &[
            t("errors>10%"),
            t("p99>60s"),
            t("rps<1000000000"),
            t("requests<200"),
        ],
    );
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed[0].starts_with("errors>10%") && failed[0].contains("25.000% (50 of 200)"),
        "{failed:?}"
    );
    assert!(failed[1].starts_with("rps<1000000000"), "{failed:?}");
    assert!(verdict(&r, &[t("errors>25%"), t("p99.9>10s")]).is_empty());
}

/// Every status is counted, 2xx included, in the result, the summary and the JSON.
#[test]
fn every_status_is_counted() {
    let server = start(Behavior::Cycle(&[200, 201, 204, 404, 503]));
    let r = run(Plan {
        requests: Some(500),
        connections: 1,
        ..Plan::for_test(server.addr)
    });
    let want: Vec<(String, u64)> = ["200", "201", "204", "404", "503"]
        .iter()
        .map(|c| (c.to_string(), 100))
        .collect();
    assert_eq!(r.status.clone().into_iter().collect::<Vec<_>>(), want);
    assert_eq!(r.non_2xx, 200);
    assert!(load::report::summary(&r)
        .contains("Status    200: 100, 201: 100, 204: 100, 404: 100, 503: 100"));
    let v: serde_json::Value =
        serde_json::from_str(&load::report::json(&[r], false).unwrap()).unwrap();
    assert_eq!(v["status"]["201"], 100);
    assert_eq!(v["errors"]["status"]["404"], 100);
    assert!(v["errors"]["status"].get("201").is_none());
}

/// 100 Continue and 103 Early Hints before each answer are skipped, not taken for it.
#[test]
fn interim_answers_are_skipped() {
    let server = start(Behavior::Interim);
    let r = run(Plan {
        requests: Some(300),
        ..Plan::for_test(server.addr)
    });
    assert_eq!((r.requests, r.errors.total()), (300, 0), "{:?}", r.errors);
    assert_eq!(r.status.keys().collect::<Vec<_>>(), ["200"]);
    assert_eq!(server.count.load(Ordering::SeqCst), 300);
    assert_eq!(server.observed.connections.load(Ordering::SeqCst), 2);
}

/// -n with --warmup records exactly -n attempts; the warm-up traffic comes on top.
#[test]
fn n_with_warmup_records_exactly_n() {
    let server = start(Behavior::Ok);
    let r = run(Plan {
        requests: Some(300),
        warmup: Duration::from_millis(300),
        ..Plan::for_test(server.addr)
    });
    assert_eq!(r.requests, 300);
    assert_eq!(r.attempts(), 300);
    let total = server.count.load(Ordering::SeqCst);
    assert!(
        total > 300 + 20,
        "server saw {total}: warm-up traffic missing"
    );
    let failing = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = run(Plan {
        requests: Some(7),
        warmup: Duration::from_millis(100),
        ..Plan::for_test(failing)
    });
    assert_eq!((r.attempts(), r.errors.connect), (7, 7));
}
