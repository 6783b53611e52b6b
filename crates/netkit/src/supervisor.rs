//! [`Supervisor`]: run several named services in one process, as `herd up` does.
//!
//! Starting is two steps per service, done for all before any is declared up: bind its
//! listener, then its `start` (set-up that can fail: open a log, load data, reach Redis),
//! which returns the running future. If any step fails, the services already started are
//! stopped and the error names the service and the reason, so a broken stack is reported at
//! once rather than after a table that claims it is up. Once all are up, [`Started::table`]
//! says what listens where, and [`Started::run`] waits for the stop signal or for any
//! service to exit, then stops all of them (each drains within its own grace period).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::Shutdown;

/// Any error a service reports; only its text is shown.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A started service's run to completion.
pub type Running = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

type Start = Box<
    dyn FnOnce(
            TcpListener,
            Shutdown,
        ) -> Pin<Box<dyn Future<Output = Result<Running, BoxError>> + Send>>
        + Send,
>;

/// Where a service listens: an address the supervisor binds, or a listener bound earlier
/// (`herd up` binds every herd node first, so each node's config can name its peers' real
/// ports even when the file says port 0).
#[derive(Debug)]
enum Bind {
    Addr(SocketAddr),
    Bound(std::net::TcpListener),
}

/// One service to supervise.
pub struct ServiceSpec {
    kind: String,
    name: String,
    bind: Bind,
    detail: String,
    start: Start,
}

impl std::fmt::Debug for ServiceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSpec")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("bind", &self.bind)
            .finish_non_exhaustive()
    }
}

impl ServiceSpec {
    /// A service of `kind` (e.g. "herd node") called `name`, to listen on `listen`, with a
    /// `detail` for the table. `start` gets the bound listener and the service's own stop
    /// handle, does its fallible set-up, and returns the future that serves until stopped.
    pub fn new<S, Fut>(
        kind: impl Into<String>,
        name: impl Into<String>,
        listen: SocketAddr,
        detail: impl Into<String>,
        start: S,
    ) -> Self
    where
        S: FnOnce(TcpListener, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Running, BoxError>> + Send + 'static,
    {
        Self::with_bind(
            kind.into(),
            name.into(),
            Bind::Addr(listen),
            detail.into(),
            start,
        )
    }

    /// As [`ServiceSpec::new`], on a listener the caller has already bound.
    pub fn bound<S, Fut>(
        kind: impl Into<String>,
        name: impl Into<String>,
        listener: std::net::TcpListener,
        detail: impl Into<String>,
        start: S,
    ) -> Self
    where
        S: FnOnce(TcpListener, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Running, BoxError>> + Send + 'static,
    {
        Self::with_bind(
            kind.into(),
            name.into(),
            Bind::Bound(listener),
            detail.into(),
            start,
        )
    }

    fn with_bind<S, Fut>(kind: String, name: String, bind: Bind, detail: String, start: S) -> Self
    where
        S: FnOnce(TcpListener, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Running, BoxError>> + Send + 'static,
    {
        ServiceSpec {
            kind,
            name,
            bind,
            detail,
            start: Box::new(move |l, s| Box::pin(start(l, s))),
        }
    }
}

async fn bind(bind: Bind) -> std::io::Result<TcpListener> {
    match bind {
        Bind::Addr(addr) => TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))),
        Bind::Bound(l) => {
            l.set_nonblocking(true)?;
            TcpListener::from_std(l)
        }
    }
}

/// Why the supervised stack stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// A service could not bind or set up; the others were stopped.
    #[error("{kind} {name} could not start: {reason}")]
    Start {
        /// Service kind.
        kind: String,
        /// Service name.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// A service stopped on its own (with an error, or without one while it should have
    /// kept running); the others were stopped.
    #[error("{kind} {name} stopped: {reason}")]
    Exited {
        /// Service kind.
        kind: String,
        /// Service name.
        name: String,
        /// Its error, or "exited unexpectedly".
        reason: String,
    },
}

/// One line of the table of running services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Service kind.
    pub kind: String,
    /// Service name.
    pub name: String,
    /// Where it actually listens.
    pub listen: SocketAddr,
    /// Free text, e.g. the herd links or the relay's upstream.
    pub detail: String,
}

/// Services to start together.
#[derive(Debug, Default)]
pub struct Supervisor {
    specs: Vec<ServiceSpec>,
}

