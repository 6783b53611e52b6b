//! `herd load URL`: generate load and report honest latency percentiles; `herd load merge`
//! combines runs taken on several machines.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use load::hdr::IntervalLog;
use load::plan::{parse_duration, parse_url, resolve};
use load::requests::{Entry, Requests};
use load::schedule::{parse_stages, Stages};
use load::threshold::{parse_threshold, verdict, Threshold};
use load::url::http_request;
use load::{LiveView, Outputs, Plan, RunResult, Target};

/// Generate HTTP(S) or herd-protocol load and report honest latency percentiles.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  \
    herd load http://127.0.0.1:8080/ -c 50 -d 10s          closed loop, 50 keep-alive connections\n  \
    herd load http://127.0.0.1:8080/ -c 20 -d 30s --rate 2000   open loop at 2,000 req/s\n  \
    herd load https://localhost:8443/ --insecure -c 50     HTTPS to a self-signed server\n  \
    herd load --urls keys.txt -c 50 -d 30s                 many URLs (METHOD URL [@BODY] [weight=N])\n  \
    herd load http://127.0.0.1:8080/ -c 100 --stages 10s:100,30s:1000,10s:0   ramp the rate\n  \
    herd load http://127.0.0.1:8080/ --users 10s:10,30s:50,10s:0   ramp closed-loop users\n  \
    herd load http://127.0.0.1:8000/api/restaurant --users 10,50,100 -d 10s   one row per level\n  \
    herd load http://127.0.0.1:8080/ --fail-if 'p99>5ms' --fail-if 'errors>0.1%'   gate CI\n  \
    herd load http://127.0.0.1:8080/ --json > a.json; herd load merge a.json b.json\n  \
    herd load herd://127.0.0.1:12000 --protocol herd -c 50 -d 10s --connection-per-request\n\n\
Open loop (--rate, rate --stages) measures latency from when each request was due, so a\n\
stalled server shows up in the percentiles (no coordinated omission); give enough\n\
connections (-c) to carry the rate: about rate x expected latency, with headroom.\n\
Failed requests are in the latency figures at the time they were given up. The exit\n\
status is non-zero when a --fail-if condition holds or, without any, when no request\n\
succeeded."
)]
pub(crate) struct Args {
    #[command(subcommand)]
    merge: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Merge runs (their --json files) taken at the same time on several machines into one
    /// report: histograms are added, never percentiles averaged.
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The runs' --json files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    out: OutArgs,
}

/// Where results go and when the run fails; shared by runs and merges.
#[derive(Debug, clap::Args)]
struct OutArgs {
    /// Print one JSON object (fields in docs/load.md) instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report with charts to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Exit non-zero if this holds, e.g. 'p99>5ms', 'errors>0.1%', 'rps<1000'; repeatable.
    #[arg(long = "fail-if", value_name = "EXPR")]
    fail_if: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// http(s)://host:port/path?query, or herd://host:port with --protocol herd.
    #[arg(required_unless_present = "urls")]
    url: Option<String>,
    /// Many requests to one server: a file of 'METHOD URL [@BODYFILE] [weight=N]' lines.
    #[arg(long, conflicts_with_all = ["url", "method", "body"])]
    urls: Option<PathBuf>,
    /// Concurrent connections.
    #[arg(
        short = 'c',
        long = "connections",
        default_value_t = 10,
        conflicts_with = "users"
    )]
    connections: usize,
    /// A table of runs at these connection counts (10,50,100), or closed-loop user
    /// stages (10s:10,30s:50,10s:0).
    #[arg(long, value_delimiter = ',')]
    users: Vec<String>,
    /// How long to measure: 10s, 500ms, 2m.
    #[arg(short = 'd', long, conflicts_with = "stages")]
    duration: Option<String>,
    /// Stop after this many recorded requests (with -d, whichever comes first).
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    /// Open loop: send this many requests per second in total, on a fixed schedule.
    #[arg(long)]
    rate: Option<f64>,
    /// Open loop with a rate that ramps through stages: 10s:100,30s:1000,10s:0.
    #[arg(long, conflicts_with_all = ["rate", "users", "warmup"])]
    stages: Option<String>,
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
    /// HTTPS: accept any server certificate (self-signed test servers).
    #[arg(long)]
    insecure: bool,
    /// HTTPS: also trust the certificates in this PEM file.
    #[arg(long)]
    cacert: Option<PathBuf>,
    /// Write HdrHistogram's interval log (one histogram per second) to this file.
    #[arg(long)]
    hdr_log: Option<PathBuf>,
    /// Protocol: http (http:// and https:// URLs), or herd (IAMAT/WHATSAT lines).
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
    #[command(flatten)]
    out: OutArgs,
}

