//! A linked, authenticated peer session: a reader and a writer over one connection.
//!
//! Each side first sends its bucket digests; on the other's digest it streams every entry
//! of every differing bucket (anti-entropy), and from then on every new update. The reader
//! never waits for the writer, so two peers streaming large resyncs at each other cannot
//! deadlock.
//!
//! Liveness: the writer sends `HERD-PING` when it has sent nothing for a heartbeat
//! interval, and the reader gives up after three intervals of silence, so a half-open link
//! (a peer that vanished without closing) is noticed; a peer that stops reading stalls the
//! writer until the write timeout ends the session. Either way the dialer then redials.
//!
//! Shutdown: the session waits (up to half the grace period) for client connections to
//! finish, so every IAMAT already answered has been queued; then its queue is closed and
//! the writer sends everything in it before closing the link.

use std::sync::Arc;

use herd_proto::{parse_peer_frame, PeerFrame};
use netkit::Timed;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::framed::{Framed, Next, ReadHalf, WriteBuf};
use crate::links::{queue, QueueRx};
use crate::log::Field;
use crate::node::Node;
use crate::state::Origin;

/// Flush the writer's buffer once this much is queued, even mid-batch.
const WRITE_BATCH: usize = 64 * 1024;

/// Run an authenticated link until either side drops it, it stalls, its queue overflows,
/// or shutdown.
pub(crate) async fn run(node: Arc<Node>, peer: String, f: Framed<Timed<TcpStream>>) {
    let Framed { io, mut rd, wr } = f;
    let (mut rio, mut wio) = io.into_split();
    rio.set_read_timeout(Some(node.cfg.heartbeat * 3));
    wio.set_write_timeout(Some(node.cfg.limits.write_timeout));
    let (q, rx) = queue(node.cfg.peer_queue, node.cfg.peer_queue_bytes);
    let (resync_tx, resync_rx) = mpsc::unbounded_channel();
    let reset = CancellationToken::new();
    let id = node.links.register(&peer, q, reset.clone());
    tracing::info!(server = %node.cfg.name, %peer, "peer linked");
    node.log
        .record("peer_connect", &[("peer", Field::Str(&peer))]);
    // The digest is taken after registering, so nothing applied in between is missed.
    let digest = node
        .cfg
        .anti_entropy
        .then(|| PeerFrame::Digest(node.state.digest()).to_string());
    let writer = tokio::spawn(write_loop(
        node.clone(),
        wio,
        wr,
        rx,
        resync_rx,
        digest,
        reset.clone(),
    ));
    let why = tokio::select! {
        why = read_loop(&node, &peer, &mut rd, &mut rio, &resync_tx) => why,
        _ = reset.cancelled() => "reset".to_string(),
        _ = node.shutdown.cancelled() => {
            node.clients.close();
            let wait = node.cfg.limits.grace / 2;
            let _ = tokio::time::timeout(wait, node.clients.wait()).await;
            "shutdown".to_string()
        }
    };
    // Closing the queue lets the writer send what is in it, then stop.
    node.links.unregister(&peer, id);
    drop(resync_tx);
    if why != "shutdown" {
        reset.cancel();
    }
    let _ = writer.await;
    tracing::info!(server = %node.cfg.name, %peer, %why, "peer dropped");
    node.log.record(
        "peer_drop",
        &[("peer", Field::Str(&peer)), ("reason", Field::Str(&why))],
    );
}

/// Apply what the peer sends; returns why the link ended.
async fn read_loop(
    node: &Node,
    peer: &str,
    rd: &mut ReadHalf,
    rio: &mut Timed<OwnedReadHalf>,
    resync: &mpsc::UnboundedSender<Vec<usize>>,
) -> String {
    loop {
        let line = match rd.next(rio).await {
            Ok(Next::Line(l)) => l,
            Ok(Next::TooLong) => return "peer sent an over-long line".into(),
            Ok(Next::Eof(_)) => return "closed by peer".into(),
            Err(e) => return e.to_string(),
        };
        match parse_peer_frame(&line) {
            Ok(PeerFrame::Update(at)) => {
                if let Some(stored) = node.take_update(&at, Origin::Peer(peer)) {
                    if node.log.enabled() {
                        node.log.record(
                            "peer_update",
                            &[("peer", Field::Str(peer)), ("line", Field::Str(&stored))],
                        );
                    }
                }
            }
            Ok(PeerFrame::Digest(theirs)) => {
                if resync.send(node.state.differing(&theirs)).is_err() {
                    return "writer ended".into();
                }
            }
            Ok(PeerFrame::Ping) => {}
            Ok(_) | Err(_) => {
                let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
                return format!("protocol error: {shown}");
            }
        }
    }
}

/// Send the digest, then resync buckets on request, queued updates, and heartbeats when
/// idle, batching writes. Ends when the queue is closed and drained, on reset, or when a
/// write fails (including the write timeout).
async fn write_loop(
    node: Arc<Node>,
    mut wio: Timed<OwnedWriteHalf>,
    mut out: WriteBuf,
    mut rx: QueueRx,
    mut resync: mpsc::UnboundedReceiver<Vec<usize>>,
    digest: Option<String>,
    reset: CancellationToken,
) {
    let mut heartbeat = tokio::time::interval(node.cfg.heartbeat / 2);
    heartbeat.reset();
    let mut last_write = tokio::time::Instant::now();
    let result: std::io::Result<()> = async {
        if let Some(d) = digest {
            out.write_frame(d.as_bytes());
            out.flush(&mut wio).await?;
        }
        loop {
            tokio::select! {
                _ = reset.cancelled() => return Ok(()),
                Some(buckets) = resync.recv() => {
                    for b in buckets {
                        for line in node.state.bucket_lines(b) {
                            out.write_frame(line.as_bytes());
                            if out.pending() >= WRITE_BATCH {
                                out.flush(&mut wio).await?;
                            }
                        }
                    }
                }
                line = rx.recv() => {
                    let Some(line) = line else { break };
                    out.write_frame(line.as_bytes());
                    while out.pending() < WRITE_BATCH {
                        let Some(more) = rx.try_recv() else { break };
                        out.write_frame(more.as_bytes());
                    }
                }
                _ = heartbeat.tick() => {
                    if last_write.elapsed() >= node.cfg.heartbeat {
                        out.write_frame(PeerFrame::Ping.to_string().as_bytes());
                    }
                }
            }
            if out.pending() > 0 {
                out.flush(&mut wio).await?;
                last_write = tokio::time::Instant::now();
            }
        }
        out.flush(&mut wio).await
    }
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "peer write failed");
    }
    let _ = wio.shutdown().await;
    reset.cancel();
}
