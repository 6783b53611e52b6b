//! A proxy herd server.
//!
//! Mobile clients tell any server where they are (`IAMAT`); the server answers with an `AT`
//! line, keeps the newest location per client and floods it to its linked peers, which do
//! the same, so every server can answer `WHATSAT` (places near a client) with what any of
//! them heard. Peers authenticate with a shared-secret handshake and, on every (re)connect,
//! compare bucket digests and exchange what the other is missing (anti-entropy).
//!
//! Built on the `netkit` skeleton: `netkit::serve` runs the accept loop, limits, timeouts
//! and drain; this crate supplies the connection handler.
//!
//! # Layout
//! - [`config`]: the herd TOML file and the per-node [`NodeConfig`].
//! - `state`: `HerdState`, pure newest-wins storage, the store/forward decision, bucket
//!   digests and the memory budget.
//! - [`server`]: [`Server`] and [`run`].
//! - `node`: what every task of a server shares, and where updates are taken in.
//! - `client`: one client connection: lines in, answers out, in order.
//! - `peer`: the handshake and the dialer with capped backoff; `session`: a linked session
//!   with heartbeats and anti-entropy; `links`: the live sessions and their bounded queues.
//! - `framed`: lines in, frames out, over any connection.
//! - `log`: the per-server JSON-lines log ([`LogConfig`]).
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), herd_node::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = herd_node::NodeConfig::for_test("Alpha");
//! herd_node::run(listener, config, tokio::signal::ctrl_c()).await
//! # }
//! ```

#![deny(missing_docs)]

mod client;
pub mod config;
mod framed;
mod links;
mod log;
mod node;
mod peer;
pub mod server;
mod session;
mod state;

pub use config::{HerdFile, NodeConfig, PeerConfig, EMBEDDED_HERD_TOML};
pub use log::LogConfig;
pub use server::{run, Handle, Server};

/// What can stop a node from starting or a herd file from loading.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The herd file or a limit is malformed or inconsistent; the message says where.
    #[error("herd config: {0}")]
    Config(String),
    /// A server name that the herd file does not define.
    #[error("no server named {name:?} in the herd config (known: {known})")]
    UnknownNode {
        /// The name asked for.
        name: String,
        /// The names the file defines, comma separated.
        known: String,
    },
    /// Setting up the listener or the log file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
