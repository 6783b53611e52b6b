//! The comparison as an SVG chart: one panel per mix, requests per second against
//! connections (log scale), one line per server.

use std::path::Path;

use plotters::prelude::*;

use super::Report;
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

fn draw(r: &Report, path: &Path) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let panels = r.mixes.len().max(1);
    let cols = if panels > 1 { 2 } else { 1 };
    let rows = panels.div_ceil(cols);
    let root = SVGBackend::new(path, (1200, 460 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let areas = root.split_evenly((rows, cols));
    let xmax = r.connections.iter().copied().max().unwrap_or(1).max(2) as f64;
    for (area, &mix) in areas.iter().zip(&r.mixes) {
        let ymax = r
            .cells
            .iter()
            .filter(|c| c.mix == mix)
            .map(|c| c.requests_per_sec)
            .fold(1.0, f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{}: requests/s", mix.title()), ("sans-serif", 17))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d((1f64..xmax * 1.2).log_scale(), 0f64..ymax)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("connections")
            .y_desc("requests/s")
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
                        .map(|cell| (c.max(1) as f64, cell.requests_per_sec))
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
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}
