//! JSON records written straight into bytes: the log's hot path, without building a
//! `serde_json::Value` per line.

use std::io::Write;

use herd_proto::Timestamp;

/// One field value of a record.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Field<'a> {
    /// A string.
    Str(&'a str),
    /// Bytes shown as a string (invalid UTF-8 replaced).
    Bytes(&'a [u8]),
    /// A boolean.
    Bool(bool),
    /// A count.
    U64(u64),
}

/// Append `{"ts":"..","server":..,"event":"..",<fields>}\n`; `server` is already a JSON
/// string literal.
pub(super) fn record(
    out: &mut Vec<u8>,
    ts: Timestamp,
    server: &str,
    event: &str,
    fields: &[(&str, Field<'_>)],
) {
    out.extend_from_slice(b"{\"ts\":\"");
    timestamp(out, ts);
    out.extend_from_slice(b"\",\"server\":");
    out.extend_from_slice(server.as_bytes());
    out.extend_from_slice(b",\"event\":");
    string(out, event.as_bytes());
    for (k, v) in fields {
        out.push(b',');
        string(out, k.as_bytes());
        out.push(b':');
        match v {
            Field::Str(s) => string(out, s.as_bytes()),
            Field::Bytes(b) => string(out, b),
            Field::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Field::U64(n) => {
                // Writing into a Vec cannot fail.
                let _ = write!(out, "{n}");
            }
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Append `ts` as `Timestamp`'s Display does (`secs.nnnnnnnnn`), without the formatting
/// machinery: this runs twice per command.
fn timestamp(out: &mut Vec<u8>, ts: Timestamp) {
    let (secs, nanos) = (ts.secs(), ts.nanos());
    if secs < 0 {
        // Rare (a clock before 1970): the general path.
        let _ = write!(out, "{ts}");
        return;
    }
    let mut digits = [0u8; 20];
    let mut n = secs.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.push(b'.');
    let mut frac = [b'0'; 9];
    let mut f = nanos;
    for d in frac.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    out.extend_from_slice(&frac);
}

/// Append `bytes` as a JSON string literal: quotes, backslashes and control characters
/// escaped, invalid UTF-8 replaced by U+FFFD. Runs of plain bytes are copied at once.
pub(super) fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        let mut start = 0;
        for (i, &b) in valid.iter().enumerate() {
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..=0x1f | 0x7f => b"",
                _ => continue,
            };
            out.extend_from_slice(&valid[start..i]);
            if esc.is_empty() {
                let _ = write!(out, "\\u{:04x}", b);
            } else {
                out.extend_from_slice(esc);
            }
            start = i + 1;
        }
        out.extend_from_slice(&valid[start..]);
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lit(b: &[u8]) -> String {
        let mut v = Vec::new();
        string(&mut v, b);
        String::from_utf8(v).unwrap()
    }

    /// Escapes match what serde_json reads back.
    #[test]
    fn escapes() {
        assert_eq!(lit(b"plain"), "\"plain\"");
        assert_eq!(
            lit(b"a\"b\\c\nd\te\x01\x7f"),
            r#""a\"b\\c\nd\te\u0001\u007f""#
        );
        assert_eq!(lit(b"bad \xff byte"), "\"bad \u{fffd} byte\"");
    }

    proptest! {
        /// Any bytes give a literal serde_json parses back to the (lossy) text.
        #[test]
        fn round_trips(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let parsed: String = serde_json::from_str(&lit(&b)).unwrap();
            prop_assert_eq!(parsed, String::from_utf8_lossy(&b).into_owned());
        }
    }

    /// The hand-written timestamp matches Timestamp's own Display.
    #[test]
    fn timestamps_match_display() {
        for t in [
            "0",
            "12.5",
            "1795623258.709879365",
            "-1.25",
            "999999999999999999.000000001",
        ] {
            let ts: Timestamp = t.parse().unwrap();
            let mut out = Vec::new();
            timestamp(&mut out, ts);
            assert_eq!(String::from_utf8(out).unwrap(), ts.to_string());
        }
    }

    /// A whole record is one JSON object per line with the standard fields first.
    #[test]
    fn record_shape() {
        let mut out = Vec::new();
        let ts: Timestamp = "12.5".parse().unwrap();
        record(
            &mut out,
            ts,
            "\"A\"",
            "peer_drop",
            &[
                ("peer", Field::Str("B")),
                ("clean", Field::Bool(true)),
                ("count", Field::U64(7)),
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["ts"], "12.500000000");
        assert_eq!(v["server"], "A");
        assert_eq!(v["event"], "peer_drop");
        assert_eq!(v["clean"], true);
        assert_eq!(v["count"], 7);
        assert!(out.ends_with(b"}\n"));
    }
}
