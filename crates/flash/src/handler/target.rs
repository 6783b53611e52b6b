//! [`Target`]: a request target made safe to map onto the file system.
//!
//! The path is percent-decoded once, then normalised (RFC 3986 5.2.4: `.` segments and
//! empty segments dropped, `..` removes the segment before it). Decoding comes first, so
//! `%2e%2e` is `..` and `%2f` is a separator, exactly as the file system would read them;
//! a `..` that would climb above the root is refused (403), as is a NUL byte (`%00`,
//! 400), invalid percent-encoding (400) or a path that is not UTF-8 (400). Symbolic links
//! are the file handler's business: it opens beneath the root with `openat2`.

/// Why a target cannot be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetError {
    /// Malformed: not origin- or absolute-form, bad percent-encoding, NUL, not UTF-8.
    Bad(&'static str),
    /// A `..` that climbs above the root.
    Escape,
}

impl TargetError {
    /// The status to answer with.
    pub(crate) fn status(self) -> u16 {
        match self {
            TargetError::Bad(_) => 400,
            TargetError::Escape => 403,
        }
    }
}

/// A parsed, normalised target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// Decoded, normalised segments joined by `/`, without a leading `/`; empty for the
    /// root.
    pub(crate) path: String,
    /// Whether the path ended with `/` (or is the root): a directory was asked for.
    pub(crate) dir: bool,
    /// The query after `?`, as sent (not decoded).
    pub(crate) query: String,
}

impl Target {
    /// The segments of the path.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }

    /// The first segment ("" for the root).
    pub(crate) fn first(&self) -> &str {
        self.segments().next().unwrap_or("")
    }
}

/// Parse a request target.
pub(crate) fn parse(target: &str) -> Result<Target, TargetError> {
    // Absolute form (RFC 9112 3.2.2), which servers must accept: drop scheme and authority.
    let origin = match target.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => {
            rest.find('/').map_or("/", |i| &rest[i..])
        }
        Some(_) => return Err(TargetError::Bad("unsupported scheme")),
        None => target,
    };
    if !origin.starts_with('/') {
        return Err(TargetError::Bad("target must start with /"));
    }
    let (raw_path, query) = origin.split_once('?').unwrap_or((origin, ""));
    let decoded = percent_decode(raw_path.as_bytes())?;
    if decoded.contains(&0) {
        return Err(TargetError::Bad("NUL in path"));
    }
    let decoded = String::from_utf8(decoded).map_err(|_| TargetError::Bad("path is not UTF-8"))?;
    let mut segments: Vec<&str> = Vec::new();
    for s in decoded.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(TargetError::Escape);
                }
            }
            s => segments.push(s),
        }
    }
    let last = decoded.rsplit('/').next().unwrap_or("");
    let dir = segments.is_empty() || matches!(last, "" | "." | "..");
    Ok(Target {
        path: segments.join("/"),
        dir,
        query: query.to_string(),
    })
}

/// Decode `%XX` escapes; a `%` not followed by two hex digits is an error.
pub(crate) fn percent_decode(raw: &[u8]) -> Result<Vec<u8>, TargetError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                raw.get(i + 1).and_then(|&b| hex(b)),
                raw.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(TargetError::Bad("bad percent-encoding")),
            }
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn path(t: &str) -> Result<(String, bool), TargetError> {
        parse(t).map(|t| (t.path, t.dir))
    }

    /// Dot segments, encoded dots and slashes, the root and absolute form.
    #[test]
    fn normalises() {
        assert_eq!(path("/"), Ok((String::new(), true)));
        assert_eq!(path("/a/./b//c"), Ok(("a/b/c".into(), false)));
        assert_eq!(path("/a/b/../c/"), Ok(("a/c".into(), true)));
        assert_eq!(path("/a/%2e%2E/b"), Ok(("b".into(), false)));
        assert_eq!(path("/a%2Fb"), Ok(("a/b".into(), false)));
        assert_eq!(
            path("/%7euser/x%20y.html"),
            Ok(("~user/x y.html".into(), false))
        );
        assert_eq!(path("http://h:1/x?q"), Ok(("x".into(), false)));
        assert_eq!(path("HTTP://h"), Ok((String::new(), true)));
        assert_eq!(
            parse("/p?a=1&b=%20").map(|t| t.query),
            Ok("a=1&b=%20".into())
        );
    }

    /// Escapes above the root, NUL, bad escapes and other forms are refused.
    #[test]
    fn refuses() {
        for t in [
            "/..",
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/x",
            "/a/%2E%2E/%2e%2e/x",
            "/..%2f..%2fetc",
        ] {
            assert_eq!(parse(t), Err(TargetError::Escape), "{t}");
        }
        for t in [
            "/a%00b", "/a%", "/a%4", "/a%zz", "*", "x", "ftp://h/", "/%ff%fe",
        ] {
            assert!(matches!(parse(t), Err(TargetError::Bad(_))), "{t}");
        }
    }

    proptest! {
        /// Whatever the target, the normalised path never has `..`, `.` or empty
        /// segments, and never starts with `/`.
        #[test]
        fn normalised_paths_stay_beneath(t in "/[a-z./%2eEfF0]{0,40}") {
            if let Ok(t) = parse(&t) {
                prop_assert!(!t.path.starts_with('/'));
                for s in t.path.split('/') {
                    prop_assert!(t.path.is_empty() || !matches!(s, "" | "." | ".."), "{:?}", t.path);
                }
            }
        }
    }
}
