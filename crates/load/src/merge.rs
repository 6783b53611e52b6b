//! `herd load merge`: runs taken at the same time on several machines, combined into one
//! result. Latencies come from the sum of the runs' HDR histograms (never from averaged
//! percentiles); counts add up; rates add up, because the runs loaded the server together;
//! the duration is the longest run's. Seconds of the timeline, stages and URLs are merged
//! the same way, matched by second, stage number and URL.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use hdrhistogram::Histogram;

use crate::hdr::{decode, encode, histogram};
use crate::result::{curve, Encoded, Latency, RunResult, SecondResult, StageResult, UrlResult};
use crate::stats::add;
use crate::Error;

/// Largest run file read, in bytes.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

/// Read one `--json` run from `path`.
///
/// # Errors
/// [`Error::Usage`] if the file cannot be read, is over [`MAX_FILE`], is not a run's JSON
/// (a `--users` series is refused: merge one level's object at a time).
pub fn read_run(path: &Path) -> Result<RunResult, Error> {
    let name = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| Error::Usage(format!("cannot read {name}: {e}")))?;
    let mut text = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut text)
        .map_err(|e| Error::Usage(format!("cannot read {name}: {e}")))?;
    if text.len() as u64 > MAX_FILE {
        return Err(Error::Usage(format!(
            "{name} is larger than {MAX_FILE} bytes"
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| Error::Usage(format!("{name} is not JSON: {e}")))?;
    if value.get("levels").is_some() {
        return Err(Error::Usage(format!(
            "{name} is a --users series; merge single runs (one object per file)"
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::Usage(format!("{name} is not a herd load --json run: {e}")))
}

fn hist(text: &str, what: &str) -> Result<Histogram<u64>, Error> {
    decode(text).map_err(|e| Error::Usage(format!("{what}: {e}")))
}

fn sum_into(acc: &mut Option<Histogram<u64>>, h: &Histogram<u64>) {
    match acc {
        Some(a) => add(a, h),
        None => *acc = Some(h.clone()),
    }
}

/// Merge `runs` into one result.
///
/// # Errors
/// [`Error::Usage`] for no runs, a run without encoded histograms (from an older version),
/// a histogram that does not decode, or runs with different stage lists.
pub fn merge(runs: &[RunResult]) -> Result<RunResult, Error> {
    let first = runs
        .first()
        .ok_or_else(|| Error::Usage("nothing to merge".into()))?;
    let (mut latency, mut uncorrected, mut failed) = (histogram(), histogram(), histogram());
    for (i, r) in runs.iter().enumerate() {
        let e = r.hdr.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "run {} ({}) carries no histograms: rerun with this version",
                i + 1,
                r.url
            ))
        })?;
        let what = format!("run {}", i + 1);
        add(&mut latency, &hist(&e.latency, &what)?);
        add(&mut uncorrected, &hist(&e.uncorrected, &what)?);
        add(&mut failed, &hist(&e.failed, &what)?);
    }
    let mut urls: Vec<String> = Vec::new();
    for r in runs {
        if !urls.contains(&r.url) {
            urls.push(r.url.clone());
        }
    }
    let open = runs.iter().any(|r| r.mode == "open");
    let mut errors = crate::Errors::default();
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_second: Vec<u64> = Vec::new();
    for r in runs {
        errors.add(&r.errors);
        for (k, v) in &r.status {
            *status.entry(k.clone()).or_default() += v;
        }
        if per_second.len() < r.per_second.len() {
            per_second.resize(r.per_second.len(), 0);
        }
        for (a, b) in per_second.iter_mut().zip(&r.per_second) {
            *a += b;
        }
    }
    let sum_f = |f: fn(&RunResult) -> f64| runs.iter().map(f).sum::<f64>();
    Ok(RunResult {
        url: urls.join(", "),
        mode: if runs.iter().all(|r| r.mode == first.mode) {
            first.mode.clone()
        } else {
            "mixed".into()
        },
        connections: runs.iter().map(|r| r.connections).sum(),
        threads: runs.iter().map(|r| r.threads).sum(),
        target_rate: runs.iter().map(|r| r.target_rate).sum(),
        requests: runs.iter().map(|r| r.requests).sum(),
        duration_secs: runs.iter().map(|r| r.duration_secs).fold(0.0, f64::max),
        requests_per_sec: sum_f(|r| r.requests_per_sec),
        bytes_per_sec: sum_f(|r| r.bytes_per_sec),
        latency_ms: Latency::of(&latency),
        uncorrected_latency_ms: open.then(|| Latency::of(&uncorrected)),
        failed_latency_ms: (!failed.is_empty()).then(|| Latency::of(&failed)),
        non_2xx: runs.iter().map(|r| r.non_2xx).sum(),
        errors,
        status,
        per_second,
        timeline: timeline(runs)?,
        stages: stages(runs)?,
        urls: url_rows(runs)?,
        runs: runs.iter().map(|r| r.runs).sum(),
        curve: curve(&latency),
        hdr: Some(Encoded {
            latency: encode(&latency),
            uncorrected: encode(&uncorrected),
            failed: encode(&failed),
        }),
    })
}

fn timeline(runs: &[RunResult]) -> Result<Vec<SecondResult>, Error> {
    let mut by_second: BTreeMap<u64, (Option<Histogram<u64>>, u64, u64)> = BTreeMap::new();
    for r in runs {
        for s in &r.timeline {
            let e = by_second.entry(s.second).or_default();
            sum_into(&mut e.0, &hist(&s.hdr, &format!("second {}", s.second))?);
            e.1 += s.requests;
            e.2 += s.errors;
        }
    }
    Ok(by_second
        .into_iter()
        .map(|(second, (h, requests, errors))| {
            let h = h.unwrap_or_else(histogram);
            SecondResult {
                second,
                requests,
                errors,
                latency_ms: Latency::of(&h),
                hdr: encode(&h),
            }
        })
        .collect())
}

fn stages(runs: &[RunResult]) -> Result<Vec<StageResult>, Error> {
    let Some(first) = runs.iter().find(|r| !r.stages.is_empty()) else {
        return Ok(Vec::new());
    };
    let n = first.stages.len();
    if runs.iter().any(|r| r.stages.len() != n) {
        return Err(Error::Usage("the runs have different --stages".into()));
    }
    (0..n)
        .map(|i| {
            let mut h = histogram();
            let mut out = first.stages[i].clone();
            (out.target, out.requests, out.errors, out.requests_per_sec) = (0.0, 0, 0, 0.0);
            for r in runs {
                let s = &r.stages[i];
                add(&mut h, &hist(&s.hdr, &format!("stage {}", s.stage))?);
                out.target += s.target;
                out.requests += s.requests;
                out.errors += s.errors;
                out.requests_per_sec += s.requests_per_sec;
                out.duration_secs = out.duration_secs.max(s.duration_secs);
            }
            out.latency_ms = Latency::of(&h);
            out.hdr = encode(&h);
            Ok(out)
        })
        .collect()
}

fn url_rows(runs: &[RunResult]) -> Result<Vec<UrlResult>, Error> {
    let mut rows: Vec<(UrlResult, Option<Histogram<u64>>, bool)> = Vec::new();
    for r in runs {
        for u in &r.urls {
            let h = u.hdr.as_deref().map(|t| hist(t, &u.url)).transpose()?;
            match rows.iter_mut().find(|(row, _, _)| row.url == u.url) {
                None => rows.push((u.clone(), h.clone(), h.is_some())),
                Some((row, acc, all_have)) => {
                    let total = (row.attempts + u.attempts).max(1) as f64;
                    row.mean_ms =
                        (row.mean_ms * row.attempts as f64 + u.mean_ms * u.attempts as f64) / total;
                    row.max_ms = row.max_ms.max(u.max_ms);
                    row.attempts += u.attempts;
                    row.requests += u.requests;
                    row.errors += u.errors;
                    *all_have &= h.is_some();
                    if let Some(h) = &h {
                        sum_into(acc, h);
                    }
                }
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|(mut row, h, all_have)| {
            // Percentiles only when every run kept them for this URL.
            let h = h.filter(|_| all_have);
            row.latency_ms = h.as_ref().map(Latency::of);
            row.hdr = h.as_ref().map(encode);
            row
        })
        .collect())
}
