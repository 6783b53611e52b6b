//! The cache key of a request: its path and query, exactly as sent, after refusing what
//! must not reach the upstream.
//!
//! The key is appended to the upstream base URL, and URL parsers resolve dot segments
//! (also percent-encoded ones) and treat `\` as `/`, so `/../admin` could climb out of
//! the base path. Such paths are refused with 400, as are targets that are not
//! origin-form (`*`, an authority) and anything longer than [`MAX_KEY_BYTES`].

/// Longest path and query accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 4096;

/// Why a request target is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a path starting with `/`.
    #[error("the request target must be a path starting with /")]
    NotAPath,
    /// A `.` or `..` segment, or a backslash, which would leave the upstream base path.
    #[error("the path may not contain dot segments or backslashes")]
    DotSegment,
    /// Over [`MAX_KEY_BYTES`].
    #[error("the path and query are too long")]
    TooLong,
}

/// The cache key for a request's path-and-query (`None`: no path, e.g. `OPTIONS *`).
pub fn cache_key(path_and_query: Option<&str>) -> Result<&str, KeyError> {
    let pq = path_and_query.ok_or(KeyError::NotAPath)?;
    if !pq.starts_with('/') {
        return Err(KeyError::NotAPath);
    }
    if pq.len() > MAX_KEY_BYTES {
        return Err(KeyError::TooLong);
    }
    let path = pq.split_once('?').map_or(pq, |(p, _)| p);
    if path.contains('\\') {
        return Err(KeyError::DotSegment);
    }
    // Only paths with a '.' or '%' can hold a dot segment: skip the scan otherwise.
    if path.bytes().any(|b| b == b'.' || b == b'%') {
        for seg in path.split('/') {
            let s = seg.to_ascii_lowercase().replace("%2e", ".");
            if s == "." || s == ".." {
                return Err(KeyError::DotSegment);
            }
        }
    }
    Ok(pq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ordinary paths pass unchanged; escapes and odd targets are refused.
    #[test]
    fn accepts_and_refuses() {
        for ok in [
            "/",
            "/restaurant/",
            "/restaurant/x-1/?a=../b",
            "/a.b/c..d/.well-known",
        ] {
            assert_eq!(cache_key(Some(ok)), Ok(ok));
        }
        for (bad, why) in [
            (None, KeyError::NotAPath),
            (Some("*"), KeyError::NotAPath),
            (Some("x/y"), KeyError::NotAPath),
            (Some("/../etc"), KeyError::DotSegment),
            (Some("/a/./b"), KeyError::DotSegment),
            (Some("/a/%2E%2e/b"), KeyError::DotSegment),
            (Some("/a/.."), KeyError::DotSegment),
            (Some("/a\\b"), KeyError::DotSegment),
        ] {
            assert_eq!(cache_key(bad), Err(why), "{bad:?}");
        }
    }

    /// At the length limit and one past it.
    #[test]
    fn length_limit() {
        let at = format!("/{}", "a".repeat(MAX_KEY_BYTES - 1));
        assert!(cache_key(Some(&at)).is_ok());
        let past = format!("/{}", "a".repeat(MAX_KEY_BYTES));
        assert_eq!(cache_key(Some(&past)), Err(KeyError::TooLong));
    }

    proptest! {
        /// Nothing panics, and every accepted path, resolved by a URL parser under a base
        /// path, stays under that base path.
        #[test]
        fn never_escapes_the_base(s in "/[a-zA-Z0-9./%\\\\?=&-]{0,40}") {
            if let Ok(k) = cache_key(Some(&s)) {
                let url = reqwest::Url::parse(&format!("http://h/base{k}")).unwrap();
                prop_assert!(url.path().starts_with("/base"), "{} -> {}", k, url.path());
            }
        }
    }
}
