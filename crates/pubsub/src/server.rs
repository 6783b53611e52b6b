//! [`Server`]: a node ready to serve (its store connected), and [`run`].
//!
//! Starting is two steps, as `herd up`'s supervisor wants: [`Server::connect`] does the
//! fallible set-up (reach Redis), [`Server::serve`] runs the HTTP API on
//! [`netkit::serve`] + [`netkit::serve_http`] until the stop handle fires, then drains.

use std::future::Future;
use std::sync::Arc;

use netkit::{Conn, Limits, Served, Shutdown};
use tokio::net::TcpListener;

use crate::http::{handle, App};
use crate::{Broker, Config, MemoryStore, RedisStore, Result, Store, StoreConfig};

/// A node with its store connected.
#[derive(Debug)]
pub enum Server {
    /// On the memory store.
    Memory(Arc<App<MemoryStore>>, Limits),
    /// On Redis.
    Redis(Arc<App<RedisStore>>, Limits),
}

fn app<S: Store>(store: S, config: &Config) -> Arc<App<S>> {
    Arc::new(App {
        broker: Broker::new(store),
        max_body: config.limits.max_body_bytes,
        max_wait: config.max_wait,
    })
}

impl Server {
    /// Validate `config` and connect its store.
    ///
    /// # Errors
    /// [`crate::Error::Config`] for a config that cannot work, [`crate::Error::Unavailable`]
    /// when Redis cannot be reached. No text contains a password.
    pub async fn connect(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(match &config.store {
            StoreConfig::Memory => Server::Memory(
                app(MemoryStore::new(config.max_pending_bytes), &config),
                config.limits,
            ),
            StoreConfig::Redis(urls) => {
                let store = RedisStore::connect(urls, config.redis_timeout)
                    .await?
                    .with_lease(config.claim_lease);
                Server::Redis(app(store, &config), config.limits)
            }
        })
    }

    /// Serve HTTP on `listener` until `shutdown` fires; then drain (long polls end at
    /// once with 204) and wait for the confirms of replies already written.
    pub async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Served {
        match self {
            Server::Memory(app, limits) => serve_app(app, listener, limits, shutdown).await,
            Server::Redis(app, limits) => serve_app(app, listener, limits, shutdown).await,
        }
    }
}

/// Serve the HTTP API on `store` (any [`Store`], e.g. one wrapped for a test) with
/// `config`'s limits, until `shutdown` fires; then drain. [`Server`] does the same for
/// the stores a [`Config`] names.
pub async fn serve_store<S: Store>(
    store: S,
    config: &Config,
    listener: TcpListener,
    shutdown: Shutdown,
) -> Served {
    serve_app(
        app(store, config),
        listener,
        config.limits.clone(),
        shutdown,
    )
    .await
}

async fn serve_app<S: Store>(
    app: Arc<App<S>>,
    listener: TcpListener,
    limits: Limits,
    shutdown: Shutdown,
) -> Served {
    let grace = limits.grace;
    let broker = app.broker.clone();
    let served = netkit::serve(listener, limits, shutdown, move |conn: Conn| {
        let app = app.clone();
        let stop = conn.shutdown.clone();
        async move {
            let service =
                hyper::service::service_fn(move |req| handle(app.clone(), stop.clone(), req));
            netkit::serve_http(conn, service).await;
        }
    })
    .await;
    // Replies written during the drain have their confirms in flight: let them land.
    if tokio::time::timeout(grace, broker.settled()).await.is_err() {
        tracing::warn!("some confirms were still pending at exit; those messages will be delivered again after their lease");
        return Served { clean: false };
    }
    served
}

/// Connect the store, then serve on `listener` until `shutdown` completes.
///
/// # Errors
/// As [`Server::connect`].
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future + Send + 'static,
) -> Result<()> {
    let server = Server::connect(config).await?;
    let stop = Shutdown::new();
    stop.trigger_on(shutdown);
    let served = server.serve(listener, stop).await;
    if !served.clean {
        tracing::warn!("some connections were still busy when the grace period ended");
    }
    Ok(())
}
