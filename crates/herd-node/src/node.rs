//! [`Node`]: what every task of one server shares, and the one place updates are taken in.

use std::sync::Arc;

use herd_proto::At;
use netkit::Shutdown;
use tokio_util::task::TaskTracker;

use crate::links::Links;
use crate::log::NodeLog;
use crate::state::{Decision, HerdState, Origin};
use crate::NodeConfig;

/// One server's shared state.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) cfg: NodeConfig,
    pub(crate) state: HerdState,
    pub(crate) links: Links,
    pub(crate) log: NodeLog,
    pub(crate) shutdown: Shutdown,
    /// Client connections (not peer sessions), so that on shutdown peer sessions can wait
    /// for every answered IAMAT to be queued before they finish sending.
    pub(crate) clients: TaskTracker,
}

impl Node {
    /// Take an update in: [`HerdState`] decides, this carries it out (flooding to peers).
    /// Returns the stored line when the update was news.
    pub(crate) fn take_update(&self, at: &At, origin: Origin<'_>) -> Option<Arc<str>> {
        match self.state.apply(at, origin) {
            Decision::Forward { line, except } => {
                self.links.flood(&line, except);
                Some(line)
            }
            Decision::Stale | Decision::OverBudget => None,
        }
    }
}
