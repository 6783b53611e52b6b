use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::model::{name, Answer, Model, Op};
use crate::MemoryStore;

fn broker() -> Broker<MemoryStore> {
    Broker::new(MemoryStore::new(u64::MAX))
}

/// Run `op` on a broker, answering in the model's terms.
pub(crate) async fn apply<S: Store>(b: &Broker<S>, op: &Op) -> Answer {
    let stop = Shutdown::new();
    match op {
        Op::Subscribe(t, u) => {
            b.subscribe(&name("t", *t), &name("u", *u)).await.unwrap();
            Answer::Subscribed
        }
        Op::Unsubscribe(t, u) => {
            Answer::Unsubscribed(b.unsubscribe(&name("t", *t), &name("u", *u)).await.unwrap())
        }
        Op::Publish(t, body) => Answer::Published(
            b.publish(&name("t", *t), Bytes::from(body.clone()))
                .await
                .unwrap(),
        ),
        Op::Poll(t, u) => Answer::Polled(
            b.poll(&name("t", *t), &name("u", *u), None, &stop)
                .await
                .unwrap(),
        ),
    }
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0u8..3;
    let u = 0u8..4;
    prop_oneof![
        (t.clone(), u.clone()).prop_map(|(t, u)| Op::Subscribe(t, u)),
        (t.clone(), u.clone()).prop_map(|(t, u)| Op::Unsubscribe(t, u)),
        (t.clone(), proptest::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(t, b)| Op::Publish(t, b)),
        (t.clone(), u.clone()).prop_map(|(t, u)| Op::Poll(t, u)),
        (t, u).prop_map(|(t, u)| Op::Poll(t, u)),
    ]
}

proptest! {
    /// Random operation sequences give the model's answers, and the store holds exactly
    /// the messages someone has yet to read (nothing grows forever).
    #[test]
    fn memory_store_matches_model(ops in proptest::collection::vec(op(), 1..120)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let b = broker();
            let mut m = Model::default();
            for (i, op) in ops.iter().enumerate() {
                let want = m.apply(op);
                let got = apply(&b, op).await;
                prop_assert_eq!(got, want, "step {} {:?}", i, op);
                prop_assert_eq!(b.store().stats().unwrap().messages, m.messages_held());
            }
            Ok(())
        })?;
    }
}

/// A long poll returns the message published while it waits, well before its deadline.
#[tokio::test]
async fn long_poll_wakes_on_publish() {
    let b = Arc::new(broker());
    b.subscribe(b"t", b"u").await.unwrap();
    let b2 = b.clone();
    let waiter = tokio::spawn(async move {
        b2.poll(b"t", b"u", Some(Duration::from_secs(30)), &Shutdown::new())
            .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(b.metrics().waiting.load(Ordering::Relaxed), 1);
    b.publish(b"t", Bytes::from_static(b"hi")).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.unwrap(), Polled::Message(Bytes::from_static(b"hi")));
    assert_eq!(b.metrics().waiting.load(Ordering::Relaxed), 0);
}

/// With nothing published, a long poll answers Empty at its deadline (paused clock).
#[tokio::test(start_paused = true)]
async fn long_poll_times_out() {
    let b = broker();
    b.subscribe(b"t", b"u").await.unwrap();
    let t0 = tokio::time::Instant::now();
    let got = b
        .poll(b"t", b"u", Some(Duration::from_secs(10)), &Shutdown::new())
        .await;
    assert_eq!(got.unwrap(), Polled::Empty);
    assert_eq!(t0.elapsed(), Duration::from_secs(10));
}

/// Stopping the service ends a long poll at once with Empty; unsubscribing ends it with
/// NotSubscribed.
#[tokio::test(start_paused = true)]
async fn long_poll_ends_on_stop_and_unsubscribe() {
    let b = Arc::new(broker());
    b.subscribe(b"t", b"u").await.unwrap();
    let stop = Shutdown::new();
    let (b2, s2) = (b.clone(), stop.clone());
    let t0 = tokio::time::Instant::now();
    let w = tokio::spawn(async move {
        b2.poll(b"t", b"u", Some(Duration::from_secs(10)), &s2)
            .await
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.trigger();
    assert_eq!(w.await.unwrap().unwrap(), Polled::Empty);
    assert!(t0.elapsed() < Duration::from_secs(2));

    let b2 = b.clone();
    let w = tokio::spawn(async move {
        b2.poll(b"t", b"u", Some(Duration::from_secs(10)), &Shutdown::new())
            .await
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    b.unsubscribe(b"t", b"u").await.unwrap();
    assert_eq!(w.await.unwrap().unwrap(), Polled::NotSubscribed);
}
