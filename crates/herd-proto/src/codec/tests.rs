use super::*;

/// Lines split at newlines, across chunk boundaries, with the rest at EOF.
#[test]
fn splits_lines() {
    let mut b = LineBuffer::new(100);
    b.extend(b"one\r\ntw");
    assert_eq!(b.next_line(), Ok(Some(b"one\r".to_vec())));
    assert_eq!(b.next_line(), Ok(None));
    b.extend(b"o\nthree");
    assert_eq!(b.next_line(), Ok(Some(b"two".to_vec())));
    assert_eq!(b.next_line(), Ok(None));
    assert_eq!(b.take_rest(), Some(b"three".to_vec()));
    assert_eq!(b.take_rest(), None);
}

/// A 1 MB line is reported once, never buffered, and the next line works.
#[test]
fn one_megabyte_line_is_bounded() {
    let mut b = LineBuffer::new(8192);
    let chunk = vec![b'x'; 8192];
    let mut errors = 0;
    for _ in 0..128 {
        b.extend(&chunk);
        while let Err(LineError::TooLong) = b.next_line() {
            errors += 1;
        }
        assert!(b.buffered_len() <= 8192 * 2);
    }
    assert_eq!(errors, 1);
    b.extend(b"tail\nnext\n");
    assert_eq!(b.next_line(), Ok(Some(b"next".to_vec())));
    assert_eq!(b.take_rest(), None);
}

/// An over-long line that arrives whole with its newline is rejected too.
#[test]
fn long_complete_line() {
    let mut b = LineBuffer::new(4);
    b.extend(b"12345\nok\n");
    assert_eq!(b.next_line(), Err(LineError::TooLong));
    assert_eq!(b.next_line(), Ok(Some(b"ok".to_vec())));
    b.extend(b"1234\n");
    assert_eq!(b.next_line(), Ok(Some(b"1234".to_vec())));
}

/// A pending over-long line with no newline gives nothing at EOF.
#[test]
fn discarding_at_eof() {
    let mut b = LineBuffer::new(4);
    b.extend(b"123456");
    assert_eq!(b.next_line(), Err(LineError::TooLong));
    b.extend(b"789");
    assert_eq!(b.take_rest(), None);
}

/// Memory stays bounded even when the caller never drains between reads.
#[test]
fn bounded_without_draining() {
    let mut b = LineBuffer::new(16);
    for _ in 0..10_000 {
        b.extend(b"0123456789");
        assert!(b.buffered_len() <= 16 + 10);
    }
    assert_eq!(b.next_line(), Err(LineError::TooLong));
    assert_eq!(b.next_line(), Ok(None));
    b.extend(b"end\nfine\n");
    assert_eq!(b.next_line(), Ok(Some(b"fine".to_vec())));
}

/// Complete lines before an over-long partial one come first, then the error.
#[test]
fn error_after_earlier_lines() {
    let mut b = LineBuffer::new(4);
    b.extend(b"ab\ncd\nTOOLONGLINE");
    assert_eq!(b.next_line(), Ok(Some(b"ab".to_vec())));
    assert_eq!(b.next_line(), Ok(Some(b"cd".to_vec())));
    assert_eq!(b.next_line(), Err(LineError::TooLong));
    assert_eq!(b.next_line(), Ok(None));
    b.extend(b"...\nxy");
    assert_eq!(b.next_line(), Ok(None));
    assert_eq!(b.take_rest(), Some(b"xy".to_vec()));
}

/// A line of exactly the limit is accepted, with or without a newline; empty lines too.
#[test]
fn exact_limit_and_empty_lines() {
    let mut b = LineBuffer::new(4);
    b.extend(b"1234\n\n12");
    assert_eq!(b.next_line(), Ok(Some(b"1234".to_vec())));
    assert_eq!(b.next_line(), Ok(Some(Vec::new())));
    b.extend(b"34");
    assert_eq!(b.next_line(), Ok(None));
    assert_eq!(b.buffered_len(), 4);
    assert_eq!(b.take_rest(), Some(b"1234".to_vec()));
}

/// Many short lines in one chunk, fed one byte at a time or all at once, split the same.
#[test]
fn trickle_equals_bulk() {
    let text: Vec<u8> = (0..200)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let mut bulk = LineBuffer::new(64);
    bulk.extend(&text);
    let mut trickle = LineBuffer::new(64);
    let (mut a, mut c) = (Vec::new(), Vec::new());
    while let Ok(Some(l)) = bulk.next_line() {
        a.push(l);
    }
    for byte in &text {
        trickle.extend(std::slice::from_ref(byte));
        while let Ok(Some(l)) = trickle.next_line() {
            c.push(l);
        }
    }
    assert_eq!(a.len(), 200);
    assert_eq!(a, c);
}
