//! The engine: threads, connections and pacing.
//!
//! Each thread runs a single-threaded tokio runtime with its share of the connections as
//! local tasks, and records into its own [`Stats`] (an `Rc<RefCell<_>>`, no lock). Closed
//! loop: a connection sends its next request when the previous answer is in (under
//! `--stages`, only while its user is active). Open loop: request `k = j*C + c` (the
//! `j`-th of connection `c` of `C`) is due when the schedule says (`k / R` at a constant
//! rate); if the connection is still busy then, the request goes late and its latency is
//! measured from when it was due (coordinated-omission correction) as well as from when it
//! was actually sent. A request whose connection was idle is measured from its actual send
//! only within [`TIMER_SLACK`] of its due time (the timer is aimed that much early, so its
//! own jitter falls either side of the due time); anything later (a starved or stalled
//! load thread) is charged.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::herd::Commands;
use crate::interval::{Tick, Window};
use crate::schedule::Ramp;
use crate::stats::{ErrorKind, Outcome, Sample, Stats};
use crate::transport::{connect, Stream};
use crate::{exchange, Plan, Target};

/// How late a request may go out before the lateness is charged: tokio's timer wheel has
/// a 1 ms resolution. Timers are aimed this much before the due time.
pub const TIMER_SLACK: Duration = Duration::from_millis(1);

/// Per-URL percentiles are kept for lists of at most this many URLs (2 significant
/// digits, about 25 kB per URL per thread); longer lists get counts, mean and max.
pub const MAX_URL_PERCENTILES: usize = 100;

/// Where connection `c` starts in the pick sequence: `c * PICK_OFFSET` (a prime, so
/// connections start at different points of the cycle).
const PICK_OFFSET: u64 = 7_919;

/// How requests are paced.
#[derive(Debug)]
enum Pacing {
    /// As fast as answers come.
    Closed,
    /// Closed loop, users active by the ramp.
    Users(Ramp),
    /// Open loop on the ramp's schedule.
    Open(Ramp),
}

/// What all threads share: the schedule and the request budget.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) plan: Plan,
    /// Schedule origin (start of warm-up).
    pub(crate) start: Instant,
    /// Recording starts here.
    pub(crate) measure_from: Instant,
    /// No request is started at or after this.
    pub(crate) end: Option<Instant>,
    remaining: Option<AtomicI64>,
    pacing: Pacing,
    /// Stage boundaries for attributing attempts (empty without stages).
    stages: Option<Ramp>,
}

impl Shared {
    pub(crate) fn new(plan: Plan) -> Shared {
        let start = Instant::now();
        let measure_from = start + plan.warmup;
        let stages = plan.stages.as_ref().map(|s| Ramp::of(&s.steps));
        let pacing = match (&plan.stages, plan.rate) {
            (Some(s), _) if s.open => Pacing::Open(Ramp::of(&s.steps)),
            (Some(s), _) => Pacing::Users(Ramp::of(&s.steps)),
            (None, Some(r)) => Pacing::Open(Ramp::constant(r)),
            (None, None) => Pacing::Closed,
        };
        Shared {
            end: plan.duration.map(|d| measure_from + d),
            remaining: plan
                .requests
                .map(|n| AtomicI64::new(i64::try_from(n).unwrap_or(i64::MAX))),
            plan,
            start,
            measure_from,
            pacing,
            stages,
        }
    }

    /// Claim one request of a `-n` budget (always granted without one).
    fn claim(&self) -> bool {
        self.remaining
            .as_ref()
            .is_none_or(|r| r.fetch_sub(1, Ordering::Relaxed) > 0)
    }

    /// When request `j` of connection `conn` is due, waiting for a closed-loop user to be
    /// active; `None` when the schedule has no more for it.
    async fn due(&self, conn: usize, j: u64) -> Option<Instant> {
        match &self.pacing {
            Pacing::Closed => Some(Instant::now()),
            Pacing::Open(ramp) => {
                let k = j
                    .checked_mul(self.plan.connections as u64)?
                    .checked_add(conn as u64)?;
                let offset = Duration::try_from_secs_f64(ramp.due(k)?).ok()?;
                self.start.checked_add(offset)
            }
            Pacing::Users(ramp) => loop {
                let now = Instant::now();
                let t = now.duration_since(self.start).as_secs_f64();
                if ramp.active(conn, t) {
                    return Some(now);
                }
                let next = Duration::try_from_secs_f64(ramp.next_active(conn, t)?).ok()?;
                tokio::time::sleep_until((self.start + next).into()).await;
            },
        }
    }

    fn stage_of(&self, t: Instant) -> usize {
        self.stages.as_ref().map_or(0, |r| {
            r.stage_at(t.saturating_duration_since(self.start).as_secs_f64())
        })
    }
}

