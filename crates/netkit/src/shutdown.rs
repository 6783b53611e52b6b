//! Broadcast stop, then wait for every holder to let go.
//!
//! Built on tokio-util's `CancellationToken` (the broadcast) and `TaskTracker` (the wait), so
//! a service spawns its connection tasks through [`Shutdown::spawn`] and every long `select!`
//! includes [`Shutdown::cancelled`].

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A cloneable stop signal plus a tracker of the tasks that must finish before exit.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Shutdown {
    /// A fresh, not yet triggered, shutdown handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// A child handle: stopped when the parent stops, or on its own via [`Shutdown::trigger`],
    /// with its own task tracker. Used by `herd up` to run several services under one signal.
    pub fn child(&self) -> Self {
        Self {
            token: self.token.child_token(),
            tracker: TaskTracker::new(),
        }
    }

    /// Ask every holder to stop.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether stop has been requested.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once stop has been requested.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// Trigger this handle when `fut` completes (e.g. a signal or a test's oneshot).
    pub fn trigger_on<F>(&self, fut: F)
    where
        F: Future + Send + 'static,
    {
        let token = self.token.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = fut => token.cancel(),
                _ = token.cancelled() => {}
            }
        });
    }

    /// Spawn a task that [`Shutdown::drain`] waits for.
    pub fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(fut)
    }

    /// Wait, at most `grace`, for every tracked task to finish. Returns `false` when the grace
    /// period ran out with tasks still running (they are then abandoned, not awaited).
    pub async fn drain(&self, grace: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tracked task that watches `cancelled()` finishes, and drain reports success.
    #[tokio::test]
    async fn drain_waits_for_tracked_tasks() {
        let sd = Shutdown::new();
        let s2 = sd.clone();
        sd.spawn(async move { s2.cancelled().await });
        sd.trigger();
        assert!(sd.drain(Duration::from_secs(1)).await);
    }

    /// A task that ignores the stop makes drain time out instead of hanging.
    #[tokio::test]
    async fn drain_times_out_on_stuck_task() {
        let sd = Shutdown::new();
        sd.spawn(std::future::pending::<()>());
        sd.trigger();
        assert!(!sd.drain(Duration::from_millis(20)).await);
    }

    /// Stopping the parent stops a child; stopping a child leaves the parent running.
    #[tokio::test]
    async fn child_follows_parent_only() {
        let parent = Shutdown::new();
        let a = parent.child();
        let b = parent.child();
        a.trigger();
        assert!(a.is_triggered() && !parent.is_triggered() && !b.is_triggered());
        parent.trigger();
        assert!(b.is_triggered());
    }
}
