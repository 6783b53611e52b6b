//! Herd protocol mode against a fake herd server that checks every line by hand, and the
//! run shapes around the engine: warm-up, `Connection: close`, `--users` levels.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{start, Behavior};
use load::{Plan, Target};

fn herd_plan(addr: std::net::SocketAddr, whatsat_ratio: f64, per_request: bool) -> Plan {
    Plan {
        url: format!("herd://{addr}"),
        target: Target::Herd {
            whatsat_ratio,
            connection_per_request: per_request,
        },
        connections: 4,
        ..Plan::for_test(addr)
    }
}

/// Every IAMAT (valid coords, 9-digit time near now, varying clients) and every WHATSAT
/// (for a client already reported) is accepted, and the tool counts exactly those.
#[test]
fn herd_fake_server_accepts_every_line() {
    for per_request in [false, true] {
        let (addr, seen) = common::herd::start(None);
        let r = load::run(
            Plan {
                requests: Some(400),
                ..herd_plan(addr, 0.25, per_request)
            },
            &mut load::Outputs::none(),
        )
        .unwrap();
        let bad = seen.bad.lock().unwrap().clone();
        assert_eq!(seen.invalid.load(Ordering::SeqCst), 0, "{bad:?}");
        let (iamat, whatsat) = (
            seen.iamat.load(Ordering::SeqCst),
            seen.whatsat.load(Ordering::SeqCst),
        );
        assert_eq!(r.requests, 400, "per_request={per_request}: {:?}", r.errors);
        assert_eq!(iamat + whatsat, 400);
        assert!(
            whatsat > 40 && iamat > 200,
            "{iamat} IAMAT, {whatsat} WHATSAT"
        );
        assert!(seen.clients.lock().unwrap().len() > 100);
        assert_eq!(r.errors.total(), 0, "{:?}", r.errors);
        let conns = seen.connections.load(Ordering::SeqCst);
        if per_request {
            assert_eq!(conns, 400);
        } else {
            assert_eq!(conns, 4);
        }
    }
}

/// `? ` answers count as "rejected", not as requests, and do not cost the connection.
#[test]
fn herd_rejections_are_counted() {
    let (addr, seen) = common::herd::start(Some(5));
    let r = load::run(
        Plan {
            requests: Some(200),
            ..herd_plan(addr, 0.0, false)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    let rejected = seen.rejected.load(Ordering::SeqCst);
    assert_eq!(rejected, 40);
    assert_eq!((r.errors.rejected, r.requests), (rejected, 160));
    assert_eq!(r.errors.total(), rejected);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 4);
}

/// Herd mode in open loop holds its rate like HTTP does.
#[test]
fn herd_open_loop_rate() {
    let (addr, seen) = common::herd::start(None);
    let r = load::run(
        Plan {
            rate: Some(500.0),
            duration: Some(Duration::from_secs(1)),
            ..herd_plan(addr, 0.1, false)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    let answered = seen.iamat.load(Ordering::SeqCst) + seen.whatsat.load(Ordering::SeqCst);
    assert_eq!(r.requests, answered);
    assert!((475..=525).contains(&answered), "{answered}");
}

/// Warm-up traffic reaches the server but is not recorded.
#[test]
fn warmup_is_not_recorded() {
    let server = start(Behavior::Ok);
    let r = load::run(
        Plan {
            warmup: Duration::from_millis(300),
            duration: Some(Duration::from_millis(500)),
            ..Plan::for_test(server.addr)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    let total = server.count.load(Ordering::SeqCst);
    assert!(r.requests > 50, "{}", r.requests);
    assert!(
        total > r.requests + 20,
        "server {total}, recorded {}",
        r.requests
    );
    assert!(
        (0.45..0.8).contains(&r.duration_secs),
        "{}",
        r.duration_secs
    );
    assert_eq!(r.errors.total(), 0);
}

/// After `Connection: close` the tool reconnects; nothing is lost or counted as an error.
#[test]
fn connection_close_reconnects() {
    let server = start(Behavior::Close);
    let r = load::run(
        Plan {
            requests: Some(200),
            ..Plan::for_test(server.addr)
        },
        &mut load::Outputs::none(),
    )
    .unwrap();
    assert_eq!((r.requests, r.errors.total()), (200, 0), "{:?}", r.errors);
    assert_eq!(server.count.load(Ordering::SeqCst), 200);
}

/// `--users 1,4` runs each level in turn and tabulates them.
#[test]
fn users_levels_run_in_turn() {
    let server = start(Behavior::Ok);
    let plan = Plan {
        duration: Some(Duration::from_millis(300)),
        ..Plan::for_test(server.addr)
    };
    let levels = load::run_levels(&plan, &[1, 4], &mut load::Outputs::none()).unwrap();
    let conns: Vec<usize> = levels.iter().map(|r| r.connections).collect();
    assert_eq!(conns, [1, 4]);
    assert!(levels.iter().all(|r| r.requests > 0 && r.mode == "closed"));
    let total: u64 = levels.iter().map(|r| r.requests).sum();
    assert_eq!(total, server.count.load(Ordering::SeqCst));
    let table = load::report::users_table(&levels);
    assert_eq!(table.lines().count(), 3, "{table}");
    let page = load::report::html(&levels).unwrap();
    assert!(page.contains("1 conns") && page.contains("4 conns"));
}

/// Plans a flag could produce but the engine cannot run are refused, not panicked on.
#[test]
fn unusable_plans_are_refused() {
    let addr = "127.0.0.1:9".parse().unwrap();
    let base = || Plan {
        requests: Some(1),
        ..Plan::for_test(addr)
    };
    let bad = [
        Plan {
            rate: Some(0.0),
            ..base()
        },
        Plan {
            rate: Some(f64::NAN),
            ..base()
        },
        Plan {
            rate: Some(-5.0),
            ..base()
        },
        Plan {
            connections: 0,
            ..base()
        },
        Plan {
            requests: None,
            ..base()
        },
        Plan {
            warmup: Duration::from_secs(u64::MAX),
            ..base()
        },
        Plan {
            duration: Some(Duration::MAX),
            ..base()
        },
    ];
    for p in bad {
        let shown = format!("{:?}", (p.rate, p.connections, p.warmup, p.duration));
        assert!(
            matches!(
                load::run(p, &mut load::Outputs::none()),
                Err(load::Error::Usage(_))
            ),
            "{shown}"
        );
    }
}
