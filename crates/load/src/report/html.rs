//! `--report FILE.html`: one self-contained page with the summary, a latency percentile
//! chart, latency and requests per second over time, and the stage and URL tables, as
//! inline SVG drawn by plotters.

use plotters::prelude::*;

use crate::RunResult;

/// x position on a "nines" axis: 0 → 0, 90 → 1, 99 → 2, 99.9 → 3 ... up to 99.999 → 5;
/// the maximum is drawn at 5 too, as the final vertical step.
fn nines(p: f64) -> f64 {
    -(1.0 - (p / 100.0).min(0.999_99)).log10()
}

fn latency_chart(runs: &[RunResult]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let ymax = runs
            .iter()
            .flat_map(|r| r.curve.iter().map(|c| c.1))
            .fold(0.001, f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption("Latency by percentile", ("sans-serif", 18))
            .margin(12)
            .margin_right(28)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..5f64, 0f64..ymax)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("ms")
            .x_labels(6)
            .x_label_formatter(&|x| {
                // x nines: 0 -> "0", 1 -> "90", 2 -> "99", 3 -> "99.9", ...
                let p = 100.0 * (1.0 - 10f64.powf(-x));
                let decimals = (x.round() as usize).saturating_sub(2);
                format!("{p:.decimals$}")
            })
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, r) in runs.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let pts: Vec<(f64, f64)> = r.curve.iter().map(|&(p, v)| (nines(p), v)).collect();
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(format!("{} conns", r.connections))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn rate_chart(runs: &[RunResult]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        // Only whole seconds: the last bucket of a run is usually a fraction of a second
        // and would draw as a misleading drop.
        let whole = |r: &RunResult| r.per_second.len().min(r.duration_secs.floor() as usize);
        let xmax = runs.iter().map(whole).max().unwrap_or(1).max(1) as f64;
        let ymax = runs
            .iter()
            .flat_map(|r| r.per_second.iter().copied())
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption("Requests per second over time", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("second")
            .y_desc("requests/s")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, r) in runs.iter().enumerate() {
            let pts: Vec<(f64, f64)> = r.per_second[..whole(r)]
                .iter()
                .enumerate()
                .map(|(s, &n)| (s as f64 + 0.5, n as f64))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, Palette99::pick(i).stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The stage and URL rows of the runs as HTML tables (empty when there are none).
fn tables(runs: &[RunResult]) -> String {
    let mut out = String::new();
    for r in runs {
        if !r.stages.is_empty() {
            out.push_str("<h2>Stages</h2><table><tr><th>stage</th><th>seconds</th><th>target</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>errors</th></tr>\n");
            for s in &r.stages {
                let l = &s.latency_ms;
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{:.1}</td><td>{}</td><td>{:.1}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td></tr>\n",
                    s.stage, s.duration_secs, s.target, s.requests_per_sec, l.p50, l.p99, l.max, s.errors
                ));
            }
            out.push_str("</table>\n");
        }
        if !r.urls.is_empty() {
            out.push_str("<h2>URLs</h2><table><tr><th>URL</th><th>requests</th><th>mean ms</th><th>p99 ms</th><th>max ms</th><th>errors</th></tr>\n");
            for u in &r.urls {
                let p99 = u
                    .latency_ms
                    .as_ref()
                    .map_or("-".into(), |l| format!("{:.3}", l.p99));
                out.push_str(&format!(
                    "<tr><td style=\"text-align:left\">{}</td><td>{}</td><td>{:.3}</td><td>{p99}</td><td>{:.3}</td><td>{}</td></tr>\n",
                    escape(&u.url), u.requests, u.mean_ms, u.max_ms, u.errors
                ));
            }
            out.push_str("</table>\n");
        }
    }
    out
}

/// The whole page for one run or a `--users` series.
///
/// # Errors
/// A message if a chart cannot be drawn.
pub fn html(runs: &[RunResult]) -> Result<String, String> {
    let mut rows = String::new();
    for r in runs {
        let l = &r.latency_ms;
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td></tr>\n",
            r.connections, r.requests, r.requests_per_sec, l.p50, l.p90, l.p99, l.p999, l.max,
            escape(&super::errors_line(r))
        ));
    }
    let summaries: String = runs
        .iter()
        .map(|r| escape(&super::summary(r)))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>herd load report</title>\n\
<style>body{{font-family:sans-serif;margin:2em;max-width:820px}}table{{border-collapse:collapse}}\
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}pre{{background:#f6f6f6;padding:1em}}</style>\n\
</head><body>\n<h1>herd load: {}</h1>\n<table><tr><th>connections</th><th>requests</th><th>req/s</th>\
<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>errors</th></tr>\n{rows}</table>\n\
{}\n{}\n{}\n{}<h2>Summary</h2><pre>{summaries}</pre>\n</body></html>\n",
        escape(&runs.first().map(|r| r.url.clone()).unwrap_or_default()),
        latency_chart(runs)?,
        super::timeline::timeline_chart(runs)?,
        rate_chart(runs)?,
        tables(runs),
    ))
}
