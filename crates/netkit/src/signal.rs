//! The one place process signals become "stop" for async services.
//!
//! [`ctrl_c_or_term`] installs the SIGINT and SIGTERM handlers when it is *called*, not when
//! its future is first polled: a binary calls it before printing that it is ready, so a
//! signal sent the moment the ready line appears stops the service gracefully instead of
//! killing it with the default action.

use std::future::Future;

/// A future that completes on the first SIGINT (Ctrl-C) or SIGTERM after this call. Must
/// be called inside a tokio runtime. If a handler cannot be installed, that signal is
/// ignored by this future (the failure is logged) rather than stopping the service
/// spuriously.
pub fn ctrl_c_or_term() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for {name}");
                None
            }
        };
        let mut int = listen(SignalKind::interrupt(), "SIGINT");
        let mut term = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            tokio::select! {
                _ = recv(&mut int) => {}
                _ = recv(&mut term) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The next delivery of `s`; never, for a handler that could not be installed.
#[cfg(unix)]
async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A SIGTERM raised after the call but before the future is ever polled is not lost
    /// (and does not kill the test process): the handler was installed by the call.
    #[tokio::test]
    async fn handler_is_installed_by_the_call() {
        let stop = ctrl_c_or_term();
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM).unwrap();
        tokio::time::timeout(Duration::from_secs(5), stop)
            .await
            .expect("the signal raised before the first poll completes the future");
    }
}
