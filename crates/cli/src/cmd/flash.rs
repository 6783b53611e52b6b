//! `herd flash`: one HTTP server on a chosen concurrency model, or `herd flash compare` to
//! load every model (and nginx) and write the comparison.

use std::path::PathBuf;
use std::time::Duration;

use std::io::Write;

use anyhow::Context;
use flash::{Config, Model};
use netkit::blocking::StopFlag;
use netkit::Limits;

use super::limits::LimitArgs;

/// Serve static files, CGI scripts and a small app on one of eight concurrency models.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  \
    herd flash --model epoll                      the demo site on 127.0.0.1:8080\n  \
    herd flash --model thread --root ./www --listen 0.0.0.0:8080\n  \
    herd flash --model prefork --workers 8        eight processes, one connection each\n  \
    herd flash --model worker --workers 2 --threads 25\n  \
    curl -i http://127.0.0.1:8080/cgi-bin/hello.sh?name=you\n  \
    curl http://127.0.0.1:8080/app/slow?ms=2000   blocks its worker for 2 s\n  \
    herd flash compare                            load every model and nginx, write docs/flash-compare.md\n\n\
Models: sequential, fork, thread, epoll, epoll-pool, prefork, worker, tokio (see docs/flash.md).\n\
Routes: static files under --root; /cgi-bin/NAME runs <root>/cgi-bin/NAME (CGI/1.1);\n\
/app/hello, /app/echo, /app/slow?ms=N. Without --root a demo site is served from a\n\
temporary directory."
)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Load every model (and nginx) at 1, 10, 100 and 1,000 connections; write a table
    /// and a chart.
    Compare(Box<CompareArgs>),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Concurrency model: sequential, fork, thread, epoll, epoll-pool, prefork, worker, tokio.
    #[arg(long, required = true, value_parser = parse_model)]
    model: Option<Model>,
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// Directory to serve (default: the demo site, written to a temporary directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Processes (prefork, worker) or threads (epoll-pool, tokio); default per model.
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Threads per process in the worker model.
    #[arg(long, value_name = "N", default_value_t = 25)]
    threads: usize,
    #[command(flatten)]
    limits: LimitArgs,
    /// Largest request head (request line and headers) in bytes; 431 past it.
    #[arg(long, value_name = "BYTES", default_value_t = 8192)]
    max_header_bytes: usize,
    /// Largest request body in bytes; 413 past it.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Kill a CGI script that has not finished in this time (504): 10s.
    #[arg(long, value_name = "DUR", value_parser = netkit::duration::parse, default_value = "10s")]
    cgi_timeout: Duration,
    /// How long a cached open file is trusted before it is checked again; 0 disables: 1s.
    #[arg(long, value_name = "DUR", value_parser = netkit::duration::parse, default_value = "1s")]
    file_cache_valid: Duration,
}

fn parse_model(s: &str) -> Result<Model, String> {
    s.parse()
}

/// Flags of `herd flash compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    herd flash compare                                  every model and nginx, 2 s per cell\n  \
    herd flash compare -d 10s --warmup 2s               longer cells, steadier numbers\n  \
    herd flash compare --models epoll,tokio --mixes small --connections 10,100\n  \
    herd flash compare --out /tmp/cmp.md --chart /tmp/cmp.svg --json /tmp/cmp.json\n\n\
