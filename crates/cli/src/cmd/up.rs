//! `herd up`: the whole local stack in one process, from embedded defaults.

use anyhow::Context;
use netkit::Shutdown;

use super::herd_file;

/// Run every server of the herd (and the other services) in one process.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd up                         five herd servers on 127.0.0.1:12000-12004, no network needed\n  \
    herd up --config herd.toml      the servers of your own herd file\n  \
    RUST_LOG=debug herd up          more detail on stderr")]
pub(crate) struct Args {
    #[command(flatten)]
    herd: herd_file::HerdArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let file = herd_file::load(args.herd.config.as_deref())?;
    let secret = herd_file::secret(&file);
    // One Places for all servers: the offline gazetteer is loaded once.
    let places = herd_file::places(&file)?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let sd = Shutdown::new();
        let mut rows = Vec::new();
        let mut tasks = Vec::new();
        for name in file.names() {
            let addr = file.addr(name)?;
            let mut cfg = file.node_config(name, secret.clone(), places.clone())?;
            cfg.log_dir = args.herd.log_dir();
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("cannot listen on {addr} for {name} (is another herd running?)")
            })?;
            let peers: Vec<String> = cfg.peers.iter().map(|p| p.name.clone()).collect();
            rows.push((
                "herd node",
                name.to_string(),
                addr.to_string(),
                peers.join(", "),
            ));
            let stop = sd.clone();
            tasks.push(tokio::spawn(herd_node::run(listener, cfg, async move {
                stop.cancelled().await
            })));
        }
        print_table(&rows);
        if let Some(dir) = args.herd.log_dir() {
            println!("logs: {}/<name>.log", dir.display());
        }
        println!("Ctrl-C to stop");
        netkit::signal::ctrl_c_or_term().await;
        sd.trigger();
        for t in tasks {
            t.await.context("a server task failed")??;
        }
        println!("stopped");
        Ok(())
    })
}

fn print_table(rows: &[(&str, String, String, String)]) {
    let w1 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7);
    let w2 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(4);
    let w3 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0).max(6);
    println!(
        "{:w1$}  {:w2$}  {:w3$}  linked to",
        "service", "name", "listen"
    );
    for (kind, name, addr, peers) in rows {
        println!("{kind:w1$}  {name:w2$}  {addr:w3$}  {peers}");
    }
}
