use super::*;
use proptest::prelude::*;

fn sub(t: &[u8], u: &[u8]) -> Option<Target> {
    Some(Target::Subscription {
        topic: t.to_vec(),
        user: u.to_vec(),
    })
}

/// One or two segments are targets; everything else is not.
#[test]
fn paths() {
    assert_eq!(parse_path("/news"), Some(Target::Topic(b"news".to_vec())));
    assert_eq!(parse_path("/news/ann"), sub(b"news", b"ann"));
    for bad in [
        "", "/", "//", "/a/", "/a//", "//a", "/a/b/c", "/a/b/", "news", "/%", "/a/%G0",
    ] {
        assert_eq!(parse_path(bad), None, "{bad:?}");
    }
}

/// Escapes decode to bytes, including `/`, NUL and invalid UTF-8; a short escape is bad.
#[test]
fn escapes() {
    assert_eq!(parse_path("/a%2Fb/%00%ff"), sub(b"a/b", b"\0\xff"));
    assert_eq!(parse_path("/caf%C3%A9"), Some(Target::Topic("café".into())));
    assert_eq!(decode_segment("%4"), None);
    assert_eq!(decode_segment("%"), None);
    assert_eq!(decode_segment("a%41"), Some(b"aA".to_vec()));
}

/// `wait` is optional, must be a duration, at most the maximum (the edge is accepted,
/// one millisecond past it is not), and zero means no wait.
#[test]
fn wait_param() {
    let max = Duration::from_secs(30);
    assert_eq!(parse_wait(None, max), Ok(None));
    assert_eq!(parse_wait(Some("x=1"), max), Ok(None));
    assert_eq!(
        parse_wait(Some("x=1&wait=10s"), max),
        Ok(Some(Duration::from_secs(10)))
    );
    assert_eq!(parse_wait(Some("wait=30s"), max), Ok(Some(max)));
    assert_eq!(
        parse_wait(Some("wait=30001ms"), max),
        Err(WaitError::TooLong { max })
    );
    assert_eq!(parse_wait(Some("wait=0"), max), Ok(None));
    assert!(matches!(
        parse_wait(Some("wait=soon"), max),
        Err(WaitError::Malformed(_))
    ));
    assert!(matches!(
        parse_wait(Some("wait"), max),
        Err(WaitError::Malformed(_))
    ));
}

proptest! {
    /// Any bytes survive encode -> path -> decode, as topic and as user.
    #[test]
    fn encode_roundtrip(t in proptest::collection::vec(any::<u8>(), 1..64),
                        u in proptest::collection::vec(any::<u8>(), 1..64)) {
        let path = format!("/{}/{}", encode_segment(&t), encode_segment(&u));
        prop_assert_eq!(parse_path(&path), sub(&t, &u));
        prop_assert_eq!(parse_path(&format!("/{}", encode_segment(&t))), Some(Target::Topic(t)));
    }

    /// Arbitrary input never panics, and a parsed target never has an empty name.
    #[test]
    fn never_panics(s in "\\PC{0,80}", q in "\\PC{0,40}") {
        match parse_path(&s) {
            Some(Target::Topic(t)) => prop_assert!(!t.is_empty()),
            Some(Target::Subscription { topic, user }) => {
                prop_assert!(!topic.is_empty() && !user.is_empty())
            }
            None => {}
        }
        let _ = parse_wait(Some(&q), Duration::from_secs(30));
    }
}
