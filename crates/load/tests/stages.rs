//! Stages against a real server: an open-loop rate ramp sends the area under the ramp
//! with a row per stage; a closed-loop users ramp brings users in and out.

mod common;

use std::time::Duration;

use common::{start, Behavior};
use load::schedule::{parse_stages, Stages};
use load::{Outputs, Plan};

/// 1s:0->200/s, 1s at 200/s, 1s:200->0: 100 + 200 + 100 requests, each stage its row, and
/// the timeline follows the ramp.
#[test]
fn open_loop_rate_ramp() {
    let server = start(Behavior::Ok);
    let r = load::run(
        Plan {
            stages: Some(Stages {
                steps: parse_stages("1s:200,1s:200,1s:0").unwrap(),
                open: true,
            }),
            connections: 8,
            ..Plan::for_test(server.addr)
        },
        &mut Outputs::none(),
    )
    .unwrap();
    assert_eq!(r.mode, "open");
    assert!((398..=401).contains(&r.requests), "{}", r.requests);
    let per: Vec<u64> = r.stages.iter().map(|s| s.requests).collect();
    assert_eq!(r.stages.len(), 3);
    for (got, want) in per.iter().zip([100u64, 200, 100]) {
        assert!(got.abs_diff(want) <= 2, "{per:?}");
    }
    assert!((2.9..3.5).contains(&r.duration_secs), "{}", r.duration_secs);
    assert_eq!(
        (r.stages[1].target, r.stages[1].duration_secs),
        (200.0, 1.0)
    );
    assert!(r.stages[1].latency_ms.max > 0.0 && !r.stages[1].hdr.is_empty());
    let seconds: Vec<u64> = r.timeline.iter().map(|s| s.requests).collect();
    assert!(
        seconds.len() >= 3 && seconds[1] > seconds[0] && seconds[1] > seconds[2],
        "{seconds:?}"
    );
    let s = load::report::summary(&r);
    assert!(
        s.contains("open loop, 3 stages") && s.contains("Stage"),
        "{s}"
    );
    let page = load::report::html(&[r]).unwrap();
    assert!(page.contains("Latency over time") && page.contains("<h2>Stages</h2>"));
}

/// Users ramp 0->4 over 1 s, hold 1 s, then leave over 1 s: few requests in flight at the
/// start, exactly 4 during the hold, and the run ends with the stages.
#[test]
fn closed_loop_users_ramp() {
    let server = start(Behavior::Delay(Duration::from_millis(20)));
    let r = load::run(
        Plan {
            stages: Some(Stages {
                steps: parse_stages("1s:4,1s:4,1s:0").unwrap(),
                open: false,
            }),
            connections: 1,
            ..Plan::for_test(server.addr)
        },
        &mut Outputs::none(),
    )
    .unwrap();
    assert_eq!((r.mode.as_str(), r.connections), ("closed", 4));
    assert!((2.9..3.6).contains(&r.duration_secs), "{}", r.duration_secs);
    let seen = server.observed.seen.lock().unwrap().clone();
    let start = seen[0].at;
    let in_window = |from: f64, to: f64| {
        seen.iter()
            .filter(|s| (from..to).contains(&s.at.duration_since(start).as_secs_f64()))
            .map(|s| s.in_flight)
            .max()
            .unwrap_or(0)
    };
    assert!(in_window(0.0, 0.2) <= 1, "{}", in_window(0.0, 0.2));
    assert_eq!(in_window(1.2, 1.8), 4);
    assert!(in_window(2.8, 4.0) <= 1, "{}", in_window(2.8, 4.0));
    let per: Vec<u64> = r.stages.iter().map(|s| s.requests).collect();
    assert!(per[1] > per[0] && per[1] > per[2], "{per:?}");
}