The servers run on --server-cpu and the load generator on --load-cpu (one core each), so\n\
every model and nginx (one worker, open_file_cache on) get the same single core.")]
struct CompareArgs {
    /// Models to run, comma-separated, or "all".
    #[arg(long, default_value = "all", value_delimiter = ',')]
    models: Vec<String>,
    /// Request mixes: small (600-byte file), large (1 MiB file), cgi, slow (/app/slow?ms=10).
    #[arg(long, default_value = "small,large,cgi,slow", value_delimiter = ',')]
    mixes: Vec<String>,
    /// Connection counts.
    #[arg(long, default_value = "1,10,100,1000", value_delimiter = ',')]
    connections: Vec<usize>,
    /// Measured time per cell: 2s.
    #[arg(short = 'd', long, value_parser = netkit::duration::parse, default_value = "2s")]
    duration: Duration,
    /// Unmeasured traffic before each cell: 500ms.
    #[arg(long, value_parser = netkit::duration::parse, default_value = "500ms")]
    warmup: Duration,
    /// A request unanswered this long counts as a timeout: 2s.
    #[arg(long, value_parser = netkit::duration::parse, default_value = "2s")]
    timeout: Duration,
    /// The nginx binary ("none" to leave nginx out).
    #[arg(long, default_value = "/usr/sbin/nginx")]
    nginx: String,
    /// CPU the servers are pinned to.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// CPU the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    load_cpu: usize,
    /// Markdown table to write.
    #[arg(long, default_value = "docs/flash-compare.md")]
    out: PathBuf,
    /// SVG chart to write.
    #[arg(long, default_value = "docs/flash-compare.svg")]
    chart: PathBuf,
    /// Also write every cell's numbers as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(Sub::Compare(c)) => compare(*c),
        None => serve(args.serve),
    }
}

fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let model = a.model.context("give --model (see herd flash --help)")?;
    let mut limits = a.limits.apply(Limits::default())?;
    limits.max_header_bytes = a.max_header_bytes;
    limits.max_body_bytes = a.max_body_bytes;
    let demo = match &a.root {
        Some(_) => None,
        None => Some(DemoRoot::new()?),
    };
    let root = a
        .root
        .clone()
        .or_else(|| demo.as_ref().map(|d| d.0.clone()))
        .context("no root to serve")?;
    let config = Config {
        limits,
        workers: a.workers,
        threads: a.threads,
        cgi_timeout: a.cgi_timeout,
        file_cache_valid: a.file_cache_valid,
        signals: true,
        ..Config::new(model, &root)
    };
    config.validate().map_err(anyhow::Error::msg)?;
    let listener =
        flash::listener::bind(a.listen, flash::listener::BACKLOG).with_context(|| {
            format!(
                "cannot listen on {} (is something else using it?)",
                a.listen
            )
        })?;
    let addr = listener.local_addr()?;
    println!(
        "flash: {model} model listening on http://{addr}/ (root {})",
        root.display()
    );
    // Forked children inherit unflushed output; flush it once, here.
    std::io::stdout().flush()?;
    let stop = StopFlag::new().context("cannot create the stop flag")?;
    flash::serve(listener, config, stop)?;
    // Whoever read the first line may be gone: a closed stdout must not fail the stop.
    let _ = writeln!(std::io::stdout(), "stopped");
    Ok(())
}

/// The demo site in a temporary directory, removed when the server stops.
struct DemoRoot(PathBuf);

impl DemoRoot {
    fn new() -> anyhow::Result<DemoRoot> {
        let dir = std::env::temp_dir().join(format!("herd-flash-{}", std::process::id()));
        flash::site::write(&dir)
            .with_context(|| format!("cannot write the demo site to {}", dir.display()))?;
        Ok(DemoRoot(dir))
    }
}

impl Drop for DemoRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn compare(a: CompareArgs) -> anyhow::Result<()> {
    let models = if a.models.iter().any(|m| m == "all") {
        Model::ALL.to_vec()
    } else {
        a.models
            .iter()
            .map(|m| m.parse::<Model>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?
    };
    let mixes = a
        .mixes
        .iter()
        .map(|m| m.parse::<flash::compare::Mix>().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let plan = flash::compare::Plan {
        exe: std::env::current_exe().context("cannot find the herd binary")?,
        models,
        mixes,
        connections: a.connections,
        duration: a.duration,
        warmup: a.warmup,
        timeout: a.timeout,
        nginx: (a.nginx != "none").then(|| PathBuf::from(&a.nginx)),
        server_cpu: a.server_cpu,
        load_cpu: a.load_cpu,
    };
    let report = flash::compare::run(&plan)?;
    flash::compare::write_markdown(&report, &a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    flash::compare::write_chart(&report, &a.chart)
        .with_context(|| format!("cannot write {}", a.chart.display()))?;
    if let Some(j) = &a.json {
        std::fs::write(j, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", j.display()))?;
    }
    println!("wrote {} and {}", a.out.display(), a.chart.display());
    Ok(())
}
