use super::*;
use std::time::Duration;

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// One publish to 10,000 subscribers stores the body once: the byte count is one body,
/// and every subscriber reads the very same buffer (one copy, made at publish).
#[tokio::test]
async fn fan_out_stores_one_copy() {
    let s = MemoryStore::new(u64::MAX);
    for i in 0..10_000 {
        s.subscribe(b"t", format!("u{i}").as_bytes()).await.unwrap();
    }
    let body = Bytes::from(vec![7u8; 1000]);
    assert_eq!(s.publish(b"t", body.clone()).await.unwrap(), 10_000);
    let st = s.stats().unwrap();
    assert_eq!((st.messages, st.bytes, st.subscriptions), (1, 1000, 10_000));
    let mut first = None;
    for i in 0..10_000 {
        match s
            .claim(b"t", format!("u{i}").as_bytes(), Waiting::default())
            .await
            .unwrap()
        {
            Claimed::Message {
                body: m,
                ticket: None,
                redelivered: false,
            } => {
                assert_eq!(m, body);
                assert_eq!(m.as_ptr(), *first.get_or_insert(m.as_ptr()));
            }
            other => panic!("{other:?}"),
        }
    }
    let st = s.stats().unwrap();
    assert_eq!((st.messages, st.bytes), (0, 0));
}

/// The byte budget: a body that fills it exactly is accepted, one byte more is refused
/// with Full, and reading frees room again.
#[tokio::test]
async fn byte_budget_edge() {
    let s = MemoryStore::new(10);
    s.subscribe(b"t", b"u").await.unwrap();
    s.publish(b"t", b("123456")).await.unwrap();
    s.publish(b"t", b("7890")).await.unwrap();
    assert!(matches!(s.publish(b"t", b("x")).await, Err(Error::Full(_))));
    assert_eq!(
        s.claim(b"t", b"u", Waiting::default()).await.unwrap(),
        Claimed::Message {
            body: b("123456"),
            ticket: None,
            redelivered: false
        }
    );
    s.publish(b"t", b("x")).await.unwrap();
    // No subscribers: nothing stored, so a full store still accepts it.
    assert_eq!(s.publish(b"other", b("0123456789abc")).await.unwrap(), 0);
}

/// A topic with no subscribers left disappears entirely.
#[tokio::test]
async fn idle_topics_are_removed() {
    let s = MemoryStore::new(u64::MAX);
    s.subscribe(b"t", b"u").await.unwrap();
    s.publish(b"t", b("m")).await.unwrap();
    assert!(s.unsubscribe(b"t", b"u").await.unwrap());
    assert!(!s.unsubscribe(b"t", b"u").await.unwrap());
    assert_eq!(s.stats().unwrap(), Stats::default());
}

/// A watch taken before a poll is woken by a publish that lands after the poll.
#[tokio::test]
async fn watch_then_publish_wakes() {
    let s = Arc::new(MemoryStore::new(u64::MAX));
    s.subscribe(b"t", b"u").await.unwrap();
    let w = s.watch(b"t");
    assert_eq!(
        s.claim(b"t", b"u", Waiting::default()).await.unwrap(),
        Claimed::Empty
    );
    s.publish(b"t", b("m")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), w)
        .await
        .unwrap();
}
