//! `herd menu-api`: the bundled lunch-menu API, a local stand-in for the relay's upstream.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use super::limits::LimitArgs;

fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{s:?} is not a rate between 0 and 1 (e.g. 0.3)")),
    }
}

/// Serve the bundled lunch-menu API (a dozen restaurants on two campuses).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Routes: GET /api/restaurant/ and GET /api/restaurant/<id>/ (404 JSON for unknown ids).\n\n\
Examples:\n  \
    herd menu-api                                 on 127.0.0.1:8001\n  \
    herd menu-api --delay 2s                      slow: watch the relay's 504 and stale answers\n  \
    herd menu-api --fail-rate 0.5                 flaky: half the answers are 503\n  \
    curl localhost:8001/api/restaurant/bistro-nobel/"
)]
pub(crate) struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8001", value_name = "ADDR")]
    listen: SocketAddr,
    /// Wait this long before every answer: 500ms, 2s.
    #[arg(long, default_value = "0s", value_name = "DUR", value_parser = netkit::duration::parse)]
    delay: Duration,
    /// Share of answers that fail with 503, from 0 to 1.
    #[arg(long, default_value = "0", value_name = "RATE", value_parser = rate)]
    fail_rate: f64,
    /// Cache-Control max-age sent with every menu.
    #[arg(long, default_value = "60s", value_name = "DUR", value_parser = netkit::duration::parse)]
    max_age: Duration,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let cfg = relay::menu::MenuConfig {
        delay: args.delay,
        fail_rate: args.fail_rate,
        max_age: args.max_age,
        limits: args.limits.apply(netkit::Limits::default())?,
    };
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let signal = netkit::signal::ctrl_c_or_term();
        println!("menu-api listening on {}", listener.local_addr()?);
        relay::menu::run(listener, cfg, signal).await?;
        println!("stopped");
        Ok(())
    })
}
