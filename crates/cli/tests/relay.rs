//! `herd relay`, `herd menu-api`, `herd dishes` and `herd up` as a user runs them: real
//! processes on loopback, `kill -9` and restart on the same cache directory, stale
//! serving while menu-api is down and recovery when it is back, one-line errors. The
//! image is tested in tests/image.rs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::{get, herd_file, spawn, unused_addr, wait_until, TempDir, Up, HERD, UP_ON_PORT_0};

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
    let down = format!("http://{}", unused_addr());
    let (ok, _, err) = dishes(&["--relay", &down]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach the relay"), "{err}");
}

/// `kill -9` the relay, stop the upstream, restart the relay on the same --cache-dir: the
/// cached key is still served.
#[test]
fn kill_9_then_restart_serves_from_disk() {
    let dir = TempDir::new("relay-kill9");
    let dir_s = dir.path().display().to_string();
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
    // The disk write happens just after the answer: wait until the entry is committed
    // (its content in place and its index line written whole).
    wait_until(Duration::from_secs(30), "the entry on disk", || {
        entry_on_disk(dir.path())
    });
    drop(relay); // SIGKILL
    drop(menu);
    let (_relay, relay_addr) = spawn(&args);
    let (status, x, again) = get(&relay_addr, "/restaurant/");
    assert_eq!((status, x.as_str()), (200, "HIT"));
    assert_eq!(again, body);
}

/// Whether the cacache directory `dir` holds a committed entry: content is written (to a
/// temporary file renamed into place) before the index line, so a content file plus an
/// index line whose JSON parses whole is an entry a restart can read.
fn entry_on_disk(dir: &Path) -> bool {
    let index_line_whole = files(&dir.join("index-v5")).iter().any(|f| {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        text.lines().any(|l| {
            l.split_once('\t')
                .is_some_and(|(_, json)| serde_json::from_str::<serde_json::Value>(json).is_ok())
        })
    });
    index_line_whole && !files(&dir.join("content-v2")).is_empty()
}

/// The files under `dir`, at any depth.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// menu-api's --max-age in the stale test: long enough that two GETs in a row on a loaded
/// machine fall within it (the last one must be a HIT).
const MAX_AGE: Duration = Duration::from_secs(3);

/// With `herd relay` in front of a separately started `herd menu-api`: stopping menu-api
/// shows stale serving, starting it again (on the port the first one reported) recovers.
#[test]
fn stale_while_menu_api_down_then_recovery() {
    let max_age = format!("{}s", MAX_AGE.as_secs());
    let (menu, menu_addr) = spawn(&["menu-api", "--listen", "127.0.0.1:0", "--max-age", &max_age]);
    let upstream = format!("http://{menu_addr}/api");
    let (_relay, relay_addr) =
        spawn(&["relay", "--listen", "127.0.0.1:0", "--upstream", &upstream]);
    assert_eq!(get(&relay_addr, "/restaurant/linne-cafe/").1, "MISS");
    // The entry was stored before this point: past MAX_AGE from here, it is stale.
    let fetched = Instant::now();
    drop(menu);
    std::thread::sleep(
        (fetched + MAX_AGE + Duration::from_millis(200)).saturating_duration_since(Instant::now()),
    );
    let (status, x, body) = get(&relay_addr, "/restaurant/linne-cafe/");
    assert_eq!((status, x.as_str()), (200, "STALE"));
    assert!(body.contains("Linné Café"));
    // The same port again: the relay's upstream URL names it.
    let (_menu, _) = spawn(&["menu-api", "--listen", &menu_addr, "--max-age", &max_age]);
    let (status, x, _) = get(&relay_addr, "/restaurant/linne-cafe/");
    assert_eq!(status, 200);
    assert!(x == "REVALIDATED" || x == "MISS", "{x}");
    assert_eq!(get(&relay_addr, "/restaurant/linne-cafe/").1, "HIT");
}

/// `herd up` starts menu-api and a relay in front of it, shows both in its table, and
/// `herd dishes` works against it with no network.
#[test]
fn herd_up_serves_dishes() {
    let conf = herd_file(&["Solo"]);
    let up = Up::start(conf.path(), &UP_ON_PORT_0);
    let table = &up.table;
    assert!(table.lines().any(|l| l.starts_with("menu-api")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("relay")), "{table}");
    let relay = format!("http://{}", up.listen("relay"));
    let (ok, list, err) = dishes(&["--relay", &relay]);
    assert!(ok, "{err}");
    assert!(list.contains("angstrom-grill"));
    let (ok, menu, _) = dishes(&["--relay", &relay, "--restaurant", "angstrom-grill"]);
    assert!(ok && menu.contains("Halloumi burger"), "{menu}");
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
