//! The load generator against real servers on 127.0.0.1:0 started by the test: counts,
//! coordinated-omission correction, error classes, rate accuracy, JSON fields, and the
//! herd protocol against a real herd server.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{start, Behavior};
use load::{Plan, Target};
use tokio::net::TcpListener;

fn plan(addr: std::net::SocketAddr, connections: usize) -> Plan {
    Plan {
        connections,
        ..Plan::for_test(addr)
    }
}

/// With -n the tool sends exactly that many, and the server saw exactly that many.
#[test]
fn request_count_agrees_with_server() {
    let server = start(Behavior::Ok);
    let r = load::run(
        Plan {
            requests: Some(500),
            ..plan(server.addr, 4)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    assert_eq!(r.requests, 500);
    assert_eq!(server.count.load(Ordering::SeqCst), 500);
    assert_eq!(r.errors.total(), 0);
    assert!(r.bytes_per_sec > 0.0);
}

/// With -d the completed count equals the server's count.
#[test]
fn duration_count_agrees_with_server() {
    let server = start(Behavior::Ok);
    let r = load::run(
        Plan {
            duration: Some(Duration::from_secs(1)),
            ..plan(server.addr, 4)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    assert!(r.requests > 100, "{}", r.requests);
    assert_eq!(r.requests, server.count.load(Ordering::SeqCst));
    assert!((0.9..1.5).contains(&r.duration_secs), "{}", r.duration_secs);
}

/// One 500 ms stall shows in the corrected p99 of an open-loop run, not in the uncorrected.
#[test]
fn stall_shows_in_corrected_percentiles() {
    let server = start(Behavior::StallOnce {
        at: 150,
        pause: Duration::from_millis(500),
    });
    let r = load::run(
        Plan {
            rate: Some(200.0),
            duration: Some(Duration::from_secs(3)),
            ..plan(server.addr, 4)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    let unc = r.uncorrected_latency_ms.clone().unwrap();
    assert!(
        r.latency_ms.p99 > 200.0,
        "corrected p99 {} ms",
        r.latency_ms.p99
    );
    assert!(unc.p99 < 100.0, "uncorrected p99 {} ms", unc.p99);
    assert!(
        unc.max >= 450.0,
        "the stalled request itself: {} ms",
        unc.max
    );
}

/// Non-2xx statuses, refused connections and timeouts are counted, each as its own kind.
#[test]
fn errors_are_classified() {
    let s500 = start(Behavior::Status(500));
    let r = load::run(
        Plan {
            requests: Some(50),
            ..plan(s500.addr, 2)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    assert_eq!(r.errors.status.get("500"), Some(&50));
    assert_eq!(r.non_2xx, 50);

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = load::run(
        Plan {
            duration: Some(Duration::from_millis(300)),
            ..plan(closed, 2)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    assert!(r.errors.connect > 0);
    assert_eq!(r.requests, 0);

    let never = start(Behavior::Never);
    let r = load::run(
        Plan {
            duration: Some(Duration::from_millis(500)),
            timeout: Duration::from_millis(200),
            ..plan(never.addr, 2)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    assert!(r.errors.timeout > 0);
    assert_eq!((r.requests, r.errors.connect), (0, 0));
}

/// --rate 2000 holds within 5%, by the server's own count.
#[test]
fn rate_holds_within_five_percent() {
    let server = start(Behavior::Ok);
    let r = load::run(
        Plan {
            rate: Some(2000.0),
            duration: Some(Duration::from_secs(2)),
            ..plan(server.addr, 20)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    let seen = server.count.load(Ordering::SeqCst) as f64;
    assert!((3800.0..=4200.0).contains(&seen), "server saw {seen}");
    assert!(
        (1900.0..=2100.0).contains(&r.requests_per_sec),
        "{}",
        r.requests_per_sec
    );
}

/// The JSON has every documented field.
#[test]
fn json_has_documented_fields() {
    let server = start(Behavior::Ok);
    let r = load::run(
        Plan {
            requests: Some(50),
            rate: Some(500.0),
            ..plan(server.addr, 2)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    // Exactly what `herd load --json` prints, parsed back.
    let text = load::report::json(std::slice::from_ref(&r), false).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for f in [
        "url",
        "mode",
        "connections",
        "threads",
        "target_rate",
        "requests",
        "duration_secs",
        "requests_per_sec",
        "bytes_per_sec",
        "non_2xx",
        "per_second",
    ] {
        assert!(v.get(f).is_some(), "missing {f}");
    }
    for l in ["latency_ms", "uncorrected_latency_ms"] {
        for f in ["mean", "p50", "p90", "p99", "p999", "max"] {
            assert!(v[l][f].is_f64(), "missing {l}.{f}");
        }
    }
    for f in ["connect", "timeout", "io", "parse", "rejected", "status"] {
        assert!(v["errors"].get(f).is_some(), "missing errors.{f}");
    }
    assert!(v["errors"]["status"].is_object());
    assert_eq!(v["target_rate"], 500.0);
    assert_eq!(v["mode"], "open");
    let levels = load::report::json(&[r.clone(), r.clone()], true).unwrap();
    let v: serde_json::Value = serde_json::from_str(&levels).unwrap();
    assert_eq!(v["levels"][1]["requests"], r.requests);
    let text = load::report::summary(&r);
    assert!(text.contains("req/s") && text.contains("p99.9"));
    let page = load::report::html(&[r]).unwrap();
    assert!(page.contains("<svg") && page.contains("Latency by percentile"));
}

/// Herd mode drives a real herd server: every IAMAT and WHATSAT is accepted, persistent
/// or one connection per command.
#[test]
fn herd_protocol_against_real_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(herd_node::run(
        listener,
        herd_node::NodeConfig::for_test("Solo"),
        rx,
    ));
    for per_request in [false, true] {
        let p = Plan {
            url: format!("herd://{addr}"),
            target: Target::Herd {
                whatsat_ratio: 0.3,
                connection_per_request: per_request,
            },
            requests: Some(300),
            ..plan(addr, 4)
        };
        let r = load::run(p, &mut load::Outputs::none()).unwrap();
        assert_eq!(r.requests, 300, "per_request={per_request}: {:?}", r.errors);
        assert_eq!(r.errors.total(), 0, "{:?}", r.errors);
    }
    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
}
