//! Pacing: the open-loop schedule (a constant `--rate`, or `--stages` ramping it) and, for
//! closed loop under `--stages`, how many users are active.
//!
//! Stages ramp linearly, as k6's do: `10s:100,30s:1000,10s:0` goes from 0 to 100 over
//! 10 s, from 100 to 1000 over 30 s, then down to 0 over 10 s; `0s:500` jumps and a stage
//! with the previous target holds. In open loop the target is a rate and request `k` (of
//! the whole run) is due when the integral of the rate reaches `k`, so the count sent by
//! any time is exactly the area under the ramp. In closed loop the target is a number of
//! users and user `u` (0-based) is active while the level is above `u`.

use std::time::Duration;

use crate::url::parse_duration;
use crate::Error;

/// Most stages.
pub const MAX_STAGES: usize = 100;
/// Highest rate target, requests per second.
pub const MAX_RATE: f64 = 10_000_000.0;
/// Highest users target.
pub const MAX_USERS: f64 = 100_000.0;
/// Longest `--stages` text.
const MAX_TEXT: usize = MAX_STAGES * 40;

/// One stage: ramp to `target` over `duration`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// How long the ramp takes.
    pub duration: Duration,
    /// Requests per second (open loop) or users (closed loop) at the end of the stage.
    pub target: f64,
}

/// Stages of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Stages {
    /// The stages in order.
    pub steps: Vec<Stage>,
    /// Open loop (targets are rates) or closed loop (targets are users).
    pub open: bool,
}

impl Stages {
    /// The sum of the stage durations.
    pub fn total(&self) -> Duration {
        self.steps.iter().map(|s| s.duration).sum()
    }

    /// The most users any stage asks for (closed loop: the connections to open).
    pub fn peak(&self) -> f64 {
        self.steps.iter().map(|s| s.target).fold(0.0, f64::max)
    }

    /// Check the targets against the limits for the loop kind.
    ///
    /// # Errors
    /// [`Error::Usage`] for no stages, more than [`MAX_STAGES`], a target that is not a
    /// finite number in range (users must be whole), or nothing to do (all zero).
    pub fn validate(&self) -> Result<(), Error> {
        if self.steps.is_empty() || self.steps.len() > MAX_STAGES {
            return Err(Error::Usage(format!("give 1 to {MAX_STAGES} stages")));
        }
        let (max, what) = if self.open {
            (MAX_RATE, "a rate")
        } else {
            (MAX_USERS, "a whole number of users")
        };
        for s in &self.steps {
            let whole = self.open || s.target.fract() == 0.0;
            if !(s.target.is_finite() && (0.0..=max).contains(&s.target) && whole) {
                return Err(Error::Usage(format!(
                    "stage target {} must be {what} from 0 to {max}",
                    s.target
                )));
            }
        }
        if self.peak() <= 0.0 || self.total().is_zero() {
            return Err(Error::Usage("the stages never send anything".into()));
        }
        Ok(())
    }
}

/// Parse `10s:100,30s:1000,10s:0`.
///
/// # Errors
/// [`Error::Usage`] for a malformed stage, or text over the length limit.
pub fn parse_stages(text: &str) -> Result<Vec<Stage>, Error> {
    if text.len() > MAX_TEXT {
        return Err(Error::Usage(format!(
            "--stages is longer than {MAX_TEXT} characters"
        )));
    }
    let stages: Vec<Stage> = text
        .split(',')
        .map(|part| {
            let (d, t) = part.split_once(':').ok_or_else(|| {
                Error::Usage(format!(
                    "stage {part:?} is not DURATION:TARGET (e.g. 10s:100)"
                ))
            })?;
            let target: f64 = t
                .trim()
                .parse()
                .map_err(|_| Error::Usage(format!("stage {part:?}: {t:?} is not a number")))?;
            Ok(Stage {
                duration: parse_duration(d)?,
                target,
            })
        })
        .collect::<Result<_, Error>>()?;
    if stages.len() > MAX_STAGES {
        return Err(Error::Usage(format!("more than {MAX_STAGES} stages")));
    }
    Ok(stages)
}

