//! Stages: parsing with its limits, validation, the open-loop due times (their count is
//! the area under the ramp) and the closed-loop user activity.

use super::*;
use proptest::prelude::*;

fn stages(text: &str) -> Vec<Stage> {
    parse_stages(text).unwrap()
}

/// The documented form, jumps and holds; malformed stages are refused.
#[test]
fn parses() {
    let s = stages("10s:100,30s:1000,500ms:0");
    assert_eq!(s.len(), 3);
    assert_eq!(
        (s[1].duration, s[1].target),
        (Duration::from_secs(30), 1000.0)
    );
    assert_eq!(s[2].duration, Duration::from_millis(500));
    for bad in ["", "10s", "10s:x", "ten:5", "10s:5,", ":5", "10s:5:6"] {
        assert!(parse_stages(bad).is_err(), "{bad:?}");
    }
}

/// MAX_STAGES stages are accepted, one more is not; the text length is bounded.
#[test]
fn stage_count_limit() {
    let at = vec!["1s:1"; MAX_STAGES].join(",");
    assert_eq!(parse_stages(&at).unwrap().len(), MAX_STAGES);
    let over = vec!["1s:1"; MAX_STAGES + 1].join(",");
    assert!(parse_stages(&over).is_err());
    let long = format!("1s:{}", "1".repeat(MAX_TEXT - 3));
    assert_eq!(long.len(), MAX_TEXT);
    assert!(parse_stages(&long).is_ok());
    assert!(parse_stages(&format!("{long}1")).is_err());
}

/// Targets are checked for the loop kind, at the limits and one past.
#[test]
fn validation() {
    let v = |text: &str, open: bool| {
        Stages {
            steps: stages(text),
            open,
        }
        .validate()
    };
    assert!(v("1s:10000000", true).is_ok());
    assert!(v("1s:10000001", true).is_err());
    assert!(v("1s:100000", false).is_ok());
    assert!(v("1s:100001", false).is_err());
    assert!(v("1s:2.5", true).is_ok());
    assert!(v("1s:2.5", false).is_err());
    assert!(v("1s:-1", true).is_err());
    assert!(v("1s:NaN", true).is_err());
    assert!(v("1s:0,2s:0", true).is_err());
    assert!(v("0s:10", true).is_err());
    let none = Stages {
        steps: Vec::new(),
        open: true,
    };
    assert!(none.validate().is_err());
}

/// A constant rate puts request k at k/R, for ever.
#[test]
fn constant_rate() {
    let r = Ramp::constant(200.0);
    assert_eq!(r.due(0), Some(0.0));
    assert_eq!(r.due(1000), Some(5.0));
    assert_eq!(r.stage_at(1e9), 0);
}

/// A ramp from 0 to 100/s over 10 s sends 5 t² requests by time t, 500 in all; holding
/// 100/s for 10 s more sends 1000 more; then nothing.
#[test]
fn ramp_counts_are_the_area() {
    let r = Ramp::of(&stages("10s:100,10s:100"));
    let due = |k| r.due(k).unwrap();
    assert!((due(5) - 1.0).abs() < 1e-9);
    assert!((due(125) - 5.0).abs() < 1e-9);
    assert!((due(500) - 10.0).abs() < 1e-9);
    assert!((due(1000) - 15.0).abs() < 1e-9);
    assert!(due(1499) < 20.0);
    assert_eq!(r.due(1500), None);
    assert_eq!(
        (r.stage_at(9.99), r.stage_at(10.0), r.stage_at(99.0)),
        (0, 1, 1)
    );
    assert!((r.level(5.0) - 50.0).abs() < 1e-9);
    assert_eq!(r.level(20.0), 0.0);
}

/// A ramp down ends at its last request before the end; a jump changes rate at once.
#[test]
fn ramp_down_and_jump() {
    let r = Ramp::of(&stages("0s:100,10s:0"));
    assert!(r.due(0).is_some_and(|t| t == 0.0));
    assert!(r.due(499).is_some_and(|t| t < 10.0));
    assert_eq!(r.due(500), None);
    let j = Ramp::of(&stages("1s:0,0s:100,1s:100"));
    assert!((j.due(0).unwrap() - 1.0).abs() < 1e-9);
    assert!((j.due(50).unwrap() - 1.5).abs() < 1e-9);
}

/// Closed loop: user u joins when the ramp passes u and leaves when it falls below.
#[test]
fn users_follow_the_ramp() {
    let r = Ramp::of(&stages("10s:10,10s:0"));
    assert!(!r.active(3, 2.9) && r.active(3, 3.1));
    let next = r.next_active(3, 0.0).unwrap();
    assert!((3.0..3.01).contains(&next), "{next}");
    assert!(r.active(3, next));
    assert_eq!(r.next_active(0, 0.0).map(|t| t < 0.01), Some(true));
    assert!(r.active(5, 14.9) && !r.active(5, 15.1));
    assert_eq!(r.next_active(5, 15.1), None);
    assert_eq!(r.next_active(10, 0.0), None);
    let again = Ramp::of(&stages("1s:2,1s:0,1s:2"));
    let t = again.next_active(1, 1.6).unwrap();
    assert!((2.5..2.51).contains(&t), "{t}");
}

proptest! {
    /// Due times never go backwards, stay inside the schedule, and by every due time the
    /// number of requests due matches the area under the ramp (within one).
    #[test]
    fn due_times_match_the_area(steps in proptest::collection::vec((0u64..3000, 0u32..500), 1..6)) {
        let list: Vec<Stage> = steps.iter().map(|&(ms, t)| Stage { duration: Duration::from_millis(ms), target: f64::from(t) }).collect();
        let total: f64 = list.iter().map(|s| s.duration.as_secs_f64()).sum();
        let r = Ramp::of(&list);
        // The area under the ramp up to t, integrated piece by piece.
        let area = |t: f64| -> f64 {
            let (mut t0, mut a, mut sum) = (0.0, 0.0, 0.0);
            for s in &list {
                let d = s.duration.as_secs_f64();
                let tau = (t - t0).clamp(0.0, d);
                if d > 0.0 {
                    sum += a * tau + (s.target - a) * tau * tau / (2.0 * d);
                }
                t0 += d;
                a = s.target;
            }
            sum
        };
        let mut last = 0.0;
        for k in 0.. {
            let Some(t) = r.due(k) else { break };
            prop_assert!(t >= last - 1e-9 && t <= total + 1e-9, "k={} t={} last={}", k, t, last);
            last = t;
            {
                let a = area(t);
                prop_assert!((a - k as f64).abs() <= 1.5 + a * 0.01, "k={} t={} area={}", k, t, a);
            }
            prop_assert!(k < 2_000_000);
        }
    }
}
