//! Many URLs from a file against a real server: round-robin, exact weights, bodies from
//! files, per-URL rows.

mod common;

use std::sync::atomic::Ordering;

use common::{start, Behavior};
use load::{Outputs, Plan, Target};

fn list(name: &str, text: &str, files: &[(&str, &[u8])]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("herd-load-urls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (f, data) in files {
        std::fs::write(dir.join(f), data).unwrap();
    }
    let path = dir.join("urls.txt");
    std::fs::write(&path, text).unwrap();
    path
}

fn plan_for(path: &std::path::Path, addr: std::net::SocketAddr, requests: u64) -> Plan {
    let (_, requests_list) = load::urls::load_url_file(path, &[]).unwrap();
    Plan {
        target: Target::Http {
            requests: requests_list,
        },
        requests: Some(requests),
        connections: 1,
        threads: 1,
        ..Plan::for_test(addr)
    }
}

/// Weights are exact per cycle of the total weight (on one connection; each connection
/// walks the cycle on its own), bodies reach the server, and each URL has its own row.
#[test]
fn weighted_urls_with_bodies() {
    let server = start(Behavior::Ok);
    let a = server.addr;
    let text = format!("# a realistic key mix\nGET http://{a}/hot weight=6\nGET http://{a}/warm weight=3\nPOST http://{a}/cold @body.json\n");
    let path = list("weighted", &text, &[("body.json", b"{\"k\":42}")]);
    let r = load::run(plan_for(&path, a, 1000), &mut Outputs::none()).unwrap();
    assert_eq!((r.requests, r.errors.total()), (1000, 0));
    let seen = server.by_target();
    assert_eq!(
        (seen["/hot"], seen["/warm"], seen["/cold"]),
        (600, 300, 100),
        "{seen:?}"
    );
    let posts: Vec<_> = server
        .observed
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "POST")
        .cloned()
        .collect();
    assert!(posts
        .iter()
        .all(|s| s.target == "/cold" && s.body == b"{\"k\":42}"));
    assert_eq!(r.urls.len(), 3);
    assert_eq!(r.urls[0].url, format!("GET http://{a}/hot"));
    assert_eq!((r.urls[0].weight, r.urls[0].requests), (6, 600));
    assert_eq!(r.urls[2].requests, 100);
    assert!(r
        .urls
        .iter()
        .all(|u| u.latency_ms.is_some() && u.hdr.is_some()));
    let s = load::report::summary(&r);
    assert!(s.contains(&format!("POST http://{a}/cold")), "{s}");
    let spread = load::run(
        Plan {
            connections: 4,
            threads: 2,
            ..plan_for(&path, a, 1000)
        },
        &mut Outputs::none(),
    )
    .unwrap();
    let hot = spread.urls[0].requests;
    assert!(
        (590..=610).contains(&hot),
        "4 connections: {hot} of 1000 to /hot"
    );
}

/// Without weights the URLs go round-robin; per-URL errors are counted by URL.
#[test]
fn round_robin_and_per_url_errors() {
    let server = start(Behavior::Cycle(&[200, 200, 500]));
    let a = server.addr;
    let text = format!("GET http://{a}/1\nGET http://{a}/2\nGET http://{a}/3\n");
    let path = list("rr", &text, &[]);
    let r = load::run(plan_for(&path, a, 300), &mut Outputs::none()).unwrap();
    let seen = server.by_target();
    assert_eq!(seen.values().copied().collect::<Vec<_>>(), [100, 100, 100]);
    let errors: Vec<u64> = r.urls.iter().map(|u| u.errors).collect();
    assert_eq!(
        errors,
        [0, 0, 100],
        "one connection: every third answer, the /3 one, is a 500"
    );
    assert_eq!(server.count.load(Ordering::SeqCst), 300);
}

/// Past MAX_URL_PERCENTILES URLs, rows keep counts, mean and max but no percentiles.
#[test]
fn many_urls_keep_counts() {
    let server = start(Behavior::Ok);
    let a = server.addr;
    let n = load::MAX_URL_PERCENTILES + 1;
    let text: String = (0..n).map(|i| format!("GET http://{a}/k{i}\n")).collect();
    let path = list("many", &text, &[]);
    let r = load::run(plan_for(&path, a, n as u64 * 2), &mut Outputs::none()).unwrap();
    assert_eq!(r.urls.len(), n);
    assert!(r
        .urls
        .iter()
        .all(|u| u.requests == 2 && u.latency_ms.is_none() && u.max_ms > 0.0));
    assert_eq!(server.by_target().len(), n);
}
