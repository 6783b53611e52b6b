//! One module per subcommand, each with `Args` (clap) and `run(args) -> anyhow::Result<()>`.

pub(crate) mod dishes;
pub(crate) mod flash;
mod herd_file;
mod limits;
pub(crate) mod load;
pub(crate) mod menu_api;
pub(crate) mod node;
pub(crate) mod pubsub;
pub(crate) mod relay;
pub(crate) mod up;
