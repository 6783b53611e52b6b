//! The demo site: what `herd flash` serves when no `--root` is given, and the files the
//! comparison and the conformance suite request.
//!
//! `index.html` and the CGI scripts are embedded from `crates/flash/site/`;
//! [`SMALL`] (exactly [`SMALL_LEN`] bytes) and [`LARGE`] (1 MiB of deterministic noise,
//! so compression or caching of patterns cannot flatter anyone) are generated.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The small file the benchmark requests.
pub const SMALL: &str = "small.html";
/// Its size: 600 bytes, the file size the nginx figure was taken with.
pub const SMALL_LEN: usize = 600;
/// The large file the benchmark requests.
pub const LARGE: &str = "big.bin";
/// Its size: 1 MiB.
pub const LARGE_LEN: usize = 1024 * 1024;

const INDEX: &[u8] = include_bytes!("../site/index.html");
const SCRIPTS: [(&str, &[u8]); 2] = [
    ("hello.sh", include_bytes!("../site/cgi-bin/hello.sh")),
    ("echo.sh", include_bytes!("../site/cgi-bin/echo.sh")),
];

/// The small file's bytes: a valid HTML page padded to exactly [`SMALL_LEN`].
pub fn small_html() -> Vec<u8> {
    let head = b"<!doctype html>\n<html><head><title>small</title></head><body>\n<p>";
    let tail = b"</p>\n</body></html>\n";
    let mut v = head.to_vec();
    let filler = b"The quick brown fox jumps over the lazy dog. ";
    while v.len() + tail.len() < SMALL_LEN {
        let take = (SMALL_LEN - tail.len() - v.len()).min(filler.len());
        v.extend_from_slice(&filler[..take]);
    }
    v.extend_from_slice(tail);
    v
}

/// The large file's bytes: [`LARGE_LEN`] bytes from a fixed xorshift sequence.
pub fn big_bin() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::with_capacity(LARGE_LEN);
    while v.len() < LARGE_LEN {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(LARGE_LEN);
    v
}

/// Write the demo site into `dir` (created if missing): index.html, small.html,
/// big.bin and `cgi-bin/` with executable scripts. Files are world-readable so a server
/// running as another user (nginx's workers) can serve them too.
///
/// # Errors
/// Any I/O error creating the files.
pub fn write(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir.join("cgi-bin"))?;
    for (name, bytes) in [
        ("index.html", INDEX.to_vec()),
        (SMALL, small_html()),
        (LARGE, big_bin()),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, bytes)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))?;
    }
    for (name, bytes) in SCRIPTS {
        let p = dir.join("cgi-bin").join(name);
        std::fs::write(&p, bytes)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))?;
    }
    for d in [dir.to_path_buf(), dir.join("cgi-bin")] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated files have their advertised sizes and are stable.
    #[test]
    fn sizes() {
        assert_eq!(small_html().len(), SMALL_LEN);
        assert_eq!(big_bin().len(), LARGE_LEN);
        assert_eq!(big_bin(), big_bin());
        let d = crate::testdir::TestDir::new();
        write(d.path()).unwrap();
        let mode = std::fs::metadata(d.path().join("cgi-bin/hello.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
}
