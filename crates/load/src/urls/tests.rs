//! URL file parsing: the format, every limit at the edge and one past, body files, and
//! arbitrary input never panicking.

use super::*;
use proptest::prelude::*;

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("herd-load-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn file(&self, name: &str, data: &[u8]) -> std::path::PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Methods, URLs, bodies, weights, comments and blank lines.
#[test]
fn lines_parse() {
    let text = "# keys\n\nGET http://127.0.0.1:8080/a\n  POST http://127.0.0.1:8080/b?x=1 @b.json weight=3\nHEAD http://127.0.0.1:8080/ weight=2\n";
    let l = parse_url_list(text).unwrap();
    assert_eq!(l.len(), 3);
    assert_eq!(
        (l[0].number, l[0].method.as_str(), l[0].weight),
        (3, "GET", 1)
    );
    assert_eq!(l[1].body.as_deref(), Some("b.json"));
    assert_eq!((l[1].url.path.as_str(), l[1].weight), ("/b?x=1", 3));
    assert_eq!((l[2].method.as_str(), l[2].weight), ("HEAD", 2));
}

/// Malformed lines are refused with their line number.
#[test]
fn bad_lines_name_the_line() {
    for (text, needle) in [
        ("GET\n", "line 1: expected"),
        (
            "GET http://h:1/\nG@T http://h:1/\n",
            "line 2: \"G@T\" is not a method",
        ),
        ("GET ftp://h/\n", "line 1"),
        ("GET herd://h:1\n", "only http"),
        (
            "GET http://h:1/\nGET http://h:2/\n",
            "not the first line's server",
        ),
        (
            "GET http://h:1/\nGET https://h:1/\n",
            "not the first line's server",
        ),
        ("GET http://h:1/ @a @b\n", "two body files"),
        ("GET http://h:1/ weight=1 weight=2\n", "two weights"),
        ("GET http://h:1/ weight=0\n", "weight must be"),
        ("GET http://h:1/ weight=x\n", "weight must be"),
        ("GET http://h:1/ junk\n", "unexpected \"junk\""),
        ("# only a comment\n", "no URL"),
        ("", "no URL"),
    ] {
        let err = parse_url_list(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text:?}: {err}");
    }
}

/// Weights up to MAX_WEIGHT, not one more.
#[test]
fn weight_limit() {
    let ok = format!("GET http://h:1/ weight={MAX_WEIGHT}");
    assert_eq!(parse_url_list(&ok).unwrap()[0].weight, MAX_WEIGHT);
    let over = format!("GET http://h:1/ weight={}", MAX_WEIGHT + 1);
    assert!(parse_url_list(&over).is_err());
}

/// Lines up to MAX_LINE bytes, not one more.
#[test]
fn line_limit() {
    let base = "GET http://h:1/";
    let at = format!("{base}{}", "a".repeat(MAX_LINE - base.len()));
    assert_eq!(at.len(), MAX_LINE);
    assert!(parse_url_list(&at).is_ok());
    assert!(parse_url_list(&format!("{at}a")).is_err());
}

/// Up to MAX_URLS URLs, not one more; comments do not count.
#[test]
fn url_count_limit() {
    let mut text = String::from("# header\n");
    for i in 0..MAX_URLS {
        text.push_str(&format!("GET http://h:1/{i}\n"));
    }
    assert_eq!(parse_url_list(&text).unwrap().len(), MAX_URLS);
    text.push_str("GET http://h:1/last\n");
    let err = parse_url_list(&text).unwrap_err().to_string();
    assert!(err.contains(&format!("line {}", MAX_URLS + 2)), "{err}");
}

/// Body files are read relative to the URL file, once each, into every request using them.
#[test]
fn load_reads_bodies() {
    let dir = Scratch::new("urls");
    dir.file("b.json", b"{\"k\":1}");
    let list = dir.file(
        "urls.txt",
        b"POST http://127.0.0.1:9/a @b.json\nPUT http://127.0.0.1:9/b @b.json weight=2\nGET http://127.0.0.1:9/c\n",
    );
    let (url, reqs) = load_url_file(&list, &[("X-T".into(), "1".into())]).unwrap();
    assert_eq!(url.authority, "127.0.0.1:9");
    let e = reqs.entries();
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].label, "POST http://127.0.0.1:9/a");
    let (parsed, _) = http_wire::parse_request(&e[1].bytes, &http_wire::Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(
        (parsed.method.as_str(), parsed.body.as_slice()),
        ("PUT", &b"{\"k\":1}"[..])
    );
    assert_eq!(parsed.header("x-t"), Some(&b"1"[..]));
    assert!(e[2]
        .bytes
        .starts_with(b"GET /c HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
    let missing = dir.file("m.txt", b"POST http://127.0.0.1:9/a @nope.json\n");
    let err = load_url_file(&missing, &[]).unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("nope.json"), "{err}");
}

/// Files are read up to their limit, not one byte more.
#[test]
fn read_limit() {
    let dir = Scratch::new("read-limit");
    let at = dir.file("at", &[b'x'; 10]);
    let over = dir.file("over", &[b'x'; 11]);
    assert_eq!(read_bounded(&at, 10, "file").unwrap().len(), 10);
    let err = read_bounded(&over, 10, "file").unwrap_err().to_string();
    assert!(err.contains("larger than 10 bytes"), "{err}");
}

proptest! {
    /// Arbitrary text never panics the parser.
    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        let _ = parse_url_list(&text);
    }

    /// Lines built from valid parts parse back to those parts.
    #[test]
    fn valid_lines_parse_back(
        items in proptest::collection::vec(("[A-Z]{1,8}", "/[a-z0-9/?=&]{0,20}", proptest::option::of("[a-z]{1,8}\\.json"), proptest::option::of(1u64..=MAX_WEIGHT)), 1..20)
    ) {
        let mut text = String::new();
        for (m, p, b, w) in &items {
            text.push_str(&format!("{m} http://127.0.0.1:8080{p}"));
            if let Some(b) = b { text.push_str(&format!(" @{b}")); }
            if let Some(w) = w { text.push_str(&format!(" weight={w}")); }
            text.push('\n');
        }
        let lines = parse_url_list(&text).unwrap();
        prop_assert_eq!(lines.len(), items.len());
        for (l, (m, p, b, w)) in lines.iter().zip(&items) {
            prop_assert_eq!(&l.method, m);
            prop_assert_eq!(&l.url.path, p);
            prop_assert_eq!(&l.body, b);
            prop_assert_eq!(l.weight, w.unwrap_or(1));
        }
    }
}
