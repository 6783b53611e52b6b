use super::*;

fn req(s: &str) -> Result<Request, ParseError> {
    parse_request(s.as_bytes())
}

/// The spec's example: the AT line a server makes from an IAMAT.
#[test]
fn iamat_to_at() {
    let Ok(Request::IAmAt(i)) =
        req("IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997")
    else {
        panic!()
    };
    let at = At::from_iamat("Hands", "1520023935.182837383".parse().unwrap(), &i);
    assert_eq!(
        at.to_string(),
        "AT Hands +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"
    );
    assert_eq!(req(&at.to_string()), Ok(Request::At(at)));
}

/// Every protocol white-space byte separates fields; leading and trailing ones are ignored.
#[test]
fn white_space_set() {
    for sep in [" ", "\t", "\r", "\n", "\x0b", "\x0c", " \t\x0b "] {
        let line = format!("{sep}IAMAT{sep}a{sep}+1+1{sep}-0.5{sep}");
        let Ok(Request::IAmAt(i)) = req(&line) else {
            panic!("{line:?}")
        };
        assert_eq!((i.client.as_str(), i.time_raw.as_str()), ("a", "-0.5"));
    }
    // Other white space (non-breaking space) is part of a field, not a separator.
    assert!(matches!(
        req("IAMAT\u{a0}a +1+1 1"),
        Err(ParseError::UnknownCommand)
    ));
}

/// WHATSAT ranges and forms.
#[test]
fn whatsat_ranges() {
    for ok in [
        "WHATSAT c 0 0",
        "WHATSAT c 50 20",
        "WHATSAT c 10.5 020",
        "WHATSAT c +1 +2",
        "WHATSAT c .5 1",
        "WHATSAT c 5. 1",
        "WHATSAT c 50.000 1",
        "WHATSAT c 0050 0000000000020",
    ] {
        assert!(matches!(req(ok), Ok(Request::WhatsAt(_))), "{ok}");
    }
    for (bad, e) in [
        ("WHATSAT c 50.01 1", ParseError::BadRadius),
        ("WHATSAT c -1 1", ParseError::BadRadius),
        ("WHATSAT c 1e1 1", ParseError::BadRadius),
        ("WHATSAT c . 1", ParseError::BadRadius),
        ("WHATSAT c nan 1", ParseError::BadRadius),
        ("WHATSAT c 1 21", ParseError::BadBound),
        ("WHATSAT c 1 1.0", ParseError::BadBound),
        ("WHATSAT c 1 -0", ParseError::BadBound),
        ("WHATSAT c 50.0000000000000000001 1", ParseError::BadRadius),
        ("WHATSAT c 100 1", ParseError::BadRadius),
        ("WHATSAT c + 1", ParseError::BadRadius),
        ("WHATSAT c 1.2.3 1", ParseError::BadRadius),
        ("WHATSAT c 1 +", ParseError::BadBound),
        ("WHATSAT c 1 99999999999999999999", ParseError::BadBound),
        ("WHATSAT c 1 0x1", ParseError::BadBound),
    ] {
        assert_eq!(req(bad), Err(e), "{bad}");
    }
}

/// Each kind of error is reported as such.
#[test]
fn error_kinds() {
    assert_eq!(req("  \t"), Err(ParseError::Empty));
    assert_eq!(req("HELLO"), Err(ParseError::UnknownCommand));
    assert_eq!(req("iamat a +1+1 1"), Err(ParseError::UnknownCommand));
    assert_eq!(
        req("IAMAT a +1+1"),
        Err(ParseError::WrongArity {
            command: "IAMAT",
            expected: 3,
            got: 2
        })
    );
    assert_eq!(req("IAMAT a 1+1 1"), Err(ParseError::BadCoords));
    assert_eq!(req("IAMAT a +1+1 1e5"), Err(ParseError::BadTimestamp));
    assert_eq!(req("AT s x c +1+1 1"), Err(ParseError::BadTimestamp));
    assert_eq!(
        parse_request(b"IAMAT \xff +1+1 1"),
        Err(ParseError::NotUtf8)
    );
    assert_eq!(
        parse_request(&vec![b'a'; MAX_LINE + 1]),
        Err(ParseError::TooLong)
    );
}

/// The error reply echoes the stripped line.
#[test]
fn error_reply_strips() {
    assert_eq!(error_reply(b" \tbad  line\r\x0b"), "? bad  line\n");
    assert_eq!(error_reply(b""), "? \n");
}