fn headers(args: &RunArgs) -> anyhow::Result<Vec<(String, String)>> {
    args.headers
        .iter()
        .map(|h| {
            let (n, v) = h
                .split_once(':')
                .with_context(|| format!("header {h:?} is not 'Name: value'"))?;
            Ok((n.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The target, the URL shown in reports, and the server's URL.
fn target(args: &RunArgs) -> anyhow::Result<(Target, String, load::url::Url)> {
    if let Some(path) = &args.urls {
        let (url, requests) = load::urls::load_url_file(path, &headers(args)?)?;
        return Ok((
            Target::Http { requests },
            format!("{} ({})", path.display(), url.authority),
            url,
        ));
    }
    let text = args.url.clone().unwrap_or_default();
    let url = parse_url(&text)?;
    if args.protocol == "herd" {
        if !(0.0..=1.0).contains(&args.whatsat_ratio) {
            bail!("--whatsat-ratio must be between 0 and 1");
        }
        let t = Target::Herd {
            whatsat_ratio: args.whatsat_ratio,
            connection_per_request: args.connection_per_request,
        };
        return Ok((t, text, url));
    }
    if !matches!(url.scheme.as_str(), "http" | "https") {
        bail!("{text} needs --protocol herd");
    }
    let body = match &args.body {
        Some(p) => {
            std::fs::read(p).with_context(|| format!("cannot read body file {}", p.display()))?
        }
        None => Vec::new(),
    };
    let method = args.method.to_ascii_uppercase();
    let entry = Entry {
        label: format!("{method} {text}"),
        bytes: http_request(&url, &method, &headers(args)?, &body),
        head: method == "HEAD",
        weight: 1,
    };
    Ok((
        Target::Http {
            requests: Requests::single(entry),
        },
        text,
        url,
    ))
}

fn plan(args: &RunArgs, stages: Option<Stages>) -> anyhow::Result<Plan> {
    let (target, shown, url) = target(args)?;
    let tls = match url.scheme.as_str() {
        "https" => {
            let extra = args
                .cacert
                .as_deref()
                .map(load::tls::read_pem_certs)
                .transpose()?;
            Some(load::tls::Tls::new(
                url.host(),
                args.insecure,
                extra.as_deref().unwrap_or(&[]),
            )?)
        }
        _ => None,
    };
    let duration = args.duration.as_deref().map(parse_duration).transpose()?;
    let (duration, requests) = match (duration, args.requests, &stages) {
        (None, None, None) => (Some(Duration::from_secs(10)), None),
        (d, n, _) => (d, n),
    };
    if let Some(r) = args.rate {
        if !(r > 0.0 && r.is_finite()) {
            bail!("--rate must be a positive number of requests per second");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(Plan {
        url: shown,
        addr: resolve(&url.authority)?,
        tls,
        target,
        connections: args.connections,
        threads: args.threads.unwrap_or(cores),
        duration,
        requests,
        rate: args.rate,
        stages,
        warmup: parse_duration(&args.warmup)?,
        timeout: parse_duration(&args.timeout)?,
    })
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    match args.merge {
        Some(Sub::Merge(m)) => merge(m),
        None => load_run(args.run),
    }
}

fn load_run(args: RunArgs) -> anyhow::Result<()> {
    let thresholds = parse_thresholds(&args.out.fail_if)?;
    let user_stages = args.users.iter().any(|u| u.contains(':'));
    let stages = match (&args.stages, user_stages) {
        (Some(s), _) => Some(Stages {
            steps: parse_stages(s)?,
            open: true,
        }),
        (None, true) => Some(Stages {
            steps: parse_stages(&args.users.join(","))?,
            open: false,
        }),
        (None, false) => None,
    };
    if user_stages && (args.rate.is_some() || args.duration.is_some()) {
        bail!("--users stages set the load and its length; leave out --rate and -d");
    }
    let levels: Vec<usize> = match user_stages {
        true => Vec::new(),
        false => args
            .users
            .iter()
            .map(|u| {
                u.trim()
                    .parse()
                    .with_context(|| format!("--users {u:?} is not a number of users"))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    if !levels.is_empty() && args.rate.is_some() {
        bail!("--users runs closed loop; leave out --rate");
    }
    let plan = plan(&args, stages)?;
    let mut log = match &args.hdr_log {
        Some(p) => Some(
            IntervalLog::create(p, &format!("herd load {}", plan.url))
                .with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => None,
    };
    let mut out = Outputs {
        live: if args.out.json {
            LiveView::Off
        } else {
            LiveView::Stderr
        },
        hdr_log: log.as_mut(),
        tag: None,
    };
    let runs = if levels.is_empty() {
        vec![load::run(plan, &mut out)?]
    } else {
        load::run_levels(&plan, &levels, &mut out)?
    };
    if let (Some(log), Some(p)) = (log, &args.hdr_log) {
        log.finish()
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    show(&runs, !levels.is_empty(), &args.out)?;
    judge(&runs, &thresholds)
}

fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let thresholds = parse_thresholds(&args.out.fail_if)?;
    let runs = args
        .files
        .iter()
        .map(|p| load::merge::read_run(p))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = load::merge::merge(&runs)?;
    let merged = [merged];
    show(&merged, false, &args.out)?;
    judge(&merged, &thresholds)
}

fn parse_thresholds(exprs: &[String]) -> anyhow::Result<Vec<Threshold>> {
    Ok(exprs
        .iter()
        .map(|e| parse_threshold(e))
        .collect::<Result<_, _>>()?)
}

fn show(runs: &[RunResult], levels: bool, out: &OutArgs) -> anyhow::Result<()> {
    if out.json {
        println!("{}", load::report::json(runs, levels)?);
    } else if levels {
        print!("{}", load::report::users_table(runs));
    } else {
        runs.iter()
            .for_each(|r| print!("{}", load::report::summary(r)));
    }
    if let Some(path) = &out.report {
        let page = load::report::html(runs).map_err(anyhow::Error::msg)?;
        std::fs::write(path, page).with_context(|| format!("cannot write {}", path.display()))?;
        if !out.json {
            println!("report: {}", path.display());
        }
    }
    Ok(())
}

/// Fail (non-zero exit) naming every condition that holds, per level for `--users`.
fn judge(runs: &[RunResult], thresholds: &[Threshold]) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for r in runs {
        let prefix = if runs.len() > 1 {
            format!("{} users: ", r.connections)
        } else {
            String::new()
        };
        failed.extend(
            verdict(r, thresholds)
                .into_iter()
                .map(|f| format!("{prefix}{f}")),
        );
    }
    if failed.is_empty() {
        return Ok(());
    }
    let label = if thresholds.is_empty() {
        "failed"
    } else {
        "--fail-if"
    };
    bail!("{label}: {}", failed.join("; "))
}

#[cfg(test)]
mod tests;
