//! Flooding, newest-wins, partitions and anti-entropy across a real herd on loopback.

mod common;

use common::{now, Herd};
use herd_node::HerdFile;

const NAMES: [&str; 5] = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"];

/// An update sent to one server reaches every server of the default topology by flooding
/// alone: anti-entropy is off, and every link is up before the update is sent, so no
/// resync on link-up can deliver it instead.
#[tokio::test]
async fn flooding_reaches_every_server() {
    let herd = Herd::start_with(HerdFile::embedded().unwrap(), |c| c.anti_entropy = false).await;
    assert!(herd.linked().await, "links never came up");
    let reply = herd
        .send(
            "Goloman",
            &format!("IAMAT kiwi +34.068930-118.445127 {}\n", now()),
        )
        .await;
    assert!(reply.starts_with("AT Goloman +"), "{reply}");
    let at = reply.trim_end().to_string();
    for name in NAMES {
        assert!(
            herd.eventually(name, "kiwi", |l| l == at).await,
            "{name} never got {at}"
        );
    }
    herd.shutdown().await;
}

/// A server two hops away answers WHATSAT with the original AT line, then the Places JSON.
#[tokio::test]
async fn two_hops_away_answers_with_original_at_line() {
    let herd = Herd::classic().await;
    // Welsh links only to Holiday; Hands is Welsh -> Holiday -> (Goloman | Wilkes) -> Hands.
    let reply = herd
        .send(
            "Welsh",
            &format!("IAMAT far +34.068930-118.445127 {}\n", now()),
        )
        .await;
    let at = reply.trim_end().to_string();
    assert!(herd.eventually("Hands", "far", |l| l == at).await);
    let full = herd.send("Hands", "WHATSAT far 10 2\n").await;
    let (first, json) = full.split_once('\n').unwrap();
    assert_eq!(first, at);
    assert!(json.ends_with("}\n\n"), "{json:?}");
    assert!(!json.trim_end().contains("\n\n"));
    let v: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
    assert_eq!(v["status"], "OK");
    assert!(!v["results"].as_array().unwrap().is_empty());
    assert!(v["results"].as_array().unwrap().len() <= 2);
    herd.shutdown().await;
}

/// Whatever order updates arrive in, at whichever servers, the newest wins everywhere.
#[tokio::test]
async fn newest_timestamp_wins_everywhere() {
    let herd = Herd::classic().await;
    let sends = [
        ("Welsh", "1700000000.000000003"),
        ("Hands", "1700000000.000000001"),
        ("Goloman", "1700000000.000000005"),
        ("Holiday", "1700000000.000000004"),
        ("Wilkes", "1700000000.0000000049"),
    ];
    for (server, t) in sends {
        let r = herd.send(server, &format!("IAMAT race +10-20 {t}\n")).await;
        assert!(r.starts_with(&format!("AT {server} ")), "{r}");
    }
    for name in NAMES {
        assert!(
            herd.eventually(name, "race", |l| l.starts_with("AT Goloman ")
                && l.ends_with(" 1700000000.000000005"))
                .await,
            "{name}: {}",
            herd.whatsat_line(name, "race").await
        );
    }
    herd.shutdown().await;
}

/// Killing Goloman and Wilkes cuts Hands off from Holiday and Welsh; each side keeps
/// answering with what it knows, and neither sees the other's new updates.
#[tokio::test]
async fn partition_each_side_keeps_answering() {
    let mut herd = Herd::classic().await;
    let before = herd
        .send("Hands", &format!("IAMAT both +1+1 {}\n", now()))
        .await;
    for name in NAMES {
        assert!(
            herd.eventually(name, "both", |l| l == before.trim_end())
                .await
        );
    }
    herd.kill("Goloman").await;
    herd.kill("Wilkes").await;
    let left = herd
        .send("Hands", &format!("IAMAT left +2+2 {}\n", now()))
        .await;
    let right = herd
        .send("Welsh", &format!("IAMAT right +3+3 {}\n", now()))
        .await;
    assert!(
        herd.eventually("Holiday", "right", |l| l == right.trim_end())
            .await
    );
    assert_eq!(herd.whatsat_line("Hands", "left").await, left.trim_end());
    assert_eq!(herd.whatsat_line("Hands", "both").await, before.trim_end());
    assert_eq!(herd.whatsat_line("Welsh", "both").await, before.trim_end());
    assert!(herd.whatsat_line("Hands", "right").await.starts_with("? "));
    assert!(herd.whatsat_line("Holiday", "left").await.starts_with("? "));
    herd.shutdown().await;
}

/// A restarted server rejoins: it gets new updates, and by anti-entropy what it missed.
#[tokio::test]
async fn restarted_server_catches_up() {
    let mut herd = Herd::classic().await;
    herd.kill("Welsh").await;
    let missed = herd
        .send("Goloman", &format!("IAMAT missed +4+4 {}\n", now()))
        .await;
    assert!(
        herd.eventually("Holiday", "missed", |l| l == missed.trim_end())
            .await
    );
    herd.restart("Welsh").await;
    assert!(
        herd.eventually("Welsh", "missed", |l| l == missed.trim_end())
            .await,
        "anti-entropy did not deliver the missed update"
    );
    let fresh = herd
        .send("Wilkes", &format!("IAMAT fresh +5+5 {}\n", now()))
        .await;
    assert!(
        herd.eventually("Welsh", "fresh", |l| l == fresh.trim_end())
            .await
    );
    // And what only the restarted server hears reaches the rest.
    let back = herd
        .send("Welsh", &format!("IAMAT back +6+6 {}\n", now()))
        .await;
    assert!(
        herd.eventually("Hands", "back", |l| l == back.trim_end())
            .await
    );
    herd.shutdown().await;
}

/// Anti-entropy in the other direction: updates heard by a cut-off server while its links
/// are down reach the rest once it is reachable again.
#[tokio::test]
async fn healed_partition_exchanges_both_ways() {
    let mut herd = Herd::classic().await;
    herd.kill("Holiday").await; // Welsh's only link
    let isolated = herd
        .send("Welsh", &format!("IAMAT iso +7+7 {}\n", now()))
        .await;
    let main = herd
        .send("Hands", &format!("IAMAT main +8+8 {}\n", now()))
        .await;
    herd.restart("Holiday").await;
    assert!(
        herd.eventually("Goloman", "iso", |l| l == isolated.trim_end())
            .await
    );
    assert!(
        herd.eventually("Welsh", "main", |l| l == main.trim_end())
            .await
    );
    herd.shutdown().await;
}
