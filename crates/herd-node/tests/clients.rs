//! Client-facing behaviour of one server: answers, errors, half-close, abuse, peers' auth.

mod common;

use std::time::Duration;

use common::{now, Herd};
use herd_node::HerdFile;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn single() -> Herd {
    Herd::start(HerdFile::parse("[servers]\nSolo = \"127.0.0.1:1\"\n").unwrap()).await
}

/// Every kind of invalid command gets `? ` + the command as received, stripped.
#[tokio::test]
async fn invalid_commands_get_question_mark() {
    let herd = single().await;
    let bad = [
        "HELLO world",
        "IAMAT",
        "IAMAT a +1+1",
        "IAMAT a +1+1 1 extra",
        "IAMAT a 34.0-118.0 1",
        "IAMAT a +91+0 1",
        "IAMAT a +0+181 1",
        "IAMAT a +1+1 1e9",
        "IAMAT a +1+1 nan",
        "IAMAT a +1+1 12:00",
        "WHATSAT",
        "WHATSAT unknown-client 10 5",
        "iamat a +1+1 1",
        "HERD-HELLO x y z",
        "HERD-DIGEST 00",
    ];
    for line in bad {
        let reply = herd.send("Solo", &format!(" \t{line}\x0b\r\n")).await;
        assert_eq!(reply, format!("? {line}\n"), "for {line:?}");
    }
    herd.send("Solo", "IAMAT known +1+1 1\n").await;
    for line in [
        "WHATSAT known 51 5",
        "WHATSAT known -1 5",
        "WHATSAT known 10 21",
        "WHATSAT known 10 2.5",
        "WHATSAT known ten 5",
    ] {
        assert_eq!(
            herd.send("Solo", &format!("{line}\n")).await,
            format!("? {line}\n")
        );
    }
    herd.shutdown().await;
}

/// A client sending an AT line is rejected and nothing is stored.
#[tokio::test]
async fn client_cannot_inject_at() {
    let herd = single().await;
    let forged = "AT Solo +0.000000001 victim +1+1 99999999999.0";
    assert_eq!(
        herd.send("Solo", &format!("{forged}\n")).await,
        format!("? {forged}\n")
    );
    assert_eq!(
        herd.whatsat_line("Solo", "victim").await,
        "? WHATSAT victim 10 3"
    );
    herd.shutdown().await;
}

/// Several commands on one connection are answered in order; white space of every kind
/// separates fields; the AT line echoes coordinates and time exactly.
#[tokio::test]
async fn several_commands_in_order() {
    let herd = single().await;
    let t = "1520023934.918963997";
    let text = format!(
        "IAMAT kiwi.cs.ucla.edu\t+34.068930-118.445127\x0c{t}\nbogus\nWHATSAT kiwi.cs.ucla.edu 10 1\nIAMAT k2 -33.9+151.2 -0.5\n"
    );
    let reply = herd.send("Solo", &text).await;
    let mut lines = reply.lines();
    let at = lines.next().unwrap();
    assert!(at.starts_with("AT Solo +"), "{at}");
    assert!(at.ends_with(&format!(" kiwi.cs.ucla.edu +34.068930-118.445127 {t}")));
    assert_eq!(lines.next(), Some("? bogus"));
    assert_eq!(lines.next(), Some(at));
    let rest: Vec<&str> = lines.collect();
    let last = rest.last().unwrap();
    assert!(
        last.starts_with("AT Solo +17") && last.ends_with(" k2 -33.9+151.2 -0.5"),
        "{last}"
    );
    herd.shutdown().await;
}

/// A last line without a newline is answered when the client half-closes.
#[tokio::test]
async fn half_close_gets_answer() {
    let herd = single().await;
    let reply = herd
        .send("Solo", &format!("IAMAT hc +1.5-2.5 {}", now()))
        .await;
    assert!(
        reply.starts_with("AT Solo ") && reply.ends_with('\n'),
        "{reply:?}"
    );
    let reply = herd.send("Solo", "WHATSAT hc 50 20").await;
    assert!(
        reply.starts_with("AT Solo ") && reply.ends_with("}\n\n"),
        "{reply:?}"
    );
    herd.shutdown().await;
}

/// A 1 MB line without a newline and a client that sends nothing do not hurt others, and
/// the long line is answered with `?` without the server buffering it.
#[tokio::test]
async fn abusive_clients_do_not_hurt_others() {
    let herd = single().await;
    let addr = herd.addr("Solo");
    let _silent = TcpStream::connect(addr).await.unwrap();
    let mut big = TcpStream::connect(addr).await.unwrap();
    let blob = vec![b'x'; 1 << 20];
    let writer = tokio::spawn(async move {
        let _ = big.write_all(&blob).await;
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(10), big.read(&mut buf)).await;
        (
            big,
            n.map(|r| r.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())),
        )
    });
    for i in 0..20 {
        let r = herd
            .send("Solo", &format!("IAMAT ok{i} +1+1 {}\n", now()))
            .await;
        assert!(r.starts_with("AT Solo "), "{r}");
    }
    let (mut big, answer) = writer.await.unwrap();
    let answer = answer.unwrap().unwrap();
    assert!(answer.starts_with("? "), "{answer:?}");
    // After the over-long line ends, the same connection works again.
    big.write_all(b"\nIAMAT after +1+1 5\n").await.unwrap();
    let r = testkit::tcp::read_until(&mut big, b" 5\n").await.unwrap();
    assert!(r.contains("AT Solo "), "{r:?}");
    herd.shutdown().await;
}

/// A peer that does not know the secret is refused and cannot inject updates.
#[tokio::test]
async fn peer_with_wrong_secret_is_refused() {
    let file = HerdFile::parse(
        "[servers]\nA = \"127.0.0.1:1\"\nB = \"127.0.0.1:2\"\n[links]\nA = [\"B\"]\n",
    )
    .unwrap();
    let herd = Herd::start(file).await;
    let mut s = TcpStream::connect(herd.addr("B")).await.unwrap();
    s.write_all(b"HERD-HELLO A B 0123456789abcdef\n")
        .await
        .unwrap();
    let welcome = testkit::tcp::read_until(&mut s, b"\n").await.unwrap();
    assert!(welcome.starts_with("HERD-WELCOME B "), "{welcome}");
    s.write_all(format!("HERD-PROOF {}\nAT A +0.1 evil +1+1 5\n", "00".repeat(32)).as_bytes())
        .await
        .unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    assert_eq!(herd.whatsat_line("B", "evil").await, "? WHATSAT evil 10 3");
    // A stranger not in B's links is refused before any challenge.
    let r = herd
        .send("B", "HERD-HELLO Mallory B 0123456789abcdef\n")
        .await;
    assert!(!r.contains("WELCOME"), "{r}");
    herd.shutdown().await;
}

/// Shutdown stops the listener and lets a connected client's run end.
#[tokio::test]
async fn shutdown_closes_listener() {
    let mut herd = single().await;
    let addr = herd.addr("Solo");
    let _idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(Duration::from_secs(8), herd.kill("Solo"))
        .await
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}