/// One linear piece: level `a` at `t0` to `b` at `t0 + d`; `n0` counted before it.
#[derive(Clone, Copy, Debug)]
struct Seg {
    t0: f64,
    d: f64,
    a: f64,
    b: f64,
    n0: f64,
}

impl Seg {
    fn count(&self) -> f64 {
        if self.d.is_infinite() {
            return f64::INFINITY;
        }
        (self.a + self.b) / 2.0 * self.d
    }
}

/// A piecewise-linear level over time (seconds from the start of the schedule).
#[derive(Clone, Debug)]
pub(crate) struct Ramp {
    segs: Vec<Seg>,
}

impl Ramp {
    /// A constant rate forever (the plain `--rate`).
    pub(crate) fn constant(rate: f64) -> Ramp {
        Ramp {
            segs: vec![Seg {
                t0: 0.0,
                d: f64::INFINITY,
                a: rate,
                b: rate,
                n0: 0.0,
            }],
        }
    }

    /// The ramp through `stages`, from level 0.
    pub(crate) fn of(stages: &[Stage]) -> Ramp {
        let (mut t0, mut n0, mut a) = (0.0, 0.0, 0.0);
        let mut segs = Vec::with_capacity(stages.len());
        for s in stages {
            let seg = Seg {
                t0,
                d: s.duration.as_secs_f64(),
                a,
                b: s.target,
                n0,
            };
            segs.push(seg);
            t0 += seg.d;
            n0 += seg.count();
            a = s.target;
        }
        Ramp { segs }
    }

    /// Index of the stage that time `t` falls in (the last one after the end).
    pub(crate) fn stage_at(&self, t: f64) -> usize {
        let i = self.segs.partition_point(|s| s.t0 + s.d <= t);
        i.min(self.segs.len().saturating_sub(1))
    }

    /// The level at `t`; 0 before the start and after the end.
    pub(crate) fn level(&self, t: f64) -> f64 {
        match self
            .segs
            .get(self.segs.partition_point(|s| s.t0 + s.d <= t))
        {
            Some(s) if t >= s.t0 && s.d.is_infinite() => s.a,
            Some(s) if t >= s.t0 => s.a + (s.b - s.a) * (t - s.t0) / s.d,
            _ => 0.0,
        }
    }

    /// Open loop: seconds from the start at which request `k` is due, or `None` when the
    /// schedule sends fewer than `k + 1` requests.
    pub(crate) fn due(&self, k: u64) -> Option<f64> {
        let x = k as f64;
        let s = self
            .segs
            .get(self.segs.partition_point(|s| s.n0 + s.count() <= x))?;
        let x = x - s.n0;
        let tau = if x <= 0.0 {
            0.0
        } else if s.a == s.b || s.d.is_infinite() {
            x / s.a
        } else {
            // Solve a*tau + (b-a)*tau^2/(2d) = x in the form that stays exact when a = 0.
            let root = (s.a * s.a + 2.0 * (s.b - s.a) * x / s.d).max(0.0).sqrt();
            2.0 * x / (s.a + root)
        };
        Some(s.t0 + tau.min(s.d))
    }

    /// Closed loop: whether user `u` is active at `t`.
    pub(crate) fn active(&self, u: usize, t: f64) -> bool {
        self.level(t) > u as f64
    }

    /// Closed loop: the first time at or after `t` when user `u` is active, or `None` if
    /// it never is again.
    pub(crate) fn next_active(&self, u: usize, t: f64) -> Option<f64> {
        let u = u as f64;
        for s in &self.segs[self.segs.partition_point(|s| s.t0 + s.d <= t)..] {
            let from = t.max(s.t0);
            if from >= s.t0 + s.d {
                continue;
            }
            if self.level(from) > u {
                return Some(from);
            }
            if s.b > u && s.b > s.a {
                // Rising through u: the crossing, nudged past it so the level is above u.
                let cross = s.t0 + (u - s.a) / (s.b - s.a) * s.d + 1e-6;
                if cross >= from && cross < s.t0 + s.d {
                    return Some(cross);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
