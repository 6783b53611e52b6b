//! Seconds of a run. Each thread's [`Window`] hands every finished second's histogram and
//! counts to the [`Collector`] over a channel; the collector merges a second once every
//! thread has moved past it and feeds the live view, the timeline and the `--hdr-log`.
//! Threads roll their window when they record into a later second, and a ticker rolls it
//! on each second boundary, so an idle thread does not hold the others' seconds back.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::hdr::{encode, histogram, IntervalLog};
use crate::live::Live;
use crate::result::{Latency, SecondResult};
use crate::stats::add;

/// One thread's finished second, and how far that thread has got.
#[derive(Debug)]
pub(crate) struct Tick {
    thread: usize,
    second: u64,
    hist: Option<Histogram<u64>>,
    answers: u64,
    errors: u64,
    /// Every second before this one is final for the thread (`u64::MAX`: thread done).
    upto: u64,
}

/// The current second of one thread.
#[derive(Debug)]
pub(crate) struct Window {
    thread: usize,
    second: u64,
    hist: Option<Histogram<u64>>,
    answers: u64,
    errors: u64,
    tx: Option<Sender<Tick>>,
}

impl Window {
    /// A window for `thread` sending to `tx`; with `None` it records nothing.
    pub(crate) fn new(thread: usize, tx: Option<Sender<Tick>>) -> Window {
        Window {
            thread,
            second: 0,
            hist: None,
            answers: 0,
            errors: 0,
            tx,
        }
    }

    /// Record an attempt that ended in `second` (late ones count in the current second).
    pub(crate) fn record(&mut self, second: u64, us: u64, answered: bool, error: bool) {
        if self.tx.is_none() {
            return;
        }
        self.roll(second);
        self.hist
            .get_or_insert_with(histogram)
            .saturating_record(us);
        self.answers += u64::from(answered);
        self.errors += u64::from(error);
    }

    /// Move to `second`, handing over the current one if it is earlier.
    pub(crate) fn roll(&mut self, second: u64) {
        if second > self.second {
            self.send(second);
            self.second = second;
        }
    }

    fn send(&mut self, upto: u64) {
        if let Some(tx) = &self.tx {
            // A collector that stopped listening only loses the live view.
            let _ = tx.send(Tick {
                thread: self.thread,
                second: self.second,
                hist: self.hist.take(),
                answers: std::mem::take(&mut self.answers),
                errors: std::mem::take(&mut self.errors),
                upto,
            });
        }
    }

    /// Hand over the last second and close the channel from this side.
    pub(crate) fn finish(&mut self) {
        self.send(u64::MAX);
        self.tx = None;
    }
}

#[derive(Debug, Default)]
struct Pending {
    hist: Option<Histogram<u64>>,
    answers: u64,
    errors: u64,
}

/// Merges the threads' seconds, in order, as they become final.
#[derive(Debug)]
pub(crate) struct Collector<'a> {
    upto: Vec<u64>,
    pending: BTreeMap<u64, Pending>,
    next: u64,
    pub(crate) timeline: Vec<SecondResult>,
    log: Option<&'a mut IntervalLog>,
    tag: Option<String>,
    /// Wall-clock time at which measuring started.
    wall_start: SystemTime,
    pub(crate) live: Live,
    /// The first error writing the log; the run goes on, the error is reported after it.
    pub(crate) log_error: Option<std::io::Error>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(
        threads: usize,
        log: Option<&'a mut IntervalLog>,
        tag: Option<String>,
        wall_start: SystemTime,
        live: Live,
    ) -> Collector<'a> {
        Collector {
            upto: vec![0; threads],
            pending: BTreeMap::new(),
            next: 0,
            timeline: Vec::new(),
            log,
            tag,
            wall_start,
            live,
            log_error: None,
        }
    }

    /// Take one thread's tick; emit every second that all threads have passed.
    pub(crate) fn on(&mut self, tick: Tick) {
        let p = self.pending.entry(tick.second).or_default();
        if let Some(h) = tick.hist {
            match &mut p.hist {
                Some(acc) => add(acc, &h),
                None => p.hist = Some(h),
            }
        }
        p.answers += tick.answers;
        p.errors += tick.errors;
        if let Some(u) = self.upto.get_mut(tick.thread) {
            *u = tick.upto;
        }
        let done = self.upto.iter().copied().min().unwrap_or(u64::MAX);
        while let Some(entry) = self.pending.first_entry() {
            // The thread-done marker leaves the last seconds to `finish`, which knows
            // how long the final, partial second was.
            if *entry.key() >= done || done == u64::MAX {
                break;
            }
            let (second, p) = entry.remove_entry();
            self.emit(second, p, Duration::from_secs(1));
        }
    }

    /// Emit what is left; the run measured for `elapsed`.
    pub(crate) fn finish(
        mut self,
        elapsed: Duration,
    ) -> (Vec<SecondResult>, Option<std::io::Error>) {
        while let Some((second, p)) = self.pending.pop_first() {
            let left = elapsed.saturating_sub(Duration::from_secs(second));
            self.emit(
                second,
                p,
                left.clamp(Duration::from_millis(1), Duration::from_secs(1)),
            );
        }
        self.live.finish();
        (self.timeline, self.log_error)
    }

    fn emit(&mut self, second: u64, p: Pending, length: Duration) {
        if p.hist.is_none() && p.answers == 0 && p.errors == 0 {
            return;
        }
        while self.next < second {
            // Seconds in which nothing ended: keep the timeline continuous.
            self.timeline.push(SecondResult::empty(self.next));
            self.next += 1;
        }
        let hist = p.hist.unwrap_or_else(histogram);
        if let Some(log) = self.log.as_deref_mut() {
            let start = self.wall_start + Duration::from_secs(second);
            if let Err(e) = log.interval(self.tag.as_deref(), start, length, &hist) {
                self.log_error.get_or_insert(e);
            }
        }
        let entry = SecondResult {
            second,
            requests: p.answers,
            errors: p.errors,
            latency_ms: Latency::of(&hist),
            hdr: encode(&hist),
        };
        self.live.second(&entry, length);
        self.timeline.push(entry);
        self.next = second + 1;
    }
}
