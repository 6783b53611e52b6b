//! `herd node NAME`: run one server of the herd.

use anyhow::Context;

use super::herd_file::{self, HerdArgs};

/// Run one herd server by name.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd node Goloman                        one server of the embedded five-server herd\n  \
    herd node Hands --config herd.toml       a server of your own herd file\n  \
    herd node Goloman --idle-timeout 30s --max-connections 2000\n  \
    printf 'IAMAT me +34.07-118.44 %s\\n' $(date +%s.%N) | nc -q1 127.0.0.1 12000")]
pub(crate) struct Args {
    /// Server name, as in the herd file's [servers] table.
    name: String,
    #[command(flatten)]
    herd: HerdArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let file = args.herd.load()?;
    let addr = file.addr(&args.name)?;
    let secret = herd_file::secret(&file);
    let places = herd_file::places(&file)?;
    let cfg = args.herd.node_config(&file, &args.name, &secret, &places)?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (is another herd running?)"))?;
        let listen = listener.local_addr()?;
        let peers: Vec<String> = cfg.peers.iter().map(|p| p.name.clone()).collect();
        let name = cfg.name.clone();
        let server = herd_node::Server::new(cfg)?;
        let signal = netkit::signal::ctrl_c_or_term();
        println!(
            "{name} listening on {listen}, linked to {}",
            peers.join(", ")
        );
        server.run(listener, signal).await?;
        println!("stopped");
        Ok(())
    })
}
