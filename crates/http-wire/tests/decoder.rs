//! The server's decoder: any byte stream, split at any points, gives the same requests and
//! the same final outcome as the stream fed whole, and nothing panics.

use http_wire::{encode_request, DecodeLimits, Decoded, Decoder, Reject, Step};
use proptest::prelude::*;

/// Everything the decoder said about a stream, Continue steps left out (they depend on
/// whether body bytes came with the head, by design).
#[derive(Debug, PartialEq, Eq)]
enum End {
    Incomplete,
    Rejected(Reject),
}

fn feed(stream: &[u8], cuts: &[usize], limits: DecodeLimits) -> (Vec<Decoded>, End) {
    let mut d = Decoder::new(limits);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut pieces = cuts.iter().copied().chain(std::iter::once(usize::MAX));
    while at < stream.len() {
        let n = pieces.next().unwrap_or(usize::MAX).max(1);
        let end = at.saturating_add(n).min(stream.len());
        buf.extend_from_slice(&stream[at..end]);
        at = end;
        loop {
            match d.decode(&buf) {
                Ok(Step::Request(r)) => {
                    buf.drain(..r.consumed);
                    out.push(r);
                }
                Ok(Step::Continue) => {}
                Ok(Step::Incomplete) => break,
                Err(e) => return (out, End::Rejected(e)),
            }
        }
    }
    (out, End::Incomplete)
}

fn request_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("HEAD")],
        "/[a-z0-9/._%?=&-]{0,30}",
        prop::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,20}"), 0..5),
        prop::collection::vec(any::<u8>(), 0..40),
        0u8..4,
    )
        .prop_map(|(method, path, extra, body, framing)| {
            let mut headers: Vec<(String, Vec<u8>)> = vec![("Host".into(), b"h".to_vec())];
            headers.extend(
                extra
                    .into_iter()
                    .filter(|(n, _)| {
                        !["content-length", "transfer-encoding", "host", "expect"]
                            .contains(&n.to_ascii_lowercase().as_str())
                    })
                    .map(|(n, v)| (n, v.trim().as_bytes().to_vec())),
            );
            let mut out = Vec::new();
            match framing {
                // Chunked, in pieces of up to 7 bytes.
                0 => {
                    out.extend_from_slice(format!("{method} {path} HTTP/1.1\r\n").as_bytes());
                    for (n, v) in &headers {
                        out.extend_from_slice(n.as_bytes());
                        out.extend_from_slice(b": ");
                        out.extend_from_slice(v);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(
                        b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
                    );
                    for c in body.chunks(7) {
                        out.extend_from_slice(format!("{:X};ext=1\r\n", c.len()).as_bytes());
                        out.extend_from_slice(c);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\nTrailer: t\r\n\r\n");
                }
                _ => encode_request(method, &path, &headers, &body, &mut out),
            }
            out
        })
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => request_bytes(),
            1 => prop::collection::vec(any::<u8>(), 0..40),
            1 => "[ -~\r\n]{0,60}".prop_map(String::into_bytes),
        ],
        0..5,
    )
    .prop_map(|v| v.concat())
}

fn limits() -> impl Strategy<Value = DecodeLimits> {
    prop_oneof![
        Just(DecodeLimits::default()),
        (8usize..120, 16usize..200, 0usize..6, 0usize..48).prop_map(
            |(line, head, headers, body)| {
                DecodeLimits {
                    max_request_line: line,
                    max_head: head,
                    max_headers: headers,
                    max_body: body,
                }
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Splitting a stream into reads never changes what is decoded from it.
    #[test]
    fn split_equals_whole(s in stream(), cuts in prop::collection::vec(1usize..24, 0..64), l in limits()) {
        let whole = feed(&s, &[], l);
        let split = feed(&s, &cuts, l);
        prop_assert_eq!(&split, &whole);
        let bytewise = feed(&s, &vec![1; s.len()], l);
        prop_assert_eq!(bytewise, whole);
    }

    /// Arbitrary bytes, whole or in single bytes, never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), l in limits()) {
        let _ = feed(&bytes, &[], l);
        let _ = feed(&bytes, &vec![1; bytes.len()], l);
    }

    /// Well-formed requests come back with their method, target, headers and body, and
    /// use up the whole stream.
    #[test]
    fn requests_round_trip(reqs in prop::collection::vec(request_bytes(), 1..4)) {
        let s = reqs.concat();
        let (got, end) = feed(&s, &[], DecodeLimits::default());
        prop_assert_eq!(end, End::Incomplete);
        prop_assert_eq!(got.len(), reqs.len());
        for (d, raw) in got.iter().zip(&reqs) {
            prop_assert_eq!(d.consumed, raw.len());
            let (expect, _) = http_wire::parse_request(raw, &http_wire::Limits::default())
                .unwrap()
                .unwrap();
            prop_assert_eq!(&d.request, &expect);
        }
    }
}
