//! `epoll-pool`: an epoll loop does all socket I/O; complete requests go to a pool of
//! handler threads, and their replies come back to the loop to be written (Apache's event
//! MPM, or nginx with thread pools).
//!
//! The loop keeps epoll's strengths (thousands of idle connections for the price of their
//! buffers, no thread per connection) and stops paying for its weakness: a slow handler
//! holds one pool thread, not the loop, so other connections keep being served until all
//! `--workers` threads are busy at once. The price is two hand-offs per request (a queue
//! to the pool, a waker back), which shows against plain epoll on tiny static files, and
//! the pool size as a new limit on requests handled at once (not on connections).
//! Choose it when handlers may block and connections are many.

use std::net::TcpListener;
use std::sync::{mpsc, Arc, Mutex};

use netkit::blocking::StopFlag;

use crate::conn::Shared;
use crate::event_loop::{Dispatch, EventLoop, Job, WAKER};
use crate::reply::Reply;
use crate::{Error, Handler};

type Done = (usize, u64, Reply);

/// The pool side of the loop.
struct Pool {
    jobs: mpsc::Sender<Job>,
    done: Arc<Mutex<Vec<Done>>>,
}

impl Dispatch for Pool {
    fn inline(&self) -> Option<&Handler> {
        None
    }
    fn submit(&self, job: Job) {
        // The receivers live until the loop ends, so a send cannot fail while it runs.
        let _ = self.jobs.send(job);
    }
    fn finished(&self) -> Vec<Done> {
        std::mem::take(&mut *self.done.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

pub(crate) fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    workers: usize,
    stop: &StopFlag,
) -> Result<(), Error> {
    let mut event_loop = EventLoop::new(listener, &shared, stop)?;
    let waker =
        Arc::new(mio::Waker::new(event_loop.registry(), WAKER).map_err(Error::io("waker"))?);
    let (jobs, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let done: Arc<Mutex<Vec<Done>>> = Arc::default();
    let mut threads = Vec::new();
    for i in 0..workers {
        let (rx, done, waker, shared) = (rx.clone(), done.clone(), waker.clone(), shared.clone());
        let t = std::thread::Builder::new()
            .name(format!("flash-pool-{i}"))
            .spawn(move || loop {
                // Held only while waiting for a job, never while handling one.
                let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(job) = job else {
                    return;
                };
                let reply = shared
                    .handler
                    .handle(&job.decoded.request, job.peer, job.local);
                done.lock().unwrap_or_else(|p| p.into_inner()).push((
                    job.slot,
                    job.generation,
                    reply,
                ));
                let _ = waker.wake();
            })
            .map_err(Error::io("pool thread"))?;
        threads.push(t);
    }
    let pool = Pool { jobs, done };
    let result = event_loop.run(&pool);
    drop(pool);
    super::join_within(threads, shared.limits.grace);
    result
}
