//! Regression tests for issue 8 ("the herd hardened"): each defect a client or peer could
//! trigger, over real loopback TCP.

mod common;

use std::time::Duration;

use common::{log_records, now, peer_link, Herd};
use herd_node::HerdFile;
use herd_proto::MAX_LINE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn pair() -> HerdFile {
    HerdFile::parse("[servers]\nA = \"127.0.0.1:1\"\nB = \"127.0.0.1:2\"\n[links]\nA = [\"B\"]\n")
        .unwrap()
}

/// An IAMAT line of exactly the limit is accepted and reaches the peer intact (its AT
/// line is longer than the client limit but fits the peer limit); one byte more is refused
/// and stored nowhere. (Issue 8: "a line at the limit breaks the herd".)
#[tokio::test]
async fn line_at_the_limit_reaches_peers_one_over_is_refused() {
    let herd = Herd::start(pair()).await;
    let tail = format!(" +34.068930-118.445127 {}", now());
    let client = "k".repeat(MAX_LINE - "IAMAT ".len() - tail.len());
    let at_limit = format!("IAMAT {client}{tail}");
    assert_eq!(at_limit.len(), MAX_LINE);
    let reply = herd.send("A", &format!("{at_limit}\n")).await;
    assert!(reply.starts_with("AT A "), "{:.80}", reply);
    assert!(reply.trim_end().len() > MAX_LINE);
    let q = format!("WHATSAT {client} 10 1\n");
    let arrived = testkit::wait_until(common::CONVERGE, || async {
        herd.send("B", &q).await.starts_with(reply.trim_end())
    })
    .await;
    assert!(
        arrived,
        "the AT line of a limit-sized IAMAT never reached B"
    );
    assert_eq!(herd.handle("A").linked_peers(), ["B"], "the link stayed up");

    let over_client = format!("{client}x");
    let over = format!("IAMAT {over_client}{tail}");
    assert_eq!(over.len(), MAX_LINE + 1);
    let reply = herd.send("A", &format!("{over}\n")).await;
    assert_eq!(reply, format!("? line longer than {MAX_LINE} bytes\n"));
    assert_eq!(herd.handle("A").stored_clients(), 1);
    herd.shutdown().await;
}

/// A dialer whose link drops right after every handshake backs off instead of spinning.
#[tokio::test]
async fn flapping_link_backs_off() {
    // A dials "B", a fake that completes the handshake (it knows the secret) and closes
    // at once, so every session A starts ends immediately.
    let fake_b = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut file = pair();
    file.servers
        .insert("B".into(), fake_b.local_addr().unwrap().to_string());
    let secret = b"flap".to_vec();
    let mut cfg = file
        .node_config("A", secret.clone(), places::Places::offline())
        .unwrap();
    cfg.backoff_initial = Duration::from_millis(10);
    cfg.backoff_max = Duration::from_millis(400);
    let a_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let a = tokio::spawn(herd_node::run(a_listener, cfg, rx));
    let mut sessions = 0u32;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Ok((mut s, _))) = tokio::time::timeout_at(deadline, fake_b.accept()).await {
        if accept_as(&mut s, "B", &secret).await {
            sessions += 1;
        }
        drop(s);
    }
    let _ = stop.send(());
    a.await.unwrap().unwrap();
    // Exponential from 10 ms to 400 ms is about a dozen sessions in 3 s; a reset to the
    // initial delay after every short session would be hundreds.
    assert!((2..=40).contains(&sessions), "{sessions} sessions in 3 s");
}

/// Play the acceptor's side of the handshake on `s`; true when the dialer's proof came.
async fn accept_as(s: &mut TcpStream, me: &str, secret: &[u8]) -> bool {
    use herd_proto::{new_nonce, parse_peer_frame, proof, PeerFrame, Role};
    let Ok(hello) = testkit::tcp::read_until(s, b"\n").await else {
        return false;
    };
    let Ok(PeerFrame::Hello {
        from, nonce: nc, ..
    }) = parse_peer_frame(hello.trim_end().as_bytes())
    else {
        return false;
    };
    let na = new_nonce();
    let p = proof(secret, Role::Acceptor, &from, me, &nc, &na);
    if s.write_all(format!("HERD-WELCOME {me} {na} {p}\n").as_bytes())
        .await
        .is_err()
    {
        return false;
    }
    testkit::tcp::read_until(s, b"\n")
        .await
        .is_ok_and(|l| l.starts_with("HERD-PROOF "))
}

