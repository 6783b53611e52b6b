//! [`Error`]: why a server could not start or had to stop.

use std::path::PathBuf;

/// A server-level failure (connection-level errors end only their connection and are
/// logged, never returned).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The root cannot be served.
    #[error("cannot serve {}: {reason}", path.display())]
    Root {
        /// The root as configured.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration is unusable; the message names the flag.
    #[error("{0}")]
    Config(String),
    /// A forking model was started in a process that already has threads; forking it
    /// would copy locks held by threads that do not exist in the child.
    #[error("the {model} model forks, so it must start in a single-threaded process (this one has {threads} threads); run it through `herd flash`")]
    NotSingleThreaded {
        /// The model.
        model: crate::Model,
        /// Threads found.
        threads: usize,
    },
    /// `herd flash compare` could not run a server or the load generator.
    #[error("comparison: {0}")]
    Compare(String),
    /// A system call failed while starting or running the server.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wrap an I/O error with what was being done.
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Io { what, source }
    }
}
