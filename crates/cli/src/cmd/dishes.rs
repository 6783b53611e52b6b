//! `herd dishes`: restaurants behind a relay as a table, or one restaurant's dishes.

use std::time::Duration;

use anyhow::Context;

/// List the restaurants behind a relay, or one restaurant's dishes.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd dishes                               every restaurant: identifier, name, campus\n  \
    herd dishes --restaurant bistro-nobel     today's dishes there\n  \
    herd dishes --relay http://10.0.0.5:8000 --json")]
pub(crate) struct Args {
    /// The relay to ask.
    #[arg(long, default_value = relay::dishes::DEFAULT_RELAY, value_name = "URL")]
    relay: String,
    /// Show this restaurant's dishes (an identifier from the list).
    #[arg(long, value_name = "ID")]
    restaurant: Option<String>,
    /// Print the JSON as the relay sent it.
    #[arg(long)]
    json: bool,
    /// Give up on the relay after this long.
    #[arg(long, default_value = "15s", value_name = "DUR", value_parser = netkit::duration::parse)]
    timeout: Duration,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let client = relay::dishes::Client::new(&args.relay, args.timeout)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let out = rt.block_on(async {
        Ok::<_, relay::dishes::DishesError>(match &args.restaurant {
            Some(id) => {
                let (raw, menu) = client.menu(id).await?;
                if args.json {
                    raw
                } else {
                    relay::dishes::menu_text(&menu)
                }
            }
            None => {
                let (raw, list) = client.restaurants().await?;
                if args.json {
                    raw
                } else {
                    relay::dishes::restaurants_table(&list)
                }
            }
        })
    })?;
    print!("{out}");
    if !out.ends_with('\n') {
        println!();
    }
    Ok(())
}
