//! [`TestDir`]: a temporary directory for tests, removed on drop (std only).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system temp dir.
#[derive(Debug)]
pub struct TestDir(PathBuf);

impl TestDir {
    /// Create it.
    ///
    /// # Panics
    /// If the directory cannot be created (tests only).
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("flash-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create test dir");
        TestDir(p)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Its canonical path (what the handler compares against).
    ///
    /// # Panics
    /// If it cannot be resolved (tests only).
    pub fn canonical(&self) -> PathBuf {
        std::fs::canonicalize(&self.0).expect("canonical test dir")
    }

    /// Write `bytes` to `rel`, creating parent directories.
    ///
    /// # Panics
    /// On any I/O error (tests only).
    pub fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(p, bytes).expect("write test file");
    }
}

impl Default for TestDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The CGI scripts the tests use (`crates/flash/tests/cgi-bin`).
pub const TEST_SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cgi-bin");

/// A root for tests: the demo site plus the test CGI scripts (`noexec.sh` without its
/// execute bits).
///
/// # Panics
/// On any I/O error (tests only).
pub fn test_root() -> TestDir {
    use std::os::unix::fs::PermissionsExt;
    let d = TestDir::new();
    crate::site::write(d.path()).expect("write the demo site");
    for entry in std::fs::read_dir(TEST_SCRIPTS).expect("test scripts") {
        let entry = entry.expect("test script");
        let to = d.path().join("cgi-bin").join(entry.file_name());
        std::fs::copy(entry.path(), &to).expect("copy test script");
        let mode = if entry.file_name() == "noexec.sh" {
            0o644
        } else {
            0o755
        };
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    d
}
