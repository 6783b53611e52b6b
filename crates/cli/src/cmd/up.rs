//! `herd up`: the whole local stack in one process, from embedded defaults, under
//! `netkit::Supervisor`: everything starts or nothing does, the table is printed once all
//! listen, and a signal or any service stopping stops them all.

use anyhow::Context;
use netkit::supervisor::{BoxError, Running};
use netkit::{ServiceSpec, Shutdown, Supervisor};

use super::herd_file::{self, HerdArgs};

/// Run every server of the herd (and the other services) in one process.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd up                         the local stack on 127.0.0.1, no network needed\n  \
    herd up --config herd.toml      the herd servers of your own herd file\n  \
    RUST_LOG=debug herd up          more detail on stderr")]
pub(crate) struct Args {
    #[command(flatten)]
    herd: HerdArgs,
    /// Where the caching relay (in front of the bundled menu API) listens.
    #[arg(long, default_value = "127.0.0.1:8000", value_name = "ADDR")]
    relay_listen: std::net::SocketAddr,
    /// Where the bundled menu API listens (0 for any free port).
    #[arg(long, default_value = "127.0.0.1:8001", value_name = "ADDR")]
    menu_listen: std::net::SocketAddr,
    /// Where pub/sub (memory store) listens.
    #[arg(long, default_value = "127.0.0.1:8099", value_name = "ADDR")]
    pubsub_listen: std::net::SocketAddr,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let mut file = args.herd.load()?;
    let secret = herd_file::secret(&file);
    // One Places for all servers: the offline gazetteer is loaded once.
    let places = herd_file::places(&file)?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let mut sup = Supervisor::new();
        herd_nodes(&mut sup, &args.herd, &mut file, &secret, &places)?;
        relay_services(&mut sup, args.relay_listen, args.menu_listen)?;
        sup.add(pubsub_service(args.pubsub_listen));
        let stop = Shutdown::new();
        let started = sup.start(&stop).await?;
        // Installed before the table says we are up, so a signal right after it is graceful.
        let signal = netkit::signal::ctrl_c_or_term();
        print!("{}", started.table("detail"));
        if let Some(dir) = args.herd.log_dir() {
            println!("logs: {}/<name>.log", dir.display());
        }
        println!("Ctrl-C to stop");
        started.run(signal).await?;
        println!("stopped");
        Ok(())
    })
}

/// One service per herd node. Every node's listener is bound first, so a file that asks
/// for port 0 still gives each node its peers' real addresses.
fn herd_nodes(
    sup: &mut Supervisor,
    args: &HerdArgs,
    file: &mut herd_node::HerdFile,
    secret: &[u8],
    places: &places::Places,
) -> anyhow::Result<()> {
    let names: Vec<String> = file.names().map(str::to_string).collect();
    let mut listeners = Vec::new();
    for name in &names {
        let addr = file.addr(name)?;
        let l = std::net::TcpListener::bind(addr).with_context(|| {
            format!("herd node {name} could not start: cannot listen on {addr} (is another herd running?)")
        })?;
        file.servers
            .insert(name.clone(), l.local_addr()?.to_string());
        listeners.push(l);
    }
    for (name, listener) in names.iter().zip(listeners) {
        let cfg = args.node_config(file, name, secret, places)?;
        let linked: Vec<&str> = cfg.peers.iter().map(|p| p.name.as_str()).collect();
        let detail = format!("linked to {}", linked.join(", "));
        sup.add(ServiceSpec::bound(
            "herd node",
            name.clone(),
            listener,
            detail,
            move |listener, sd: Shutdown| async move {
                let server = herd_node::Server::new(cfg)?;
                let run: Running = Box::pin(async move {
                    server
                        .run(listener, async move { sd.cancelled().await })
                        .await
                        .map_err(BoxError::from)
                });
                Ok::<_, BoxError>(run)
            },
        ));
    }
    Ok(())
}

/// The bundled menu API and a caching relay in front of it. The menu API's listener is
/// bound first so the relay's upstream is its real address (port 0 works).
fn relay_services(
    sup: &mut Supervisor,
    relay_listen: std::net::SocketAddr,
    menu_listen: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let menu = std::net::TcpListener::bind(menu_listen).with_context(|| {
        format!("menu-api could not start: cannot listen on {menu_listen} (is another herd up running?)")
    })?;
    let upstream = format!("http://{}/api", menu.local_addr()?);
    sup.add(ServiceSpec::bound(
        "menu-api",
        "menu",
        menu,
        "bundled lunch menus",
        move |listener, sd: Shutdown| async move {
            let run: Running = Box::pin(async move {
                relay::menu::run(listener, relay::menu::MenuConfig::default(), async move {
                    sd.cancelled().await
                })
                .await
                .map_err(BoxError::from)
            });
            Ok::<_, BoxError>(run)
        },
    ));
    let relay_l = std::net::TcpListener::bind(relay_listen).with_context(|| {
        format!(
            "relay could not start: cannot listen on {relay_listen} (is another herd up running?)"
        )
    })?;
    let detail = format!("upstream {upstream}");
    let cfg = relay::RelayConfig {
        upstreams: vec![upstream],
        ..relay::RelayConfig::default()
    };
    sup.add(ServiceSpec::bound(
        "relay",
        "relay",
        relay_l,
        detail,
        move |listener, sd: Shutdown| async move {
            let relay = relay::Relay::new(cfg).await?;
            let run: Running = Box::pin(async move {
                relay::server::serve(relay, listener, None, async move { sd.cancelled().await })
                    .await;
                Ok(())
            });
            Ok::<_, BoxError>(run)
        },
    ));
    Ok(())
}

/// One pub/sub node on the memory store, as `herd pubsub` runs by default.
fn pubsub_service(listen: std::net::SocketAddr) -> ServiceSpec {
    ServiceSpec::new(
        "pubsub",
        "pubsub",
        listen,
        "store memory",
        move |listener, sd: Shutdown| async move {
            let server = pubsub::Server::connect(pubsub::Config::default()).await?;
            let run: Running = Box::pin(async move {
                server.serve(listener, sd).await;
                Ok(())
            });
            Ok::<_, BoxError>(run)
        },
    )
}
