//! The live progress bar: elapsed time (or requests) and requests per second, drawn by a
//! separate thread from relaxed counters, only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::Shared;

/// A running progress bar; [`Progress::finish`] removes it.
#[derive(Debug)]
pub(crate) struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    pub(crate) fn start(shared: Arc<Shared>) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { stop, thread: None };
        }
        let flag = stop.clone();
        let thread = std::thread::spawn(move || draw(&shared, &flag));
        Progress {
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn draw(shared: &Shared, stop: &AtomicBool) {
    let plan = &shared.plan;
    let (len, by_time) = match (plan.requests, plan.duration) {
        (Some(n), _) => (n, false),
        (None, Some(d)) => ((plan.warmup + d).as_millis() as u64, true),
        (None, None) => (0, true),
    };
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{spinner} [{bar:40}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    let (mut last, mut last_at) = (0u64, Instant::now());
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        let done = shared.done.load(Ordering::Relaxed);
        let now = Instant::now();
        let rate = (done - last) as f64 / now.duration_since(last_at).as_secs_f64();
        (last, last_at) = (done, now);
        let warm = if now < shared.measure_from {
            " (warm-up)"
        } else {
            ""
        };
        bar.set_message(format!("{done} requests, {rate:.0} req/s{warm}"));
        bar.set_position(if by_time {
            now.duration_since(shared.start).as_millis() as u64
        } else {
            done
        });
    }
    bar.finish_and_clear();
}
