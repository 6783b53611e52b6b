//! Test-only helpers shared by the integration tests of every service.
//!
//! Servers under test are always bound to `127.0.0.1:0` by the test itself; these helpers
//! talk to them over real TCP and poll for eventually-true conditions with a deadline, so a
//! test never sleeps a fixed time hoping the system has converged.
//!
//! # Layout
//! - [`wait_until`]: poll an async condition until true or a deadline passes.
//! - [`tcp`]: one-shot and line-oriented raw TCP clients.
//! - [`http`]: [`http::FakeHttp`], a canned stand-in for remote HTTP APIs.

#![deny(missing_docs)]

pub mod http;
pub mod tcp;

use std::future::Future;
use std::time::Duration;

/// Poll `cond` every 10 ms until it returns true (→ `true`) or `timeout` passes (→ `false`).
pub async fn wait_until<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