impl Supervisor {
    /// No services yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a service.
    pub fn add(&mut self, spec: ServiceSpec) {
        self.specs.push(spec);
    }

    /// Bind and start every service under children of `stop`.
    ///
    /// # Errors
    /// [`SupervisorError::Start`] for the first service that failed; every service
    /// started before it has been stopped and drained.
    pub async fn start(self, stop: &Shutdown) -> Result<Started, SupervisorError> {
        let mut started = Started {
            rows: Vec::new(),
            tasks: JoinSet::new(),
            stops: Vec::new(),
        };
        for spec in self.specs {
            let fail = |reason: String| SupervisorError::Start {
                kind: spec.kind.clone(),
                name: spec.name.clone(),
                reason,
            };
            let listener = match bind(spec.bind).await {
                Ok(l) => l,
                Err(e) => {
                    started.stop_all().await;
                    return Err(fail(e.to_string()));
                }
            };
            let listen = match listener.local_addr() {
                Ok(a) => a,
                Err(e) => {
                    started.stop_all().await;
                    return Err(fail(e.to_string()));
                }
            };
            let sd = stop.child();
            let running = match (spec.start)(listener, sd.clone()).await {
                Ok(r) => r,
                Err(e) => {
                    started.stop_all().await;
                    return Err(fail(e.to_string()));
                }
            };
            let index = started.rows.len();
            started.tasks.spawn(async move { (index, running.await) });
            started.stops.push(sd);
            started.rows.push(Row {
                kind: spec.kind,
                name: spec.name,
                listen,
                detail: spec.detail,
            });
        }
        Ok(started)
    }
}

/// Every service up and running.
#[derive(Debug)]
pub struct Started {
    rows: Vec<Row>,
    tasks: JoinSet<(usize, Result<(), BoxError>)>,
    stops: Vec<Shutdown>,
}

impl Started {
    /// What runs where, in the order services were added.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows as an aligned text table with a header, `detail_header` naming the last
    /// column.
    pub fn table(&self, detail_header: &str) -> String {
        let head = ["service", "name", "listen"];
        let cells: Vec<[String; 3]> = self
            .rows
            .iter()
            .map(|r| [r.kind.clone(), r.name.clone(), r.listen.to_string()])
            .collect();
        let width = |i: usize| {
            cells
                .iter()
                .map(|c| c[i].len())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (width(0), width(1), width(2));
        let mut out = format!(
            "{:w0$}  {:w1$}  {:w2$}  {detail_header}\n",
            head[0], head[1], head[2]
        );
        for (c, r) in cells.iter().zip(&self.rows) {
            let line = format!("{:w0$}  {:w1$}  {:w2$}  {}", c[0], c[1], c[2], r.detail);
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Run until `stop` fires or any service exits; then stop every service and wait for
    /// them.
    ///
    /// # Errors
    /// [`SupervisorError::Exited`] when a service ended on its own (the first one to).
    pub async fn run(mut self, stop: impl Future) -> Result<(), SupervisorError> {
        let mut outcome = Ok(());
        tokio::select! {
            _ = stop => {}
            Some(joined) = self.tasks.join_next() => {
                let (kind, name, reason) = match joined {
                    Ok((i, r)) => {
                        let row = &self.rows[i];
                        let reason = match r {
                            Ok(()) => "exited unexpectedly".to_string(),
                            Err(e) => e.to_string(),
                        };
                        (row.kind.clone(), row.name.clone(), reason)
                    }
                    Err(e) => ("service".into(), "?".into(), format!("task failed: {e}")),
                };
                outcome = Err(SupervisorError::Exited { kind, name, reason });
            }
        }
        let late = self.stop_all().await;
        match (outcome, late) {
            (Err(e), _) | (Ok(()), Some(e)) => Err(e),
            (Ok(()), None) => Ok(()),
        }
    }

    /// Stop every service and wait for them; the first error any reports while stopping.
    async fn stop_all(&mut self) -> Option<SupervisorError> {
        for s in &self.stops {
            s.trigger();
        }
        let mut first = None;
        while let Some(joined) = self.tasks.join_next().await {
            if let Ok((i, Err(e))) = joined {
                let row = &self.rows[i];
                first.get_or_insert(SupervisorError::Exited {
                    kind: row.kind.clone(),
                    name: row.name.clone(),
                    reason: e.to_string(),
                });
            }
        }
        first
    }
}
