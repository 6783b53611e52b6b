//! `herd`: one binary for the herd services.
//!
//! Thin by design: parse flags with clap, set up tracing once, hand a config and a bound
//! listener to a service library. Each subcommand lives in its own module under [`cmd`] with
//! an `Args` struct and a `run(args) -> anyhow::Result<()>`.

mod cmd;

use clap::{Parser, Subcommand};

/// herd: fast, reliable network services in one binary.
#[derive(Debug, Parser)]
#[command(
    name = "herd",
    version,
    about,
    after_help = "Examples:\n  herd up                    start the whole local stack from embedded defaults\n  herd node Goloman          run one herd server from the embedded herd.toml\n  herd load http://127.0.0.1:8080/ -c 50 -d 10s\n  herd <command> --help      details and examples for one command"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every server of the herd (and the other services) in one process.
    Up(cmd::up::Args),
    /// Run one herd server by name.
    Node(cmd::node::Args),
    /// Run an HTTP publish/subscribe node (memory store, or Redis for a cluster).
    Pubsub(Box<cmd::pubsub::Args>),
    /// Run the caching HTTP relay in front of a slow or flaky JSON API.
    Relay(Box<cmd::relay::Args>),
    /// Serve the bundled lunch-menu API (the relay's local upstream).
    MenuApi(cmd::menu_api::Args),
    /// List restaurants behind a relay, or one restaurant's dishes.
    Dishes(cmd::dishes::Args),
    /// Generate HTTP or herd-protocol load and report honest latency percentiles.
    Load(Box<cmd::load::Args>),
    /// One HTTP server on eight concurrency models; `flash compare` benchmarks them.
    Flash(Box<cmd::flash::Args>),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The relay sets up its own non-blocking log writer (its access log is on the hot path).
    if !matches!(cli.command, Command::Relay(_)) {
        init_tracing();
    }
    let result = match cli.command {
        Command::Up(a) => cmd::up::run(a),
        Command::Node(a) => cmd::node::run(a),
        Command::Load(a) => cmd::load::run(*a),
        Command::Pubsub(a) => cmd::pubsub::run(*a),
        Command::Relay(a) => cmd::relay::run(*a),
        Command::MenuApi(a) => cmd::menu_api::run(a),
        Command::Dishes(a) => cmd::dishes::run(a),
        Command::Flash(a) => cmd::flash::run(*a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("herd: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Human-readable logs on stderr, filtered by `RUST_LOG` (default `info`).
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
