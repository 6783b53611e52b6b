//! Results as text: the human summary, the `--users` table and the `--json` document; and
//! (in [`html`]) the HTML page.

mod html;
mod timeline;

use std::fmt::Write;

pub use html::html;

use crate::result::{Latency, RunResult};

/// Milliseconds, to 4 significant digits or so: `0.341 ms`, `12.4 ms`, `1.20 s`.
pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

fn bytes(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} GB", v / 1e9),
        v if v >= 1e6 => format!("{:.2} MB", v / 1e6),
        v if v >= 1e3 => format!("{:.2} kB", v / 1e3),
        v => format!("{v:.0} B"),
    }
}

/// The error counts in one line ("none" when clean).
pub fn errors_line(r: &RunResult) -> String {
    let e = &r.errors;
    let mut parts: Vec<String> = [
        ("connect", e.connect),
        ("tls", e.tls),
        ("timeout", e.timeout),
        ("io", e.io),
        ("parse", e.parse),
        ("rejected", e.rejected),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| format!("{k} {n}"))
    .collect();
    parts.extend(e.status.iter().map(|(code, n)| format!("HTTP {code}: {n}")));
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// Answers by status code in one line, 2xx included (empty for herd runs).
pub fn status_line(r: &RunResult) -> String {
    r.status
        .iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mode(r: &RunResult) -> String {
    match (r.target_rate, r.stages.last()) {
        (Some(rate), _) => format!("open loop at {rate} req/s"),
        (None, Some(_)) if r.mode == "open" => format!("open loop, {} stages", r.stages.len()),
        (None, Some(_)) => format!("closed loop, {} stages", r.stages.len()),
        (None, None) => format!("{} loop", r.mode),
    }
}

const HEADS: [&str; 6] = ["mean", "p50", "p90", "p99", "p99.9", "max"];

fn row(s: &mut String, label: &str, l: &Latency) {
    let _ = writeln!(
        s,
        "{label:<9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        ms(l.mean),
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max)
    );
}

/// The human summary of one run (or merge).
pub fn summary(r: &RunResult) -> String {
    let mut s = String::new();
    let merged = if r.runs > 1 {
        format!(", {} runs merged", r.runs)
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "Target    {}  ({}, {} connections, {} threads{merged})",
        r.url,
        mode(r),
        r.connections,
        r.threads
    );
    let _ = writeln!(
        s,
        "Requests  {} in {:.2} s  =  {:.1} req/s, {}/s",
        r.requests,
        r.duration_secs,
        r.requests_per_sec,
        bytes(r.bytes_per_sec)
    );
    if !r.status.is_empty() {
        let _ = writeln!(s, "Status    {}", status_line(r));
    }
    let _ = writeln!(s, "Errors    {}", errors_line(r));
    if let Some(rate) = r.target_rate.filter(|&t| r.requests_per_sec < 0.95 * t) {
        let _ = writeln!(
            s,
            "Warning   reached {:.0} of {rate} req/s: add connections (-c) or threads",
            r.requests_per_sec
        );
    }
    let _ = writeln!(
        s,
        "Latency   {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        HEADS[0], HEADS[1], HEADS[2], HEADS[3], HEADS[4], HEADS[5]
    );
    match &r.uncorrected_latency_ms {
        Some(u) => {
            row(&mut s, " intended", &r.latency_ms);
            row(&mut s, " sent", u);
        }
        None => row(&mut s, "", &r.latency_ms),
    }
    if let Some(f) = &r.failed_latency_ms {
        row(&mut s, " failed", f);
    }
    if r.uncorrected_latency_ms.is_some() {
        let _ = writeln!(s, "          (intended: from when each request was due, corrected for coordinated omission;\n           sent: from when it was actually sent)");
    }
    if r.failed_latency_ms.is_some() {
        let _ = writeln!(
            s,
            "          (failed attempts are in every row at the time they were given up;\n           `failed` shows them alone)"
        );
    }
    stages_table(&mut s, r);
    urls_table(&mut s, r);
    s
}

fn stages_table(s: &mut String, r: &RunResult) {
    if r.stages.is_empty() {
        return;
    }
    let unit = if r.mode == "open" { "req/s" } else { "users" };
    let _ = writeln!(
        s,
        "\nStage  {:>9} {:>10} {:>12} {:>10} {:>10} {:>10} {:>8}",
        "duration",
        format!("to {unit}"),
        "req/s",
        "p50",
        "p99",
        "max",
        "errors"
    );
    for st in &r.stages {
        let _ = writeln!(
            s,
            "{:>5}  {:>8.1}s {:>10} {:>12.1} {:>10} {:>10} {:>10} {:>8}",
            st.stage,
            st.duration_secs,
            st.target,
            st.requests_per_sec,
            ms(st.latency_ms.p50),
            ms(st.latency_ms.p99),
            ms(st.latency_ms.max),
            st.errors
        );
    }
}

/// Most URL rows in the text summary (all are in `--json`).
const SUMMARY_URLS: usize = 50;

fn urls_table(s: &mut String, r: &RunResult) {
    if r.urls.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n{:>10} {:>10} {:>10} {:>10} {:>8}  URL",
        "requests", "mean", "p99", "max", "errors"
    );
    for u in r.urls.iter().take(SUMMARY_URLS) {
        let p99 = u.latency_ms.as_ref().map_or("-".into(), |l| ms(l.p99));
        let _ = writeln!(
            s,
            "{:>10} {:>10} {:>10} {:>10} {:>8}  {}",
            u.requests,
            ms(u.mean_ms),
            p99,
            ms(u.max_ms),
            u.errors,
            u.url
        );
    }
    if r.urls.len() > SUMMARY_URLS {
        let _ = writeln!(
            s,
            "  ... {} more URLs in --json",
            r.urls.len() - SUMMARY_URLS
        );
    }
}

/// The `--users` table: one row per level, as the original relay study printed it.
pub fn users_table(levels: &[RunResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>7} {:>12} {:>12} {:>12} {:>8}",
        "users", "requests/s", "mean", "p99", "errors"
    );
    for r in levels {
        let _ = writeln!(
            s,
            "{:>7} {:>12.1} {:>12} {:>12} {:>8}",
            r.connections,
            r.requests_per_sec,
            ms(r.latency_ms.mean),
            ms(r.latency_ms.p99),
            r.errors.total()
        );
    }
    s
}

/// The `--json` document: one run's object, or `{"levels": [...]}` for a `--users` series
/// (`levels` true). Fields are documented in docs/load.md.
///
/// # Errors
/// Only if serialization fails, which these plain types do not.
pub fn json(runs: &[RunResult], levels: bool) -> Result<String, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Levels<'a> {
        levels: &'a [RunResult],
    }
    match runs {
        [one] if !levels => serde_json::to_string_pretty(one),
        _ => serde_json::to_string_pretty(&Levels { levels: runs }),
    }
}

#[cfg(test)]
mod tests;
