//! A herd of real servers on 127.0.0.1:0 for integration tests, with kill and restart.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use herd_node::{Handle, HerdFile, LogConfig, NodeConfig, Server};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const CONVERGE: Duration = Duration::from_secs(20);

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), herd_node::Error>>,
    handle: Handle,
}

/// Servers of one herd file, each on its own loopback port.
pub struct Herd {
    pub file: HerdFile,
    pub addrs: BTreeMap<String, SocketAddr>,
    running: BTreeMap<String, Running>,
    pub secret: Vec<u8>,
    places: places::Places,
    /// Applied to every node's config before it starts.
    tweak: fn(&mut NodeConfig),
    /// Where the nodes log, when logging.
    pub log_dir: Option<PathBuf>,
}

fn no_tweak(_: &mut NodeConfig) {}

impl Herd {
    /// The classic five-server topology of the embedded herd.toml, on free ports.
    pub async fn classic() -> Herd {
        Herd::start(HerdFile::embedded().unwrap()).await
    }

    /// Bind every server of `file` on 127.0.0.1:0, then start them all.
    pub async fn start(file: HerdFile) -> Herd {
        Herd::start_with(file, no_tweak).await
    }

    /// As [`Herd::start`], with `tweak` applied to every node's config.
    pub async fn start_with(file: HerdFile, tweak: fn(&mut NodeConfig)) -> Herd {
        Herd::launch(file, tweak, None).await
    }

    /// As [`Herd::start_with`], every node logging into a fresh temporary directory.
    pub async fn start_logged(file: HerdFile, tweak: fn(&mut NodeConfig), tag: &str) -> Herd {
        let dir = std::env::temp_dir().join(format!("herd-it-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Herd::launch(file, tweak, Some(dir)).await
    }

    async fn launch(
        mut file: HerdFile,
        tweak: fn(&mut NodeConfig),
        log_dir: Option<PathBuf>,
    ) -> Herd {
        let mut listeners = BTreeMap::new();
        for name in file.names().map(str::to_string).collect::<Vec<_>>() {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            file.servers
                .insert(name.clone(), l.local_addr().unwrap().to_string());
            listeners.insert(name, l);
        }
        let addrs = listeners
            .iter()
            .map(|(n, l)| (n.clone(), l.local_addr().unwrap()))
            .collect();
        let places = places::Places::new(file.places.clone()).unwrap();
        let mut herd = Herd {
            secret: b"integration-test-secret".to_vec(),
            file,
            addrs,
            running: BTreeMap::new(),
            places,
            tweak,
            log_dir,
        };
        for (name, l) in listeners {
            herd.spawn(&name, l);
        }
        herd
    }

    fn config(&self, name: &str) -> NodeConfig {
        let mut cfg = self
            .file
            .node_config(name, self.secret.clone(), self.places.clone())
            .unwrap();
        cfg.backoff_initial = Duration::from_millis(10);
        cfg.backoff_max = Duration::from_millis(200);
        cfg.limits.grace = Duration::from_secs(2);
        cfg.log = self.log_dir.as_ref().map(LogConfig::new);
        (self.tweak)(&mut cfg);
        cfg
    }

    fn spawn(&mut self, name: &str, listener: TcpListener) {
        let (stop, rx) = oneshot::channel::<()>();
        let server = Server::new(self.config(name)).unwrap();
        let handle = server.handle();
        let task = tokio::spawn(server.run(listener, rx));
        self.running
            .insert(name.to_string(), Running { stop, task, handle });
    }

    pub fn addr(&self, name: &str) -> SocketAddr {
        self.addrs[name]
    }

    /// The running server's handle.
    pub fn handle(&self, name: &str) -> Handle {
        self.running[name].handle.clone()
    }

    /// Wait until every running server has a live session with each of its running
    /// neighbours.
    pub async fn linked(&self) -> bool {
        testkit::wait_until(CONVERGE, || async {
            self.running.iter().all(|(name, r)| {
                let want: Vec<String> = self
                    .file
                    .neighbors(name)
                    .into_iter()
                    .filter(|n| self.running.contains_key(n))
                    .collect();
                r.handle.linked_peers() == want
            })
        })
        .await
    }

    /// Stop a server and wait until it has exited.
    pub async fn kill(&mut self, name: &str) {
        let r = self.running.remove(name).expect("server is running");
        let _ = r.stop.send(());
        r.task.await.unwrap().unwrap();
    }

    /// Start a killed server again on its old address.
    pub async fn restart(&mut self, name: &str) {
        let l = TcpListener::bind(self.addr(name)).await.unwrap();
        self.spawn(name, l);
    }

    /// Send lines on one connection, half-close, return everything answered.
    pub async fn send(&self, name: &str, text: &str) -> String {
        testkit::tcp::send_and_close(self.addr(name), text.as_bytes())
            .await
            .unwrap()
    }

    /// WHATSAT answer's first line (the AT line), or the `?` reply.
    pub async fn whatsat_line(&self, name: &str, client: &str) -> String {
        let reply = self.send(name, &format!("WHATSAT {client} 10 3\n")).await;
        reply.lines().next().unwrap_or_default().to_string()
    }

    /// Wait until `name` answers WHATSAT for `client` with a line satisfying `pred`.
    pub async fn eventually(&self, name: &str, client: &str, pred: impl Fn(&str) -> bool) -> bool {
        testkit::wait_until(CONVERGE, || async {
            pred(&self.whatsat_line(name, client).await)
        })
        .await
    }

    pub async fn shutdown(mut self) {
        let names: Vec<String> = self.running.keys().cloned().collect();
        for n in names {
            self.kill(&n).await;
        }
        if let Some(d) = &self.log_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Now as POSIX seconds with nanoseconds, as a client would send it.
pub fn now() -> String {
    herd_proto::Timestamp::now().to_string()
}

/// Every record of one server's log, parsed.
pub fn log_records(dir: &std::path::Path, name: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(format!("{name}.log")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Open a peer link to `addr` as server `me` asking for `them`, proving `secret`: what a
/// real dialer does, by hand, so tests can then misbehave on the link.
pub async fn peer_link(
    addr: SocketAddr,
    me: &str,
    them: &str,
    secret: &[u8],
) -> tokio::net::TcpStream {
    use herd_proto::{new_nonce, parse_peer_frame, proof, PeerFrame, Role};
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let nc = new_nonce();
    s.write_all(format!("HERD-HELLO {me} {them} {nc}\n").as_bytes())
        .await
        .unwrap();
    let line = testkit::tcp::read_until(&mut s, b"\n").await.unwrap();
    let Ok(PeerFrame::Welcome { nonce: na, .. }) = parse_peer_frame(line.trim_end().as_bytes())
    else {
        panic!("no welcome: {line}")
    };
    let p = proof(secret, Role::Connector, me, them, &nc, &na);
    s.write_all(format!("HERD-PROOF {p}\n").as_bytes())
        .await
        .unwrap();
    s
}
