//! The latency-over-time chart of the HTML report: p50 and p99 of each second, with the
//! stage boundaries of a `--stages` run drawn as vertical lines.

use plotters::prelude::*;

use crate::RunResult;

/// The chart as inline SVG.
///
/// # Errors
/// A message if plotters cannot draw it.
pub(super) fn timeline_chart(runs: &[RunResult]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let xmax = runs
            .iter()
            .flat_map(|r| r.timeline.last().map(|s| s.second + 1))
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let ymax = runs
            .iter()
            .flat_map(|r| r.timeline.iter().map(|s| s.latency_ms.p99))
            .fold(0.001, f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Latency over time (each second: p50 thin, p99 thick)",
                ("sans-serif", 18),
            )
            .margin(12)
            .margin_right(28)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("second")
            .y_desc("ms")
            .draw()
            .map_err(|e| e.to_string())?;
        if let Some(r) = runs.iter().find(|r| !r.stages.is_empty()) {
            let mut t = 0.0;
            for st in &r.stages {
                t += st.duration_secs;
                if t < xmax {
                    let line = PathElement::new([(t, 0.0), (t, ymax)], BLACK.mix(0.3));
                    chart
                        .draw_series(std::iter::once(line))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        for (i, r) in runs.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let at = |f: fn(&crate::result::Latency) -> f64| -> Vec<(f64, f64)> {
                r.timeline
                    .iter()
                    .filter(|s| s.requests + s.errors > 0)
                    .map(|s| (s.second as f64 + 0.5, f(&s.latency_ms)))
                    .collect()
            };
            chart
                .draw_series(LineSeries::new(at(|l| l.p50), color.stroke_width(1)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(at(|l| l.p99), color.stroke_width(3)))
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
