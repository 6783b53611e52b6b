//! `herd load URL`: generate load and report honest latency percentiles.

use std::path::PathBuf;

use anyhow::{bail, Context};
use load::plan::{http_request, parse_duration, parse_url, resolve};
use load::{Plan, Target};

/// Generate HTTP or herd-protocol load and report honest latency percentiles.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd load http://127.0.0.1:8080/ -c 50 -d 10s          closed loop, 50 keep-alive connections\n  \
    herd load http://127.0.0.1:8080/ -c 20 -d 30s --rate 2000   open loop at 2,000 req/s\n  \
    herd load http://127.0.0.1:8000/api/restaurant --users 10,50,100 -d 10s\n  \
    herd load herd://127.0.0.1:12000 --protocol herd -c 50 -d 10s --connection-per-request\n  \
    herd load http://127.0.0.1:8080/ -n 10000 --json | jq .latency_ms.p99\n\n\
Open loop (--rate) measures latency from when each request was due, so a stalled server\n\
shows up in the percentiles (no coordinated omission); give enough connections (-c) to\n\
carry the rate: about rate x expected latency, with headroom.")]
pub(crate) struct Args {
    /// http://host:port/path?query, or herd://host:port with --protocol herd.
    url: String,
    /// Concurrent connections.
    #[arg(
        short = 'c',
        long = "connections",
        default_value_t = 10,
        conflicts_with = "users"
    )]
    connections: usize,
    /// Run once per comma-separated connection count and print a table: 10,50,100.
    #[arg(long, value_delimiter = ',')]
    users: Vec<usize>,
    /// How long to measure: 10s, 500ms, 2m.
    #[arg(short = 'd', long)]
    duration: Option<String>,
    /// Stop after this many requests (with -d, whichever comes first).
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    /// Open loop: send this many requests per second in total, on a fixed schedule.
    #[arg(long)]
    rate: Option<f64>,
    /// Engine threads (default: the number of cores, at most the connections).
    #[arg(long)]
    threads: Option<usize>,
    /// Extra request header, 'Name: value'; repeatable.
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// File whose contents are the request body.
    #[arg(long)]
    body: Option<PathBuf>,
    /// Print one JSON object (fields in docs/load.md) instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report with charts to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Protocol: http, or herd (IAMAT/WHATSAT lines).
    #[arg(long, default_value = "http", value_parser = ["http", "herd"])]
    protocol: String,
    /// Herd protocol: fraction of commands that are WHATSAT (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    whatsat_ratio: f64,
    /// Herd protocol: one connection per command, half-closed, as mobile clients do.
    #[arg(long)]
    connection_per_request: bool,
    /// Unrecorded traffic before measuring: 2s.
    #[arg(long, default_value = "0s")]
    warmup: String,
    /// Per-request time limit: 10s.
    #[arg(long, default_value = "10s")]
    timeout: String,
}

fn plan(args: &Args) -> anyhow::Result<Plan> {
    let url = parse_url(&args.url)?;
    let target = if args.protocol == "herd" {
        if !(0.0..=1.0).contains(&args.whatsat_ratio) {
            bail!("--whatsat-ratio must be between 0 and 1");
        }
        Target::Herd {
            whatsat_ratio: args.whatsat_ratio,
            connection_per_request: args.connection_per_request,
        }
    } else {
        if url.scheme != "http" {
            bail!("{} needs --protocol herd", args.url);
        }
        let mut headers = Vec::new();
        for h in &args.headers {
            let (n, v) = h
                .split_once(':')
                .with_context(|| format!("header {h:?} is not 'Name: value'"))?;
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let body = match &args.body {
            Some(p) => std::fs::read(p)
                .with_context(|| format!("cannot read body file {}", p.display()))?,
            None => Vec::new(),
        };
        let method = args.method.to_ascii_uppercase();
        Target::Http {
            request: http_request(&url, &method, &headers, &body),
            head: method == "HEAD",
        }
    };
    let duration = args.duration.as_deref().map(parse_duration).transpose()?;
    let (duration, requests) = match (duration, args.requests) {
        (None, None) => (Some(std::time::Duration::from_secs(10)), None),
        other => other,
    };
    if let Some(r) = args.rate {
        if !(r > 0.0 && r.is_finite()) {
            bail!("--rate must be a positive number of requests per second");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(Plan {
        url: args.url.clone(),
        addr: resolve(&url.authority)?,
        target,
        connections: args.connections,
        threads: args.threads.unwrap_or(cores),
        duration,
        requests,
        rate: args.rate,
        warmup: parse_duration(&args.warmup)?,
        timeout: parse_duration(&args.timeout)?,
    })
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let plan = plan(&args)?;
    let progress = !args.json;
    let runs = if args.users.is_empty() {
        vec![load::run(plan, progress)?]
    } else {
        if plan.rate.is_some() {
            bail!("--users runs closed loop; leave out --rate");
        }
        load::run_levels(&plan, &args.users, progress)?
    };
    if args.json {
        println!("{}", load::report::json(&runs, !args.users.is_empty())?);
    } else if !args.users.is_empty() {
        print!("{}", load::report::users_table(&runs));
    } else {
        runs.iter()
            .for_each(|r| print!("{}", load::report::summary(r)));
    }
    if let Some(path) = &args.report {
        let page = load::report::html(&runs).map_err(anyhow::Error::msg)?;
        std::fs::write(path, page).with_context(|| format!("cannot write {}", path.display()))?;
        if !args.json {
            println!("report: {}", path.display());
        }
    }
    Ok(())
}
