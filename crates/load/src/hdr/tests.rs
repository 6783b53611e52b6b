//! Encoding round trips, every decoding limit at the edge and one past, other shapes
//! refused, arbitrary input never panicking, and the interval log read back by
//! HdrHistogram's own log parser.

use super::*;
use base64::Engine;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use proptest::prelude::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn compressed(inner: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(inner).unwrap();
    let body = z.finish().unwrap();
    let mut out = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// What is encoded decodes to the same counts, for both shapes this crate records.
#[test]
fn round_trip() {
    for mut h in [histogram(), coarse_histogram()] {
        for v in [1, 7, 250, 1_000, 99_999, HIGHEST_US] {
            h.record_n(v, v % 13 + 1).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.value_at_quantile(0.99), h.value_at_quantile(0.99));
    }
    assert_eq!(decode(&encode(&histogram())).unwrap().len(), 0);
}

/// Text up to MAX_ENCODED characters is looked at, one more is refused unread.
#[test]
fn text_limit() {
    let at = "A".repeat(MAX_ENCODED);
    assert_ne!(decode(&at), Err(HdrError::TooLarge));
    assert_eq!(decode(&format!("{at}A")), Err(HdrError::TooLarge));
}

/// Decompression stops one byte past MAX_INFLATED: a small input cannot make a large
/// allocation.
#[test]
fn inflate_limit() {
    let at = compressed(&vec![0u8; MAX_INFLATED as usize]);
    assert_eq!(decode(&b64(&at)), Err(HdrError::Format));
    let over = compressed(&vec![0u8; MAX_INFLATED as usize + 1]);
    assert_eq!(decode(&b64(&over)), Err(HdrError::TooLarge));
}

/// Histograms of another range or precision, and malformed input, are refused.
#[test]
fn others_are_refused() {
    let wide = Histogram::<u64>::new_with_bounds(1, u64::MAX / 2, 5).unwrap();
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&wide, &mut bytes)
        .unwrap();
    assert_eq!(decode(&b64(&bytes)), Err(HdrError::Shape));
    assert_eq!(decode("not base64!"), Err(HdrError::Base64));
    assert_eq!(decode(&b64(b"\x1c\x84\x93\x14")), Err(HdrError::Format));
    assert_eq!(decode(&b64(&compressed(b"short"))), Err(HdrError::Format));
    let mut header = V2_COOKIE.to_be_bytes().to_vec();
    header.extend_from_slice(&u32::MAX.to_be_bytes());
    header.extend_from_slice(&[0; 32]);
    assert_eq!(decode(&b64(&compressed(&header))), Err(HdrError::Format));
}

/// The interval log parses with HdrHistogram's own log iterator: tags, timestamps,
/// lengths, maxima and the histograms themselves.
#[test]
fn interval_log_reads_back() {
    let path = std::env::temp_dir().join(format!("herd-load-hdr-{}.hlog", std::process::id()));
    let mut log = IntervalLog::create(&path, "herd load http://x/").unwrap();
    let mut h = histogram();
    h.record_n(1_500, 10).unwrap();
    let t0 = log.base + Duration::from_millis(2_000);
    log.interval(None, t0, Duration::from_secs(1), &h).unwrap();
    h.record(20_000).unwrap();
    log.interval(
        Some("users 10"),
        t0 + Duration::from_secs(1),
        Duration::from_millis(500),
        &h,
    )
    .unwrap();
    log.finish().unwrap();
    let text = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let entries: Vec<LogEntry> = IntervalLogIterator::new(&text)
        .map(Result::unwrap)
        .collect();
    let intervals: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            LogEntry::Interval(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(entries.len(), 4, "StartTime, BaseTime and two intervals");
    assert_eq!(intervals.len(), 2);
    assert_eq!(intervals[0].start_timestamp(), Duration::from_secs(2));
    assert_eq!(intervals[1].duration(), Duration::from_millis(500));
    assert_eq!(
        intervals[1].tag().map(|t| t.as_str().to_string()),
        Some("users_10".into())
    );
    assert!(
        (intervals[1].max() - 20.0).abs() < 0.1,
        "{}",
        intervals[1].max()
    );
    let back = decode(intervals[1].encoded_histogram()).unwrap();
    assert_eq!((back.len(), back.max()), (11, h.max()));
}

proptest! {
    /// Arbitrary text and arbitrary compressed bytes never panic the decoder.
    #[test]
    fn arbitrary_input_never_panics(text in "\\PC{0,200}", inner in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&text);
        let _ = decode(&b64(&compressed(&inner)));
        let mut v2 = V2_COOKIE.to_be_bytes().to_vec();
        v2.extend_from_slice(&inner);
        let _ = decode(&b64(&compressed(&v2)));
    }

    /// A valid header for our shape followed by arbitrary counts never panics either.
    #[test]
    fn arbitrary_counts_never_panic(counts in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut v2 = V2_COOKIE.to_be_bytes().to_vec();
        v2.extend_from_slice(&(counts.len() as u32).to_be_bytes());
        v2.extend_from_slice(&0u32.to_be_bytes());
        v2.extend_from_slice(&3u32.to_be_bytes());
        v2.extend_from_slice(&1u64.to_be_bytes());
        v2.extend_from_slice(&HIGHEST_US.to_be_bytes());
        v2.extend_from_slice(&1f64.to_be_bytes());
        v2.extend_from_slice(&counts);
        let _ = decode(&b64(&compressed(&v2)));
    }
}
