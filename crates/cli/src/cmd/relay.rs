//! `herd relay`: the caching HTTP relay in front of a slow or flaky JSON API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::limits::LimitArgs;

fn size(s: &str) -> Result<u64, String> {
    cache::size::parse(s).map_err(|e| e.to_string())
}

/// Run the caching relay.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "GET/HEAD /p?q is answered with <upstream>/p?q through the cache, with\n\
X-Cache: HIT | MISS | STALE | REVALIDATED and Age added; other methods get 405.\n\n\
Examples:\n  \
    herd relay                                            the public menu API on 127.0.0.1:8000\n  \
    herd relay --upstream http://127.0.0.1:8001/api       in front of `herd menu-api`\n  \
    herd relay --upstream http://a/api --upstream http://b/api   redundant providers, fastest first\n  \
    herd relay --cache-dir /var/cache/herd --redis redis://127.0.0.1:6379 --admin 127.0.0.1:9000\n  \
    curl -i localhost:8000/restaurant/ && curl localhost:9000/metrics\n  \
    curl -X POST 'localhost:9000/purge?prefix=/restaurant/'"
)]
pub(crate) struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000", value_name = "ADDR")]
    listen: SocketAddr,
    /// Upstream base URL; repeat for redundant providers (the fastest healthy one is
    /// tried first).
    #[arg(long = "upstream", value_name = "URL", default_value = relay::config::DEFAULT_UPSTREAM)]
    upstreams: Vec<String>,
    /// Keep a disk cache here (survives restarts and kill -9).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Share entries with other relays through this Redis. Prefer the environment
    /// variable for a URL with a password.
    #[arg(
        long,
        env = "HERD_RELAY_REDIS",
        value_name = "URL",
        hide_env_values = true
    )]
    redis: Option<String>,
    /// Freshness when the upstream sends no Cache-Control or Expires.
    #[arg(long, default_value = "60s", value_name = "DUR", value_parser = netkit::duration::parse)]
    default_ttl: Duration,
    /// How long to serve a stale copy when the upstream fails, if it does not say.
    #[arg(long, default_value = "24h", value_name = "DUR", value_parser = netkit::duration::parse)]
    stale_if_error: Duration,
    /// Longest a 404 is cached.
    #[arg(long, default_value = "10s", value_name = "DUR", value_parser = netkit::duration::parse)]
    negative_ttl: Duration,
    /// Answer 504 when the upstream takes longer than this.
    #[arg(long, default_value = "10s", value_name = "DUR", value_parser = netkit::duration::parse)]
    upstream_timeout: Duration,
    /// Memory tier budget: 64MiB, 512KiB, 1GiB.
    #[arg(long, default_value = "64MiB", value_name = "SIZE", value_parser = size)]
    memory: u64,
    /// Disk tier budget (oldest entries go past it).
    #[arg(long, default_value = "1GiB", value_name = "SIZE", value_parser = size)]
    disk_budget: u64,
    /// Serve /metrics, /health and POST /purge here (no authentication: keep it private).
    #[arg(long, value_name = "ADDR")]
    admin: Option<SocketAddr>,
    /// Turn the access log off.
    #[arg(long)]
    no_access_log: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

impl Args {
    fn config(&self) -> anyhow::Result<relay::RelayConfig> {
        let mut c = relay::RelayConfig {
            upstreams: self.upstreams.clone(),
            upstream_timeout: self.upstream_timeout,
            access_log: !self.no_access_log,
            limits: self.limits.apply(netkit::Limits::default())?,
            ..relay::RelayConfig::default()
        };
        c.cache.memory_bytes = self.memory;
        c.cache.disk_dir = self.cache_dir.clone();
        c.cache.disk_bytes = self.disk_budget;
        c.cache.redis_url = self.redis.clone();
        c.policy.default_ttl = self.default_ttl;
        c.policy.default_stale_if_error = self.stale_if_error;
        c.policy.negative_ttl = self.negative_ttl;
        c.validate().map_err(anyhow::Error::msg)?;
        Ok(c)
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    // The access log goes through a non-blocking, buffered writer: a slow terminal or
    // disk must not slow the hit path (records are dropped, and counted, if it lags).
    let _guard = init_tracing();
    let cfg = args.config()?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let admin = match args.admin {
            Some(a) => Some(
                tokio::net::TcpListener::bind(a)
                    .await
                    .with_context(|| format!("cannot listen on {a} for --admin"))?,
            ),
            None => None,
        };
        let relay = relay::Relay::new(cfg).await?;
        let signal = netkit::signal::ctrl_c_or_term();
        println!(
            "relay listening on {}, upstream {}{}",
            listener.local_addr()?,
            relay.upstream().origins().join(", "),
            match &admin {
                Some(a) => format!(", admin on {}", a.local_addr()?),
                None => String::new(),
            }
        );
        relay::server::serve(relay, listener, admin, signal).await;
        println!("stopped");
        Ok(())
    })
}

fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = std::io::stderr();
    let ansi = std::io::IsTerminal::is_terminal(&stderr);
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(64 * 1024)
        .finish(std::io::BufWriter::with_capacity(64 * 1024, stderr));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer)
        .with_target(false)
        .init();
    guard
}
