//! Flag parsing and the run outcome of `herd load`, against local servers.

use super::*;
use clap::Parser;
use std::io::{Read, Write};

#[derive(Debug, clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: Args,
}

fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
    Cli::try_parse_from(std::iter::once("load").chain(argv.iter().copied())).map(|c| c.args)
}

/// A blocking HTTP/1.1 server on 127.0.0.1:0 answering `200 ok` to every request on
/// every connection, until the test process ends.
fn ok_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n) = conn.read(&mut chunk) {
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        if conn
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}/")
}

/// `merge FILES` is a subcommand; a run needs a URL or --urls, not both.
#[test]
fn flags_parse() {
    let a = parse(&["merge", "a.json", "b.json", "--fail-if", "p99>5ms"]).unwrap();
    match a.merge {
        Some(Sub::Merge(m)) => assert_eq!((m.files.len(), m.out.fail_if.len()), (2, 1)),
        None => panic!("merge not parsed"),
    }
    assert!(parse(&["merge"]).is_err());
    assert!(parse(&["--urls", "f.txt", "-c", "5"])
        .unwrap()
        .run
        .url
        .is_none());
    assert!(parse(&[]).is_err());
    assert!(parse(&["http://x/", "--urls", "f.txt"]).is_err());
    assert!(parse(&["http://x/", "--stages", "1s:5", "--rate", "5"]).is_err());
    let users = parse(&["http://x/", "--users", "10s:5,5s:0"])
        .unwrap()
        .run
        .users;
    assert_eq!(users, ["10s:5", "5s:0"]);
}

/// A threshold that holds makes the run fail, naming it; one that does not passes.
#[test]
fn thresholds_set_the_outcome() {
    let url = ok_server();
    let a = parse(&[
        &url,
        "-n",
        "50",
        "-c",
        "2",
        "--json",
        "--fail-if",
        "rps<1000000000",
        "--fail-if",
        "p99>60s",
    ])
    .unwrap();
    let err = run(a).unwrap_err().to_string();
    assert!(
        err.starts_with("--fail-if: rps<1000000000 (measured "),
        "{err}"
    );
    assert!(!err.contains("p99"), "{err}");
    let a = parse(&[&url, "-n", "50", "--json", "--fail-if", "errors>0"]).unwrap();
    assert!(run(a).is_ok());
    assert!(run(parse(&[&url, "-n", "5", "--fail-if", "p99>"]).unwrap()).is_err());
}

/// Without thresholds, a run in which every request failed fails.
#[test]
fn all_failed_fails() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/");
    let err = run(parse(&[&url, "-n", "4", "--json"]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no request succeeded (4 attempts"), "{err}");
}

/// Users stages run closed loop through the CLI, and --users levels still tabulate.
#[test]
fn users_stages_and_levels() {
    let url = ok_server();
    assert!(run(parse(&[&url, "--users", "300ms:2,200ms:0", "--json"]).unwrap()).is_ok());
    assert!(run(parse(&[&url, "--users", "1,2", "-d", "200ms", "--json"]).unwrap()).is_ok());
    let err = run(parse(&[&url, "--users", "1s:2", "--rate", "5"]).unwrap()).unwrap_err();
    assert!(err.to_string().contains("leave out --rate"), "{err}");
    assert!(run(parse(&[&url, "--users", "x"]).unwrap()).is_err());
}

/// Runs written with --json merge into one, and the merge can be gated too.
#[test]
fn merge_files() {
    let url = ok_server();
    let dir = std::env::temp_dir().join(format!("herd-cli-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for i in 0..2 {
        let plan = plan(&parse(&[&url, "-n", "40"]).unwrap().run, None).unwrap();
        let r = load::run(plan, &mut Outputs::none()).unwrap();
        let p = dir.join(format!("{i}.json"));
        std::fs::write(&p, load::report::json(&[r], false).unwrap()).unwrap();
        files.push(p.display().to_string());
    }
    let mut argv = vec!["merge"];
    argv.extend(files.iter().map(String::as_str));
    argv.extend(["--json", "--fail-if", "requests<80"]);
    assert!(run(parse(&argv).unwrap()).is_ok());
    argv.pop();
    argv.push("requests<81");
    let err = run(parse(&argv).unwrap()).unwrap_err().to_string();
    assert!(err.contains("requests<81 (measured 80)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
