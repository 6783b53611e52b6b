//! `herd relay`, `herd menu-api`, `herd dishes` and `herd up` as a user runs them: real
//! processes on loopback, `kill -9` and restart on the same cache directory, stale
//! serving while menu-api is down and recovery when it is back, one-line errors. The
//! image is tested in tests/image.rs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HERD: &str = env!("CARGO_BIN_EXE_herd");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (SIGKILL) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `herd args...` and return it with the address from its "listening on" line.
fn spawn(args: &[&str]) -> (Proc, String) {
    let mut child = Command::new(HERD)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split([',', ' ']).next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Proc(child), addr)
}

/// A GET over a plain TCP connection: (status, x-cache, body).
fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let x = head
        .lines()
        .find_map(|l| l.strip_prefix("x-cache: "))
        .unwrap_or("")
        .to_string();
    (status, x, body.to_string())
}

fn dishes(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(HERD)
        .arg("dishes")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("herd-cli-relay-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `herd dishes` prints the restaurants as a table and one restaurant's dishes, through a
/// relay in front of menu-api; an unknown id and a relay that is down give one line on
/// stderr and a non-zero exit.
#[test]
fn dishes_output_and_errors() {
    let (_menu, menu_addr) = spawn(&["menu-api", "--listen", "127.0.0.1:0"]);
    let upstream = format!("http://{menu_addr}/api");
    let (_relay, relay_addr) =
        spawn(&["relay", "--listen", "127.0.0.1:0", "--upstream", &upstream]);
    let relay = format!("http://{relay_addr}");
    let (ok, out, _) = dishes(&["--relay", &relay]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("identifier")
            && lines[0].contains("name")
            && lines[0].ends_with("campus")
    );
    assert_eq!(lines.len(), 13, "{out}");
    assert!(out.contains("bistro-nobel") && out.contains("Uppsala"));
    let (ok, out, _) = dishes(&["--relay", &relay, "--restaurant", "bistro-nobel"]);
    assert!(ok);
    assert!(out.starts_with("Bistro Nobel (Solna)\n  - "), "{out}");
    let (ok, out, _) = dishes(&["--relay", &relay, "--restaurant", "bistro-nobel", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["restaurant"]["title"], "Bistro Nobel");
    let (ok, _, err) = dishes(&["--relay", &relay, "--restaurant", "no-such-place"]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no restaurant with id \"no-such-place\""),
        "{err}"
    );
    let down = format!("http://127.0.0.1:{}", free_port());
    let (ok, _, err) = dishes(&["--relay", &down]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach the relay"), "{err}");
}

/// `kill -9` the relay, stop the upstream, restart the relay on the same --cache-dir: the
/// cached key is still served.
#[test]
fn kill_9_then_restart_serves_from_disk() {
    let dir = temp_dir("kill9");
    let dir_s = dir.display().to_string();
    let (menu, menu_addr) = spawn(&["menu-api", "--listen", "127.0.0.1:0", "--max-age", "600s"]);
    let upstream = format!("http://{menu_addr}/api");
    let args = [
        "relay",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--cache-dir",
        &dir_s,
    ];
    let (relay, relay_addr) = spawn(&args);
    let (status, x, body) = get(&relay_addr, "/restaurant/");
    assert_eq!((status, x.as_str()), (200, "MISS"));
    // The disk write happens just after the answer: wait until it is there.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !has_files(&dir.join("content-v2")) {
        assert!(Instant::now() < deadline, "nothing written to {dir_s}");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    drop(relay); // SIGKILL
    drop(menu);
    let (_relay, relay_addr) = spawn(&args);
    let (status, x, again) = get(&relay_addr, "/restaurant/");
    assert_eq!((status, x.as_str()), (200, "HIT"));
    assert_eq!(again, body);
    let _ = std::fs::remove_dir_all(&dir);
}

fn has_files(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten().any(|e| {
                let p = e.path();
                if p.is_dir() {
                    has_files(&p)
                } else {
                    true
                }
            })
        })
        .unwrap_or(false)
}

/// With `herd relay` in front of a separately started `herd menu-api`: stopping menu-api
/// shows stale serving, starting it again recovers.
#[test]
fn stale_while_menu_api_down_then_recovery() {
    let port = free_port();
    let menu_listen = format!("127.0.0.1:{port}");
    let menu_args = ["menu-api", "--listen", &menu_listen, "--max-age", "1s"];
    let (menu, _) = spawn(&menu_args);
    let upstream = format!("http://{menu_listen}/api");
    let (_relay, relay_addr) =
        spawn(&["relay", "--listen", "127.0.0.1:0", "--upstream", &upstream]);
    assert_eq!(get(&relay_addr, "/restaurant/linne-cafe/").1, "MISS");
    drop(menu);
    std::thread::sleep(Duration::from_millis(1200));
    let (status, x, body) = get(&relay_addr, "/restaurant/linne-cafe/");
    assert_eq!((status, x.as_str()), (200, "STALE"));
    assert!(body.contains("Linné Café"));
    let (_menu, _) = spawn(&menu_args);
    let (status, x, _) = get(&relay_addr, "/restaurant/linne-cafe/");
    assert_eq!(status, 200);
    assert!(x == "REVALIDATED" || x == "MISS", "{x}");
    assert_eq!(get(&relay_addr, "/restaurant/linne-cafe/").1, "HIT");
}

/// `herd up` starts menu-api and a relay in front of it, shows both in its table, and
/// `herd dishes` works against it with no network.
#[test]
fn herd_up_serves_dishes() {
    let node = free_port();
    let relay_port = free_port();
    let conf = std::env::temp_dir().join(format!("herd-cli-relay-up-{}.toml", std::process::id()));
    std::fs::write(
        &conf,
        format!("[servers]\nSolo = \"127.0.0.1:{node}\"\n[herd]\nsecret = \"t\"\n"),
    )
    .unwrap();
    let relay_listen = format!("127.0.0.1:{relay_port}");
    let mut child = Command::new(HERD)
        .args(["up", "--no-log", "--config"])
        .arg(&conf)
        .args([
            "--relay-listen",
            &relay_listen,
            "--menu-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let _up = Proc(child);
    let mut table = String::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 || line.starts_with("Ctrl-C") {
            break;
        }
        table.push_str(&line);
    }
    assert!(table.lines().any(|l| l.starts_with("menu-api")), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("relay") && l.contains(&relay_listen)),
        "{table}"
    );
    let relay = format!("http://{relay_listen}");
    let (ok, list, err) = dishes(&["--relay", &relay]);
    assert!(ok, "{err}");
    assert!(list.contains("angstrom-grill"));
    let (ok, menu, _) = dishes(&["--relay", &relay, "--restaurant", "angstrom-grill"]);
    assert!(ok && menu.contains("Halloumi burger"), "{menu}");
    let _ = std::fs::remove_file(&conf);
}

/// Help with examples on the three commands; bad flags give a one-line error.
#[test]
fn help_and_bad_flags() {
    for cmd in ["relay", "menu-api", "dishes"] {
        let out = Command::new(HERD).args([cmd, "--help"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Examples"),
            "{cmd}"
        );
    }
    for args in [
        &["relay", "--memory", "lots"][..],
        &["relay", "--default-ttl", "soon"],
        &["menu-api", "--fail-rate", "2"],
        &["relay", "--upstream", "ftp://x", "--listen", "127.0.0.1:0"],
    ] {
        let out = Command::new(HERD).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        // One error line (clap may add its "For more information" hint after it).
        let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {err}");
    }
}