/// The same IAMAT heard by two servers (equal client times, different AT lines) converges
/// to one line everywhere. A and B are linked only through C; with C down each stores its
/// own line; when C returns, anti-entropy and flooding must settle all three on one line.
#[tokio::test]
async fn equal_timestamps_converge() {
    let file = HerdFile::parse(
        "[servers]\nA = \"127.0.0.1:1\"\nB = \"127.0.0.1:2\"\nC = \"127.0.0.1:3\"\n\
         [links]\nC = [\"A\", \"B\"]\n",
    )
    .unwrap();
    let mut herd = Herd::start(file).await;
    herd.kill("C").await;
    let cmd = format!("IAMAT twin +1+1 {}\n", now());
    let (from_a, from_b) = tokio::join!(herd.send("A", &cmd), herd.send("B", &cmd));
    assert_ne!(from_a, from_b);
    herd.restart("C").await;
    assert!(herd.linked().await, "C never linked again");
    let want = from_a.trim_end().max(from_b.trim_end()).to_string();
    for name in ["A", "B", "C"] {
        assert!(
            herd.eventually(name, "twin", |l| l == want).await,
            "{name} kept {}",
            herd.whatsat_line(name, "twin").await
        );
    }
    herd.shutdown().await;
}

/// Updates answered before SIGTERM still reach a peer that is up, even when its link is
/// backed up: the peer ("B", played by the test) reads nothing until A is told to stop,
/// so A's queue for it is full of answered updates at that moment; all of them must
/// arrive before A exits.
#[tokio::test]
async fn shutdown_flushes_peer_queues() {
    const N: usize = 150_000;
    let fake_b = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut file = pair();
    file.servers
        .insert("B".into(), fake_b.local_addr().unwrap().to_string());
    let secret = b"flush".to_vec();
    let mut cfg = file
        .node_config("A", secret.clone(), places::Places::offline())
        .unwrap();
    cfg.anti_entropy = false;
    cfg.peer_queue = 1 << 20;
    cfg.peer_queue_bytes = 256 << 20;
    cfg.limits.grace = Duration::from_secs(20);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr_a = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let a = tokio::spawn(herd_node::run(listener, cfg, rx));
    let (mut link, _) = fake_b.accept().await.unwrap();
    assert!(accept_as(&mut link, "B", &secret).await);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let t = now();
    let mut batch = String::with_capacity(N * 40);
    for i in 0..N {
        batch.push_str(&format!("IAMAT f{i} +1+1 {t}\n"));
    }
    let replies = testkit::tcp::send_and_close(addr_a, batch.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        replies.lines().filter(|l| l.starts_with("AT A ")).count(),
        N
    );
    // Every update is answered; most still wait in A's queue for B.
    let _ = stop.send(());
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), link.read_to_end(&mut got))
        .await
        .expect("A closed the link within its grace period")
        .unwrap();
    let updates = String::from_utf8_lossy(&got)
        .lines()
        .filter(|l| l.starts_with("AT A "))
        .count();
    assert_eq!(updates, N, "answered updates lost on shutdown");
    a.await.unwrap().unwrap();
}

