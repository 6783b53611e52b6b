//! [`Server`] and [`run`]: one herd server on the `netkit` skeleton.
//!
//! `netkit::serve` owns the accept loop, the connection limit (with overflow slots that
//! only peers may use), the timeouts and the drain; each connection goes to the client
//! loop, which hands it to a peer session if its first line is a peer hello. The dialers
//! for the peers this node is responsible for run beside it under the same shutdown.

use std::future::Future;
use std::sync::Arc;

use netkit::Shutdown;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::links::Links;
use crate::log::{Field, NodeLog};
use crate::node::Node;
use crate::state::HerdState;
use crate::{client, peer, Error, NodeConfig};

/// A herd server, set up (log open) and ready to serve.
#[derive(Debug)]
pub struct Server {
    node: Arc<Node>,
}

impl Server {
    /// Set up a server: check the limits and open its log.
    ///
    /// # Errors
    /// [`Error::Config`] for unusable limits, [`Error::Io`] when the log cannot be opened.
    pub fn new(config: NodeConfig) -> Result<Server, Error> {
        config
            .limits
            .validate()
            .map_err(|e| Error::Config(e.to_string()))?;
        let log = match &config.log {
            Some(cfg) => NodeLog::open(cfg, &config.name)?,
            None => NodeLog::disabled(),
        };
        Ok(Server {
            node: Arc::new(Node {
                state: HerdState::with_budget(config.store_bytes),
                cfg: config,
                links: Links::default(),
                log,
                shutdown: Shutdown::new(),
                clients: TaskTracker::new(),
            }),
        })
    }

    /// A handle to look at the running server (tests, and what a metrics page would show).
    pub fn handle(&self) -> Handle {
        Handle {
            node: self.node.clone(),
        }
    }

    /// Serve clients and peers on `listener` until `shutdown` completes, then drain.
    ///
    /// # Errors
    /// [`Error::Io`] if the listener's address cannot be read. Connection errors are
    /// logged and never end the server.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future + Send + 'static,
    ) -> Result<(), Error> {
        let node = self.node;
        let sd = node.shutdown.clone();
        sd.trigger_on(shutdown);
        let listen = listener.local_addr()?.to_string();
        node.log
            .record("started", &[("listen", Field::Str(&listen))]);
        for p in &node.cfg.peers {
            if node.cfg.name < p.name {
                sd.spawn(peer::dial_loop(node.clone(), p.clone()));
            }
        }
        let handler_node = node.clone();
        let served = netkit::serve(listener, node.cfg.limits.clone(), sd, move |conn| {
            client::serve(handler_node.clone(), conn)
        })
        .await;
        node.log
            .record("stopped", &[("clean", Field::Bool(served.clean))]);
        node.log.close();
        Ok(())
    }
}

/// A read-only view of a running server.
#[derive(Clone, Debug)]
pub struct Handle {
    node: Arc<Node>,
}

impl Handle {
    /// Names of the peers with a live session, sorted.
    pub fn linked_peers(&self) -> Vec<String> {
        self.node.links.connected()
    }

    /// How many clients the store holds.
    pub fn stored_clients(&self) -> usize {
        self.node.state.len()
    }

    /// Estimated bytes the store holds.
    pub fn store_bytes(&self) -> usize {
        self.node.state.bytes()
    }
}

/// Serve clients and peers on `listener` until `shutdown` completes:
/// [`Server::new`] then [`Server::run`].
///
/// # Errors
/// As [`Server::new`] and [`Server::run`].
pub async fn run(
    listener: TcpListener,
    config: NodeConfig,
    shutdown: impl Future + Send + 'static,
) -> Result<(), Error> {
    Server::new(config)?.run(listener, shutdown).await
}