/// Run one thread's connections to completion, sending its seconds to `ticks`.
pub(crate) fn thread_main(
    shared: Arc<Shared>,
    thread: usize,
    ticks: Option<Sender<Tick>>,
) -> std::io::Result<Stats> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let plan = &shared.plan;
    let (urls, stages) = match (&plan.target, &plan.stages) {
        (Target::Http { requests }, s) if requests.entries().len() > 1 => {
            (requests.entries().len(), s)
        }
        (_, s) => (0, s),
    };
    let stages = stages.as_ref().map_or(0, |s| s.steps.len());
    let fresh = |window| Stats::new(urls, urls <= MAX_URL_PERCENTILES, stages, window);
    let stats = Rc::new(RefCell::new(fresh(Window::new(thread, ticks))));
    let local = tokio::task::LocalSet::new();
    let conns: Vec<_> = (thread..plan.connections)
        .step_by(plan.threads.max(1))
        .map(|c| local.spawn_local(connection(shared.clone(), stats.clone(), c)))
        .collect();
    let ticker_stats = stats.clone();
    let measure_from = shared.measure_from;
    local.block_on(&rt, async move {
        let ticker = tokio::task::spawn_local(async move {
            for second in 1u64.. {
                let at = measure_from + Duration::from_secs(second) + Duration::from_millis(2);
                tokio::time::sleep_until(at.into()).await;
                ticker_stats.borrow_mut().window.roll(second);
            }
        });
        for c in conns {
            let _ = c.await;
        }
        ticker.abort();
    });
    drop(local);
    drop(rt);
    stats.borrow_mut().window.finish();
    // Every task (and so every other handle) is gone with the runtime; the copy is
    // only a fallback that cannot lose counts.
    Ok(Rc::try_unwrap(stats)
        .map(RefCell::into_inner)
        .unwrap_or_else(|rc| {
            let mut s = fresh(Window::new(thread, None));
            s.merge(&rc.borrow());
            s
        }))
}

async fn connection(shared: Arc<Shared>, stats: Rc<RefCell<Stats>>, conn: usize) {
    let plan = &shared.plan;
    let open = matches!(shared.pacing, Pacing::Open(_));
    let mut stream: Option<Stream> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let (mut commands, per_request) = match plan.target {
        Target::Herd {
            whatsat_ratio,
            connection_per_request,
        } => (Commands::new(conn, whatsat_ratio), connection_per_request),
        Target::Http { .. } => (Commands::new(conn, 0.0), false),
    };
    for j in 0u64.. {
        let Some(intended) = shared.due(conn, j).await else {
            break;
        };
        if shared.end.is_some_and(|end| intended >= end) {
            break;
        }
        let record = intended >= shared.measure_from;
        // Only recorded attempts use up a -n budget: warm-up traffic does not.
        if record && !shared.claim() {
            break;
        }
        let mut origin = intended;
        if open && intended > Instant::now() {
            // tokio's timer fires up to about 2 ms after its deadline (1 ms ticks, then
            // epoll's millisecond timeout rounded up): aimed a slack early, it fires within
            // about a slack of the due time, either side. Sent early or within the slack,
            // a request is measured from its actual send; any later and the lateness past
            // the slack is the load generator's, and charged.
            if let Some(aim) = intended
                .checked_sub(TIMER_SLACK)
                .filter(|&t| t > Instant::now())
            {
                tokio::time::sleep_until(aim.into()).await;
            }
            origin = Instant::now().min(intended + TIMER_SLACK);
        }
        // Each connection walks the pick sequence on its own, from its own offset, so
        // the weights are exact per connection per cycle, whatever the others do.
        let n = j.wrapping_add((conn as u64).wrapping_mul(PICK_OFFSET));
        let url = match &plan.target {
            Target::Http { requests } => requests.pick(n),
            Target::Herd { .. } => 0,
        };
        let sample = |sent: Instant, outcome: Outcome| {
            let done = Instant::now();
            Sample {
                corrected: done.saturating_duration_since(origin),
                uncorrected: done.saturating_duration_since(sent),
                second: done
                    .saturating_duration_since(shared.measure_from)
                    .as_secs(),
                url,
                stage: shared.stage_of(intended),
                outcome,
            }
        };
        if stream.is_none() || per_request {
            let t0 = Instant::now();
            let attempt =
                tokio::time::timeout(plan.timeout, connect(plan.addr, conn, plan.tls.as_ref()))
                    .await
                    .unwrap_or(Err(ErrorKind::Connect));
            match attempt {
                Ok(s) => stream = Some(s),
                Err(kind) => {
                    if record {
                        stats
                            .borrow_mut()
                            .record(&sample(t0, Outcome::Failed(kind)));
                    }
                    stream = None;
                    // Do not spin on a dead port; a refused connect is immediate.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = stream.as_mut() else { continue };
        let sent = Instant::now();
        let answer = match &plan.target {
            Target::Http { requests } => match requests.get(url) {
                Some(entry) => {
                    tokio::time::timeout(plan.timeout, exchange::http(s, entry, &mut buf)).await
                }
                None => Ok(Err(ErrorKind::Parse)),
            },
            Target::Herd { .. } => {
                tokio::time::timeout(
                    plan.timeout,
                    exchange::herd(s, &mut commands, per_request, &mut buf),
                )
                .await
            }
        };
        let outcome = match answer {
            Ok(Ok((bytes, reusable, status))) => {
                if !reusable {
                    stream = None;
                }
                Outcome::Answer { bytes, status }
            }
            Ok(Err(kind)) => {
                // A herd `?` answer leaves the connection in step; anything else may not.
                if kind != ErrorKind::Rejected || per_request {
                    stream = None;
                }
                Outcome::Failed(kind)
            }
            Err(_) => {
                stream = None;
                Outcome::Failed(ErrorKind::Timeout)
            }
        };
        if record {
            stats.borrow_mut().record(&sample(sent, outcome));
        }
    }
}
