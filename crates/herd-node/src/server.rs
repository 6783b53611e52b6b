//! [`run`]: the accept loop of one herd server.
//!
//! Each accepted connection gets its own task, bounded by a semaphore of
//! `max_connections`; a connection whose first line is a peer hello becomes a peer session,
//! any other is a client. The dialers for peers this node is responsible for run beside it.
//! On shutdown the listener closes first, then connections finish the line in hand and every
//! task is awaited for up to [`GRACE`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use netkit::Shutdown;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::links::Links;
use crate::log::NodeLog;
use crate::{client, peer, Error, HerdState, NodeConfig};

/// How long shutdown waits for connections and links to finish.
pub const GRACE: Duration = Duration::from_secs(5);

/// What every task of one node shares.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) cfg: NodeConfig,
    pub(crate) state: HerdState,
    pub(crate) links: Links,
    pub(crate) log: NodeLog,
    pub(crate) shutdown: Shutdown,
}

/// Serve clients and peers on `listener` until `shutdown` completes.
///
/// # Errors
/// Only set-up failures (opening the log file). Connection errors are logged and never end
/// the server.
pub async fn run(
    listener: TcpListener,
    config: NodeConfig,
    shutdown: impl Future + Send + 'static,
) -> Result<(), Error> {
    let sd = Shutdown::new();
    sd.trigger_on(shutdown);
    let log = match &config.log_dir {
        Some(dir) => NodeLog::open(dir, &config.name)?,
        None => NodeLog::disabled(),
    };
    let listen = listener.local_addr()?.to_string();
    log.record("started", json!({ "listen": listen }));
    let node = Arc::new(Node {
        cfg: config,
        state: HerdState::new(),
        links: Links::default(),
        log,
        shutdown: sd.clone(),
    });
    for p in &node.cfg.peers {
        if node.cfg.name < p.name {
            sd.spawn(peer::dial_loop(node.clone(), p.clone()));
        }
    }
    let permits = Arc::new(Semaphore::new(node.cfg.max_connections.max(1)));
    let mut accept_errors = 0u32;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // the semaphore is never closed; stop rather than spin
            },
            _ = sd.cancelled() => break,
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = sd.cancelled() => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                accept_errors = 0;
                let node = node.clone();
                sd.spawn(async move {
                    client::serve(node, stream, addr).await;
                    drop(permit);
                });
            }
            Err(e) => {
                // Out of file descriptors and similar: back off (bounded) instead of spinning.
                accept_errors = (accept_errors + 1).min(10);
                tracing::warn!(server = %node.cfg.name, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(5 << accept_errors)).await;
            }
        }
    }
    drop(listener);
    let clean = sd.drain(GRACE).await;
    node.log.record("stopped", json!({ "clean": clean }));
    Ok(())
}
