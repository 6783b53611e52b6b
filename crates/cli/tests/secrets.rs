//! No configured secret reaches a client, stderr, stdout or the log file, whatever the
//! remote Places provider does (issue 8: the Google API key leaked through reqwest's error
//! text, which names the request URL, and the legacy API carries the key in the URL).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{addr_in, unused_addr, Proc, TempDir, HERD, START_LIMIT};
const API_KEY: &str = "AIzaTEST-0123456789-key";
const HERD_SECRET: &str = "herd-secret-9f8e7d";

/// How the fake provider misbehaves.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Nothing listens: the connection is refused.
    Refused,
    /// Headers promise 500 bytes; 20 arrive, then the connection closes.
    MidBody,
    /// A 200 with a body that is not JSON.
    BadJson,
}

/// A provider URL for `mode` (a fake on a thread answering any number of requests).
fn provider(mode: Mode) -> String {
    if let Mode::Refused = mode {
        // A provider that is down: a port nothing listens on.
        return format!("http://{}/nearby", unused_addr());
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/nearby", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let reply = match mode {
                Mode::MidBody => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"results\": [ {\"a\"".to_string(),
                _ => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{not json".to_string(),
            };
            let _ = s.write_all(reply.as_bytes());
        }
    });
    url
}

/// Run one node with the Google provider at `url`, send an IAMAT and a WHATSAT, stop it,
/// and return everything it wrote anywhere.
fn run_node(mode: Mode) -> String {
    let url = provider(mode);
    let dir = TempDir::new(&format!("secrets-{mode:?}"));
    let config = dir.path().join("herd.toml");
    std::fs::write(
        &config,
        format!(
            "[servers]\nSolo = \"127.0.0.1:0\"\n[herd]\nsecret = \"{HERD_SECRET}\"\n\
             [places]\nproviders = [\"google\"]\ngoogle_base_url = \"{url}\"\ntimeout_ms = 2000\ncache_ttl_secs = 0\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(HERD)
        .args(["node", "Solo", "--config"])
        .arg(&config)
        .arg("--log-dir")
        .arg(dir.path().join("logs"))
        .env("GOOGLE_PLACES_API_KEY", API_KEY)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Read in the background from the start (debug logging must never fill the pipe).
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let mut node = Proc::new(child);
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr = addr_in(&first)
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"IAMAT leak +34.068930-118.445127 1700000000.5\nWHATSAT leak 5 3\n")
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut replies = String::new();
    s.read_to_string(&mut replies).unwrap();
    assert!(replies.contains("\"status\""), "{mode:?}: {replies}");
    assert!(
        !replies.contains("\"OK\""),
        "{mode:?} should fail: {replies}"
    );
    node.terminate();
    node.wait_exit(START_LIMIT);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let stderr = stderr.join().unwrap();
    let log = std::fs::read_to_string(dir.path().join("logs/Solo.log")).unwrap_or_default();
    assert!(
        log.contains("\"event\":\"stopped\""),
        "{mode:?}: log incomplete:\n{log}"
    );
    format!(
        "--- replies\n{replies}\n--- stdout\n{first}{rest}\n--- stderr\n{stderr}\n--- log\n{log}"
    )
}

/// Connect failure, a body cut off midway, bad JSON: the key and the herd secret appear
/// in none of the replies, stdout, stderr (at debug level) or the log file.
#[test]
fn secrets_never_leave_the_process() {
    for mode in [Mode::Refused, Mode::MidBody, Mode::BadJson] {
        let all = run_node(mode);
        assert!(
            !all.contains(API_KEY),
            "{mode:?} leaked the API key:\n{all}"
        );
        assert!(
            !all.contains(HERD_SECRET),
            "{mode:?} leaked the herd secret:\n{all}"
        );
        assert!(all.contains("UNKNOWN_ERROR"), "{mode:?}:\n{all}");
    }
}
