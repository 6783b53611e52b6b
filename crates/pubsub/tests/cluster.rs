//! Four pub/sub nodes (in this process, each its own server on 127.0.0.1:0) sharing one
//! real `redis-server`, and then a real three-node Redis Cluster: 50 publishers and 50
//! readers hammer one topic, every request going to a different node than the last, and
//! every reader must receive every message exactly once, in the one publish order.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pubsub::StoreConfig;
use support::{node, Http, Node, RedisCluster, RedisServer};

const PUBLISHERS: usize = 50;
const READERS: usize = 50;
const PER_PUBLISHER: usize = 20;

async fn four_nodes(store: StoreConfig) -> Vec<Node> {
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(node(store.clone()).await);
    }
    nodes
}

/// Run the hammer over `addrs` and check exactly-once, in-order delivery to every reader.
async fn hammer(addrs: Vec<SocketAddr>) {
    let h = Http::default();
    for r in 0..READERS {
        let a = addrs[r % addrs.len()];
        assert_eq!(
            h.send(a, "POST", &format!("/hammer/r{r}"), b"").await.0,
            200
        );
    }
    let total = PUBLISHERS * PER_PUBLISHER;
    let mut readers = Vec::new();
    for r in 0..READERS {
        let addrs = addrs.clone();
        readers.push(tokio::spawn(async move {
            let h = Http::default();
            let mut got = Vec::with_capacity(total);
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut k = r;
            while got.len() < total && Instant::now() < deadline {
                k += 1;
                let a = addrs[k % addrs.len()];
                match h
                    .send(a, "GET", &format!("/hammer/r{r}?wait=2s"), b"")
                    .await
                {
                    (200, b) => got.push(String::from_utf8_lossy(&b).into_owned()),
                    (204, _) => {}
                    other => panic!("reader {r}: {other:?}"),
                }
            }
            // Nothing more may come: exactly once.
            let extra = h
                .send(addrs[0], "GET", &format!("/hammer/r{r}"), b"")
                .await
                .0;
            (got, extra)
        }));
    }
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let addrs = addrs.clone();
        publishers.push(tokio::spawn(async move {
            let h = Http::default();
            for j in 0..PER_PUBLISHER {
                let a = addrs[(p + j) % addrs.len()];
                let (s, _) = h
                    .send(a, "POST", "/hammer", format!("p{p}:{j}").as_bytes())
                    .await;
                assert_eq!(s, 200);
            }
        }));
    }
    for p in publishers {
        p.await.unwrap();
    }
    let mut first: Option<Vec<String>> = None;
    for (r, t) in readers.into_iter().enumerate() {
        let (got, extra) = t.await.unwrap();
        assert_eq!(got.len(), total, "reader {r} got {} of {total}", got.len());
        assert_eq!(extra, 204, "reader {r} got more than every message");
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), total, "reader {r} got duplicates");
        let mut last = vec![-1i64; PUBLISHERS];
        for m in &got {
            let (p, j) = m[1..].split_once(':').unwrap();
            let (p, j): (usize, i64) = (p.parse().unwrap(), j.parse().unwrap());
            assert!(j > last[p], "reader {r}: publisher {p} out of order");
            last[p] = j;
        }
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "readers {r} and 0 saw different orders"),
        }
    }
}

/// 50 publishers, 50 readers, four nodes, one redis-server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_nodes_one_redis() {
    let redis = RedisServer::start(&[]);
    let nodes = four_nodes(StoreConfig::Redis(vec![redis.url()])).await;
    hammer(nodes.iter().map(|n| n.addr).collect()).await;
    // Everything read: the topic's bodies and counts are gone (cursors and counter stay).
    for k in ["ps:{hammer}:m", "ps:{hammer}:r"] {
        assert!(
            redis.cmd(&format!("EXISTS {k}")).starts_with(":0"),
            "{k} left behind"
        );
    }
}

/// The same over a three-node Redis Cluster (the client follows MOVED/ASK), and topics
/// spread over the cluster's nodes by their `{topic}` hash tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_nodes_redis_cluster() {
    let cluster = RedisCluster::start();
    // One seed URL is enough: the node discovers the others.
    let nodes = four_nodes(StoreConfig::Redis(vec![cluster.urls()[1].clone()])).await;
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
    hammer(addrs.clone()).await;
    let h = Http::default();
    for t in 0..60 {
        h.send(addrs[t % 4], "POST", &format!("/spread{t}/u"), b"")
            .await;
        h.send(addrs[t % 4], "POST", &format!("/spread{t}"), b"m")
            .await;
    }
    let holding = cluster
        .nodes
        .iter()
        .filter(|n| !n.cmd("DBSIZE").starts_with(":0"))
        .count();
    assert_eq!(holding, 3, "topics should land on every cluster node");
    for t in 0..60 {
        let got = h
            .send(addrs[(t + 1) % 4], "GET", &format!("/spread{t}/u"), b"")
            .await;
        assert_eq!(got, (200, "m".into()));
    }
}
