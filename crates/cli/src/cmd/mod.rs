//! One module per subcommand, each with `Args` (clap) and `run(args) -> anyhow::Result<()>`.

mod herd_file;
mod limits;
pub(crate) mod load;
pub(crate) mod node;
pub(crate) mod pubsub;
pub(crate) mod up;
