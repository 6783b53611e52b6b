use super::*;
use herd_proto::{parse_request, Request};

fn at(server: &str, client: &str, time: &str) -> At {
    let line = format!("AT {server} +0.000000001 {client} +34.068930-118.445127 {time}");
    match parse_request(line.as_bytes()) {
        Ok(Request::At(at)) => at,
        other => panic!("bad test line {line}: {other:?}"),
    }
}

/// Newer updates replace older ones; older and equal ones are dropped whatever the order.
#[test]
fn newest_wins_any_order() {
    let times = ["100.5", "100.25", "99", "100.500000001", "-5"];
    let mut orders = vec![times.to_vec()];
    orders.push(times.iter().rev().copied().collect());
    for order in orders {
        let s = HerdState::new();
        for t in &order {
            s.apply(&at("A", "c", t));
        }
        let e = s.get("c").unwrap();
        assert!(
            e.line.ends_with(" 100.500000001"),
            "{order:?} -> {}",
            e.line
        );
    }
    let s = HerdState::new();
    assert!(s.apply(&at("A", "c", "1.5")).is_some());
    assert!(
        s.apply(&at("B", "c", "1.5")).is_none(),
        "equal time is a loop, not news"
    );
    assert!(s.apply(&at("B", "c", "1.4")).is_none());
    assert!(s.get("c").unwrap().line.starts_with("AT A "));
}

/// Digests agree exactly when the stored (client, time) sets agree, whatever the order.
#[test]
fn digests_track_content() {
    let a = HerdState::new();
    let b = HerdState::new();
    for i in 0..200 {
        a.apply(&at("A", &format!("c{i}"), &format!("{i}.1")));
    }
    for i in (0..200).rev() {
        b.apply(&at("B", &format!("c{i}"), "-1"));
        b.apply(&at("B", &format!("c{i}"), &format!("{i}.1")));
    }
    assert_eq!(a.digest(), b.digest());
    assert!(a.differing(&b.digest()).is_empty());
    b.apply(&at("B", "c7", "1000"));
    let diff = a.differing(&b.digest());
    assert_eq!(diff, vec![bucket_of("c7")]);
    let lines = b.bucket_lines(diff[0]);
    assert!(lines.iter().any(|l| l.ends_with(" 1000")));
    assert_eq!(a.differing(&[1, 2, 3]).len(), DIGEST_BUCKETS);
}

/// Applying the lines of differing buckets both ways makes two stores equal.
#[test]
fn anti_entropy_converges() {
    let a = HerdState::new();
    let b = HerdState::new();
    for i in 0..50 {
        a.apply(&at("A", &format!("x{i}"), &format!("{}", i * 2)));
        b.apply(&at("B", &format!("x{i}"), &format!("{}", 100 - i)));
        b.apply(&at("B", &format!("y{i}"), "7"));
    }
    for bucket in a.differing(&b.digest()) {
        for line in a.bucket_lines(bucket) {
            if let Ok(Request::At(x)) = parse_request(line.as_bytes()) {
                b.apply(&x);
            }
        }
        for line in b.bucket_lines(bucket) {
            if let Ok(Request::At(x)) = parse_request(line.as_bytes()) {
                a.apply(&x);
            }
        }
    }
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.len(), 100);
}
