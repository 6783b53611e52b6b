//! `herd node NAME`: run one server of the herd.

use anyhow::Context;

use super::herd_file;

/// Run one herd server by name.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd node Goloman                        one server of the embedded five-server herd\n  \
    herd node Hands --config herd.toml       a server of your own herd file\n  \
    printf 'IAMAT me +34.07-118.44 %s\\n' $(date +%s.%N) | nc -q1 127.0.0.1 12000")]
pub(crate) struct Args {
    /// Server name, as in the herd file's [servers] table.
    name: String,
    #[command(flatten)]
    herd: herd_file::HerdArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let file = herd_file::load(args.herd.config.as_deref())?;
    let addr = file.addr(&args.name)?;
    let secret = herd_file::secret(&file);
    let places = herd_file::places(&file)?;
    let mut cfg = file.node_config(&args.name, secret, places)?;
    cfg.log_dir = args.herd.log_dir();
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (is another herd running?)"))?;
        let peers: Vec<&str> = cfg.peers.iter().map(|p| p.name.as_str()).collect();
        println!(
            "{} listening on {addr}, linked to {}",
            cfg.name,
            peers.join(", ")
        );
        herd_node::run(listener, cfg, netkit::signal::ctrl_c_or_term()).await?;
        println!("stopped");
        Ok(())
    })
}
