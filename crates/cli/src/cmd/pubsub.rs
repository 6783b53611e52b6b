//! `herd pubsub`: one HTTP publish/subscribe node, on the memory store or on Redis (where
//! several nodes sharing one Redis or Redis Cluster form one service).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

fn duration(s: &str) -> Result<Duration, String> {
    netkit::duration::parse(s).map_err(|e| e.to_string())
}

fn store(s: &str) -> Result<pubsub::StoreConfig, String> {
    pubsub::StoreConfig::parse(s).map_err(|e| e.to_string())
}

/// Run an HTTP publish/subscribe node.
#[derive(Debug, clap::Args)]
#[command(after_help = "Contract:\n  \
    POST   /<topic>/<user>   subscribe                 200\n  \
    DELETE /<topic>/<user>   unsubscribe               200, 404 if not subscribed\n  \
    POST   /<topic>          publish the request body  200\n  \
    GET    /<topic>/<user>   next message              200 + body, 204 if none, 404 if not subscribed\n  \
                             ?wait=10s holds until a message arrives (204 on timeout)\n  \
    GET    /metrics, /health\n\n\
Delivery: in publish order, exactly once while nodes live. With Redis, a read claims its\n\
message and confirms it once the reply is written; a node killed in between costs a\n\
redelivery after --claim-lease, never a loss (at-least-once). The memory store is one\n\
process: a crash loses what it holds.\n\n\
Examples:\n  \
    herd pubsub                                        memory store on 127.0.0.1:8099\n  \
    herd pubsub --store redis://127.0.0.1:6379         state in Redis; start more nodes like it\n  \
    HERD_PUBSUB_STORE=redis://:secret@db:6379 herd pubsub --listen 0.0.0.0:8099\n  \
    curl -X POST localhost:8099/news/ann && curl -d hi localhost:8099/news && curl localhost:8099/news/ann")]
pub(crate) struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099", value_name = "ADDR")]
    listen: SocketAddr,
    /// `memory`, or `redis://[:password@]host:port[/db]` (comma-separated URLs: seeds of one
    /// Redis Cluster). Prefer the environment variable for a URL with a password.
    #[arg(long, env = "HERD_PUBSUB_STORE", default_value = "memory", value_name = "STORE",
          value_parser = store, hide_env_values = true)]
    store: pubsub::StoreConfig,
    /// Largest message body in bytes (413 past it).
    #[arg(long, default_value_t = netkit::Limits::default().max_body_bytes, value_name = "BYTES")]
    max_body_bytes: usize,
    /// Longest long poll a client may ask for with ?wait= (400 past it).
    #[arg(long, default_value = "30s", value_name = "DUR", value_parser = duration)]
    max_wait: Duration,
    /// Memory store: most bytes of unread messages held (publishes get 503 past it).
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES")]
    max_pending_bytes: u64,
    /// Redis store: how long one Redis call may take before the request gets 503.
    #[arg(long, default_value = "2s", value_name = "DUR", value_parser = duration)]
    redis_timeout: Duration,
    /// Redis store: how long a read holds its message before another read may take it
    /// again. A read cut off by a node crash is redelivered this long after it began; a
    /// reply still being written when it ends may be delivered twice. At least 100ms.
    #[arg(long, default_value = "30s", value_name = "DUR", value_parser = duration)]
    claim_lease: Duration,
    /// Most connections served at once.
    #[arg(long, default_value_t = netkit::Limits::default().max_connections, value_name = "N")]
    max_connections: usize,
    /// Close a connection idle for this long (must exceed --max-wait).
    #[arg(long, default_value = "60s", value_name = "DUR", value_parser = duration)]
    idle_timeout: Duration,
}

impl Args {
    fn config(&self) -> pubsub::Config {
        let mut c = pubsub::Config {
            store: self.store.clone(),
            max_wait: self.max_wait,
            max_pending_bytes: self.max_pending_bytes,
            redis_timeout: self.redis_timeout,
            claim_lease: self.claim_lease,
            ..pubsub::Config::default()
        };
        c.limits.max_body_bytes = self.max_body_bytes;
        c.limits.max_connections = self.max_connections;
        c.limits.idle_timeout = self.idle_timeout;
        c
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let config = args.config();
    config.validate()?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} (is another pubsub running?)",
                    args.listen
                )
            })?;
        let addr = listener.local_addr().unwrap_or(args.listen);
        let server = pubsub::Server::connect(config)
            .await
            .with_context(|| format!("cannot start pubsub with store {}", args.store))?;
        let stop = netkit::Shutdown::new();
        stop.trigger_on(netkit::signal::ctrl_c_or_term());
        println!("pubsub listening on {addr}, store {}", args.store);
        server.serve(listener, stop).await;
        println!("stopped");
        Ok(())
    })
}
