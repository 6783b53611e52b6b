//! No input panics the parsers; encoded messages parse back.

use http_wire::*;
use proptest::prelude::*;

proptest! {
    /// Arbitrary bytes, as requests and responses.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), head in any::<bool>(), eof in any::<bool>()) {
        let l = Limits::default();
        let _ = parse_request(&bytes, &l);
        let _ = parse_response(&bytes, &l, head, eof);
        let _ = measure_response(&bytes, &l, head, eof);
    }

    /// HTTP-shaped noise after a valid status line.
    #[test]
    fn shaped_noise_never_panics(rest in "[ -~\r\n]{0,200}") {
        let l = Limits::default();
        let r = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{rest}");
        let _ = parse_response(r.as_bytes(), &l, false, false);
        let q = format!("POST / HTTP/1.1\r\nContent-Length: 3\r\n{rest}");
        let _ = parse_request(q.as_bytes(), &l);
    }

    /// encode_request then parse_request round-trips method, target, headers and body.
    #[test]
    fn request_round_trip(path in "/[a-z0-9/?=&]{0,40}", body in proptest::collection::vec(any::<u8>(), 0..100), value in "[a-zA-Z0-9 ]{0,20}") {
        let headers = vec![("Host".to_string(), b"x".to_vec()), ("X-V".to_string(), value.trim().as_bytes().to_vec())];
        let mut out = Vec::new();
        encode_request("PUT", &path, &headers, &body, &mut out);
        let (r, n) = parse_request(&out, &Limits::default()).unwrap().unwrap();
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(&r.target, &path);
        prop_assert_eq!(&r.body, &body);
        prop_assert_eq!(r.header("x-v"), Some(value.trim().as_bytes()));
    }

    /// encode_response then parse_response round-trips status, headers and body, and every
    /// strict prefix is "incomplete", never an error.
    #[test]
    fn response_round_trip(status in 200u16..600, body in proptest::collection::vec(any::<u8>(), 0..100), value in "[a-zA-Z0-9]{1,20}") {
        let mut out = Vec::new();
        encode_response(status, "Reason", &[("X-V".to_string(), value.as_bytes().to_vec())], &body, &mut out);
        let l = Limits::default();
        let (r, n) = parse_response(&out, &l, false, false).unwrap().unwrap();
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(r.status, status);
        let expect: &[u8] = if status == 204 || status == 304 { &[] } else { &body };
        prop_assert_eq!(r.body.as_slice(), expect);
        prop_assert_eq!(header(&r.headers, "x-v"), Some(value.as_bytes()));
        let m = measure_response(&out, &l, false, false).unwrap().unwrap();
        prop_assert_eq!(m.status, status);
        for cut in 0..m.len {
            prop_assert_eq!(measure_response(&out[..cut], &l, false, false), Ok(None));
        }
    }
}
