//! The `herd` binary as a user runs it: help, one-line errors, `herd up` start and stop,
//! and `herd load --json` against a real herd node.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HERD: &str = env!("CARGO_BIN_EXE_herd");

/// `herd up`'s other services on free ports, so tests never collide with a running stack.
const FREE_PORTS: [&str; 6] = [
    "--relay-listen",
    "127.0.0.1:0",
    "--menu-listen",
    "127.0.0.1:0",
    "--pubsub-listen",
    "127.0.0.1:0",
];

/// A herd file whose servers all listen on port 0: the binary binds and reports the real
/// ports, so no test races another process for a port it picked.
fn herd_file(names: &[&str]) -> tempfile_path::TempPath {
    let mut text = String::from("[servers]\n");
    for n in names {
        text.push_str(&format!("{n} = \"127.0.0.1:0\"\n"));
    }
    if names.len() > 1 {
        text.push_str(&format!("[links]\n{} = [\"{}\"]\n", names[0], names[1]));
    }
    text.push_str("[herd]\nsecret = \"cli-test\"\n");
    tempfile_path::write(&text)
}

/// The first `host:port` after `after` in `text`.
fn port_after(text: &str, after: &str) -> u16 {
    let rest = &text[text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} not in {text}"))
        + after.len()..];
    let addr = rest
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address after {after:?} in {text}"));
    addr.trim_end_matches(',')["127.0.0.1:".len()..]
        .parse()
        .unwrap()
}

/// A tiny temp-file helper (std only): removed on drop.
mod tempfile_path {
    pub(crate) struct TempPath(pub(crate) std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    pub(crate) fn write(text: &str) -> TempPath {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("herd-cli-{}-{n}.toml", std::process::id()));
        std::fs::write(&p, text).unwrap();
        TempPath(p)
    }
}

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
    let bad = tempfile_path::write("[servers]\nA = \"not an address\"\n");
    let mut cases = cases;
    cases.push((
        vec!["up".into(), "--config".into(), bad.0.display().to_string()],
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
    let mut child = Command::new(HERD)
        .args(["up", "--no-log"])
        .args(FREE_PORTS)
        .arg("--config")
        .arg(&file.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut table = String::new();
    for _ in 0..3 {
        stdout.read_line(&mut table).unwrap();
    }
    assert!(table.contains("Alpha") && table.contains("Beta"), "{table}");
    let beta = port_after(&table, "Beta");
    assert!(table.contains("linked to Alpha"), "{table}");
    let mut s = TcpStream::connect(("127.0.0.1", beta)).unwrap();
    s.write_all(b"IAMAT cli +1+1 1.5").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("AT Beta "), "{answer}");
    // SIGTERM through the standard `kill` command: no unsafe code in tests.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "herd up did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}

/// `herd load --json` against a real node prints parseable JSON with the documented fields.
#[test]
fn load_json_against_node() {
    let file = herd_file(&["Solo"]);
    let mut node = Command::new(HERD)
        .args(["node", "Solo", "--no-log", "--config"])
        .arg(&file.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(node.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port = port_after(&first, "listening on");
    let out = Command::new(HERD)
        .args([
            "load",
            &format!("herd://127.0.0.1:{port}"),
            "--protocol",
            "herd",
            "-c",
            "4",
            "-n",
            "200",
            "--json",
        ])
        .output()
        .unwrap();
    let _ = node.kill();
    let _ = node.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["requests"], 200);
    assert!(v["latency_ms"]["p99"].is_f64());
    assert_eq!(v["errors"]["rejected"], 0);
}

/// `herd up` with a port that is taken reports that service at once, by name and reason,
/// and exits non-zero without printing a table.
#[test]
fn up_reports_a_failed_start_at_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let file = tempfile_path::write(&format!(
        "[servers]\nAlpha = \"127.0.0.1:0\"\nBeta = \"127.0.0.1:{port}\"\n[herd]\nsecret = \"x\"\n"
    ));
    let started = Instant::now();
    let out = Command::new(HERD)
        .args(["up", "--no-log"])
        .args(FREE_PORTS)
        .arg("--config")
        .arg(&file.0)
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
