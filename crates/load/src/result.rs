//! [`RunResult`]: what a run measured, as `--json` prints it and `merge` reads it back.
//! Field names are stable and documented in docs/load.md.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::stats::Errors;

/// Latency summary in milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl Latency {
    /// The summary of a histogram of microseconds (all zero when it is empty).
    pub fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// One second of the run (by when attempts ended).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SecondResult {
    /// Seconds since measuring started (0 is the first second).
    pub second: u64,
    /// Answers in this second.
    pub requests: u64,
    /// Errors (failures and non-2xx answers) in this second.
    pub errors: u64,
    /// Latency of every attempt that ended in this second, failures included.
    pub latency_ms: Latency,
    /// The second's histogram, encoded (see [`crate::hdr::encode`]).
    pub hdr: String,
}

impl SecondResult {
    /// A second in which nothing ended.
    pub fn empty(second: u64) -> SecondResult {
        SecondResult {
            second,
            requests: 0,
            errors: 0,
            latency_ms: Latency::default(),
            hdr: crate::hdr::encode(&crate::hdr::histogram()),
        }
    }
}

/// One stage of a `--stages` run (attempts by when they were due).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StageResult {
    /// 1-based stage number.
    pub stage: usize,
    /// The stage's length.
    pub duration_secs: f64,
    /// Rate (open loop) or users (closed loop) at the stage's end.
    pub target: f64,
    /// Answers.
    pub requests: u64,
    /// Errors (failures and non-2xx answers).
    pub errors: u64,
    /// Answers per second of the stage.
    pub requests_per_sec: f64,
    /// Latency of every attempt, failures included.
    pub latency_ms: Latency,
    /// The stage's histogram, encoded.
    pub hdr: String,
}

/// One URL of a `--urls` run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UrlResult {
    /// `METHOD URL`.
    pub url: String,
    /// Its weight in the file.
    pub weight: u64,
    /// Attempts: answers and failures.
    pub attempts: u64,
    /// Answers.
    pub requests: u64,
    /// Errors (failures and non-2xx answers).
    pub errors: u64,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// Largest latency, ms.
    pub max_ms: f64,
    /// Percentiles (at 1 % resolution); kept for up to `MAX_URL_PERCENTILES` URLs.
    pub latency_ms: Option<Latency>,
    /// The URL's histogram, encoded, when percentiles are kept.
    pub hdr: Option<String>,
}

/// The run's histograms, encoded, so that runs can be merged exactly.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Encoded {
    /// Every attempt, from when it was due (`latency_ms`).
    pub latency: String,
    /// Every attempt, from its actual send (`uncorrected_latency_ms`).
    pub uncorrected: String,
    /// Failed attempts only (`failed_latency_ms`).
    pub failed: String,
}

/// The result of one run; field names are stable (documented in docs/load.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    /// The URL loaded.
    pub url: String,
    /// `closed` or `open`.
    pub mode: String,
    /// Connections used.
    pub connections: usize,
    /// Engine threads used.
    pub threads: usize,
    /// Requested constant rate for open loop, else null.
    pub target_rate: Option<f64>,
    /// Completed answers (any status).
    pub requests: u64,
    /// Measured seconds.
    pub duration_secs: f64,
    /// Completed answers per second.
    pub requests_per_sec: f64,
    /// Answer bytes per second.
    pub bytes_per_sec: f64,
    /// Latency of every attempt, failures included at the time they were given up; for
    /// open loop measured from the intended send time.
    pub latency_ms: Latency,
    /// Open loop only: the same from the actual send time (what a naive tool reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncorrected_latency_ms: Option<Latency>,
    /// Latency of the failed attempts alone; null when none failed.
    #[serde(default)]
    pub failed_latency_ms: Option<Latency>,
    /// Errors by kind.
    pub errors: Errors,
    /// Answers with a non-2xx status.
    pub non_2xx: u64,
    /// Answers by HTTP status, 2xx included.
    #[serde(default)]
    pub status: BTreeMap<String, u64>,
    /// Completed answers in each second of the run.
    pub per_second: Vec<u64>,
    /// Each second: answers, errors and latency.
    #[serde(default)]
    pub timeline: Vec<SecondResult>,
    /// Per stage, with `--stages`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageResult>,
    /// Per URL, with `--urls`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<UrlResult>,
    /// How many runs were merged into this one (1 for a plain run).
    #[serde(default = "one")]
    pub runs: usize,
    /// The histograms, encoded.
    #[serde(default)]
    pub hdr: Option<Encoded>,
    /// Percentile curve of `latency_ms`: (percentile, ms) pairs, for charts.
    #[serde(skip)]
    pub curve: Vec<(f64, f64)>,
}

