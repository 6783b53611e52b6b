//! Wall-clock milliseconds since the Unix epoch: entries persist on disk and in Redis and
//! are shared between processes, so their times are wall-clock, not `Instant`s.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch now (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
