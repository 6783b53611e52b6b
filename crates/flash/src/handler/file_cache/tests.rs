//! The file cache: hits within `valid`, changes seen after it, links out of the root
//! refused, bounded size.

use super::*;
use crate::testdir::TestDir;

/// A file is read once and served from memory within `valid`; after `valid` a change is
/// seen and a removal is a 404.
#[test]
fn revalidates_after_valid() {
    let d = TestDir::new();
    d.write("a.txt", b"one");
    let root = d.canonical();
    let cache = FileCache::new(Duration::from_millis(200));
    let e = cache.get(&root, "a.txt").unwrap();
    assert_eq!(e.content.as_deref(), Some(&b"one"[..]));
    assert_eq!(e.content_type, "text/plain; charset=utf-8");
    d.write("a.txt", b"two!");
    assert_eq!(
        cache.get(&root, "a.txt").unwrap().content.as_deref(),
        Some(&b"one"[..])
    );
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(
        cache.get(&root, "a.txt").unwrap().content.as_deref(),
        Some(&b"two!"[..])
    );
    std::fs::remove_file(d.path().join("a.txt")).unwrap();
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(cache.get(&root, "a.txt").unwrap_err(), OpenError::NotFound);
}

/// Symbolic links inside the root are followed; out of it, refused.
#[test]
fn symlinks() {
    let d = TestDir::new();
    let outside = TestDir::new();
    outside.write("secret", b"s");
    d.write("real.txt", b"r");
    std::os::unix::fs::symlink(d.path().join("real.txt"), d.path().join("in.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), d.path().join("out.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path().join("outdir")).unwrap();
    let cache = FileCache::new(Duration::ZERO);
    let root = d.canonical();
    assert_eq!(
        cache.get(&root, "in.txt").unwrap().content.as_deref(),
        Some(&b"r"[..])
    );
    assert_eq!(
        cache.get(&root, "out.txt").unwrap_err(),
        OpenError::Forbidden
    );
    assert_eq!(
        cache.get(&root, "outdir/secret").unwrap_err(),
        OpenError::Forbidden
    );
    assert_eq!(
        cache.get(&root, "missing").unwrap_err(),
        OpenError::NotFound
    );
    assert_eq!(
        cache.get(&root, "real.txt/x").unwrap_err(),
        OpenError::NotFound
    );
    assert_eq!(cache.get(&root, "").unwrap().kind, Kind::Dir);
}

/// Large files keep a descriptor instead of their bytes; the cache never holds more than
/// MAX_ENTRIES paths.
#[test]
fn large_files_and_bound() {
    let d = TestDir::new();
    d.write("big.bin", &vec![7u8; SMALL_FILE as usize + 1]);
    d.write("small.bin", &vec![7u8; SMALL_FILE as usize]);
    let cache = FileCache::new(Duration::from_secs(60));
    let root = d.canonical();
    let big = cache.get(&root, "big.bin").unwrap();
    assert!(big.content.is_none() && big.file.is_some());
    assert_eq!(big.len, SMALL_FILE + 1);
    assert!(cache.get(&root, "small.bin").unwrap().content.is_some());
    for i in 0..MAX_ENTRIES + 10 {
        let _ = cache.get(&root, &format!("nothing-{i}"));
        d.write(&format!("f{i}"), b"x");
        cache.get(&root, &format!("f{i}")).unwrap();
        assert!(cache.map.read().unwrap().len() <= MAX_ENTRIES);
    }
}
