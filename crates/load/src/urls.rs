//! `--urls FILE`: many requests to one server, one `METHOD URL [@BODYFILE] [weight=N]` a
//! line. Blank lines and lines starting with `#` are skipped. Body files are read relative
//! to the URL file's directory. Every URL must name the same scheme, host and port as the
//! first (connections are kept alive to one server), so a cache can be loaded with a
//! realistic mix of keys. [`parse_url_list`] is the pure, bounded parser;
//! [`load_url_file`] adds the file reads.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::requests::{Entry, Requests};
use crate::url::{http_request, parse_url, Url};
use crate::Error;

/// Most URL lines in one file.
pub const MAX_URLS: usize = 100_000;
/// Largest weight of one line.
pub const MAX_WEIGHT: u64 = 1_000_000;
/// Longest line, in bytes.
pub const MAX_LINE: usize = 8 * 1024;
/// Largest URL file, in bytes.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Largest body file, in bytes.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;

/// One parsed line of a URL file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number, for messages.
    pub number: usize,
    /// The method, as written.
    pub method: String,
    /// The URL.
    pub url: Url,
    /// The body file named with `@`, if any.
    pub body: Option<String>,
    /// The weight (1 unless `weight=N`).
    pub weight: u64,
}

fn bad(number: usize, why: impl std::fmt::Display) -> Error {
    Error::Usage(format!("--urls line {number}: {why}"))
}

/// A method is an HTTP token (RFC 9110 5.6.2), at most 32 characters.
fn is_method(m: &str) -> bool {
    !m.is_empty()
        && m.len() <= 32
        && m.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Parse the text of a URL file.
///
/// # Errors
/// [`Error::Usage`] naming the line: a malformed line, a URL that is not http(s), a
/// different server than the first line's, a bad weight, a line over [`MAX_LINE`], more
/// than [`MAX_URLS`] lines, or no URL at all.
pub fn parse_url_list(text: &str) -> Result<Vec<Line>, Error> {
    let mut lines = Vec::new();
    let mut origin: Option<(String, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        if raw.len() > MAX_LINE {
            return Err(bad(number, format!("longer than {MAX_LINE} bytes")));
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if lines.len() == MAX_URLS {
            return Err(bad(number, format!("more than {MAX_URLS} URLs")));
        }
        let mut words = line.split_ascii_whitespace();
        let (Some(method), Some(url)) = (words.next(), words.next()) else {
            return Err(bad(number, "expected METHOD URL [@BODYFILE] [weight=N]"));
        };
        if !is_method(method) {
            return Err(bad(number, format!("{method:?} is not a method")));
        }
        let url = parse_url(url).map_err(|e| bad(number, e))?;
        if !matches!(url.scheme.as_str(), "http" | "https") {
            return Err(bad(number, "only http:// and https:// URLs"));
        }
        let here = (url.scheme.clone(), url.authority.clone());
        match &origin {
            None => origin = Some(here),
            Some(first) if *first != here => {
                return Err(bad(
                    number,
                    format!(
                        "{}://{} is not the first line's server {}://{}",
                        here.0, here.1, first.0, first.1
                    ),
                ))
            }
            Some(_) => {}
        }
        let (mut body, mut weight) = (None, None);
        for word in words {
            if let Some(path) = word.strip_prefix('@').filter(|p| !p.is_empty()) {
                if body.replace(path.to_string()).is_some() {
                    return Err(bad(number, "two body files"));
                }
            } else if let Some(w) = word.strip_prefix("weight=") {
                let w: u64 = w
                    .parse()
                    .ok()
                    .filter(|w| (1..=MAX_WEIGHT).contains(w))
                    .ok_or_else(|| bad(number, format!("weight must be 1 to {MAX_WEIGHT}")))?;
                if weight.replace(w).is_some() {
                    return Err(bad(number, "two weights"));
                }
            } else {
                return Err(bad(number, format!("unexpected {word:?}")));
            }
        }
        lines.push(Line {
            number,
            method: method.to_string(),
            url,
            body,
            weight: weight.unwrap_or(1),
        });
    }
    if lines.is_empty() {
        return Err(Error::Usage("--urls file has no URL".into()));
    }
    Ok(lines)
}

/// Read at most `limit` bytes of `path`; more is an error.
fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Usage(format!("cannot read {what} {}: {e}", path.display())))?;
    let mut out = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Usage(format!("cannot read {what} {}: {e}", path.display())))?;
    if out.len() as u64 > limit {
        return Err(Error::Usage(format!(
            "{what} {} is larger than {limit} bytes",
            path.display()
        )));
    }
    Ok(out)
}

/// Read a URL file and its body files and encode every request, with `headers` added to
/// each. Returns the first line's URL (the server) and the requests.
///
/// # Errors
/// As [`parse_url_list`], plus unreadable or oversized files.
pub fn load_url_file(path: &Path, headers: &[(String, String)]) -> Result<(Url, Requests), Error> {
    let text = read_bounded(path, MAX_FILE, "URL file")?;
    let text = String::from_utf8(text)
        .map_err(|_| Error::Usage(format!("URL file {} is not UTF-8", path.display())))?;
    let lines = parse_url_list(&text)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    let mut entries = Vec::with_capacity(lines.len());
    for line in &lines {
        let body: &[u8] = match &line.body {
            None => &[],
            Some(name) => {
                if !bodies.contains_key(name) {
                    let data = read_bounded(&dir.join(name), MAX_BODY, "body file")
                        .map_err(|e| bad(line.number, e))?;
                    bodies.insert(name.clone(), data);
                }
                bodies.get(name).map_or(&[], Vec::as_slice)
            }
        };
        entries.push(Entry {
            label: format!(
                "{} {}://{}{}",
                line.method,
                line.url.scheme,
                line.url.host_header(),
                line.url.path
            ),
            bytes: http_request(&line.url, &line.method, headers, body),
            head: line.method.eq_ignore_ascii_case("HEAD"),
            weight: line.weight,
        });
    }
    let first = lines.into_iter().next().map(|l| l.url);
    let url = first.ok_or_else(|| Error::Usage("--urls file has no URL".into()))?;
    Ok((url, Requests::new(entries)))
}

#[cfg(test)]
mod tests;
