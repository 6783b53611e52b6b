//! [`ConnLimit`]: at most N connections at once across the threads of a blocking server.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::StopFlag;

#[derive(Debug)]
struct Inner {
    in_use: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// A counting limit; [`ConnLimit::acquire`] waits for a free slot.
#[derive(Clone, Debug)]
pub struct ConnLimit {
    inner: Arc<Inner>,
}

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnPermit {
    inner: Arc<Inner>,
}

impl ConnLimit {
    /// At most `max` (at least 1) slots.
    pub fn new(max: usize) -> Self {
        ConnLimit {
            inner: Arc::new(Inner {
                in_use: Mutex::new(0),
                freed: Condvar::new(),
                max: max.max(1),
            }),
        }
    }

    fn count(&self) -> MutexGuard<'_, usize> {
        // The count is one integer, valid whatever a panicking holder was doing.
        self.inner.in_use.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot, waiting for one to free up; `None` once `stop` is requested.
    pub fn acquire(&self, stop: &StopFlag) -> Option<ConnPermit> {
        let mut n = self.count();
        loop {
            if stop.is_stopped() {
                return None;
            }
            if *n < self.inner.max {
                *n += 1;
                return Some(ConnPermit {
                    inner: self.inner.clone(),
                });
            }
            // Wake periodically to notice a stop that no slot release announced.
            n = self
                .inner
                .freed
                .wait_timeout(n, Duration::from_millis(50))
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// A slot if one is free now.
    pub fn try_acquire(&self) -> Option<ConnPermit> {
        let mut n = self.count();
        (*n < self.inner.max).then(|| {
            *n += 1;
            ConnPermit {
                inner: self.inner.clone(),
            }
        })
    }

    /// Slots in use.
    pub fn in_use(&self) -> usize {
        *self.count()
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut n = self.inner.in_use.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
        self.inner.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limit is exact: N slots, the N+1th waits until one is released.
    #[test]
    fn at_the_limit_and_one_past() {
        let stop = StopFlag::new().unwrap();
        let limit = ConnLimit::new(2);
        let a = limit.acquire(&stop).unwrap();
        let _b = limit.acquire(&stop).unwrap();
        assert!(limit.try_acquire().is_none());
        let l2 = limit.clone();
        let s2 = stop.clone();
        let waiter = std::thread::spawn(move || l2.acquire(&s2).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(limit.in_use(), 2);
        drop(a);
        assert!(waiter.join().unwrap());
    }

    /// A waiter gives up when stop is requested.
    #[test]
    fn stop_ends_waiting() {
        let stop = StopFlag::new().unwrap();
        let limit = ConnLimit::new(1);
        let _a = limit.acquire(&stop).unwrap();
        let (l2, s2) = (limit.clone(), stop.clone());
        let waiter = std::thread::spawn(move || l2.acquire(&s2).is_none());
        stop.stop();
        assert!(waiter.join().unwrap());
    }
}
