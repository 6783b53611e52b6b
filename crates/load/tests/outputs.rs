//! What a run reports besides its summary: the live view (one line per second), the
//! HdrHistogram interval log, the encoded histograms in the JSON, and merging runs taken
//! on several machines by adding histograms (not averaging percentiles).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{start, Behavior};
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use load::hdr::{decode, IntervalLog};
use load::{LiveView, Outputs, Plan};

/// The live view prints one line per second with req/s, p50, p99 and errors.
#[test]
fn live_view_lines() {
    let server = start(Behavior::Status(503));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut out = Outputs {
        live: LiveView::Lines(lines.clone()),
        ..Outputs::default()
    };
    let r = load::run(
        Plan {
            rate: Some(100.0),
            duration: Some(Duration::from_millis(2500)),
            ..Plan::for_test(server.addr)
        },
        &mut out,
    )
    .unwrap();
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.trim_start().starts_with(&format!("{}s", i + 1)), "{l}");
        assert!(
            l.contains("req/s") && l.contains("p50") && l.contains("p99"),
            "{l}"
        );
    }
    // Seconds count attempts by when they ended, so one may land either side of a
    // boundary; the last, half second is shown as a rate too.
    let rate = |l: &str| -> f64 { l.split_whitespace().nth(1).unwrap().parse().unwrap() };
    let errors = |l: &str| -> u64 { l.rsplit(' ').next().unwrap().parse().unwrap() };
    for l in &lines {
        assert!((90.0..=110.0).contains(&rate(l)), "{lines:?}");
    }
    assert!((48..=52).contains(&errors(&lines[2])), "{lines:?}");
    assert_eq!(lines.iter().map(|l| errors(l)).sum::<u64>(), 250);
    assert_eq!(r.timeline.iter().map(|s| s.errors).sum::<u64>(), 250);
}

/// --hdr-log writes one interval per second that HdrHistogram's parser reads back; the
/// intervals add up to every attempt, failures included.
#[test]
fn hdr_log_intervals() {
    let server = start(Behavior::SilentEvery(50));
    let path = std::env::temp_dir().join(format!("herd-load-test-{}.hlog", std::process::id()));
    let mut log = IntervalLog::create(&path, "herd load test").unwrap();
    let r = load::run(
        Plan {
            rate: Some(200.0),
            duration: Some(Duration::from_millis(2200)),
            timeout: Duration::from_millis(200),
            connections: 4,
            ..Plan::for_test(server.addr)
        },
        &mut Outputs {
            hdr_log: Some(&mut log),
            ..Outputs::default()
        },
    )
    .unwrap();
    log.finish().unwrap();
    let text = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let intervals: Vec<_> = IntervalLogIterator::new(&text)
        .map(Result::unwrap)
        .filter_map(|e| match e {
            LogEntry::Interval(i) => Some((
                i.start_timestamp(),
                i.duration(),
                decode(i.encoded_histogram()).unwrap(),
            )),
            _ => None,
        })
        .collect();
    assert!((3..=4).contains(&intervals.len()), "{}", intervals.len());
    let counted: u64 = intervals.iter().map(|(_, _, h)| h.len()).sum();
    assert_eq!(counted, r.attempts());
    assert!(r.errors.timeout > 0);
    assert!(intervals
        .windows(2)
        .all(|w| w[1].0 >= w[0].0 + Duration::from_millis(999)));
    assert!(intervals[..2]
        .iter()
        .all(|(_, len, _)| *len == Duration::from_secs(1)));
    assert!(
        intervals.iter().any(|(_, _, h)| h.max() >= 199_000),
        "a timeout is in some interval"
    );
}

/// Merging a fast run and a slow run adds their histograms: the merged median and p99
/// are those of all requests together, not the average of the two runs' figures; counts
/// and rates add up. The runs go through their --json text, as merge reads them.
#[test]
fn merge_adds_histograms() {
    let fast = start(Behavior::Ok);
    let slow = start(Behavior::Delay(Duration::from_millis(40)));
    let go = |addr, n| {
        load::run(
            Plan {
                requests: Some(n),
                ..Plan::for_test(addr)
            },
            &mut Outputs::none(),
        )
        .unwrap()
    };
    let (a, b) = (go(fast.addr, 300), go(slow.addr, 100));
    let dir = std::env::temp_dir().join(format!("herd-load-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<_> = [&a, &b]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = dir.join(format!("{i}.json"));
            std::fs::write(
                &p,
                load::report::json(std::slice::from_ref(r), false).unwrap(),
            )
            .unwrap();
            p
        })
        .collect();
    let runs: Vec<_> = files
        .iter()
        .map(|p| load::merge::read_run(p).unwrap())
        .collect();
    let m = load::merge::merge(&runs).unwrap();
    assert_eq!((m.requests, m.runs, m.connections), (400, 2, 4));
    assert!((m.requests_per_sec - (a.requests_per_sec + b.requests_per_sec)).abs() < 1e-6);
    assert!(
        m.latency_ms.p50 < 10.0,
        "75 % are fast: merged p50 {}",
        m.latency_ms.p50
    );
    assert!(
        m.latency_ms.p90 >= 39.0,
        "the slowest 25 %: merged p90 {}",
        m.latency_ms.p90
    );
    let averaged = (a.latency_ms.p50 + b.latency_ms.p50) / 2.0;
    assert!(
        m.latency_ms.p50 < averaged / 2.0,
        "{} vs averaged {averaged}",
        m.latency_ms.p50
    );
    let h = decode(&m.hdr.as_ref().unwrap().latency).unwrap();
    assert_eq!(h.len(), 400);
    assert_eq!(m.status.get("200"), Some(&400));
    let text = load::report::summary(&m);
    assert!(text.contains("2 runs merged"), "{text}");
    let levels = dir.join("levels.json");
    std::fs::write(&levels, load::report::json(&[a.clone(), b], true).unwrap()).unwrap();
    assert!(load::merge::read_run(&levels)
        .unwrap_err()
        .to_string()
        .contains("--users series"));
    let mut old = a;
    old.hdr = None;
    assert!(load::merge::merge(&[old]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
