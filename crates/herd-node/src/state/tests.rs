use super::*;
use herd_proto::{parse_request, Request};

fn at(server: &str, client: &str, time: &str) -> At {
    let line = format!("AT {server} +0.000000001 {client} +34.068930-118.445127 {time}");
    match parse_request(line.as_bytes()) {
        Ok(Request::At(at)) => at,
        other => panic!("bad test line {line}: {other:?}"),
    }
}

fn stored(d: Decision<'_>) -> bool {
    matches!(d, Decision::Forward { .. })
}

/// Newer updates replace older ones; older ones are dropped whatever the order.
#[test]
fn newest_wins_any_order() {
    let times = ["100.5", "100.25", "99", "100.500000001", "-5"];
    let mut orders = vec![times.to_vec()];
    orders.push(times.iter().rev().copied().collect());
    for order in orders {
        let s = HerdState::new();
        for t in &order {
            s.apply(&at("A", "c", t), Origin::Client);
        }
        let e = s.get("c").unwrap();
        assert!(
            e.line.ends_with(" 100.500000001"),
            "{order:?} -> {}",
            e.line
        );
    }
    let s = HerdState::new();
    assert!(stored(s.apply(&at("A", "c", "1.5"), Origin::Client)));
    assert_eq!(
        s.apply(&at("A", "c", "1.5"), Origin::Client),
        Decision::Stale
    );
    assert_eq!(
        s.apply(&at("B", "c", "1.4"), Origin::Client),
        Decision::Stale
    );
}

/// Equal times are broken by the line's bytes, so every server keeps the same line
/// whichever it heard first; the same line again is not news (loops end).
#[test]
fn equal_times_converge_on_greatest_line() {
    let (a, b) = (HerdState::new(), HerdState::new());
    let from_a = at("A", "c", "1.5");
    let from_b = at("B", "c", "1.5");
    a.apply(&from_a, Origin::Client);
    b.apply(&from_b, Origin::Client);
    assert!(stored(a.apply(&from_b, Origin::Peer("B"))));
    assert_eq!(b.apply(&from_a, Origin::Peer("A")), Decision::Stale);
    assert_eq!(a.get("c").unwrap().line, b.get("c").unwrap().line);
    assert!(a.get("c").unwrap().line.starts_with("AT B "));
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.apply(&from_b, Origin::Peer("B")), Decision::Stale);
}

/// A stored update is forwarded to everyone but its sender.
#[test]
fn forward_except_sender() {
    let s = HerdState::new();
    match s.apply(&at("A", "c", "1"), Origin::Peer("Hands")) {
        Decision::Forward { except, line } => {
            assert_eq!(except, Some("Hands"));
            assert!(line.starts_with("AT A "));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.apply(&at("A", "c", "2"), Origin::Client),
        Decision::Forward { except: None, .. }
    ));
}

/// Digests agree exactly when the stored entries agree, whatever the order, and differ
/// when only the line differs.
#[test]
fn digests_track_content() {
    let a = HerdState::new();
    let b = HerdState::new();
    for i in 0..200 {
        a.apply(
            &at("A", &format!("c{i}"), &format!("{i}.1")),
            Origin::Client,
        );
    }
    for i in (0..200).rev() {
        b.apply(&at("A", &format!("c{i}"), "-1"), Origin::Client);
        b.apply(
            &at("A", &format!("c{i}"), &format!("{i}.1")),
            Origin::Client,
        );
    }
    assert_eq!(a.digest(), b.digest());
    assert!(a.differing(&b.digest()).is_empty());
    b.apply(&at("B", "c7", "1000"), Origin::Client);
    let diff = a.differing(&b.digest());
    assert_eq!(diff, vec![bucket_of("c7")]);
    let lines = b.bucket_lines(diff[0]);
    assert!(lines.iter().any(|l| l.ends_with(" 1000")));
    assert_eq!(a.differing(&[1, 2, 3]).len(), DIGEST_BUCKETS);
    let (x, y) = (HerdState::new(), HerdState::new());
    x.apply(&at("A", "same", "5"), Origin::Client);
    y.apply(&at("B", "same", "5"), Origin::Client);
    assert_eq!(x.differing(&y.digest()), vec![bucket_of("same")]);
}

/// Applying the lines of differing buckets both ways makes two stores equal.
#[test]
fn anti_entropy_converges() {
    let a = HerdState::new();
    let b = HerdState::new();
    for i in 0..50 {
        a.apply(
            &at("A", &format!("x{i}"), &format!("{}", i * 2)),
            Origin::Client,
        );
        b.apply(
            &at("B", &format!("x{i}"), &format!("{}", 100 - i)),
            Origin::Client,
        );
        b.apply(&at("B", &format!("y{i}"), "7"), Origin::Client);
    }
    for bucket in a.differing(&b.digest()) {
        for line in a.bucket_lines(bucket) {
            if let Ok(Request::At(x)) = parse_request(line.as_bytes()) {
                b.apply(&x, Origin::Peer("A"));
            }
        }
        for line in b.bucket_lines(bucket) {
            if let Ok(Request::At(x)) = parse_request(line.as_bytes()) {
                a.apply(&x, Origin::Peer("B"));
            }
        }
    }
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.len(), 100);
}

/// At the budget the oldest clients are evicted and the estimate never passes the budget;
/// an update older than everything kept is refused; two stores fed the same updates in
/// different orders keep the same clients.
#[test]
fn budget_evicts_oldest() {
    let one = ENTRY_OVERHEAD + "c000".len() + at("A", "c000", "1000").to_string().len();
    // Room for about four entries per shard.
    let budget = one * 4 * DIGEST_BUCKETS;
    let (s, t) = (
        HerdState::with_budget(budget),
        HerdState::with_budget(budget),
    );
    let updates: Vec<At> = (0..4000)
        .map(|i| at("A", &format!("c{:03}", i % 1000), &format!("{}", 1000 + i)))
        .collect();
    for u in &updates {
        s.apply(u, Origin::Client);
        assert!(s.bytes() <= budget, "{} > {budget}", s.bytes());
    }
    for u in updates.iter().rev() {
        t.apply(u, Origin::Client);
    }
    assert!(s.len() < 1000 && s.len() > 500, "{}", s.len());
    assert_eq!(s.digest(), t.digest());
    // The newest client of all is kept; a fresh client older than everything is refused.
    assert!(s.get("c999").is_some());
    let full_shard = bucket_of("c999");
    let probe = (0..)
        .map(|i| format!("z{i}"))
        .find(|c| bucket_of(c) == full_shard)
        .unwrap();
    assert_eq!(
        s.apply(&at("A", &probe, "1"), Origin::Client),
        Decision::OverBudget
    );
}
