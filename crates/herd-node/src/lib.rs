//! A proxy herd server.
//!
//! Mobile clients tell any server where they are (`IAMAT`); the server answers with an `AT`
//! line, keeps the newest location per client and floods it to its linked peers, which do
//! the same, so every server can answer `WHATSAT` (places near a client) with what any of
//! them heard. Peers authenticate with a shared-secret handshake and, on every (re)connect,
//! compare bucket digests and exchange what the other is missing (anti-entropy).
//!
//! # Layout
//! - [`config`]: the herd TOML file and the per-node [`NodeConfig`].
//! - [`state`]: [`HerdState`], pure newest-wins storage and bucket digests.
//! - [`server`]: [`run`], the accept loop that tells clients from peers.
//! - `client`: one client connection: lines in, answers out, in order.
//! - `peer`: the handshake, the dialer with capped backoff, and a linked session.
//! - `links`: the set of live peer sessions and flooding to them.
//! - [`log`]: the per-server JSON-lines log.
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
mod conn;
mod links;
pub mod log;
mod peer;
pub mod server;
pub mod state;

pub use config::{HerdFile, NodeConfig, PeerConfig, EMBEDDED_HERD_TOML};
pub use server::run;
pub use state::HerdState;

/// What can stop a node from starting or a herd file from loading.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The herd file is malformed or inconsistent; the message says where.
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
