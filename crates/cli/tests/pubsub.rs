//! `herd pubsub` as a user runs it: help and one-line errors (no configured password in
//! them), and `herd up` serving pub/sub. The fault tests (nodes killed on a shared
//! redis-server) are in tests/pubsub_fault.rs.

mod support;

use std::process::Command;

use support::{herd_file, Client, Up, HERD, UP_ON_PORT_0};

/// `herd pubsub --help` shows the contract and examples; bad flags are one-line errors.
#[test]
fn help_and_errors() {
    let out = Command::new(HERD)
        .args(["pubsub", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Examples") && text.contains("DELETE /<topic>/<user>"),
        "{text}"
    );
    for args in [
        &["--store", "bogus"][..],
        &["--max-wait", "soon"],
        &["--max-wait", "90s"],
        &["--claim-lease", "99ms"],
    ] {
        let out = Command::new(HERD)
            .arg("pubsub")
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.lines().next().is_some_and(|l| l.contains("error")),
            "{args:?}: {err}"
        );
    }
    let out = Command::new(HERD)
        .args([
            "pubsub",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "redis://:topsecret@127.0.0.1:1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.lines().count() == 1, "{err}");
    assert!(!err.contains("topsecret") && err.contains("***"), "{err}");
}

/// `herd up` starts pub/sub (memory store) beside the other services, lists it in its
/// table, serves the contract, and stops on SIGTERM.
#[test]
fn herd_up_serves_pubsub() {
    let conf = herd_file(&["Solo"]);
    let mut up = Up::start(conf.path(), &UP_ON_PORT_0);
    let table = &up.table;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("pubsub") && l.contains("memory")),
        "{table}"
    );
    let mut c = Client::new(&up.listen("pubsub"));
    assert_eq!(c.send("POST", "/up/u", b"").unwrap().0, 200);
    assert_eq!(c.send("POST", "/up", b"hi").unwrap().0, 200);
    assert_eq!(c.send("GET", "/up/u", b"").unwrap(), (200, b"hi".to_vec()));
    let (_, rest) = up.stop();
    assert!(rest.contains("stopped"), "{rest}");
}
