//! `flash::run(listener, config, shutdown)` in-process: the shape every herd service has,
//! for the models that do not fork; the forking models refuse a multi-threaded process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use flash::{Config, Error, Model};

fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Each in-process model serves until its shutdown future completes, then returns Ok.
#[test]
fn serves_until_shutdown() {
    for model in [
        Model::Sequential,
        Model::Thread,
        Model::Epoll,
        Model::EpollPool,
        Model::Tokio,
    ] {
        let root = flash::testdir::test_root();
        let listener = flash::listener::bind("127.0.0.1:0".parse().unwrap(), 128).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let config = Config::for_test(model, root.path());
        let server = std::thread::spawn(move || {
            flash::run(listener, config, async move {
                let _ = rx.await;
            })
        });
        let answer = get(addr, "/app/hello");
        assert!(
            answer.starts_with("HTTP/1.1 200 OK\r\n"),
            "{model}: {answer}"
        );
        assert!(
            answer.ends_with(&format!("Hello from the {model} model\n")),
            "{answer}"
        );
        tx.send(()).unwrap();
        server.join().unwrap().unwrap();
        assert!(
            TcpStream::connect(addr).is_err(),
            "{model}: still listening"
        );
    }
}

/// The forking models refuse to start in a process with threads (this test process).
#[test]
fn forking_models_need_a_single_thread() {
    for model in [Model::Fork, Model::Prefork, Model::Worker] {
        let root = flash::testdir::test_root();
        let listener = flash::listener::bind("127.0.0.1:0".parse().unwrap(), 128).unwrap();
        let stop = netkit::blocking::StopFlag::new().unwrap();
        let err = flash::serve(listener, Config::for_test(model, root.path()), stop).unwrap_err();
        assert!(
            matches!(err, Error::NotSingleThreaded { .. }),
            "{model}: {err}"
        );
        assert!(err.to_string().contains("herd flash"));
    }
}

/// A root that is not a directory is a one-line error naming it.
#[test]
fn bad_root() {
    let listener = flash::listener::bind("127.0.0.1:0".parse().unwrap(), 128).unwrap();
    let stop = netkit::blocking::StopFlag::new().unwrap();
    let err = flash::serve(
        listener,
        Config::for_test(Model::Epoll, "/no/such/dir"),
        stop,
    )
    .unwrap_err();
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
}
