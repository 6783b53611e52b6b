//! The conformance cases that depend on time, once per server model (`model_test!`, see
//! `flash.rs`): 20 clients while one idles, `/app/slow` blocking exactly where the model
//! says, slowloris and idle keep-alive timeouts, the connection limit, and SIGTERM with
//! nothing left behind. Thresholds leave room for a loaded 2-core machine: each is
//! several times what a correct server needs, and still short of what a wrong one takes.

mod support;
#[macro_use]
#[path = "flash/support.rs"]
mod flash_support;

use std::time::{Duration, Instant};

use flash::Model;
use flash_support::*;
use support::{wait_ok, wait_until};

// 20 concurrent clients are answered while one client sits idle on a connection; the
// sequential model, by design, serves them only once the idle one is timed out (after
// 10 s, header and idle timeout alike: the others get 6 s, the sequential model must
// take about 10).
model_test!(
    concurrent_while_one_idles,
    &["--header-timeout", "10s", "--idle-timeout", "10s"],
    |srv| {
        let _idle = srv.connect();
        std::thread::sleep(Duration::from_millis(200));
        let start = Instant::now();
        let addr = srv.addr;
        let clients: Vec<_> = (0..20)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut s = Client::connect(addr);
                    s.send("GET /small.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                    s.response(false).status
                })
            })
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap(), 200);
        }
        let took = start.elapsed();
        if srv.model == Model::Sequential {
            assert!(
                took >= Duration::from_secs(6),
                "sequential served others while one idled: {took:?}"
            );
        } else {
            assert!(took < Duration::from_secs(6), "{} took {took:?}", srv.model);
        }
    }
);

// /app/slow blocks other connections exactly in the models that say so. The slow
// request (5 s) gets 1 s to be under way; a blocked GET then waits about 4 s, one that
// is not blocked gets 2.5 s.
model_test!(slow_blocks_where_the_model_says, &[], |srv| {
    let slow = slow_request(srv.addr, 5000, true);
    std::thread::sleep(Duration::from_millis(1000));
    let start = Instant::now();
    assert_eq!(srv.get("/app/hello").status, 200);
    let waited = start.elapsed();
    if srv.model.slow_blocks_others() {
        assert!(
            waited >= Duration::from_millis(2500),
            "{} did not block: {waited:?}",
            srv.model
        );
    } else {
        assert!(
            waited < Duration::from_millis(2500),
            "{} blocked: {waited:?}",
            srv.model
        );
    }
    assert_eq!(slow.join().unwrap(), 200);
});

// A client trickling its head (slowloris) is cut off at the header timeout (2 s) with
// 408: within 6 s, while a timer that restarts on each byte would keep it for the whole
// 8 s trickle and 2 s more.
model_test!(slowloris_is_cut_off, &[], |srv| {
    let mut s = srv.connect();
    s.send("GET /small.html HTTP/1.1\r\n");
    let mut w = s.stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for i in 0..40 {
            std::thread::sleep(Duration::from_millis(200));
            if std::io::Write::write_all(&mut w, format!("X-{i}: y\r\n").as_bytes()).is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    let r = s.try_response(false);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "still reading after {took:?}"
    );
    if let Ok(r) = r {
        assert_eq!(r.status, 408);
    }
    let _ = trickle.join();
});

// An idle keep-alive connection is closed after the idle timeout.
model_test!(idle_keep_alive_closed, &["--idle-timeout", "1s"], |srv| {
    let mut s = srv.connect();
    // Timed from before the request: the server's idle timer starts later still, so a
    // late-running test thread cannot make a correct timeout look early.
    let start = Instant::now();
    s.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(s.response(false).status, 200);
    assert!(s.closed_within(Duration::from_secs(5)));
    assert!(start.elapsed() >= Duration::from_millis(800));
});

// At --max-connections 2, a third connection is not served until one of the two leaves
// (sequential holds one by design; tokio answers 503 from an overflow slot instead of
// leaving it in the accept queue).
model_test!(
    connection_limit,
    &[
        "--max-connections",
        "2",
        "--header-timeout",
        "10s",
        "--idle-timeout",
        "10s"
    ],
    |srv| {
        let cap = if srv.model == Model::Sequential { 1 } else { 2 };
        let mut held = Vec::new();
        for _ in 0..cap {
            let mut s = srv.connect();
            s.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
            assert_eq!(s.response(false).status, 200);
            held.push(s);
        }
        let mut extra = srv.connect();
        extra.send("GET /small.html HTTP/1.1\r\nHost: t\r\n\r\n");
        extra.read_timeout(Duration::from_secs(2));
        let refused = match extra.try_response(false) {
            Ok(r) => {
                assert_eq!(
                    (srv.model, r.status),
                    (Model::Tokio, 503),
                    "served past the limit"
                );
                true
            }
            Err(_) => false,
        };
        drop(held.pop());
        if refused {
            // The slot is free once the server has seen the close: retry briefly.
            wait_until(Duration::from_secs(20), "a slot freed", || {
                srv.get("/small.html").status == 200
            });
        } else {
            extra.read_timeout(Duration::from_secs(10));
            assert_eq!(extra.response(false).status, 200);
        }
    }
);

// SIGTERM: the request in progress is finished, the server exits 0, and no process it
// started (children, CGI scripts) is left, running or zombie. The request (3 s) gets 1 s
// to be under way before the SIGTERM, and a 10 s grace to finish in.
model_test!(graceful_sigterm, &["--grace", "10s"], |srv| {
    assert_eq!(srv.get("/cgi-bin/hello.sh").status, 200);
    for _ in 0..3 {
        assert_eq!(srv.get("/small.html").status, 200);
    }
    // A child that has just exited is a zombie until the server reaps it: wait for that,
    // so only a zombie that stays fails.
    let pid = srv.pid();
    wait_ok(Duration::from_secs(20), || {
        let zombies: Vec<_> = children(pid)
            .into_iter()
            .filter(|(_, st)| *st == 'Z')
            .collect();
        if zombies.is_empty() {
            Ok(())
        } else {
            Err(format!("zombies while running: {zombies:?}"))
        }
    });
    let slow = slow_request(srv.addr, 3000, false);
    std::thread::sleep(Duration::from_millis(1000));
    let procs = tree(srv.pid());
    let status = srv.terminate();
    assert!(status.success(), "{}: exit {status:?}", srv.model);
    assert_eq!(slow.join().unwrap(), 200);
    // Processes it stopped may take a moment to go (and be reaped): only one that stays
    // fails.
    wait_ok(Duration::from_secs(20), || {
        let left: Vec<_> = procs.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}: processes left after exit: {left:?}",
                srv.model
            ))
        }
    });
});
