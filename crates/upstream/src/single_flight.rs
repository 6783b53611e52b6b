//! [`SingleFlight`]: concurrent requests for the same key share one fetch.
//!
//! The first caller (the leader) starts the work as its own task, so it completes (and
//! can fill a cache) even if every caller goes away; later callers for the same key
//! await the same result. The task removes its key when it finishes, so the next call
//! after that starts a fresh flight.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, FutureExt, Shared};

type Flights<K, V> = Arc<Mutex<HashMap<K, Shared<BoxFuture<'static, Option<V>>>>>>;

/// In-flight work by key.
pub struct SingleFlight<K, V> {
    flights: Flights<K, V>,
}

impl<K, V> std::fmt::Debug for SingleFlight<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            flights: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// The outcome of [`SingleFlight::run`].
#[derive(Debug)]
pub struct Flight<V> {
    /// The shared result; `None` only if the work panicked.
    pub value: Option<V>,
    /// Whether this call started the work (false: it joined one in flight).
    pub leader: bool,
}

impl<K, V> SingleFlight<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// No flights.
    pub fn new() -> Self {
        Self::default()
    }

    /// Join the flight for `key`, or start one with `work()` as a task.
    pub async fn run<F, Fut>(&self, key: K, work: F) -> Flight<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let (shared, leader) = self.join_or_start(key, work);
        Flight {
            value: shared.await,
            leader,
        }
    }

    /// Start `work()` for `key` in the background unless a flight for it is already in the
    /// air; returns whether it started one. Used for background refresh.
    pub fn start<F, Fut>(&self, key: K, work: F) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        self.join_or_start(key, work).1
    }

    /// How many keys are in flight.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Shared<BoxFuture<'static, Option<V>>>>> {
        // Held only for map operations, never across an await; a poisoned map is still a
        // valid map.
        self.flights.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn join_or_start<F, Fut>(
        &self,
        key: K,
        work: F,
    ) -> (Shared<BoxFuture<'static, Option<V>>>, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let mut map = self.lock();
        if let Some(f) = map.get(&key) {
            return (f.clone(), false);
        }
        let flights = self.flights.clone();
        let k = key.clone();
        let fut = work();
        // The task removes its own key, after the map lock below is released (it takes the
        // same lock), so the entry it removes is the one inserted here.
        let task = tokio::spawn(async move {
            let v = fut.await;
            flights.lock().unwrap_or_else(|e| e.into_inner()).remove(&k);
            v
        });
        let shared = async move { task.await.ok() }.boxed().shared();
        map.insert(key, shared.clone());
        (shared, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// 100 concurrent callers for one key run the work once and all get its result.
    #[tokio::test]
    async fn one_fetch_for_many() {
        let sf = Arc::new(SingleFlight::<String, usize>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (sf, runs) = (sf.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                sf.run("k".to_string(), || async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    runs.fetch_add(1, Ordering::SeqCst) + 7
                })
                .await
            }));
        }
        let mut leaders = 0;
        for t in tasks {
            let f = t.await.unwrap();
            assert_eq!(f.value, Some(7));
            leaders += usize::from(f.leader);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(leaders, 1);
        assert_eq!(sf.in_flight(), 0);
        // A later call starts a new flight.
        let f = sf.run("k".into(), || async { 9 }).await;
        assert!(f.leader && f.value == Some(9));
    }

    /// Work goes on when its only caller gives up, and `start` does not double it.
    #[tokio::test]
    async fn survives_caller_drop() {
        let sf = Arc::new(SingleFlight::<u8, u8>::new());
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        let call = sf.run(1, move || async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            d.fetch_add(1, Ordering::SeqCst);
            1
        });
        let _ = tokio::time::timeout(Duration::from_millis(5), call).await;
        assert!(!sf.start(1, || async { 2 }));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(done.load(Ordering::SeqCst), 1);
        assert_eq!(sf.in_flight(), 0);
    }
}
