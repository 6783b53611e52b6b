//! Key names. Every key of one topic carries the same `{tag}`, so Redis Cluster puts them in
//! one hash slot (a script may only touch keys of one slot) and spreads topics over slots.
//!
//! Redis hashes the text between the first `{` and the first `}` after it. Topic names are
//! arbitrary bytes, so `{`, `}` and `%` are escaped inside the tag: the first `}` is then
//! always the tag's own closing brace, the tag is never empty, and distinct topics never
//! share keys.

/// Prefix of every key this crate writes.
pub const PREFIX: &str = "ps:";

/// The channel on which publish scripts announce a topic that has long polls waiting.
pub const WAKE_CHANNEL: &str = "herd:pubsub:wake";

/// The six keys of one topic, in the order every script takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicKeys(pub [Vec<u8>; 6]);

/// Which key is which (indexes into [`TopicKeys`], Lua's `KEYS[i + 1]`).
pub mod slot {
    /// Hash: user -> seq of the user's next message.
    pub const SUBS: usize = 0;
    /// String: seq the next published message gets.
    pub const NEXT: usize = 1;
    /// Hash: seq -> body.
    pub const BODIES: usize = 2;
    /// Hash: seq -> subscribers yet to read it.
    pub const REMAINING: usize = 3;
    /// String with a TTL: present while some node long-polls this topic.
    pub const WAITING: usize = 4;
    /// Hash: user -> the read holding the user's next message (`seq deadline token`).
    pub const CLAIMS: usize = 5;
}

/// Escape a topic for use inside a hash tag.
pub fn escape(topic: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(topic.len() + 2);
    for &c in topic {
        match c {
            b'%' => out.extend_from_slice(b"%25"),
            b'{' => out.extend_from_slice(b"%7B"),
            b'}' => out.extend_from_slice(b"%7D"),
            _ => out.push(c),
        }
    }
    out
}

impl TopicKeys {
    /// The keys of `topic`.
    pub fn new(topic: &[u8]) -> Self {
        let mut base = Vec::with_capacity(PREFIX.len() + topic.len() + 4);
        base.extend_from_slice(PREFIX.as_bytes());
        base.push(b'{');
        base.extend_from_slice(&escape(topic));
        base.push(b'}');
        let key = |suffix: &[u8]| [base.as_slice(), suffix].concat();
        TopicKeys([
            key(b":s"),
            key(b":n"),
            key(b":m"),
            key(b":r"),
            key(b":w"),
            key(b":c"),
        ])
    }
}

/// The hash tag Redis Cluster would hash for `key` (for tests of the rule above).
#[cfg(test)]
fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&c| c == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&c| c == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Braces and percent signs in names cannot break or empty the tag.
    #[test]
    fn awkward_names() {
        for t in [&b"}"[..], b"{", b"{}", b"a}b", b"%7D", b"}x{y"] {
            let k = TopicKeys::new(t);
            let tag = hash_tag(&k.0[0]);
            assert!(!tag.is_empty());
            assert_eq!(tag, escape(t).as_slice(), "{t:?}");
        }
        assert_ne!(TopicKeys::new(b"}"), TopicKeys::new(b"%7D"));
    }

    proptest! {
        /// All keys of any topic share one tag (one slot), and escaping is injective.
        #[test]
        fn one_slot_per_topic(t in proptest::collection::vec(any::<u8>(), 1..40),
                              u in proptest::collection::vec(any::<u8>(), 1..40)) {
            let k = TopicKeys::new(&t);
            let tag = hash_tag(&k.0[0]).to_vec();
            for key in &k.0 {
                prop_assert_eq!(hash_tag(key), tag.as_slice());
            }
            if t != u {
                prop_assert_ne!(escape(&t), escape(&u));
            }
        }
    }
}
