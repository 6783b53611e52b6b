//! Property tests: formatting then parsing gives back the value, and no input panics.

use herd_proto::*;
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._:@-]{1,24}"
}

fn coords() -> impl Strategy<Value = String> {
    (
        -90i32..=90,
        0u32..1_000_000,
        -180i32..=180,
        0u32..1_000_000,
        1usize..7,
    )
        .prop_map(|(la, lf, lo, of, digits)| {
            let frac = |f: u32, whole: i32| {
                if whole.abs() == 90 || whole.abs() == 180 {
                    "0".repeat(digits)
                } else {
                    format!("{f:06}")[..digits].to_string()
                }
            };
            let sign = |v: i32| if v < 0 { '-' } else { '+' };
            format!(
                "{}{}.{}{}{}.{}",
                sign(la),
                la.abs(),
                frac(lf, la),
                sign(lo),
                lo.abs(),
                frac(of, lo)
            )
        })
}

fn time() -> impl Strategy<Value = String> {
    (any::<bool>(), 0u64..10_000_000_000, "[0-9]{0,14}")
        .prop_map(|(neg, s, f)| format!("{}{s}.{f}0", if neg { "-" } else { "" }))
}

fn iamat() -> impl Strategy<Value = IAmAt> {
    (word(), coords(), time()).prop_map(|(c, xy, t)| IAmAt {
        client: c,
        coords: Coords::parse(&xy).unwrap(),
        time: t.parse().unwrap(),
        time_raw: t,
    })
}

proptest! {
    /// IAMAT lines round-trip.
    #[test]
    fn iamat_round_trip(i in iamat()) {
        prop_assert_eq!(parse_request(i.to_string().as_bytes()), Ok(Request::IAmAt(i)));
    }

    /// AT lines made from any IAMAT at any receive time round-trip, and never show an exponent.
    #[test]
    fn at_round_trip(i in iamat(), server in word(), secs in -1_000_000_000i64..5_000_000_000, nanos in 0u32..1_000_000_000) {
        let at = At::from_iamat(&server, Timestamp::new(secs, nanos).unwrap(), &i);
        let text = at.to_string();
        prop_assert!(!at.diff.to_string().contains('e'));
        prop_assert_eq!(parse_peer_frame(text.as_bytes()), Ok(PeerFrame::Update(at.clone())));
        prop_assert_eq!(parse_request(text.as_bytes()), Ok(Request::At(at)));
    }

    /// WHATSAT lines round-trip.
    #[test]
    fn whatsat_round_trip(c in word(), r in 0u32..=50, frac in 0u32..10, b in 0u32..=20) {
        let radius_raw = if r == 50 { "50".to_string() } else { format!("{r}.{frac}") };
        let w = WhatsAt { client: c, radius_km: radius_raw.parse().unwrap(), radius_raw, bound: b };
        prop_assert_eq!(parse_request(w.to_string().as_bytes()), Ok(Request::WhatsAt(w)));
    }

    /// Timestamps: display/parse round trip, and order agrees with nanoseconds.
    #[test]
    fn timestamp_order(a in -10i64.pow(17)..10i64.pow(17), an in 0u32..1_000_000_000, b in -10i64.pow(17)..10i64.pow(17), bn in 0u32..1_000_000_000) {
        let (x, y) = (Timestamp::new(a, an).unwrap(), Timestamp::new(b, bn).unwrap());
        prop_assert_eq!(x.to_string().parse::<Timestamp>(), Ok(x));
        prop_assert_eq!(x.cmp(&y), x.as_nanos().cmp(&y.as_nanos()));
        let d = x.diff(&y).to_string();
        prop_assert!(!d.contains('e') && (d.starts_with('+') || d.starts_with('-')));
        prop_assert_eq!(d.parse::<TimeDiff>(), Ok(x.diff(&y)));
    }

    /// Peer hello/welcome/proof frames round-trip.
    #[test]
    fn peer_frames_round_trip(a in word(), b in word(), n in "[0-9a-f]{1,64}", p in "[0-9a-f]{1,128}") {
        for f in [
            PeerFrame::Hello { from: a.clone(), to: b.clone(), nonce: n.clone() },
            PeerFrame::Welcome { from: a.clone(), nonce: n.clone(), proof: p.clone() },
            PeerFrame::Proof { proof: p.clone() },
        ] {
            prop_assert_eq!(parse_peer_frame(f.to_string().as_bytes()), Ok(f));
        }
    }

    /// Arbitrary bytes never panic any parser.
    #[test]
    fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_request(&bytes);
        let _ = parse_peer_frame(&bytes);
        let _ = strip(&bytes);
        let mut lb = LineBuffer::new(64);
        lb.extend(&bytes);
        while let Ok(Some(_)) | Err(_) = lb.next_line() {
            if lb.buffered_len() == 0 { break; }
        }
        let _ = lb.take_rest();
    }

    /// Protocol-shaped noise never panics either.
    #[test]
    fn no_shaped_input_panics(cmd in prop::sample::select(vec!["IAMAT", "WHATSAT", "AT", "HERD-HELLO", "HERD-DIGEST"]), rest in "[ +\\-.0-9a-z\t\u{b}]{0,80}") {
        let line = format!("{cmd} {rest}");
        let _ = parse_request(line.as_bytes());
        let _ = parse_peer_frame(line.as_bytes());
    }
}

