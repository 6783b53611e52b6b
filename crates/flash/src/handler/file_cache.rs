//! [`FileCache`]: open files and their metadata kept for a short while, as nginx's
//! `open_file_cache` does, plus the bytes of small files.
//!
//! Serving a small static file is otherwise dominated by system calls that are the same
//! every time: resolve the path, open, stat, read, close. An entry is trusted for `valid`
//! (1 s by default); after that the path is resolved and stat'ed again, and the cached
//! bytes are kept only if the file is the same (device, inode, size, modification time).
//! So a changed file is served within `valid`, and a path swapped for a symbolic link out
//! of the root is refused within `valid`.
//!
//! Bounded: at most [`MAX_ENTRIES`] paths, small files only up to [`SMALL_FILE`] bytes
//! each; when full the cache starts over (a rare, cheap, predictable reset rather than an
//! eviction policy). Large files keep only their open descriptor, for sendfile.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::mime;
use crate::date;

/// Most cached paths.
pub(crate) const MAX_ENTRIES: usize = 1000;
/// Files up to this size are kept in memory; larger ones are sent from the file.
pub(crate) const SMALL_FILE: u64 = 64 * 1024;

/// Why a path cannot be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Nothing there (404).
    NotFound,
    /// Outside the root, unreadable, or not a regular file or directory (403).
    Forbidden,
    /// Anything else (500).
    Failed,
}

impl OpenError {
    pub(crate) fn status(self) -> u16 {
        match self {
            OpenError::NotFound => 404,
            OpenError::Forbidden => 403,
            OpenError::Failed => 500,
        }
    }
}

/// A regular file or a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
}

/// What is known about one path.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) kind: Kind,
    /// The open file, for files larger than [`SMALL_FILE`].
    pub(crate) file: Option<Arc<File>>,
    /// The bytes of a small file.
    pub(crate) content: Option<Bytes>,
    pub(crate) len: u64,
    /// Modification time, seconds since the epoch.
    pub(crate) mtime: i64,
    /// `mtime` as an HTTP date.
    pub(crate) last_modified: Bytes,
    pub(crate) content_type: &'static str,
    /// What must not change for cached bytes to stay valid.
    stamp: (u64, u64, i64, i64, u64),
    checked: Instant,
}

/// The cache; see the module docs.
#[derive(Debug)]
pub(crate) struct FileCache {
    valid: Duration,
    map: RwLock<HashMap<String, Arc<Entry>>>,
}

impl FileCache {
    /// Entries trusted for `valid`; zero disables caching.
    pub(crate) fn new(valid: Duration) -> Self {
        FileCache {
            valid,
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The entry for `rel` (a normalised path, "" for the root) under the canonical `root`.
    pub(crate) fn get(&self, root: &Path, rel: &str) -> Result<Arc<Entry>, OpenError> {
        let old = if self.valid.is_zero() {
            None
        } else {
            // A poisoned lock only means a panic elsewhere mid-insert; the map is still a
            // map of valid entries.
            let map = self.map.read().unwrap_or_else(|p| p.into_inner());
            match map.get(rel) {
                Some(e) if e.checked.elapsed() < self.valid => return Ok(e.clone()),
                other => other.cloned(),
            }
        };
        let loaded = load(root, rel, old.as_deref());
        if !self.valid.is_zero() {
            let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
            match &loaded {
                Ok(e) => {
                    if map.len() >= MAX_ENTRIES && !map.contains_key(rel) {
                        map.clear();
                    }
                    map.insert(rel.to_string(), e.clone());
                }
                Err(_) => {
                    map.remove(rel);
                }
            }
        }
        loaded
    }
}

/// Resolve `rel` beneath `root`, open and stat it, and read it if small (unless `old`
/// already holds the same file's bytes).
///
/// The path is canonicalised (symbolic links resolved) and must still lie beneath the
/// root; the final open refuses a symbolic link, so a link planted after the check is not
/// followed at the last component.
fn load(root: &Path, rel: &str, old: Option<&Entry>) -> Result<Arc<Entry>, OpenError> {
    let full = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let canon = std::fs::canonicalize(&full).map_err(|e| classify(&e))?;
    if !canon.starts_with(root) {
        return Err(OpenError::Forbidden);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        // Non-blocking so a FIFO planted in the root cannot hang the open.
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(&canon)
        .map_err(|e| classify(&e))?;
    let meta = file.metadata().map_err(|e| classify(&e))?;
    let kind = if meta.is_file() {
        Kind::File
    } else if meta.is_dir() {
        Kind::Dir
    } else {
        return Err(OpenError::Forbidden);
    };
    let stamp = (
        meta.dev(),
        meta.ino(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.len(),
    );
    let reuse = old.filter(|o| o.stamp == stamp);
    let len = meta.len();
    let (file, content) = match (kind, reuse) {
        (Kind::Dir, _) => (None, None),
        (Kind::File, Some(o)) => (o.file.clone(), o.content.clone()),
        (Kind::File, None) if len <= SMALL_FILE => {
            let mut buf = Vec::with_capacity(len as usize);
            (&file)
                .take(SMALL_FILE)
                .read_to_end(&mut buf)
                .map_err(|e| classify(&e))?;
            // The file changed size while read: serve what was read, with its length.
            (None, Some(Bytes::from(buf)))
        }
        (Kind::File, None) => (Some(Arc::new(file)), None),
    };
    let len = content.as_ref().map_or(len, |c| c.len() as u64);
    Ok(Arc::new(Entry {
        kind,
        file,
        content,
        len,
        mtime: meta.mtime(),
        last_modified: reuse.map_or_else(
            || Bytes::from(date::format(meta.mtime())),
            |o| o.last_modified.clone(),
        ),
        content_type: mime::content_type(rel),
        stamp,
        checked: Instant::now(),
    }))
}

fn classify(e: &std::io::Error) -> OpenError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound | K::NotADirectory | K::InvalidFilename => OpenError::NotFound,
        K::PermissionDenied => OpenError::Forbidden,
        // ELOOP from O_NOFOLLOW or a symlink cycle.
        _ if e.raw_os_error() == Some(nix::libc::ELOOP) => OpenError::Forbidden,
        _ => OpenError::Failed,
    }
}

#[cfg(test)]
mod tests;
