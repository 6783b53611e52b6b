//! The live view: each second, requests per second, p50 and p99 over that second, and
//! errors. On a terminal one status line is redrawn in place under a progress bar; when
//! stderr is not a terminal (a log file, CI) each second is one plain line.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::report::ms;
use crate::result::SecondResult;

#[derive(Debug)]
enum Mode {
    Off,
    Plain,
    Collect(Arc<Mutex<Vec<String>>>),
    Bar(ProgressBar),
}

/// Where the live view goes.
#[derive(Clone, Debug, Default)]
pub enum LiveView {
    /// Nowhere.
    #[default]
    Off,
    /// To stderr: a line redrawn in place on a terminal, plain lines otherwise.
    Stderr,
    /// Plain lines collected here (for tests and embedding).
    Lines(Arc<Mutex<Vec<String>>>),
}

/// The live view of one run.
#[derive(Debug)]
pub(crate) struct Live {
    mode: Mode,
    start: Instant,
    measure_from: Instant,
    /// Whole run length when known (warm-up included), for the bar.
    length: Option<Duration>,
}

/// One second as a line of text.
pub(crate) fn line(s: &SecondResult, length: Duration) -> String {
    let rate = s.requests as f64 / length.as_secs_f64().max(1e-3);
    format!(
        "{:>5}s {:>11.0} req/s   p50 {:>9}   p99 {:>9}   errors {}",
        s.second + 1,
        rate,
        ms(s.latency_ms.p50),
        ms(s.latency_ms.p99),
        s.errors
    )
}

impl Live {
    /// A live view to `to`.
    pub(crate) fn new(
        to: &LiveView,
        start: Instant,
        measure_from: Instant,
        length: Option<Duration>,
    ) -> Live {
        let mode = match to {
            LiveView::Off => Mode::Off,
            LiveView::Lines(lines) => Mode::Collect(lines.clone()),
            LiveView::Stderr if !std::io::stderr().is_terminal() => Mode::Plain,
            LiveView::Stderr => {
                let total = length.map_or(0, |d| d.as_millis() as u64);
                let bar = if total > 0 {
                    ProgressBar::new(total)
                } else {
                    ProgressBar::new_spinner()
                };
                let style =
                    ProgressStyle::with_template("{spinner} [{bar:30}] {elapsed:>4}  {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                bar.set_style(style);
                Mode::Bar(bar)
            }
        };
        Live {
            mode,
            start,
            measure_from,
            length,
        }
    }

    /// A second is complete.
    pub(crate) fn second(&mut self, s: &SecondResult, length: Duration) {
        match &mut self.mode {
            Mode::Off => {}
            Mode::Plain => eprintln!("{}", line(s, length)),
            Mode::Collect(lines) => {
                if let Ok(mut l) = lines.lock() {
                    l.push(line(s, length));
                }
            }
            Mode::Bar(bar) => bar.set_message(line(s, length).trim_start().to_string()),
        }
    }

    /// Redraw the bar's position (terminal only).
    pub(crate) fn tick(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            let now = Instant::now();
            if now < self.measure_from {
                bar.set_message("warm-up");
            }
            if self.length.is_some() {
                bar.set_position(now.duration_since(self.start).as_millis() as u64);
            } else {
                bar.tick();
            }
        }
    }

    /// Remove the bar.
    pub(crate) fn finish(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
        self.mode = Mode::Off;
    }
}