proptest! {
    /// Digest frames of any values round-trip.
    #[test]
    fn digest_round_trip(values in proptest::collection::vec(any::<u64>(), DIGEST_BUCKETS)) {
        let f = PeerFrame::Digest(values);
        let text = f.to_string();
        prop_assert_eq!(text.len(), "HERD-DIGEST".len() + 17 * DIGEST_BUCKETS);
        prop_assert_eq!(parse_peer_frame(text.as_bytes()), Ok(f));
    }

    /// However a stream is cut into chunks, LineBuffer yields the same lines and errors,
    /// and never holds more than the limit plus one chunk.
    #[test]
    fn line_buffer_chunking(
        text in proptest::collection::vec(prop::sample::select(vec![b'a', b'b', b'\n', b'\r']), 0..400),
        cuts in proptest::collection::vec(1usize..40, 1..20),
    ) {
        let run = |sizes: &[usize]| {
            let mut b = LineBuffer::new(8);
            let mut out = Vec::new();
            let mut rest: &[u8] = &text;
            let mut i = 0;
            while !rest.is_empty() {
                let n = sizes[i % sizes.len()].min(rest.len());
                b.extend(&rest[..n]);
                assert!(b.buffered_len() <= 8 + n);
                rest = &rest[n..];
                i += 1;
                loop {
                    match b.next_line() {
                        Ok(Some(l)) => out.push(Ok(l)),
                        Ok(None) => break,
                        Err(e) => out.push(Err(e)),
                    }
                }
            }
            out.push(Ok(b.take_rest().unwrap_or_default()));
            out
        };
        prop_assert_eq!(run(&cuts), run(&[1]));
    }

    /// Timestamps with long fractions floor: parse(s) <= s < parse(s) + 1 ns, compared
    /// exactly by appending digits to the nanosecond value.
    #[test]
    fn long_fraction_floor(neg in any::<bool>(), int in 0u64..1_000_000, frac in "[0-9]{10,30}") {
        let text = format!("{}{int}.{frac}", if neg { "-" } else { "" });
        let t: Timestamp = text.parse().unwrap();
        let truncated: i128 = i128::from(int) * 1_000_000_000 + frac[..9].parse::<i128>().unwrap();
        let exact_beyond = frac[9..].bytes().any(|d| d != b'0');
        let want = if neg { -truncated - i128::from(exact_beyond) } else { truncated };
        prop_assert_eq!(t.as_nanos(), want);
    }
}
