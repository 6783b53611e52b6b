//! The checksummed encoding of an [`Entry`] for disk and Redis.
//!
//! All integers little-endian: `"HRC1"` · meta length (u32) · meta (JSON: key, status,
//! headers, times) · body length (u64) · body · CRC-32 of everything before it (u32).
//! Decoding checks the magic, every length against the bytes actually present and the
//! CRC, so a truncated or corrupted entry is an error, never a wrong answer. The body of
//! a decoded entry is a slice of the input `Bytes`: no copy.

use std::sync::atomic::AtomicU32;

use bytes::{BufMut, Bytes};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use super::{Entry, Freshness};

const MAGIC: &[u8; 4] = b"HRC1";
/// Upper bound on the encoded metadata (key and kept headers), so a damaged length cannot
/// ask for a huge allocation.
pub const MAX_META_BYTES: usize = 1 << 20;

/// Why bytes are not an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than its lengths say (a torn write).
    #[error("truncated entry")]
    Truncated,
    /// Wrong magic, a length out of bounds, or unreadable metadata.
    #[error("malformed entry")]
    Malformed,
    /// The checksum does not match (corruption).
    #[error("entry checksum mismatch")]
    Checksum,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    key: String,
    status: u16,
    headers: Vec<(String, String)>,
    #[serde(flatten)]
    freshness: Freshness,
}

impl Entry {
    /// The checksummed encoding (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let meta = Meta {
            key: self.key.clone(),
            status: self.status,
            headers: self
                .headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
            freshness: self.freshness,
        };
        // Serializing plain strings and integers cannot fail.
        let meta = serde_json::to_vec(&meta).unwrap_or_default();
        let mut out = Vec::with_capacity(4 + 4 + meta.len() + 8 + self.body.len() + 4);
        out.put_slice(MAGIC);
        out.put_u32_le(meta.len() as u32);
        out.put_slice(&meta);
        out.put_u64_le(self.body.len() as u64);
        out.put_slice(&self.body);
        let crc = crc32fast::hash(&out);
        out.put_u32_le(crc);
        out
    }

    /// Read an encoding back.
    ///
    /// # Errors
    /// [`DecodeError`] for anything truncated, malformed or corrupted.
    pub fn decode(bytes: Bytes) -> Result<Entry, DecodeError> {
        let b = &bytes[..];
        if b.len() < 4 + 4 + 8 + 4 {
            return Err(DecodeError::Truncated);
        }
        if &b[..4] != MAGIC {
            return Err(DecodeError::Malformed);
        }
        let (content, crc) = b.split_at(b.len() - 4);
        let meta_len = le_u32(&b[4..8]) as usize;
        if meta_len > MAX_META_BYTES {
            return Err(DecodeError::Malformed);
        }
        let body_at = 8 + meta_len + 8;
        if body_at > content.len() {
            return Err(DecodeError::Truncated);
        }
        let body_len = le_u64(&b[8 + meta_len..body_at]);
        let end = (body_at as u64)
            .checked_add(body_len)
            .ok_or(DecodeError::Malformed)?;
        if end > content.len() as u64 {
            return Err(DecodeError::Truncated);
        }
        if end < content.len() as u64 {
            return Err(DecodeError::Malformed);
        }
        if crc32fast::hash(content) != le_u32(crc) {
            return Err(DecodeError::Checksum);
        }
        let meta: Meta =
            serde_json::from_slice(&b[8..8 + meta_len]).map_err(|_| DecodeError::Malformed)?;
        let mut headers = HeaderMap::new();
        for (k, v) in &meta.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| DecodeError::Malformed)?;
            let value = HeaderValue::from_str(v).map_err(|_| DecodeError::Malformed)?;
            headers.append(name, value);
        }
        Ok(Entry {
            key: meta.key,
            status: meta.status,
            headers,
            body: bytes.slice(body_at..end as usize),
            freshness: meta.freshness,
            hits: AtomicU32::new(0),
        })
    }
}

fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::tests::sample;
    use http::header;
    use proptest::prelude::*;

    /// Encode then decode gives the same entry; dropped headers stay dropped.
    #[test]
    fn round_trip() {
        let e = sample(b"{\"a\":1}");
        assert!(e.headers.get(header::SET_COOKIE).is_none());
        let d = Entry::decode(Bytes::from(e.encode())).unwrap();
        assert_eq!(d.key, e.key);
        assert_eq!(d.status, 200);
        assert_eq!(d.headers, e.headers);
        assert_eq!(d.body, e.body);
        assert_eq!(d.freshness, e.freshness);
    }

    /// Every truncation and every single-byte flip is detected.
    #[test]
    fn damage_is_detected() {
        let enc = sample(b"hello body").encode();
        for n in 0..enc.len() {
            assert!(
                Entry::decode(Bytes::copy_from_slice(&enc[..n])).is_err(),
                "cut at {n}"
            );
        }
        for i in 0..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 0x40;
            assert!(Entry::decode(Bytes::from(bad)).is_err(), "flip at {i}");
        }
    }

    proptest! {
        /// Arbitrary bytes never panic the decoder.
        #[test]
        fn decode_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Entry::decode(Bytes::from(b));
        }

        /// Arbitrary bodies round-trip.
        #[test]
        fn bodies_round_trip(b in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let e = Entry::new("/k".into(), 200, &HeaderMap::new(), Bytes::from(b.clone()), Freshness::default());
            let d = Entry::decode(Bytes::from(e.encode())).unwrap();
            prop_assert_eq!(&d.body[..], &b[..]);
        }
    }
}
