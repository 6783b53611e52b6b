//! `herd flash compare`: every model (and nginx) under the same load, one table and one
//! chart.
//!
//! For each server, for each request mix, for each connection count, the load generator
//! (crates/load, as a library) runs a closed loop of keep-alive connections for a fixed
//! time after a warm-up, and a sampler records the server's memory (PSS), threads and
//! processes. Servers run pinned to one core and the load generator to another, so every
//! model gets the same single core nginx's one worker gets. The mixes:
//! - `small`: `GET /small.html`, 600 bytes (the file cache and the I/O model are all
//!   that matter);
//! - `large`: `GET /big.bin`, 1 MiB by sendfile (bandwidth, and the cost of a
//!   connection held while it drains);
//! - `cgi`: `GET /cgi-bin/hello.sh?name=load`, a fork+exec of `/bin/sh` per request;
//! - `slow`: `GET /app/slow?ms=10`, a handler that blocks 10 ms (head-of-line blocking).
//!
//! nginx has no CGI and no app, so it runs the static mixes only.

mod chart;
mod markdown;
mod procfs;
mod server;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

use crate::{Error, Model};
pub use chart::write_chart;
pub use markdown::write_markdown;
use server::{Server, WorkDir};

/// A request mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mix {
    /// The 600-byte file.
    Small,
    /// The 1 MiB file.
    Large,
    /// A CGI script in sh.
    Cgi,
    /// `/app/slow?ms=10`.
    Slow,
}

impl Mix {
    /// Every mix, in table order.
    pub const ALL: [Mix; 4] = [Mix::Small, Mix::Large, Mix::Cgi, Mix::Slow];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mix::Small => "small",
            Mix::Large => "large",
            Mix::Cgi => "cgi",
            Mix::Slow => "slow",
        }
    }

    /// The request target.
    pub fn target(self) -> &'static str {
        match self {
            Mix::Small => "/small.html",
            Mix::Large => "/big.bin",
            Mix::Cgi => "/cgi-bin/hello.sh?name=load",
            Mix::Slow => "/app/slow?ms=10",
        }
    }

    /// A one-line description for the table's heading.
    pub fn title(self) -> &'static str {
        match self {
            Mix::Small => "small static file (600 bytes)",
            Mix::Large => "large static file (1 MiB, sendfile)",
            Mix::Cgi => "CGI script (fork + exec of /bin/sh per request)",
            Mix::Slow => "blocking handler (/app/slow?ms=10)",
        }
    }

    /// Whether nginx can serve it.
    fn static_file(self) -> bool {
        matches!(self, Mix::Small | Mix::Large)
    }
}

impl FromStr for Mix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Mix::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown mix {s:?}; choose from small, large, cgi, slow"))
    }
}

/// What to compare.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The `herd` binary (started as `herd flash --model M`).
    pub exe: PathBuf,
    /// Models to run.
    pub models: Vec<Model>,
    /// Mixes to run.
    pub mixes: Vec<Mix>,
    /// Connection counts.
    pub connections: Vec<usize>,
    /// Measured time per cell.
    pub duration: Duration,
    /// Unmeasured time before each cell.
    pub warmup: Duration,
    /// A request unanswered this long is a timeout.
    pub timeout: Duration,
    /// nginx, if it is to be compared.
    pub nginx: Option<PathBuf>,
    /// CPU for the servers.
    pub server_cpu: usize,
    /// CPU for the load generator.
    pub load_cpu: usize,
}

/// One server under one mix at one connection count.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// `nginx` or a model name.
    pub server: String,
    /// The mix.
    pub mix: Mix,
    /// Concurrent connections.
    pub connections: usize,
    /// Answers per second.
    pub requests_per_sec: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency (failures included), ms.
    pub p99_ms: f64,
    /// Answers.
    pub requests: u64,
    /// Attempts without an answer (timeouts, refused, reset).
    pub failures: u64,
    /// Answers with a status other than 2xx.
    pub non_2xx: u64,
    /// Server CPU used while measuring, in cores (1.0: one core busy all the time).
    pub server_cores: f64,
    /// Server CPU time per answer, microseconds: the cost of a request, whoever was the
    /// bottleneck.
    pub cpu_us_per_request: f64,
    /// Largest PSS of the server's processes during the cell, MiB.
    pub memory_mib: f64,
    /// Most threads, all processes together.
    pub threads: u64,
    /// Most processes.
    pub processes: u64,
}

/// A whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// CPU model, cores, memory, kernel.
    pub machine: String,
    /// When it ran (UTC).
    pub date: String,
    /// The command that produced it.
    pub command: String,
    /// Measured seconds per cell.
    pub duration_secs: f64,
    /// Warm-up seconds per cell.
    pub warmup_secs: f64,
    /// Whether servers and load were pinned to separate cores.
    pub pinned: bool,
    /// Servers in table order.
    pub servers: Vec<String>,
    /// Mixes in table order.
    pub mixes: Vec<Mix>,
    /// Connection counts.
    pub connections: Vec<usize>,
    /// Every cell.
    pub cells: Vec<Cell>,
    /// The machine's 1-minute load average at the start and the end ("0.10 / 0.35"):
    /// above about 0.5, other work shared the pinned cores.
    pub load_average: String,
    /// Cells after which the server was still busy at the settle deadline.
    pub unsettled: Vec<String>,
}

impl Report {
    /// The cell for (server, mix, connections), if it ran.
    pub fn cell(&self, server: &str, mix: Mix, connections: usize) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.server == server && c.mix == mix && c.connections == connections)
    }
}

