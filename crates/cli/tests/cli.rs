//! The `herd` binary as a user runs it: help, one-line errors, `herd up` start and stop,
//! and `herd load --json` against a real herd node.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{herd_file, spawn, succeed, TempFile, Up, HERD, UP_ON_PORT_0};

/// `herd --help` lists exactly the subcommands that exist, with examples.
#[test]
fn help_lists_subcommands() {
    let out = Command::new(HERD).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["up", "node", "load"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(cmd)),
            "{cmd} missing:\n{text}"
        );
    }
    assert!(text.contains("Examples"));
    for cmd in ["up", "node", "load"] {
        let out = Command::new(HERD).args([cmd, "--help"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Examples"),
            "{cmd}"
        );
    }
}

/// Unknown names and bad config files give a one-line error and a non-zero exit.
#[test]
fn one_line_errors() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["node".into(), "Nope".into(), "--no-log".into()],
            "no server named \"Nope\"",
        ),
        (
            vec![
                "node".into(),
                "A".into(),
                "--config".into(),
                "/nonexistent/herd.toml".into(),
            ],
            "cannot read herd config",
        ),
        (vec!["load".into(), "ftp://x".into()], "not supported"),
    ];
    let bad = TempFile::new("bad.toml", "[servers]\nA = \"not an address\"\n");
    let mut cases = cases;
    cases.push((
        vec![
            "up".into(),
            "--config".into(),
            bad.path().display().to_string(),
        ],
        "is not ip:port",
    ));
    for (args, expect) in cases {
        let out = Command::new(HERD)
            .args(&args)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

/// `herd up` prints where each server listens, serves, and exits cleanly on SIGTERM.
#[test]
fn up_serves_and_stops_on_sigterm() {
    let file = herd_file(&["Alpha", "Beta"]);
    let mut up = Up::start(file.path(), &UP_ON_PORT_0);
    let table = up.table.clone();
    assert!(table.contains("Alpha") && table.contains("Beta"), "{table}");
    let beta = up.listen("Beta");
    assert!(table.contains("linked to Alpha"), "{table}");
    let mut s = TcpStream::connect(&beta).unwrap();
    s.write_all(b"IAMAT cli +1+1 1.5").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("AT Beta "), "{answer}");
    let (status, rest) = up.stop();
    assert!(status.success(), "{status:?}");
    assert!(rest.contains("stopped"), "{rest}");
}

/// `herd load --json` against a real node prints parseable JSON with the documented fields.
#[test]
fn load_json_against_node() {
    let file = herd_file(&["Solo"]);
    let config = file.path().display().to_string();
    let (_node, addr) = spawn(&["node", "Solo", "--no-log", "--config", &config]);
    let out = succeed(Command::new(HERD).args([
        "load",
        &format!("herd://{addr}"),
        "--protocol",
        "herd",
        "-c",
        "4",
        "-n",
        "200",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["requests"], 200);
    assert!(v["latency_ms"]["p99"].is_f64());
    assert_eq!(v["errors"]["rejected"], 0);
}

/// `herd up` with a port that is taken reports that service at once, by name and reason,
/// and exits non-zero without printing a table.
#[test]
fn up_reports_a_failed_start_at_once() {
    // Held until the end of the test (never released), so the port stays taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let file = TempFile::new(
        "taken.toml",
        &format!(
        "[servers]\nAlpha = \"127.0.0.1:0\"\nBeta = \"127.0.0.1:{port}\"\n[herd]\nsecret = \"x\"\n"
    ),
    );
    let started = Instant::now();
    let out = Command::new(HERD)
        .args(["up", "--no-log"])
        .args(UP_ON_PORT_0)
        .arg("--config")
        .arg(file.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("herd node Beta could not start"), "{err}");
    assert!(err.contains(&port.to_string()), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Ctrl-C"));
}
