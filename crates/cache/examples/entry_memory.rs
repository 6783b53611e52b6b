//! Where the memory of a cached entry goes: resident memory (RSS) per entry, measured in
//! steps over many entries shaped like the relay's (a 37-byte key, a 402-byte JSON body,
//! `Content-Type`, `Cache-Control` and `ETag` kept):
//!
//! 1. the bodies alone;
//! 2. plus everything else an [`Entry`] holds (`Arc<Entry>`, key, header map), in a `Vec`;
//! 3. the same entries held by the memory tier (moka) instead of the `Vec`;
//!
//! and what [`Entry::weight`] (the budget's measure) says an entry costs.
//!
//! `cargo run --release -p cache --example entry_memory [ENTRIES]` (default 50,000).
//! Linux only (reads /proc/self/statm).

use std::sync::Arc;

use bytes::Bytes;
use cache::{Entry, Freshness, MemoryTier};
use http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn upstream_headers(i: usize) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    let etag =
        HeaderValue::from_str(&format!("\"{i:08x}\"")).unwrap_or(HeaderValue::from_static("\"x\""));
    h.insert(ETAG, etag);
    h
}

fn body() -> Bytes {
    Bytes::from(vec![b'x'; 402])
}

fn entry(i: usize, body: Bytes) -> Arc<Entry> {
    Arc::new(Entry::new(
        format!("/api/restaurant/bistro-nobel/?k={i}"),
        200,
        &upstream_headers(i),
        body,
        Freshness {
            fresh_until: u64::MAX,
            sie_until: u64::MAX,
            swr_until: u64::MAX,
            ..Freshness::default()
        },
    ))
}

/// RSS growth per entry for one step, in this process.
fn measure(step: &str, n: usize) -> u64 {
    let before = rss_bytes();
    let grown = || rss_bytes().saturating_sub(before) / n as u64;
    match step {
        "bodies" => {
            let bodies: Vec<Bytes> = (0..n).map(|_| body()).collect();
            let per = grown();
            std::hint::black_box(bodies);
            per
        }
        "vec" => {
            let entries: Vec<Arc<Entry>> = (0..n).map(|i| entry(i, body())).collect();
            let per = grown();
            std::hint::black_box(entries);
            per
        }
        "memory" => {
            let memory = MemoryTier::new(1 << 30);
            for i in 0..n {
                memory.insert(entry(i, body()));
            }
            assert_eq!(memory.usage().1, n as u64, "the tier evicted entries");
            grown()
        }
        _ => u64::from(entry(0, body()).weight()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, step, n] = &args[..] {
        if flag == "--step" {
            println!("{}", measure(step, n.parse().unwrap_or(50_000)));
            return;
        }
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    // Each step in a fresh process, so one step's freed memory is not the next's.
    let run = |step: &str| {
        let exe = std::env::current_exe().unwrap_or_default();
        let out = std::process::Command::new(exe)
            .args(["--step", step, &n.to_string()])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        out
    };
    println!("{n} entries, RSS per entry:");
    println!("402-byte body alone:          {:>5} bytes", run("bodies"));
    println!("Entry in a Vec:               {:>5} bytes", run("vec"));
    println!("Entry in the memory tier:     {:>5} bytes", run("memory"));
    println!("Entry::weight (budget):       {:>5} bytes", run("weight"));
}