fn one() -> usize {
    1
}

impl RunResult {
    /// Attempts: answers plus failures.
    pub fn attempts(&self) -> u64 {
        self.requests + self.errors.failures()
    }
}

/// Percentiles sampled for the latency curve (chart and HTML table).
const CURVE: [f64; 12] = [
    0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 100.0,
];

/// The (percentile, ms) curve of a histogram.
pub(crate) fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    CURVE
        .iter()
        .map(|&p| (p, h.value_at_percentile(p) as f64 / 1000.0))
        .collect()
}

/// Build the result of a run of `plan` that measured for `elapsed`.
pub(crate) fn build(
    plan: &crate::Plan,
    stats: &crate::stats::Stats,
    elapsed: std::time::Duration,
    timeline: Vec<SecondResult>,
) -> RunResult {
    use crate::hdr::encode;
    let secs = elapsed.as_secs_f64().max(1e-9);
    let open = plan.is_open();
    let errors = stats.errors();
    let stages = plan
        .stages
        .iter()
        .flat_map(|s| s.steps.iter())
        .zip(&stats.stages)
        .enumerate()
        .map(|(i, (step, g))| {
            let d = step.duration.as_secs_f64();
            let hist = g.hist.as_ref();
            StageResult {
                stage: i + 1,
                duration_secs: d,
                target: step.target,
                requests: g.answers,
                errors: g.errors,
                requests_per_sec: if d > 0.0 { g.answers as f64 / d } else { 0.0 },
                latency_ms: hist.map(Latency::of).unwrap_or_default(),
                hdr: hist.map(encode).unwrap_or_default(),
            }
        })
        .collect();
    let urls = match &plan.target {
        crate::Target::Http { requests } if requests.entries().len() > 1 => requests
            .entries()
            .iter()
            .zip(&stats.urls)
            .map(|(e, g)| UrlResult {
                url: e.label.clone(),
                weight: e.weight,
                attempts: g.count,
                requests: g.answers,
                errors: g.errors,
                mean_ms: g.sum_us as f64 / g.count.max(1) as f64 / 1000.0,
                max_ms: g.max_us as f64 / 1000.0,
                latency_ms: g.hist.as_ref().map(Latency::of),
                hdr: g.hist.as_ref().map(encode),
            })
            .collect(),
        _ => Vec::new(),
    };
    RunResult {
        url: plan.url.clone(),
        mode: if open { "open" } else { "closed" }.into(),
        connections: plan.connections,
        threads: plan.threads,
        target_rate: plan.rate,
        requests: stats.answers,
        duration_secs: secs,
        requests_per_sec: stats.answers as f64 / secs,
        bytes_per_sec: stats.bytes as f64 / secs,
        latency_ms: Latency::of(&stats.corrected),
        uncorrected_latency_ms: open.then(|| Latency::of(&stats.uncorrected)),
        failed_latency_ms: (!stats.failed.is_empty()).then(|| Latency::of(&stats.failed)),
        non_2xx: errors.status.values().sum(),
        errors,
        status: stats.statuses(),
        per_second: stats.per_second.clone(),
        timeline,
        stages,
        urls,
        runs: 1,
        hdr: Some(Encoded {
            latency: encode(&stats.corrected),
            uncorrected: encode(&stats.uncorrected),
            failed: encode(&stats.failed),
        }),
        curve: curve(&stats.corrected),
    }
}