/// Pin the calling thread (and what it starts afterwards) to `cpu`.
fn pin(cpu: usize) -> bool {
    let mut set = nix::sched::CpuSet::new();
    set.set(cpu).is_ok()
        && nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).is_ok()
}

/// Run the comparison. Progress goes to stderr, one line per cell.
///
/// # Errors
/// [`Error::Compare`] if a server cannot be started or the load generator refuses the
/// plan; [`Error::Io`] for the work directory.
pub fn run(plan: &Plan) -> Result<Report, Error> {
    let work = WorkDir::new()?;
    let root = work.0.join("www");
    crate::site::write(&root).map_err(Error::io("benchmark site"))?;
    let mut servers: Vec<String> = Vec::new();
    if plan.nginx.as_ref().is_some_and(|n| n.exists()) {
        servers.push("nginx".into());
    }
    servers.extend(plan.models.iter().map(|m| m.name().to_string()));
    let pinned = pin(plan.load_cpu);
    let mut report = Report {
        machine: machine(),
        date: crate::date::format(crate::date::unix_now()),
        command: std::env::args()
            .skip(1)
            .fold("herd".to_string(), |a, b| a + " " + &b),
        duration_secs: plan.duration.as_secs_f64(),
        warmup_secs: plan.warmup.as_secs_f64(),
        pinned,
        servers: servers.clone(),
        mixes: plan.mixes.clone(),
        connections: plan.connections.clone(),
        cells: Vec::new(),
        load_average: load_average(),
        unsettled: Vec::new(),
    };
    // Every server runs from the start, idle while another is measured, and the cells are
    // taken server after server for each (mix, connections): other work on the machine
    // then falls on all of them alike instead of on whichever ran last.
    let mut running: Vec<Server> = Vec::new();
    if pinned {
        pin(plan.server_cpu);
    }
    for name in &servers {
        let started = match name.as_str() {
            "nginx" => match &plan.nginx {
                Some(n) => Server::nginx(n, &root, &work.0),
                None => continue,
            },
            m => {
                let model: Model = m.parse().map_err(Error::Compare)?;
                Server::flash(&plan.exe, model, &root, &work.0.join(format!("{m}.log")))
            }
        };
        running.push(started?);
    }
    if pinned {
        pin(plan.load_cpu);
    }
    for &mix in &plan.mixes {
        for &c in &plan.connections {
            for server in &running {
                if server.name == "nginx" && !mix.static_file() {
                    continue;
                }
                let cell = measure(plan, server, mix, c)?;
                eprintln!(
                    "{:<10} {:<5} {:>5} conns: {:>9.0} req/s  p99 {:>9.3} ms  failures {:>6}  cpu {:>4.2} cores {:>7.1} us/req  {:>7.1} MiB {:>5} threads {:>5} procs",
                    cell.server, mix.name(), c, cell.requests_per_sec, cell.p99_ms, cell.failures, cell.server_cores, cell.cpu_us_per_request, cell.memory_mib, cell.threads, cell.processes
                );
                report.cells.push(cell);
                // Requests whose clients gave up are still queued in the server: let it
                // finish them before the next cell, or they would be charged to it.
                if !procfs::settle(server.pid(), SETTLE_MAX) {
                    eprintln!(
                        "{} still busy {} s after its cell",
                        server.name,
                        SETTLE_MAX.as_secs()
                    );
                    report
                        .unsettled
                        .push(format!("{} {} {}", server.name, mix.name(), c));
                }
            }
        }
    }
    for mut server in running {
        server.stop();
    }
    report.load_average = format!("{} / {}", report.load_average, load_average());
    Ok(report)
}

/// Longest wait for a server to go idle after a cell.
const SETTLE_MAX: Duration = Duration::from_secs(60);

/// The 1-minute load average.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn measure(plan: &Plan, server: &Server, mix: Mix, connections: usize) -> Result<Cell, Error> {
    let url_text = format!("http://{}{}", server.addr, mix.target());
    let load_plan = load::Plan {
        connections,
        threads: 1,
        duration: Some(plan.duration),
        warmup: plan.warmup,
        timeout: plan.timeout,
        ..load::Plan::http_get(&url_text).map_err(|e| Error::Compare(e.to_string()))?
    };
    let sampler =
        procfs::Sampler::start(server.pid(), plan.warmup).map_err(Error::io("sampler"))?;
    let result = load::run(load_plan, &mut load::Outputs::none());
    let sampled = sampler.finish(server.pid());
    let usage = sampled.usage;
    let r = result.map_err(|e| Error::Compare(format!("load against {}: {e}", server.name)))?;
    Ok(Cell {
        server: server.name.clone(),
        mix,
        connections,
        requests_per_sec: r.requests_per_sec,
        p50_ms: r.latency_ms.p50,
        p99_ms: r.latency_ms.p99,
        requests: r.requests,
        failures: r.errors.failures(),
        non_2xx: r.non_2xx,
        server_cores: sampled.cpu_secs / r.duration_secs.max(1e-9),
        cpu_us_per_request: sampled.cpu_secs * 1e6 / (r.requests.max(1) as f64),
        memory_mib: usage.pss_kib as f64 / 1024.0,
        threads: usage.threads,
        processes: usage.processes,
    })
}

/// "AMD EPYC ..., 2 cores, 24 GiB, Linux 6.x".
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    // Counted from cpuinfo: available_parallelism would see this thread's pinning.
    let cores = std::fs::read_to_string("/proc/cpuinfo").map_or(0, |s| {
        s.lines().filter(|l| l.starts_with("processor")).count()
    });
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(String::new(), |kib| {
            format!(", {} GiB", (kib + (1 << 19)) >> 20)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpu}, {cores} cores{mem}, Linux {}", kernel.trim())
}
