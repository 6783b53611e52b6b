//! [`Config`] and [`Model`]: what to serve, how, and within which limits.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use netkit::Limits;

/// The concurrency models. Each lives in its own module under `models/`, whose doc says
/// how it works and when to choose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// One connection at a time, in the accepting thread.
    Sequential,
    /// A child process per connection.
    Fork,
    /// A thread per connection.
    Thread,
    /// One thread, non-blocking sockets, an event loop over epoll (mio).
    Epoll,
    /// An epoll loop for I/O, a thread pool for handling requests.
    EpollPool,
    /// N processes accept on the shared socket, one connection each.
    Prefork,
    /// N processes, each an accepting thread feeding a pool of threads.
    Worker,
    /// tokio's multi-threaded runtime on netkit's accept loop.
    Tokio,
}

impl Model {
    /// Every model, in the order the docs discuss them.
    pub const ALL: [Model; 8] = [
        Model::Sequential,
        Model::Fork,
        Model::Thread,
        Model::Epoll,
        Model::EpollPool,
        Model::Prefork,
        Model::Worker,
        Model::Tokio,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::Fork => "fork",
            Model::Thread => "thread",
            Model::Epoll => "epoll",
            Model::EpollPool => "epoll-pool",
            Model::Prefork => "prefork",
            Model::Worker => "worker",
            Model::Tokio => "tokio",
        }
    }

    /// Whether a request that blocks its handler (`/app/slow`, a slow CGI script) holds up
    /// requests on other connections. True for the models with one thread of handling.
    pub fn slow_blocks_others(self) -> bool {
        matches!(self, Model::Sequential | Model::Epoll)
    }

    /// Whether the model forks server processes, and so needs a single-threaded process
    /// to start in.
    pub fn forks(self) -> bool {
        matches!(self, Model::Fork | Model::Prefork | Model::Worker)
    }

    /// What `--workers` means for this model, or `None` if it does not apply.
    pub fn workers_meaning(self) -> Option<&'static str> {
        match self {
            Model::EpollPool => Some("handler threads"),
            Model::Prefork | Model::Worker => Some("processes"),
            Model::Tokio => Some("runtime worker threads"),
            _ => None,
        }
    }

    /// `--workers` when not given.
    pub fn default_workers(self) -> usize {
        match self {
            Model::EpollPool => 4,
            Model::Prefork => 16,
            Model::Worker => 2,
            Model::Tokio => std::thread::available_parallelism().map_or(1, |n| n.get()),
            _ => 1,
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Model::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Model::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model {s:?}; choose one of {}", names.join(", "))
            })
    }
}

/// Everything a server needs besides its listener and its stop flag.
#[derive(Clone, Debug)]
pub struct Config {
    /// The concurrency model.
    pub model: Model,
    /// Directory served; `/cgi-bin/` maps to `<root>/cgi-bin/`.
    pub root: PathBuf,
    /// Connection limit and timeouts (netkit's vocabulary, shared by every herd service).
    pub limits: Limits,
    /// Processes or threads, as [`Model::workers_meaning`] says; `None`: the model's
    /// default.
    pub workers: Option<usize>,
    /// Threads per process in the `worker` model. Default 25 (Apache's ThreadsPerChild).
    pub threads: usize,
    /// A CGI script that has not finished in this time is killed and answered 504.
    /// Default 10 s.
    pub cgi_timeout: Duration,
    /// Most bytes a CGI script may write (headers and body); more is answered 502.
    /// Default 16 MiB.
    pub cgi_max_output: usize,
    /// How long a cached open file and its metadata are trusted before they are checked
    /// again (nginx's `open_file_cache_valid`). Zero turns the cache off. Default 1 s.
    pub file_cache_valid: Duration,
    /// Longest sleep `/app/slow?ms=` grants. Default 10 s.
    pub slow_max: Duration,
    /// Map SIGINT and SIGTERM to a graceful stop (the binary sets this; tests and
    /// supervisors stop through the stop flag instead).
    pub signals: bool,
}

impl Config {
    /// A config for `model` serving `root` with default limits.
    pub fn new(model: Model, root: impl Into<PathBuf>) -> Self {
        Config {
            model,
            root: root.into(),
            limits: Limits::default(),
            workers: None,
            threads: 25,
            cgi_timeout: Duration::from_secs(10),
            cgi_max_output: 16 * 1024 * 1024,
            file_cache_valid: Duration::from_secs(1),
            slow_max: Duration::from_secs(10),
            signals: false,
        }
    }

    /// Short timeouts for tests: 1 s grace, 2 s header and write timeouts, 5 s idle.
    pub fn for_test(model: Model, root: impl Into<PathBuf>) -> Self {
        Config {
            limits: Limits {
                header_timeout: Duration::from_secs(2),
                idle_timeout: Duration::from_secs(5),
                ..Limits::for_test()
            },
            cgi_timeout: Duration::from_secs(5),
            ..Config::new(model, root)
        }
    }

    /// Processes or threads for this model (`workers`, else its default), at least 1.
    pub fn workers(&self) -> usize {
        self.workers
            .unwrap_or_else(|| self.model.default_workers())
            .max(1)
    }

    /// The request limits the parser enforces, from [`Config::limits`]: the head (and
    /// request line) within `max_header_bytes`, the body within `max_body_bytes`.
    pub fn decode_limits(&self) -> http_wire::DecodeLimits {
        http_wire::DecodeLimits {
            max_request_line: self.limits.max_header_bytes,
            max_head: self.limits.max_header_bytes,
            max_body: self.limits.max_body_bytes,
            ..http_wire::DecodeLimits::default()
        }
    }

    /// Check values that would make the server unusable.
    ///
    /// # Errors
    /// A message naming the flag to change.
    pub fn validate(&self) -> Result<(), String> {
        self.limits.validate().map_err(|e| e.to_string())?;
        if self.workers.is_some() && self.model.workers_meaning().is_none() {
            return Err(format!(
                "--workers does not apply to the {} model (it applies to epoll-pool, prefork, worker and tokio)",
                self.model
            ));
        }
        if self.workers == Some(0) || self.threads == 0 {
            return Err("--workers and --threads must be at least 1".into());
        }
        if self.cgi_timeout.is_zero() {
            return Err("--cgi-timeout must be above zero".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names round-trip; an unknown name lists the choices.
    #[test]
    fn model_names() {
        for m in Model::ALL {
            assert_eq!(m.name().parse::<Model>(), Ok(m));
        }
        let e = "epol".parse::<Model>().unwrap_err();
        assert!(e.contains("epoll-pool") && e.contains("sequential"), "{e}");
    }

    /// --workers is refused where it does not apply, and 0 is refused everywhere.
    #[test]
    fn validation() {
        let mut c = Config::new(Model::Thread, ".");
        assert!(c.validate().is_ok());
        c.workers = Some(4);
        assert!(c.validate().unwrap_err().contains("thread model"));
        c.model = Model::Prefork;
        assert!(c.validate().is_ok());
        assert_eq!(c.workers(), 4);
        c.workers = Some(0);
        assert!(c.validate().is_err());
    }
}
