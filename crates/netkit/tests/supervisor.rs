//! `Supervisor`: all-or-nothing start, a table once up, and stop on signal or on any exit.

use std::time::Duration;

use netkit::supervisor::{BoxError, Running};
use netkit::{ServiceSpec, Shutdown, Supervisor, SupervisorError};

/// A service that serves until its stop handle fires.
fn waiting(name: &str) -> ServiceSpec {
    ServiceSpec::new(
        "test",
        name,
        "127.0.0.1:0".parse().unwrap(),
        format!("{name} detail"),
        |listener, sd: Shutdown| async move {
            let run: Running = Box::pin(async move {
                sd.cancelled().await;
                drop(listener);
                Ok::<(), BoxError>(())
            });
            Ok(run)
        },
    )
}

/// Every service starts; the table lists them with their real ports; the stop future ends
/// them all cleanly.
#[tokio::test]
async fn start_table_stop() {
    let mut sup = Supervisor::new();
    sup.add(waiting("alpha"));
    sup.add(waiting("beta"));
    let stop = Shutdown::new();
    let started = sup.start(&stop).await.unwrap();
    let table = started.table("detail");
    assert!(table.starts_with("service  name   listen"), "{table}");
    assert!(table.contains("alpha detail") && table.contains("beta detail"));
    assert!(started.rows().iter().all(|r| r.listen.port() != 0));
    let r = started
        .run(tokio::time::sleep(Duration::from_millis(20)))
        .await;
    assert!(r.is_ok());
}

/// A port that is taken fails the start at once, naming the service and the reason, and
/// the services started before it are stopped.
#[tokio::test]
async fn bind_failure_is_reported_and_rest_stopped() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut sup = Supervisor::new();
    sup.add(ServiceSpec::new(
        "test",
        "first",
        "127.0.0.1:0".parse().unwrap(),
        "",
        |_l, sd: Shutdown| async move {
            let run: Running = Box::pin(async move {
                sd.cancelled().await;
                let _ = tx.send(());
                Ok::<(), BoxError>(())
            });
            Ok(run)
        },
    ));
    sup.add(ServiceSpec::new(
        "test",
        "second",
        addr,
        "",
        |_l, _sd| async move { Err::<Running, BoxError>("unreachable".into()) },
    ));
    let err = sup.start(&Shutdown::new()).await.unwrap_err();
    assert!(matches!(err, SupervisorError::Start { ref name, .. } if name == "second"));
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    rx.await.expect("the first service was stopped");
}

/// A set-up error is reported with its text.
#[tokio::test]
async fn setup_failure_is_reported() {
    let mut sup = Supervisor::new();
    sup.add(ServiceSpec::new(
        "test",
        "broken",
        "127.0.0.1:0".parse().unwrap(),
        "",
        |_l, _sd| async move { Err::<Running, BoxError>("cannot open log: denied".into()) },
    ));
    let err = sup.start(&Shutdown::new()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "test broken could not start: cannot open log: denied"
    );
}

/// When one service exits with an error, the others are stopped and the error names it.
#[tokio::test]
async fn one_exit_stops_all() {
    let mut sup = Supervisor::new();
    sup.add(waiting("steady"));
    sup.add(ServiceSpec::new(
        "test",
        "crashy",
        "127.0.0.1:0".parse().unwrap(),
        "",
        |_l, _sd| async move {
            let run: Running = Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                Err::<(), BoxError>("disk full".into())
            });
            Ok(run)
        },
    ));
    let started = sup.start(&Shutdown::new()).await.unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        started.run(std::future::pending::<()>()),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(err.to_string(), "test crashy stopped: disk full");
}
