//! The comparison as an SVG chart: one row per mix, requests per second on the left and
//! server CPU time per request on the right, against connections (log scale), one line
//! per server.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Cell, Mix, Report};
use crate::Error;

/// Draw the chart into `path`.
///
/// # Errors
/// [`Error::Compare`] if plotters cannot draw or write it.
pub fn write_chart(r: &Report, path: &Path) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Error::io("chart directory"))?;
    }
    draw(r, path).map_err(Error::Compare)
}

/// One quantity to plot.
struct Metric {
    title: &'static str,
    unit: &'static str,
    value: fn(&Cell) -> f64,
}

const METRICS: [Metric; 2] = [
    Metric {
        title: "requests/s",
        unit: "requests/s",
        value: |c| c.requests_per_sec,
    },
    Metric {
        title: "server CPU per request",
        unit: "µs per request",
        value: |c| c.cpu_us_per_request,
    },
];

fn draw(r: &Report, path: &Path) -> Result<(), String> {
    let rows = r.mixes.len().max(1);
    let root = SVGBackend::new(path, (1300, 420 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = root.split_evenly((rows, METRICS.len()));
    for (row, &mix) in r.mixes.iter().enumerate() {
        for (col, metric) in METRICS.iter().enumerate() {
            panel(&areas[row * METRICS.len() + col], r, mix, metric)?;
        }
    }
    root.present().map_err(|e| e.to_string())
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    r: &Report,
    mix: Mix,
    m: &Metric,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let xmax = r.connections.iter().copied().max().unwrap_or(1).max(2) as f64;
    let ymax = r
        .cells
        .iter()
        .filter(|c| c.mix == mix && c.requests > 0)
        .map(m.value)
        .fold(1.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{}: {}", mix.title(), m.title), ("sans-serif", 15))
        .margin(10)
        .margin_right(20)
        .x_label_area_size(34)
        .y_label_area_size(66)
        .build_cartesian_2d((1f64..xmax * 1.2).log_scale(), 0f64..ymax)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("connections")
        .y_desc(m.unit)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| super::markdown::thousands(*y))
        .draw()
        .map_err(e)?;
    for (i, server) in r.servers.iter().enumerate() {
        let points: Vec<(f64, f64)> = r
            .connections
            .iter()
            .filter_map(|&c| {
                r.cell(server, mix, c)
                    .map(|cell| (c.max(1) as f64, (m.value)(cell)))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        let color = Palette99::pick(i).to_rgba();
        let width = if server == "nginx" { 4 } else { 2 };
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))
            .map_err(e)?
            .label(server.clone())
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 18, y)], color.stroke_width(width))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .label_font(("sans-serif", 11))
        .draw()
        .map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report with two servers draws a chart with both in its legend.
    #[test]
    fn draws() {
        let cell = |server: &str, c: usize, rps: f64| Cell {
            server: server.into(),
            mix: Mix::Small,
            connections: c,
            requests_per_sec: rps,
            p50_ms: 0.1,
            p99_ms: 1.0,
            requests: 100,
            failures: 0,
            non_2xx: 0,
            server_cores: 0.5,
            cpu_us_per_request: 10.0,
            memory_mib: 3.0,
            threads: 1,
            processes: 1,
        };
        let r = Report {
            machine: "m".into(),
            date: "d".into(),
            command: "c".into(),
            duration_secs: 1.0,
            warmup_secs: 0.0,
            pinned: true,
            servers: vec!["nginx".into(), "epoll".into()],
            mixes: vec![Mix::Small],
            connections: vec![1, 10],
            cells: vec![
                cell("nginx", 1, 10.0),
                cell("nginx", 10, 20.0),
                cell("epoll", 1, 15.0),
                cell("epoll", 10, 30.0),
            ],
            load_average: "0.1 / 0.2".into(),
            unsettled: Vec::new(),
        };
        let d = crate::testdir::TestDir::new();
        let path = d.path().join("c.svg");
        write_chart(&r, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("nginx") && svg.contains("epoll") && svg.contains("µs per request"));
        let md = super::super::markdown::render(&r);
        assert!(
            md.contains("| epoll | 15 · 1.00 · 10 µs | 30 · 1.00 · 10 µs |"),
            "{md}"
        );
    }
}