/// A client that sends many queries and never reads its replies is cut off by the write
/// timeout and frees its slot; the node serves the next client.
#[tokio::test]
async fn client_that_never_reads_is_cut_off() {
    let solo = HerdFile::parse("[servers]\nB = \"127.0.0.1:1\"\n").unwrap();
    let herd = Herd::start_with(solo, |c| {
        c.limits.max_connections = 1;
        c.limits.overflow_connections = 0;
        c.limits.write_timeout = Duration::from_millis(500);
    })
    .await;
    let addr = herd.addr("B");
    let seed = herd
        .send("B", &format!("IAMAT big +34.068930-118.445127 {}\n", now()))
        .await;
    assert!(seed.starts_with("AT B "));
    let mut greedy = TcpStream::connect(addr).await.unwrap();
    let flood = "WHATSAT big 50 20\n".repeat(20_000);
    let writer = tokio::spawn(async move {
        let _ = greedy.write_all(flood.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(greedy);
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next =
        testkit::tcp::send_and_close(addr, format!("IAMAT next +1+1 {}\n", now()).as_bytes())
            .await
            .expect("the greedy client's slot was freed by the write timeout");
    assert!(next.starts_with("AT B "), "{next}");
    writer.abort();
    herd.shutdown().await;
}

/// With every client slot held, a peer still links (through an overflow slot), while a
/// client in an overflow slot is turned away.
#[tokio::test]
async fn peers_link_while_clients_hold_every_slot() {
    let mut herd = Herd::start_with(pair(), |c| {
        c.limits.max_connections = 2;
        c.limits.overflow_connections = 2;
    })
    .await;
    assert!(herd.linked().await);
    herd.kill("A").await;
    let addr_b = herd.addr("B");
    let _c1 = TcpStream::connect(addr_b).await.unwrap();
    let _c2 = TcpStream::connect(addr_b).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A client beyond the limit is closed without an answer.
    let mut extra = TcpStream::connect(addr_b).await.unwrap();
    extra.write_all(b"IAMAT x +1+1 1\n").await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), extra.read_to_end(&mut out)).await;
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    // A (the dialer) comes back and links through an overflow slot.
    herd.restart("A").await;
    assert!(
        herd.linked().await,
        "A could not link while clients held B's slots"
    );
    let at = herd
        .send("A", &format!("IAMAT late +1+1 {}\n", now()))
        .await;
    assert!(herd.eventually("B", "late", |l| l == at.trim_end()).await);
    herd.shutdown().await;
}

/// A peer that goes silent (half-open: no heartbeat, no close) is dropped after three
/// heartbeat intervals.
#[tokio::test]
async fn silent_peer_is_dropped() {
    let herd = Herd::start_logged(
        HerdFile::parse(
            "[servers]\nA = \"127.0.0.1:1\"\nB = \"127.0.0.1:2\"\n[links]\nA = [\"B\"]\n",
        )
        .unwrap(),
        |c| {
            c.heartbeat = Duration::from_millis(200);
            // Keep the real A from dialing: it would replace the fake session.
            c.backoff_initial = Duration::from_secs(3600);
            c.backoff_max = Duration::from_secs(3600);
        },
        "silent",
    )
    .await;
    assert!(herd.linked().await);
    let fake = peer_link(herd.addr("B"), "A", "B", &herd.secret).await;
    let dir = herd.log_dir.clone().unwrap();
    let dropped = testkit::wait_until(Duration::from_secs(10), || async {
        log_records(&dir, "B").iter().any(|r| {
            r["event"] == "peer_drop"
                && r["reason"]
                    .as_str()
                    .is_some_and(|s| s.contains("timed out"))
        })
    })
    .await;
    assert!(dropped, "{:?}", log_records(&dir, "B"));
    drop(fake);
    herd.shutdown().await;
}

/// The dialer redials after its session ends, whoever ended it.
#[tokio::test]
async fn dialer_redials_after_session_ends() {
    let mut herd = Herd::start(pair()).await;
    assert!(herd.linked().await);
    herd.kill("B").await;
    herd.restart("B").await;
    assert!(herd.linked().await, "A did not redial B");
    let at = herd
        .send("B", &format!("IAMAT again +1+1 {}\n", now()))
        .await;
    assert!(herd.eventually("A", "again", |l| l == at.trim_end()).await);
    herd.shutdown().await;
}

/// On shutdown a WHATSAT waiting on a slow remote provider is answered at once (with a
/// failure status) instead of holding the drain, and the last log records are on disk when
/// the server returns.
#[tokio::test]
async fn shutdown_answers_pending_whatsat_and_flushes_log() {
    use testkit::http::{FakeHttp, Reply};
    let stall = FakeHttp::start(Reply::Stall).await;
    let mut file = HerdFile::parse("[servers]\nSolo = \"127.0.0.1:1\"\n").unwrap();
    let mut places =
        places::PlacesConfig::for_test(vec![places::ProviderKind::Overpass], &stall.url("/"));
    places.timeout = Duration::from_secs(60);
    file.places = places;
    let mut herd = Herd::start_logged(
        file,
        |c| c.limits.grace = Duration::from_secs(30),
        "whatsat",
    )
    .await;
    herd.send("Solo", &format!("IAMAT w +1+1 {}\n", now()))
        .await;
    let addr = herd.addr("Solo");
    let pending = tokio::spawn(testkit::tcp::send_and_close(addr, b"WHATSAT w 5 3\n"));
    assert!(testkit::wait_until(Duration::from_secs(5), || async { stall.hits() == 1 }).await);
    let started = std::time::Instant::now();
    herd.kill("Solo").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let answer = pending.await.unwrap().unwrap();
    assert!(
        answer.starts_with("AT Solo ") && answer.contains("UNKNOWN_ERROR"),
        "{answer}"
    );
    let dir = herd.log_dir.clone().unwrap();
    let records = log_records(&dir, "Solo");
    assert_eq!(
        records.last().map(|r| r["event"].clone()),
        Some("stopped".into())
    );
    herd.shutdown().await;
}

/// The first line must arrive within the header timeout: a connection that sends nothing
/// (or only part of a line) is closed, one that sends its line in time is served.
#[tokio::test]
async fn first_line_within_header_timeout() {
    let solo = HerdFile::parse("[servers]\nS = \"127.0.0.1:1\"\n").unwrap();
    let herd = Herd::start_with(solo, |c| {
        c.limits.header_timeout = Duration::from_millis(300)
    })
    .await;
    let addr = herd.addr("S");
    let mut partial = TcpStream::connect(addr).await.unwrap();
    partial.write_all(b"IAMAT slow +1+1").await.unwrap();
    let mut out = Vec::new();
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), partial.read_to_end(&mut out))
        .await
        .expect("closed by the header timeout")
        .unwrap();
    assert!(out.is_empty() && started.elapsed() >= Duration::from_millis(250));
    let mut prompt = TcpStream::connect(addr).await.unwrap();
    prompt.write_all(b"IAMAT quick +1+1 5\n").await.unwrap();
    let r = testkit::tcp::read_until(&mut prompt, b"\n").await.unwrap();
    assert!(r.starts_with("AT S "), "{r}");
    // After the first line the idle timeout (60 s) applies, not the header timeout.
    tokio::time::sleep(Duration::from_millis(600)).await;
    prompt.write_all(b"IAMAT quick +1+1 6\n").await.unwrap();
    let r = testkit::tcp::read_until(&mut prompt, b"\n").await.unwrap();
    assert!(r.ends_with(" 6\n"), "{r}");
    herd.shutdown().await;
}
